"""The database and the usage log, on temp-file SQLite; those taking `db_target` on PostgreSQL too."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from alliance_bot.storage.backends import open_database
from alliance_bot.storage.db import Database, DatabaseError
from alliance_bot.storage.migrations import SCHEMA_VERSION
from alliance_bot.storage.usage import UsageLog, UsageRecord, export_csv, hash_user, summarise
from conftest import eventually


def rec(
    command: str = "fact",
    outcome: str = "answered",
    latency: float = 5.0,
    ts: float | None = None,
    options: dict | None = None,
    guild: int = 1,
) -> UsageRecord:
    return UsageRecord(
        ts=time.time() if ts is None else ts,
        kind="command",
        command=command,
        options=json.dumps(options) if options else None,
        outcome=outcome,
        latency_ms=latency,
        guild_id=guild,
        channel_id=2,
        user_hash=hash_user(b"k", 42),
        locale="en-US",
    )


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
    with pytest.raises(DatabaseError, match=r"not a usable SQLite database|cannot open"):
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

        code = (
            "import asyncio; from alliance_bot.storage.db import Database, DatabaseError\n"
            f"async def m():\n    try:\n        await Database.open({str(path)!r})\n"
            "    except DatabaseError as e:\n        print(e); raise SystemExit(3)\nasyncio.run(m())"
        )
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


async def test_usage_rows_are_batched_and_flushed_on_close(db_target: Path | str) -> None:
    db = await open_database(db_target)
    usage = UsageLog(db, interval=3600)
    usage.start()
    for i in range(250):
        usage.record(rec(options={"query": f"q{i}"}))
    assert await db.scalar("SELECT count(*) FROM usage") == 0  # nothing written on the interaction path
    await usage.close()
    assert await db.scalar("SELECT count(*) FROM usage") == 250
    await db.close()


async def test_usage_writer_flushes_in_the_background(db_target: Path | str) -> None:
    db = await open_database(db_target)
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


async def test_queue_is_bounded(db_target: Path | str) -> None:
    db = await open_database(db_target)
    usage = UsageLog(db, max_queue=10, interval=3600)
    for _ in range(15):
        usage.record(rec())
    assert usage.pending == 10 and usage.dropped == 5
    await usage.close()
    await db.close()


async def test_summary_and_nothing_found_list(db_target: Path | str) -> None:
    db = await open_database(db_target)
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


# ---------------------------------------------------------------- the summary in SQL (#13.6)


def _varied_rows(n: int, now: float, seed: int = 13) -> list[UsageRecord]:
    import random

    rng = random.Random(seed)
    commands = ["fact", "today", "treaty", "anniversaries set", "stats", "zz", "Ä"]
    outcomes = ["answered", "answered", "answered", "nothing_found", "invalid_input", "refused", "error"]
    option_shapes = [
        None,
        {"query": "troops"},
        {"query": "nuclear sharing"},
        {"name": "korus", "page": 2},
        {"query": "x" * 150},
        {"a": "x y"},
        {"a": "x", "b": "y"},
        {"query": 3},
        {"flag": True},
    ]
    rows = []
    for i in range(n):
        ts = now - rng.random() * 45 * 86400
        if i % 97 == 0:  # midnight UTC exactly, and just around it
            ts = (int(ts) // 86400) * 86400 + rng.choice([0.0, -0.001, 0.001])
        shape = rng.choice(option_shapes)
        options = json.dumps(shape, sort_keys=True) if shape else None
        if i % 211 == 0:
            options = "not json at all " + "y" * 120  # a truncated options_json is not JSON
        latency = None if rng.random() < 0.1 else rng.choice([1.0, 2.0, 2.0, round(rng.lognormvariate(3, 1), 3)])
        rows.append(
            UsageRecord(
                ts=ts,
                kind=rng.choice(["command", "command", "component", "autocomplete"]),
                command=rng.choice(commands),
                options=options,
                outcome=rng.choice(outcomes),
                latency_ms=latency,
                guild_id=rng.choice([1, 1, 2, None]),
                channel_id=2,
                user_hash="h",
                locale="en-US",
            )
        )
    return rows


async def test_summary_in_sql_matches_the_row_by_row_computation(db_target: Path | str) -> None:
    from stats_reference import summarise_reference

    now = 1_780_000_000.0
    for n in (0, 1, 2, 3, 4, 5, 40, 3000):
        db = await open_database(db_target)
        await db.execute("DELETE FROM usage")
        usage = UsageLog(db, interval=3600)
        for r in _varied_rows(n, now, seed=n):
            usage.record(r)
        await usage.flush()
        for days in (1, 7, 30, 365):
            for guild in (None, 1, 2, 3):
                expected = await summarise_reference(db, days, now=now, guild_id=guild)
                assert await summarise(db, days, now=now, guild_id=guild) == expected, (n, days, guild)
        await db.close()


async def test_summary_never_holds_up_the_bots_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statistics run on a connection (and a thread) of their own: while one is being computed, the usage
    log still writes and the event loop still runs."""
    import threading

    from alliance_bot.storage import usage as usage_module

    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    for i in range(20):
        usage.record(rec(outcome="nothing_found", options={"query": f"q{i % 3}"}))
    await usage.flush()
    entered, release = threading.Event(), threading.Event()
    original = usage_module._main_option

    def held(options: str | None) -> str:  # called for the rows the summary reads: hold the first one there
        if not entered.is_set():
            entered.set()
            release.wait(10)
        return original(options)

    monkeypatch.setattr(usage_module, "_main_option", held)
    task = asyncio.create_task(summarise(db, 7))
    try:
        assert await asyncio.to_thread(entered.wait, 10)
        usage.record(rec())
        assert await asyncio.wait_for(usage.flush(), 10) == 1
        assert not task.done()  # the write went through while the summary was still reading
    finally:
        release.set()
    summary = await task
    assert summary.total == 20 and summary.missing[0][2] == 7  # one snapshot: the row written meanwhile is not in it
    await db.close()


async def test_a_summary_past_its_time_limit_is_stopped_with_a_clear_message(tmp_path: Path) -> None:
    from alliance_bot.storage.usage import StatsTooSlow

    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    for _ in range(500):
        usage.record(rec())
    await usage.flush()
    with pytest.raises(StatsTooSlow, match=r"the statistics of the last 90 days took longer than 0 s.*fewer days"):
        await summarise(db, 90, time_limit=0.0)
    usage.record(rec())
    assert await usage.flush() == 1  # the bot's connection is untouched
    assert (await summarise(db, 90)).total == 501
    await db.close()


async def test_the_statistics_indexes_exist(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    plan = " ".join(
        str(tuple(r))
        for r in await db.fetchall(
            "EXPLAIN QUERY PLAN SELECT command, count(*), sum(outcome = 'error') FROM usage "
            "WHERE ts >= 0 AND kind != 'autocomplete' AND guild_id = 1 GROUP BY command"
        )
    )
    assert "COVERING INDEX" in plan, plan
    await db.close()


# ---------------------------------------------------------------- shutdown and the database file (#13.11, #13.13)


async def _fill_the_disk(db: Database) -> None:
    pages = await db.scalar("PRAGMA page_count")
    await db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: "database or disk is full"
    for size in (2000, 200, 20, 0):
        with pytest.raises(sqlite3.OperationalError, match="full"):
            for _ in range(100_000):
                await db.execute(
                    "INSERT INTO usage (ts, kind, command, options, outcome) VALUES "
                    "(0, 'filler', 'filler', ?, 'answered')",
                    ("x" * size,),
                )


async def test_rows_not_written_at_shutdown_are_counted_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    await _fill_the_disk(db)
    for i in range(40):
        usage.record(rec(options={"n": i}))
    await usage.close(budget=0.3)
    assert usage.written == 0 and usage.unwritten == 40 and usage.pending == 0
    lost = [r for r in caplog.records if "could not be written and are lost" in r.getMessage()]
    assert len(lost) == 1 and lost[0].levelname == "ERROR" and "40 rows" in lost[0].getMessage()
    assert "full" in lost[0].getMessage()
    await db.close()


async def test_shutdown_keeps_trying_within_its_budget(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = await Database.open(tmp_path / "bot.db")
    usage = UsageLog(db, interval=3600)
    await _fill_the_disk(db)
    for i in range(40):
        usage.record(rec(options={"n": i}))
    closing = asyncio.create_task(usage.close(budget=30))
    await eventually(
        lambda: any("not written yet at shutdown" in r.getMessage() for r in caplog.records),
        10,
        "the first failed attempt",
    )
    await db.execute("PRAGMA max_page_count = 1073741823")  # space comes back while the bot is stopping
    await db.execute("DELETE FROM usage WHERE kind = 'filler'")
    await asyncio.wait_for(closing, 30)
    assert usage.written == 40 and usage.unwritten == 0
    assert await db.scalar("SELECT count(*) FROM usage") == 40
    await db.close()


async def test_a_deleted_database_file_is_noticed_and_nothing_is_written_into_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    usage = UsageLog(db, interval=3600)
    usage.record(rec())
    assert await usage.flush() == 1
    path.rename(tmp_path / "aside.db")  # deleted, or moved away, under the running bot
    for i in range(5):
        usage.record(rec(options={"n": i}))
        assert await usage.flush() == 0
    assert usage.pending == 5 and usage.written == 1
    problem = usage.failing
    assert problem and f"the database file {path} was deleted (or moved away) while the bot runs" in problem
    assert f"copy /proc/{os.getpid()}/fd/" in problem and "none is written into the old file" in problem
    paused = [r for r in caplog.records if "usage logging paused" in r.getMessage()]
    assert len(paused) == 1 and paused[0].levelname == "ERROR"
    from alliance_bot.ops import health, heartbeat_loop

    beat = asyncio.create_task(heartbeat_loop(db, lambda: True, lambda: 0.01, interval=0.02, usage=usage))
    await eventually(lambda: health(path)[1].startswith("usage log"), 5, "health to name the usage log")
    message = health(path)[1]
    beat.cancel()
    assert message.startswith("usage log cannot be written: 5 rows waiting") and "was deleted" in message, message
    # another file put in its place is not the one opened either
    other = await Database.open(tmp_path / "other.db", lock=False)
    await other.close()
    (tmp_path / "other.db").rename(path)
    assert await usage.flush() == 0 and "replaced by another file" in (usage.failing or "")
    # the original file back: the rows kept are written into it
    path.rename(tmp_path / "other.db")
    (tmp_path / "aside.db").rename(path)
    assert await usage.flush() == 5 and usage.failing is None
    await usage.close()
    await db.close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM usage").fetchone()[0] == 6
    con.close()


async def test_closing_while_the_writer_is_in_the_middle_of_a_write_loses_nothing(db_target: Path | str) -> None:
    """close() must not cancel the background writer while it holds a batch it took out of the buffer."""
    db = await open_database(db_target)
    usage = UsageLog(db, interval=0.01)
    writing = asyncio.Event()
    real_transaction = db.transaction

    @contextlib.asynccontextmanager
    async def slow_transaction():
        async with real_transaction() as conn:
            writing.set()
            await asyncio.sleep(0.2)  # the commit of a busy database
            yield conn

    db.transaction = slow_transaction  # type: ignore[method-assign]
    usage.start()
    for _ in range(100):
        usage.record(rec())
    await asyncio.wait_for(writing.wait(), 5)  # the writer has taken the batch and is writing it
    await usage.close()
    db.transaction = real_transaction  # type: ignore[method-assign]
    try:
        assert await db.scalar("SELECT count(*) FROM usage") == 100
        assert usage.written == 100 and usage.unwritten == 0
    finally:
        await db.close()
