"""The running process: signals, shutdown flushing the usage log, the CLI around it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alliance_bot.cli import main
from alliance_bot.library import ContentStore
from alliance_bot.runner import run_bot
from alliance_bot.settings import Settings
from conftest import CONTENT, eventually
from fakediscord import FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"


async def test_sighup_reloads_and_sigterm_flushes_and_closes(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    store = ContentStore(content)
    assert store.load().ok
    settings = Settings(db=tmp_path / "bot.db", content_dir=content)
    async with FakeDiscord() as fake:
        with fake.patch_discord():
            task = asyncio.create_task(run_bot(settings, TOKEN, store=store, guild_ready_timeout=0.05))
            await fake.wait_for_ready(1)
            await asyncio.sleep(0.2)
            # load while SIGTERM arrives: every answered interaction must be in the database afterwards
            for i in range(30):
                await fake.send_interaction(fake.command("fact", {"query": f"troops {i}"}))
            (content / "more.yaml").write_text(
                "facts:\n  - id: sighup-fact\n    statement: Added by SIGHUP.\n    citations:\n"
                '      - {source: detrani-2025, quote: "Friday, August 22, 2025"}\n'
            )
            os.kill(os.getpid(), signal.SIGHUP)
            await eventually(lambda: "sighup-fact" in store.current.digest.facts, 10, "the SIGHUP reload")
            await eventually(
                lambda: len([r for r in fake.requests if r.path.endswith("/callback")]) >= 30, 10, "30 answers"
            )
            os.kill(os.getpid(), signal.SIGTERM)
            assert await asyncio.wait_for(task, 15) == 0
    con = sqlite3.connect(tmp_path / "bot.db")
    try:
        assert con.execute("SELECT count(*) FROM usage WHERE command = 'fact'").fetchone()[0] == 30
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    # the lock was released: the database opens again
    from alliance_bot.storage.db import Database

    db = await Database.open(tmp_path / "bot.db")
    await db.close()


def _run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_") and k != "DISCORD_TOKEN"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "alliance_bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=cwd,
    )


def test_run_without_token_shows_the_offline_answers(tmp_path: Path) -> None:
    done = _run_cli("run", env={"ALLIANCE_BOT_CONTENT_DIR": str(CONTENT)}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No DISCORD_TOKEN set" in done.stdout and "On this day in history" in done.stdout
    assert "28,500" in done.stdout


def test_run_with_broken_content_or_settings_fails_with_one_clear_line(tmp_path: Path) -> None:
    done = _run_cli("run", env={"ALLIANCE_BOT_TIMEZONE": "Nowhere/City"}, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "alliance-bot: ALLIANCE_BOT_TIMEZONE: unknown time zone “Nowhere/City”: use an IANA name such as Asia/Seoul "
        "or America/New_York"
    ]
    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    (broken / "events.yaml").write_text("events: [\n")
    done = _run_cli("run", env={"ALLIANCE_BOT_CONTENT_DIR": str(broken)}, cwd=tmp_path)
    assert done.returncode == 1 and "events.yaml:2:1: YAML syntax error" in done.stderr
    done = _run_cli(
        "run",
        "--require-token",
        env={"ALLIANCE_BOT_CONTENT_DIR": str(CONTENT), "DISCORD_TOKEN": "secret-but-malformed"},
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "does not look like a bot token" in done.stderr
    assert "secret-but-malformed" not in done.stderr + done.stdout


async def test_stats_cli_reads_the_same_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    db_path = tmp_path / "bot.db"
    db = await Database.open(db_path)
    usage = UsageLog(db)
    import time

    for outcome in ("answered", "answered", "nothing_found", "error"):
        usage.record(
            UsageRecord(time.time(), "command", "fact", '{"query": "nukes"}', outcome, 3.0, 1, 2, "h", "en-US")
        )
    await usage.close()
    await db.close()
    monkeypatch.setenv("ALLIANCE_BOT_DB", str(db_path))
    assert await asyncio.to_thread(main, ["stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 4 and data["errors"] == 1 and data["missing"][0]["query"] == "nukes"
    assert await asyncio.to_thread(main, ["stats"]) == 0
    assert "fact" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["stats", "export", "--csv"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 5
    monkeypatch.setenv("ALLIANCE_BOT_DB", str(tmp_path / "missing.db"))
    assert await asyncio.to_thread(main, ["stats"]) == 1


async def test_stats_cli_gives_the_numbers_of_the_row_by_row_computation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from alliance_bot.present.text import stats_json, stats_text
    from alliance_bot.storage import usage as usage_module
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog
    from stats_reference import summarise_reference
    from test_storage import _varied_rows

    db_path = tmp_path / "bot.db"
    db = await Database.open(db_path)
    usage = UsageLog(db)
    now = time.time()
    for r in _varied_rows(2000, now - 3600):  # an hour back: the window of the CLI's own clock holds the same rows
        usage.record(r)
    await usage.close()
    expected = await summarise_reference(db, 30, now=now)
    await db.close()
    monkeypatch.setenv("ALLIANCE_BOT_DB", str(db_path))
    assert await asyncio.to_thread(main, ["stats", "--days", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(stats_json(expected)))
    assert await asyncio.to_thread(main, ["stats", "--days", "30"]) == 0
    assert capsys.readouterr().out == stats_text(expected)
    # past the time limit: one line, exit 1, no traceback
    monkeypatch.setattr(usage_module, "STATS_TIME_LIMIT", 0.0)
    monkeypatch.setattr(usage_module.summarise, "__kwdefaults__", {"now": None, "guild_id": None, "time_limit": 0.0})
    assert await asyncio.to_thread(main, ["stats", "--days", "30"]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("alliance-bot: the statistics of the last 30 days took longer than 0 s")
        and len(err.strip().splitlines()) == 1
    ), err


async def test_sigterm_with_rows_that_cannot_be_written_reports_them_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk at shutdown: the last line says how many rows were not written, never "0 dropped"."""
    from alliance_bot.storage import usage as usage_module
    from alliance_bot.storage.db import Database

    async def full(self: Database):
        raise sqlite3.OperationalError("database or disk is full")
        yield

    store = ContentStore(CONTENT)
    assert store.load().ok
    settings = Settings(db=tmp_path / "bot.db", content_dir=CONTENT)
    monkeypatch.setattr(usage_module, "SHUTDOWN_BUDGET", 0.3)
    monkeypatch.setattr(usage_module.UsageLog.close, "__defaults__", (0.3,))
    async with FakeDiscord() as fake:
        with fake.patch_discord():
            task = asyncio.create_task(run_bot(settings, TOKEN, store=store, guild_ready_timeout=0.05))
            await fake.wait_for_ready(1)
            await asyncio.sleep(0.2)
            from contextlib import asynccontextmanager

            monkeypatch.setattr(Database, "transaction", asynccontextmanager(full))
            for i in range(12):
                await fake.send_interaction(fake.command("fact", {"query": f"troops {i}"}))
            await eventually(
                lambda: len([r for r in fake.requests if r.path.endswith("/callback")]) >= 12, 10, "12 answers"
            )
            os.kill(os.getpid(), signal.SIGTERM)
            assert await asyncio.wait_for(task, 15) == 0
    last = [r for r in caplog.records if r.getMessage().startswith("stopped; usage log")][-1]
    assert last.levelname == "ERROR", last.getMessage()
    assert (
        "NOT flushed" in last.getMessage()
        and "12 could not be written" in last.getMessage()
        and "full" in last.getMessage()
    )


def test_stats_before_any_database_says_how_one_comes_to_exist(tmp_path: Path) -> None:
    done = _run_cli("stats", env={"ALLIANCE_BOT_DB": str(tmp_path / "none.db")}, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"alliance-bot: no usage yet: there is no database at {tmp_path / 'none.db'}.")
    assert "the first time it runs connected to Discord" in done.stderr and "ALLIANCE_BOT_DB" in done.stderr
    assert not (tmp_path / "none.db").exists()
