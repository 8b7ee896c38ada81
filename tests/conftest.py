"""Shared fixtures: the real bot, run by the real discord.py client against the fake Discord."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

from alliance_bot.discord_ui.bot import AllianceBot
from alliance_bot.discord_ui.cogs.anniversaries import AnniversariesCog, make_deliverer
from alliance_bot.scheduler import Scheduler
from alliance_bot.storage.anniversary_store import AnniversaryStore
from alliance_bot.library import ContentStore
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog

try:
    from fakediscord import FakeDiscord, disable_identify_delay
except ImportError:  # pragma: no cover
    from tests.fakediscord import FakeDiscord, disable_identify_delay

CONTENT = Path(__file__).resolve().parents[1] / "content"

_CACHE_DIR = tempfile.mkdtemp(prefix="alliance-bot-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    # the CLI and the runner cache checked content files (digest/cache.py): keep that out of the home folder
    os.environ["ALLIANCE_BOT_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)
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
            rows = await self.db.fetchall("SELECT kind, command, options, outcome, latency_ms, guild_id, channel_id, "
                                          "user_hash, locale, error_id FROM usage ORDER BY id")
            if len(rows) >= n or time.monotonic() > deadline:
                return [tuple(r) for r in rows]
            await asyncio.sleep(0.02)


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
            bot = AllianceBot(store=store, db=db, usage=usage, hash_key=b"test-key", guild_ready_timeout=0.05)
            clock = Clock(dt.datetime(2026, 7, 26, 12, 0, tzinfo=dt.timezone.utc))
            ann_store = AnniversaryStore(db)

            async def no_wait(seconds: float) -> None:
                await asyncio.sleep(0)

            scheduler = Scheduler(ann_store, store, make_deliverer(bot, None), clock=clock, sleep=no_wait)
            bot.extra_cogs.append(AnniversariesCog(bot, ann_store, scheduler, start_scheduler=False))
            disable_identify_delay(bot)
            task = asyncio.create_task(bot.start(BOT_TOKEN))
            try:
                await fake.wait_for_ready(1)
                await eventually(lambda: bot.is_ready() or task.done(), 10, "the bot to be ready")
                if task.done():
                    task.result()
                await bot.tree.sync()  # the fake learns the option types, as Discord would
                fake.clear()
                yield BotEnv(fake, bot, store, db, usage, content, scheduler, ann_store, clock)
            finally:
                await bot.close()
                try:
                    await asyncio.wait_for(task, 10)
                except Exception:
                    pass
                await usage.close()
                await db.close()
