"""Operating the bot: `doctor` (is this set-up sound?), `health` (is the running bot alive?), `db backup`."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliance_bot.storage.db import connect_readonly, damaged_message, describe_error

HEARTBEAT_META = "heartbeat"
HEARTBEAT_INTERVAL = 30.0
HEARTBEAT_MAX_AGE = 120.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False

    def line(self) -> str:
        mark = "ok  " if self.ok and not self.warn else ("warn" if self.ok else "FAIL")
        text = f"{mark}  {self.name}: {self.detail}"
        if self.fix and (not self.ok or self.warn):
            text += f" → {self.fix}"
        return text


def doctor(*, offline_ok: bool = False) -> list[Check]:
    """Every check, in order; later checks are skipped (reported) when the settings themselves fail."""
    from alliance_bot.settings import TOKEN_ENV, SettingsError, load_settings, token_problem

    checks: list[Check] = []
    try:
        settings = load_settings()
    except SettingsError as exc:
        checks.append(Check("settings", False, str(exc), "correct that variable (see deploy/settings.example.env)"))
        return checks
    checks.append(Check("settings", True, "all settings valid"))

    token = settings.token_value()  # what `run` sends: the same cleaning, the same rule (settings.token_problem)
    problem = token_problem(token)
    if not token:  # a warning with --offline, unlike `run --require-token`
        checks.append(
            Check(
                "token",
                offline_ok,
                f"{TOKEN_ENV} is not set",
                "put the bot token in DISCORD_TOKEN (environment, .env or DISCORD_TOKEN_FILE in the container)",
                warn=offline_ok,
            )
        )
    elif problem is not None:
        checks.append(Check("token", False, problem))
    else:
        checks.append(Check("token", True, f"set, well-formed ({len(token)} characters, not shown)"))

    from alliance_bot.digest.loader import load_digest

    result = load_digest(settings.content_dir, settings.content_cache())
    if result.ok and result.digest is not None:
        checks.append(Check("content", True, f"{settings.content_dir}: {result.digest.summary_line()}"))
    else:
        first = str(result.problems[0]) if result.problems else "unknown problem"
        checks.append(
            Check(
                "content",
                False,
                f"{len(result.problems)} problem(s), first: {first}",
                f"run `alliance-bot content check {settings.content_dir}` and fix them",
            )
        )

    checks.append(_check_timezones(settings.timezone))
    if isinstance(settings.db, str):
        checks.extend(_check_postgres(settings.db))
    else:
        checks.extend(_check_database(Path(settings.db)))
    return checks


def _check_timezones(zone: str) -> Check:
    from alliance_bot.answers.zones import ZoneError, load_zone

    try:
        for name in ("Asia/Seoul", "America/New_York", "Pacific/Auckland", zone):
            load_zone(name)
    except ZoneError as exc:
        return Check(
            "time zones",
            False,
            f"time zone data missing ({exc.message})",
            "install the tzdata package (pip install tzdata)",
        )
    return Check("time zones", True, f"IANA data available; today uses {zone}")


def _check_database(path: Path) -> list[Check]:
    from alliance_bot.storage.migrations import SCHEMA_VERSION

    checks: list[Check] = []
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".alliance-bot-doctor-"):
            pass
        checks.append(Check("write access", True, f"{folder.resolve()} is writable"))
    except OSError as exc:
        checks.append(
            Check(
                "write access",
                False,
                f"cannot write in {folder}: {exc.strerror or exc}",
                "give the bot's user write access there, or set ALLIANCE_BOT_DB to a writable path",
            )
        )
        return checks
    if not path.exists():
        checks.append(Check("database", True, f"{path} does not exist yet; it is created on first start"))
        return checks
    try:
        con = connect_readonly(path)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            quick = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        detail, _, fix = describe_error(path, exc).partition(": ")
        checks.append(Check("database", False, detail, fix))
        return checks
    if quick != "ok":
        detail, _, fix = damaged_message(path, quick).partition(": ")
        checks.append(Check("database", False, detail, fix))
    elif version > SCHEMA_VERSION:
        checks.append(
            Check(
                "database",
                False,
                f"schema version {version} is newer than this code ({SCHEMA_VERSION})",
                "upgrade alliance-bot, or restore a backup made by this version",
            )
        )
    elif version < SCHEMA_VERSION:
        checks.append(Check("database", True, f"schema version {version}; migrated to {SCHEMA_VERSION} on start"))
    else:
        checks.append(Check("database", True, f"{path}: reachable, schema version {version}, integrity ok"))
    return checks


# ---------------------------------------------------------------- heartbeat and health


HEARTBEAT_SIZE = 4096


def heartbeat_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".heartbeat")


class HeartbeatFile:
    """The heartbeat beside the database, as JSON padded to a fixed size and rewritten in place: once the first
    write has its blocks, later ones need no new space, so it still tells the truth when the disk is full (when
    the database, and the heartbeat once kept in it, can no longer be written)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False).encode()
        if len(text) > HEARTBEAT_SIZE:
            raise ValueError(f"a heartbeat of {len(text)} bytes does not fit in {HEARTBEAT_SIZE}")
        if self._fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size < HEARTBEAT_SIZE:
                    os.pwrite(fd, b" " * HEARTBEAT_SIZE, 0)
            except OSError:
                os.close(fd)
                raise
            self._fd = fd
        os.pwrite(self._fd, text.ljust(HEARTBEAT_SIZE), 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def heartbeat_loop(
    db: Any,
    is_ready: Callable[[], bool],
    latency: Callable[[], float],
    interval: float = HEARTBEAT_INTERVAL,
    usage: Any = None,
    path: Path | None = None,
    shards: str | None = None,
) -> None:
    """Written by the running bot; read by `alliance-bot health` (container health checks): alive, connected,
    and whether the usage log and the database file are sound."""
    import logging

    log = logging.getLogger(__name__)
    beat = HeartbeatFile(path if path is not None else heartbeat_path(Path(db.path)))
    failed: str | None = None
    try:
        while True:
            try:
                lat = latency()
                beat.write(
                    {
                        "time": time.time(),
                        "pid": os.getpid(),
                        "ready": bool(is_ready()),
                        "latency_ms": None if lat != lat or lat == float("inf") else round(lat * 1000, 1),
                        "usage": usage.status() if usage is not None else None,
                        "database": (db.file_problem() or "")[:1500] or None,
                        "shards": shards,
                    }
                )
                if failed is not None:
                    log.warning("heartbeat written again")
                    failed = None
            except Exception as exc:  # health will say so by the heartbeat's age; logged once, not every beat
                if failed is None:
                    log.warning("could not write the heartbeat %s: %s", beat.path, exc)
                failed = str(exc)
            await asyncio.sleep(interval)
    finally:
        beat.close()


def _read_heartbeat(db_path: Path | None, heartbeat: Path | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """(the last heartbeat, or None; a problem reading it, or None): the file, else the meta row of before.
    `db_path` None: a PostgreSQL database, whose processes keep their heartbeat only in their own file."""
    path = heartbeat if heartbeat is not None else heartbeat_path(db_path) if db_path is not None else None
    if path is not None and path.exists():
        try:
            return json.loads(path.read_bytes().decode("utf-8", "replace") or "null"), None
        except (OSError, ValueError) as exc:
            return None, f"cannot read the heartbeat {path}: {exc}"
    if db_path is None:
        return None, None
    if not db_path.exists():
        return None, f"no database at {db_path}: is the bot running with this ALLIANCE_BOT_DB?"
    try:
        con = connect_readonly(db_path)
        try:
            row = con.execute("SELECT value FROM meta WHERE key = ?", (HEARTBEAT_META,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return None, describe_error(db_path, exc)
    return (json.loads(row[0]) if row else None), None


def health(
    db_path: Path | None, max_age: float = HEARTBEAT_MAX_AGE, *, heartbeat: Path | None = None
) -> tuple[bool, str]:
    """This process's health, from its heartbeat (each process of a sharded bot writes its own file)."""
    data, problem = _read_heartbeat(db_path, heartbeat)
    if problem is not None:
        return False, problem
    if data is None:
        return False, "no heartbeat yet: the bot has not started (or is starting)"
    age = time.time() - float(data.get("time", 0))
    usage = data.get("usage") or {}
    if age > max_age:
        last = f" (its last heartbeat said: {usage['failing']})" if usage.get("failing") else ""
        return False, f"last heartbeat {age:.0f} s ago (limit {max_age:.0f} s): the bot is stuck or stopped{last}"
    if usage.get("failing"):
        return False, (
            f"usage log cannot be written: {usage.get('pending', 0)} rows waiting in memory "
            f"({usage['failing']}); the bot is alive (heartbeat {age:.0f} s ago) and answering: fix "
            f"that, and do not restart it meanwhile (a restart loses the rows waiting)"
        )
    if data.get("database"):
        return False, f"alive (heartbeat {age:.0f} s ago), but {data['database']}"
    if not data.get("ready"):
        return False, f"alive (heartbeat {age:.0f} s ago) but not connected to Discord"
    which = f" ({data['shards']}, pid {data.get('pid')})" if data.get("shards") else ""
    return True, f"healthy{which}: heartbeat {age:.0f} s ago, gateway latency {data.get('latency_ms')} ms"


# ---------------------------------------------------------------- backup


def backup(db_path: Path, dest: Path) -> tuple[int, str]:
    """A consistent copy of the live database (SQLite's online backup API), verified, written atomically."""
    if not db_path.exists():
        raise FileNotFoundError(f"no database at {db_path}")
    dest = dest.resolve()
    if dest == db_path.resolve():
        raise ValueError("the backup must not overwrite the database itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.unlink(missing_ok=True)
    src = connect_readonly(db_path, timeout=30)
    try:
        try:
            src.execute("PRAGMA user_version").fetchone()  # the source's own problems, told apart from the copy's
        except sqlite3.Error as exc:
            raise RuntimeError(describe_error(db_path, exc)) from None
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)  # one step: a snapshot under a read transaction, consistent while the bot writes
            out.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            check = out.execute("PRAGMA integrity_check").fetchone()[0]
            version = out.execute("PRAGMA user_version").fetchone()[0]
        finally:
            out.close()
    finally:
        src.close()
    if check != "ok":
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"the copy failed its integrity check: {check}")
    os.replace(tmp, dest)
    return version, check


# ---------------------------------------------------------------- PostgreSQL: doctor and backup


def _check_postgres(url: str) -> list[Check]:
    """Reachable with these credentials, the schema version, and the server's own view of its health."""
    import asyncio

    from alliance_bot.storage.migrations import SCHEMA_VERSION
    from alliance_bot.storage.pgurl import mask_url

    async def probe() -> tuple[int, str]:
        from alliance_bot.storage.pg import PgDatabase

        db = await PgDatabase.open(url, migrate=False, readonly=True)
        try:
            version = await db.check_version()
            server = str(await db.scalar("SHOW server_version"))
        finally:
            await db.close()
        return version, server

    from alliance_bot.storage.db import DatabaseError

    try:
        version, server = asyncio.run(probe())
    except DatabaseError as exc:
        return [Check("database", False, str(exc), "fix ALLIANCE_BOT_DB or start the PostgreSQL server")]
    where = mask_url(url)
    if version < SCHEMA_VERSION:
        return [Check("database", True, f"{where}: PostgreSQL {server}, schema version {version}; migrated to "
                      f"{SCHEMA_VERSION} on start")]  # fmt: skip
    return [Check("database", True, f"{where}: reachable (PostgreSQL {server}), schema version {version}")]


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment giving it (PGPASSWORD): never on a command line."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), env


def backup_postgres(url: str, dest: Path) -> int:
    """`pg_dump --format=custom` of the database to `dest` (atomically), verified by `pg_restore --list`;
    returns the schema version. Restore: `pg_restore --clean --if-exists -d URL FILE` with the bots stopped."""
    import shutil
    import subprocess

    from alliance_bot.storage.pgurl import mask_url

    dump = shutil.which("pg_dump")
    restore = shutil.which("pg_restore")
    if dump is None or restore is None:
        raise RuntimeError(
            "pg_dump is not installed: install the PostgreSQL client (apt install postgresql-client) "
            "of the server's version or newer"
        )
    plain, env = _pg_env(url)
    dest = dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.unlink(missing_ok=True)
    done = subprocess.run(
        [dump, "--format=custom", "--no-owner", f"--file={tmp}", f"--dbname={plain}"],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=3600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        detail = done.stderr.strip().replace(plain, mask_url(url))[-500:]
        raise RuntimeError(f"pg_dump of {mask_url(url)} failed: {detail}")
    listed = subprocess.run(
        [restore, "--list", str(tmp)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
        check=False,
    )  # fmt: skip
    if listed.returncode != 0 or "TABLE DATA public anniversary_posts" not in listed.stdout.replace(" - ", " "):
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"the dump does not read back: {listed.stderr.strip()[-300:]}")
    os.replace(tmp, dest)

    async def version() -> int:
        from alliance_bot.storage.pg import PgDatabase

        db = await PgDatabase.open(url, migrate=False, readonly=True)
        try:
            return await db.check_version()
        finally:
            await db.close()

    import asyncio

    return asyncio.run(version())
