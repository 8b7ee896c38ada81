"""Shared fixtures: the real bot, run by the real discord.py client against the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alliance_bot.anniversaries.ledger import AnniversaryStore
from alliance_bot.anniversaries.scheduler import Scheduler
from alliance_bot.discord_ui.bot import AllianceBot
from alliance_bot.discord_ui.cogs.anniversaries import AnniversariesCog, make_deliverer
from alliance_bot.library import ContentStore
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog

try:
    from fakediscord import FakeDiscord, disable_identify_delay
except ImportError:  # pragma: no cover
    from tests.fakediscord import FakeDiscord, disable_identify_delay

CONTENT = Path(__file__).resolve().parents[1] / "content"

# The suite never touches the user's home: HOME and the XDG folders point into one temporary folder for
# the whole run (subprocesses inherit them, including those that drop every ALLIANCE_BOT_ setting), and
# pytest_sessionfinish fails the run if anything of ours appeared in the real home anyway.
_SANDBOX = Path(tempfile.mkdtemp(prefix="alliance-bot-test-home-"))
_CACHE_DIR = str(_SANDBOX / "cache-setting")
_HOME_VARS = {
    "HOME": _SANDBOX / "home",
    "XDG_CACHE_HOME": _SANDBOX / "home" / ".cache",
    "XDG_CONFIG_HOME": _SANDBOX / "home" / ".config",
    "XDG_DATA_HOME": _SANDBOX / "home" / ".local" / "share",
    "XDG_STATE_HOME": _SANDBOX / "home" / ".local" / "state",
}
REAL_HOME = Path(os.path.expanduser("~"))
_WATCHED = [
    REAL_HOME / ".cache" / "alliance-bot",
    Path(os.environ.get("XDG_CACHE_HOME", REAL_HOME / ".cache")) / "alliance-bot",
]


def _snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    seen = {}
    for folder in folders:
        if folder.is_dir():
            for path in folder.rglob("*"):
                with contextlib.suppress(OSError):
                    st = path.stat()
                    seen[str(path)] = (st.st_size, st.st_mtime_ns)
    return seen


_BEFORE = _snapshot(_WATCHED)


def pytest_configure(config: pytest.Config) -> None:
    for name, path in _HOME_VARS.items():
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    # the CLI and the runner cache checked content files (digest/cache.py)
    os.environ["ALLIANCE_BOT_CACHE_DIR"] = _CACHE_DIR


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    changed = sorted(set(_snapshot(_WATCHED).items()) - set(_BEFORE.items()))
    if changed:
        print(f"\nthe test suite wrote into the real home folder: {', '.join(p for p, _ in changed[:5])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SANDBOX, ignore_errors=True)


# -- both storage backends: SQLite (a file) and PostgreSQL (a real server started for the session, pgserver.py)

_PG_NAMES = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A real PostgreSQL server for the whole run, stopped at the end. Skipped (loudly) only when this machine has
    no PostgreSQL binaries at all; under CI (CI=true) their absence fails the run instead."""
    try:
        from pgserver import find_bin, start_server
    except ImportError:  # pragma: no cover
        from tests.pgserver import find_bin, start_server
    if find_bin() is None:
        reason = (
            "NO POSTGRESQL SERVER BINARIES (initdb, pg_ctl) ON THIS MACHINE: the PostgreSQL half of the storage tests "
            "does not run; install the `postgresql` package"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = start_server()
    yield server
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: Any) -> str:
    """A new, empty PostgreSQL database on the session's server."""
    return str(pg_server.create_database(f"t{os.getpid()}_{next(_PG_NAMES)}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's database is: a SQLite file, or a new PostgreSQL database (the test runs once with each)."""
    if request.param == "sqlite":
        return tmp_path / "bot.db"
    return str(request.getfixturevalue("pg_url"))


BOT_TOKEN = "MTA.fake.token"
MEMBER_PERMISSIONS = "3072"  # view channels + send messages: an ordinary member
MANAGE_GUILD = str(1 << 5)


class Clock:
    """A clock the tests set; the scheduler reads it instead of the wall clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class BotEnv:
    fake: FakeDiscord
    bot: AllianceBot
    store: ContentStore
    db: Database
    usage: UsageLog
    content: Path
    scheduler: Scheduler
    anniversaries: AnniversaryStore
    clock: Clock

    async def ask(self, name: str, options: dict[str, Any] | None = None, **kwargs: Any) -> dict:
        """Send a slash command and return the JSON of its interaction callback."""
        payload = await self.fake.send_interaction(self.fake.command(name, options, **kwargs))
        return await self.fake.wait_for_callback(payload)

    async def usage_rows(self, n: int, timeout: float = 5.0) -> list[tuple]:
        deadline = time.monotonic() + timeout
        while True:
            await self.usage.flush()
            rows = await self.db.fetchall(
                "SELECT kind, command, options, outcome, latency_ms, guild_id, channel_id, "
                "user_hash, locale, error_id FROM usage ORDER BY id"
            )
            if len(rows) >= n or time.monotonic() > deadline:
                return [tuple(r) for r in rows]
            await asyncio.sleep(0.02)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No ALLIANCE_BOT_ setting or token from the environment, and a working folder of the test's own."""
    for name in list(os.environ):
        if name.startswith("ALLIANCE_BOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@pytest.fixture
async def bot_env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    store = ContentStore(content)
    assert store.load().ok
    async with FakeDiscord() as fake:
        with fake.patch_discord():
            db = await Database.open(tmp_path / "bot.db")
            usage = UsageLog(db, interval=0.05)
            usage.start()
            clock = Clock(dt.datetime(2026, 7, 26, 12, 0, tzinfo=dt.UTC))
            bot = AllianceBot(
                store=store, db=db, usage=usage, hash_key=b"test-key", guild_ready_timeout=0.05, clock=clock
            )
            ann_store = AnniversaryStore(db)

            async def no_wait(seconds: float) -> None:
                await asyncio.sleep(0)

            scheduler = Scheduler(ann_store, store, make_deliverer(bot, None), clock=clock, sleep=no_wait)
            bot.extra_cogs.append(AnniversariesCog(bot, ann_store, scheduler, start_scheduler=False))
            try:
                async with running(fake, bot):
                    yield BotEnv(fake, bot, store, db, usage, content, scheduler, ann_store, clock)
            finally:
                await usage.close()
                await db.close()


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, bot: AllianceBot) -> AsyncIterator[None]:
    """`bot` started against the fake Discord, ready and its commands synced (the fake then knows the option
    types, as Discord would), the fake's records cleared; closed at the end."""
    disable_identify_delay(bot)
    task = asyncio.create_task(bot.start(BOT_TOKEN))
    try:
        await fake.wait_for_ready(1)
        await eventually(lambda: bot.is_ready() or task.done(), 10, "the bot to be ready")
        if task.done():
            task.result()
        await bot.tree.sync()
        fake.clear()
        yield
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
