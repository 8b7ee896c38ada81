"""The database and the usage log, on temp-file SQLite."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest

from alliance_bot.storage.db import SCHEMA_VERSION, Database, DatabaseError
from alliance_bot.storage.usage import UsageLog, UsageRecord, export_csv, hash_user, summarise


def rec(command: str = "fact", outcome: str = "answered", latency: float = 5.0, ts: float | None = None,
        options: dict | None = None, guild: int = 1) -> UsageRecord:
    return UsageRecord(ts=time.time() if ts is None else ts, kind="command", command=command,
                       options=json.dumps(options) if options else None, outcome=outcome, latency_ms=latency,
                       guild_id=guild, channel_id=2, user_hash=hash_user(b"k", 42), locale="en-US")


async def test_new_database_is_migrated_and_in_wal(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        assert await db.scalar("PRAGMA user_version") == SCHEMA_VERSION
        assert (await db.scalar("PRAGMA journal_mode")).lower() == "wal"
        assert await db.scalar("PRAGMA busy_timeout") == 5000
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meta", "usage", "guild_settings"} <= tables
    finally:
        await db.close()


async def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(DatabaseError, match="newer than this alliance-bot understands"):
        await Database.open(path)
    # the lock was released: a second try fails the same way, not with "another process"
    with pytest.raises(DatabaseError, match="newer"):
        await Database.open(path)


async def test_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database|cannot open"):
        await Database.open(path)


async def test_migration_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    await db.set_meta("k", "v")
    await db.close()
    db = await Database.open(path)
    try:
        assert await db.get_meta("k") == "v"
    finally:
        await db.close()


async def test_one_process_per_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    first = await Database.open(path)
    try:
        import subprocess
        import sys

        code = ("import asyncio; from alliance_bot.storage.db import Database, DatabaseError\n"
                f"async def m():\n    try:\n        await Database.open({str(path)!r})\n"
                "    except DatabaseError as e:\n        print(e); raise SystemExit(3)\nasyncio.run(m())")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 3
        assert "another alliance-bot process" in done.stdout and "run only one bot per database" in done.stdout
        # readers without the lock (the stats command) still work
        reader = await Database.open(path, lock=False)
        await reader.close()
    finally:
        await first.close()
    again = await Database.open(path)
    await again.close()


async def test_usage_rows_are_batched_and_flushed_on_close(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    usage.start()
    for i in range(250):
        usage.record(rec(options={"query": f"q{i}"}))
    assert await db.scalar("SELECT count(*) FROM usage") == 0  # nothing written on the interaction path
    await usage.close()
    assert await db.scalar("SELECT count(*) FROM usage") == 250
    await db.close()


async def test_usage_writer_flushes_in_the_background(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=0.05)
    usage.start()
    usage.record(rec())
    for _ in range(100):
        await asyncio.sleep(0.02)
        if await db.scalar("SELECT count(*) FROM usage") == 1:
            break
    assert await db.scalar("SELECT count(*) FROM usage") == 1
    await usage.close()
    await db.close()


async def test_a_locked_database_keeps_rows_and_logs_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    await db.execute("PRAGMA busy_timeout = 50")
    usage = UsageLog(db, interval=3600)
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for round_ in range(3):
            usage.record(rec(options={"n": round_}))
            assert await usage.flush() == 0
        assert usage.pending == 3 and usage.failing
        assert sum("usage logging paused" in r.message for r in caplog.records) == 1
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert await usage.flush() == 3
    assert usage.failing is None
    assert any("usage logging resumed" in r.message for r in caplog.records)
    assert await db.scalar("SELECT count(*) FROM usage") == 3
    await db.close()


async def test_a_read_only_database_loses_nothing_until_it_recovers(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    usage = UsageLog(db, interval=3600)
    await db.execute("PRAGMA query_only = ON")  # what a read-only mount looks like to SQLite writes
    usage.record(rec())
    assert await usage.flush() == 0 and usage.pending == 1
    await db.execute("PRAGMA query_only = OFF")
    assert await usage.flush() == 1
    await db.close()


async def test_queue_is_bounded(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, max_queue=10, interval=3600)
    for _ in range(15):
        usage.record(rec())
    assert usage.pending == 10 and usage.dropped == 5
    await usage.close()
    await db.close()


async def test_summary_and_nothing_found_list(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    now = time.time()
    for latency in (1, 2, 3, 4, 100):
        usage.record(rec("fact", latency=latency, ts=now - 10))
    usage.record(rec("fact", "nothing_found", ts=now - 5, options={"query": "nuclear sharing"}))
    usage.record(rec("fact", "nothing_found", ts=now - 5, options={"query": "nuclear sharing"}))
    usage.record(rec("treaty", "error", ts=now - 5))
    usage.record(rec("treaty", ts=now - 40 * 86400))  # outside the window
    usage.record(rec("treaty", ts=now - 5, guild=99))  # another server
    await usage.flush()
    s = await summarise(db, 7, now=now, guild_id=1)
    assert s.total == 8
    assert s.errors == 1 and abs(s.error_rate - 1 / 8) < 1e-9
    fact = next(c for c in s.per_command if c.command == "fact")
    assert fact.count == 7 and fact.nothing_found == 2 and fact.median_ms == 4.0
    assert s.missing[0] == ("fact", "nuclear sharing", 2)
    all_servers = await summarise(db, 7, now=now)
    assert all_servers.total == 9
    csv_text = await export_csv(db, 7, now=now)
    assert csv_text.splitlines()[0].startswith("time_utc,kind,command") and len(csv_text.splitlines()) == 10
    removed = await usage.prune(30)
    assert removed == 1
    await db.close()


def test_user_ids_are_hashed_with_the_key() -> None:
    a = hash_user(b"key-one", 123456789)
    assert a and "123456789" not in a
    assert a == hash_user(b"key-one", 123456789)
    assert a != hash_user(b"key-two", 123456789)
    assert hash_user(b"k", None) is None
