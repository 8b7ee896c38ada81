"""Operating: doctor on healthy and broken set-ups, the health check, backups taken while the bot writes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import CONTENT

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_") and k != "DISCORD_TOKEN"}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "alliance_bot", *args], capture_output=True, text=True, timeout=120, env=full, cwd=cwd
    )


def healthy_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": TOKEN,
        "ALLIANCE_BOT_CONTENT_DIR": str(CONTENT),
        "ALLIANCE_BOT_DB": str(tmp_path / "data" / "bot.db"),
    }


def test_doctor_on_a_healthy_set_up(tmp_path: Path) -> None:
    done = run_cli("doctor", env=healthy_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * 6
    assert lines[-1] == "6/6 checks passed"
    assert TOKEN not in done.stdout and "not shown" in done.stdout


def test_doctor_offline_counts_a_missing_token_as_a_warning_not_a_pass(tmp_path: Path) -> None:
    env = {**healthy_env(tmp_path), "DISCORD_TOKEN": ""}
    done = run_cli("doctor", "--offline", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:-1]].count("warn") == 1
    assert lines[-1] == "5/6 checks passed, 1 warning (see the warn lines)"


@pytest.mark.parametrize(
    ("change", "failing", "fix"),
    [
        ({"DISCORD_TOKEN": ""}, "token", "put the bot token"),
        ({"DISCORD_TOKEN": "this-is-not-a-token"}, "token", "copy the token again"),
        ({"ALLIANCE_BOT_TIMEZONE": "Atlantis/Capital"}, "settings", "correct that variable"),
        ({"ALLIANCE_BOT_CONTENT_DIR": "BROKEN"}, "content", "alliance-bot content check"),
        ({"ALLIANCE_BOT_DB": "/proc/alliance/bot.db"}, "write access", "writable path"),
        ({"ALLIANCE_BOT_DB": "NEWER"}, "database", "upgrade alliance-bot"),
        ({"ALLIANCE_BOT_DB": "GARBAGE"}, "database", "restore a backup"),
    ],
)
def test_doctor_on_broken_set_ups(tmp_path: Path, change: dict[str, str], failing: str, fix: str) -> None:
    env = healthy_env(tmp_path)
    env.update(change)
    if change.get("ALLIANCE_BOT_CONTENT_DIR") == "BROKEN":
        broken = tmp_path / "content"
        shutil.copytree(CONTENT, broken)
        (broken / "facts.yaml").write_text("facts:\n  - id: Bad\n")
        env["ALLIANCE_BOT_CONTENT_DIR"] = str(broken)
    if change.get("ALLIANCE_BOT_DB") == "NEWER":
        path = tmp_path / "newer.db"
        con = sqlite3.connect(path)
        con.execute("PRAGMA user_version = 999")
        con.close()
        env["ALLIANCE_BOT_DB"] = str(path)
    if change.get("ALLIANCE_BOT_DB") == "GARBAGE":
        path = tmp_path / "garbage.db"
        path.write_bytes(b"not a database at all" * 500)
        env["ALLIANCE_BOT_DB"] = str(path)
    done = run_cli("doctor", env=env, cwd=tmp_path)
    assert done.returncode == 1
    fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1, done.stdout
    assert fails[0].startswith(f"FAIL  {failing}:") and fix in fails[0]
    assert "this-is-not-a-token" not in done.stdout


async def test_heartbeat_and_health(tmp_path: Path) -> None:
    from alliance_bot.ops import health, heartbeat_loop
    from alliance_bot.storage.db import Database

    path = tmp_path / "bot.db"
    assert health(path)[0] is False
    db = await Database.open(path)
    assert health(path) == (False, "no heartbeat yet: the bot has not started (or is starting)")
    ready = {"v": False}
    task = asyncio.create_task(heartbeat_loop(db, lambda: ready["v"], lambda: 0.042, interval=0.05))
    await asyncio.sleep(0.15)
    ok, message = health(path)
    assert not ok and "not connected" in message
    ready["v"] = True
    await asyncio.sleep(0.15)
    ok, message = health(path)
    assert ok and "42.0 ms" in message
    task.cancel()
    await asyncio.sleep(0)
    from alliance_bot.ops import HeartbeatFile, heartbeat_path

    old = HeartbeatFile(heartbeat_path(path))
    old.write({"time": time.time() - 1000, "ready": True})
    old.close()
    ok, message = health(path)
    assert not ok and "stuck or stopped" in message
    await db.close()


async def test_health_on_a_full_disk_names_the_usage_log_not_discord(tmp_path: Path) -> None:
    """The heartbeat before ready said "not connected"; then the disk filled and nothing could be written to the
    database any more: health must say what is really wrong, while the bot is answering."""
    from alliance_bot.ops import health, heartbeat_loop
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    path = tmp_path / "bot.db"
    db = await Database.open(path)
    usage = UsageLog(db, interval=3600)
    ready = {"v": False}
    task = asyncio.create_task(heartbeat_loop(db, lambda: ready["v"], lambda: 0.04, interval=0.02, usage=usage))
    await asyncio.sleep(0.1)
    assert "not connected" in health(path)[1]
    pages = await db.scalar("PRAGMA page_count")
    await db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for _ in range(100_000):
            await db.execute(
                "INSERT INTO usage (ts, kind, command, options, outcome) VALUES (0, 'filler', 'f', ?, 'answered')",
                ("x" * 2000,),
            )
    ready["v"] = True
    for _ in range(8):
        usage.record(UsageRecord(time.time(), "command", "fact", None, "answered", 1.0, 1, 2, "h", "en-US"))
    assert await usage.flush() == 0
    await asyncio.sleep(0.1)
    ok, message = health(path)
    assert (
        not ok
        and message.startswith("usage log cannot be written: 8 rows waiting in memory (")
        and "full" in message
        and "do not restart" in message
        and "Discord" not in message
    ), message
    await db.execute("PRAGMA max_page_count = 1073741823")
    await db.execute("DELETE FROM usage WHERE kind = 'filler'")
    assert await usage.flush() == 8
    await asyncio.sleep(0.1)
    assert health(path)[0]
    task.cancel()
    await usage.close()
    await db.close()


async def test_backup_while_the_bot_writes(tmp_path: Path) -> None:
    from alliance_bot.ops import backup
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    path = tmp_path / "bot.db"
    db = await Database.open(path)
    usage = UsageLog(db, interval=0.01)
    usage.start()
    stop = threading.Event()

    async def writer() -> int:
        n = 0
        while not stop.is_set():
            for _ in range(50):
                usage.record(UsageRecord(time.time(), "command", "fact", None, "answered", 1.0, 1, 2, "h", "en-US"))
                n += 1
            await asyncio.sleep(0.005)
        return n

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.3)
    copies = []
    for i in range(3):
        dest = tmp_path / "backups" / f"copy{i}.sqlite3"
        await asyncio.to_thread(backup, path, dest)
        copies.append(dest)
        await asyncio.sleep(0.1)
    stop.set()
    total = await task
    await usage.close()
    final = await db.scalar("SELECT count(*) FROM usage")
    await db.close()
    assert final == total
    counts = []
    for dest in copies:
        con = sqlite3.connect(dest)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        counts.append(con.execute("SELECT count(*) FROM usage").fetchone()[0])
        con.close()
    assert counts == sorted(counts) and counts[0] > 0 and counts[-1] <= final
    assert not list((tmp_path / "backups").glob(".*partial"))


def test_backup_cli(tmp_path: Path) -> None:
    env = healthy_env(tmp_path)
    missing = run_cli("db", "backup", str(tmp_path / "b.sqlite3"), env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "no database" in missing.stderr
    db_path = Path(env["ALLIANCE_BOT_DB"])
    db_path.parent.mkdir(parents=True)
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE t (x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    done = run_cli("db", "backup", str(tmp_path / "b.sqlite3"), env=env, cwd=tmp_path)
    assert done.returncode == 0 and "integrity ok" in done.stdout
    same = run_cli("db", "backup", str(db_path), env=env, cwd=tmp_path)
    assert same.returncode == 1 and "must not overwrite" in same.stderr


@pytest.mark.parametrize("name", ["bot#1.db", "bot?mode=rw.db", "we#ird?dir/bot%20db"])
async def test_a_database_path_with_uri_characters_is_the_file_opened(tmp_path: Path, name: str) -> None:
    from alliance_bot.ops import _check_database, backup, health
    from alliance_bot.storage.db import SCHEMA_VERSION, Database

    path = tmp_path / "data" / name
    db = await Database.open(path)
    await db.set_meta("heartbeat", json.dumps({"time": time.time(), "ready": True, "latency_ms": 7.0}))
    await db.close()

    def files() -> list[str]:  # the -wal and -shm files of WAL mode come and go with connections
        return sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))

    before = files()
    ok, message = health(path)
    assert ok and "7.0 ms" in message, message
    assert _check_database(path)[-1].detail.endswith(f"schema version {SCHEMA_VERSION}, integrity ok")
    version, _ = backup(path, tmp_path / "copy.sqlite3")
    assert version == SCHEMA_VERSION
    con = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert con.execute("SELECT count(*) FROM meta WHERE key = 'heartbeat'").fetchone()[0] == 1
    con.close()
    # nothing else was opened, so nothing else was created (the old URIs created `data/bot` and the like)
    assert files() == before
    top = name.split("/")[0]
    assert all(p.name.startswith(top) for p in (tmp_path / "data").iterdir())


def test_a_read_only_open_never_creates_the_file(tmp_path: Path) -> None:
    from alliance_bot.storage.db import connect_readonly

    with pytest.raises(sqlite3.OperationalError):
        connect_readonly(tmp_path / "missing#.db")
    assert list(tmp_path.iterdir()) == []


def _without_write_access(args: list[str]) -> list[str]:
    """Run a command the way the bot's user would meet a read-only folder: as root, without the capability to
    override file permissions (root would write anyway); otherwise as is."""
    if os.geteuid() == 0:
        return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *args]
    return args


async def _healthy_db(path: Path) -> None:
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    db = await Database.open(path)
    usage = UsageLog(db)
    for i in range(300):
        usage.record(
            UsageRecord(
                time.time(), "command", "fact", json.dumps({"query": f"q{i}"}), "answered", 1.0, 1, 2, "h", "en-US"
            )
        )
    await usage.close()
    await db.set_meta("heartbeat", json.dumps({"time": time.time(), "ready": True, "latency_ms": 5.0}))
    await db.close()


@pytest.mark.parametrize("command", [["stats"], ["health"], ["db", "backup", "BACKUP"]])
async def test_a_healthy_database_in_a_read_only_folder_is_not_called_damaged(
    tmp_path: Path, command: list[str]
) -> None:
    folder = tmp_path / "data"
    path = folder / "bot.db"
    await _healthy_db(path)
    (folder / "bot.db.lock").unlink()
    assert not list(folder.glob("*-shm"))  # closed cleanly: WAL must create it again to read
    os.chmod(folder, 0o555)
    os.chmod(tmp_path, 0o777)  # the backup goes beside the folder
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_")}
        env.update(healthy_env(tmp_path), ALLIANCE_BOT_DB=str(path))
        args = [a if a != "BACKUP" else str(tmp_path / "copy.sqlite3") for a in command]
        done = subprocess.run(
            _without_write_access([sys.executable, "-m", "alliance_bot", *args]),
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
    finally:
        os.chmod(folder, 0o755)
    assert done.returncode == 1, done.stdout + done.stderr
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"the folder {folder} is not writable; SQLite in WAL mode needs to create {path}-shm" in err, err
    assert "damaged" not in err and "restore a backup" not in err and "not a usable" not in err
    assert not (tmp_path / "copy.sqlite3").exists()


def _damage_an_index(path: Path) -> None:
    """Garbage over the first page of an index: the header (user_version) and the tables stay as they were."""
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'usage_outcome'").fetchone()[0]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))


async def test_a_damaged_page_at_start_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.db"
    await _healthy_db(path)
    _damage_an_index(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] > 0  # what the start used to look at: fine
    con.close()
    env = healthy_env(tmp_path)
    env["ALLIANCE_BOT_DB"] = str(path)
    done = await asyncio.to_thread(run_cli, "run", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    err = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert (
        err[-1].startswith(f"alliance-bot: the database {path} is damaged (")
        and "restore a backup" in err[-1]
        and "move it aside" in err[-1]
    ), err
    doctor = await asyncio.to_thread(run_cli, "doctor", env=env, cwd=tmp_path)
    assert any(line.startswith("FAIL  database:") and "damaged" in line for line in doctor.stdout.splitlines())
