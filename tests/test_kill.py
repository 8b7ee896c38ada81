"""The bot process killed (SIGKILL) while logging and while posting, then restarted: the database opens
cleanly, at most the documented window of usage rows is missing, and the anniversary post is made once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import CONTENT, eventually
from fakediscord import FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"

# The child is the real bot (run_bot), pointed at the fake Discord; optionally with a fixed clock.
CHILD = r"""
import asyncio, datetime as dt, sys
import discord.gateway, discord.http, yarl
discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
if len(sys.argv) > 3:
    import alliance_bot.anniversaries.scheduler as sch
    fixed = dt.datetime.fromisoformat(sys.argv[3])  # the scheduler's clock, fixed for the test
    init = sch.Scheduler.__init__
    def patched(self, *a, **k):
        k.setdefault("clock", lambda: fixed)
        init(self, *a, **k)
    sch.Scheduler.__init__ = patched
from alliance_bot.library import ContentStore
from alliance_bot.runner import run_bot
from alliance_bot.settings import load_settings
settings = load_settings()
store = ContentStore(settings.content_dir)
assert store.load().ok
raise SystemExit(asyncio.run(run_bot(settings, settings.require_token(), store=store, guild_ready_timeout=0.05)))
"""


def start_child(fake: FakeDiscord, db: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_")}
    env.update(
        {
            "DISCORD_TOKEN": TOKEN,
            "ALLIANCE_BOT_DB": str(db),
            "ALLIANCE_BOT_CONTENT_DIR": str(CONTENT),
            "ALLIANCE_BOT_LOG_LEVEL": "WARNING",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, fake.base_url, fake.gateway_url, *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def usage_count(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM usage").fetchone()[0]
    finally:
        con.close()


async def test_sigkill_while_logging_loses_at_most_the_last_second(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with FakeDiscord() as fake:
        child = start_child(fake, db)
        try:
            await fake.wait_for_ready(1, timeout=30)
            await asyncio.sleep(0.3)
            sent = []
            for i in range(150):
                payload = await fake.send_interaction(fake.command("fact", {"query": f"troops {i}"}))
                sent.append(payload)
                if i % 10 == 0:
                    await fake.wait_for_callback(payload, timeout=10)
            last = await fake.wait_for_callback(sent[-1], timeout=10)
            assert last
            answered_at = sorted(r.time for r in fake.requests if r.path.endswith("/callback") and r.ok)
            child.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
        assert integrity(db) == "ok"
        rows = usage_count(db)
        answered = len(answered_at)
        recent = sum(1 for t in answered_at if t > killed_at - 1.5)  # one flush interval, plus the write itself
        assert answered - recent <= rows <= answered, (answered, recent, rows)
        # restarted: opens cleanly, answers, keeps what was there
        again = start_child(fake, db)
        try:
            await fake.wait_for_ready(2, timeout=30)
            await asyncio.sleep(0.3)
            payload = await fake.send_interaction(fake.command("today", {"date": "07-27"}))
            assert await fake.wait_for_callback(payload, timeout=10)
            again.send_signal(signal.SIGTERM)
            assert again.wait(20) == 0
        finally:
            if again.poll() is None:
                again.kill()
    assert integrity(db) == "ok" and usage_count(db) == rows + 1


async def test_sigkill_in_the_middle_of_an_anniversary_post(tmp_path: Path) -> None:
    """Killed between the claim and the end of the send, restarted within the nonce window: one post."""
    db = tmp_path / "bot.db"
    now = dt.datetime(2026, 7, 27, 0, 0, 30, tzinfo=dt.UTC)  # 09:00:30 in Seoul
    async with FakeDiscord() as fake:
        # the server's settings, written before the first start (the schema is created by the bot)
        first = start_child(fake, db, (now - dt.timedelta(days=30)).isoformat())
        try:
            await fake.wait_for_ready(1, timeout=30)
            first.send_signal(signal.SIGTERM)
            first.wait(20)
        finally:
            if first.poll() is None:
                first.kill()
        con = sqlite3.connect(db)
        con.execute(
            "INSERT INTO anniversary_settings (guild_id, channel_id, post_time, timezone, enabled, updated_at)"
            " VALUES (?, ?, '09:00', 'Asia/Seoul', 1, 0)",
            (fake.guild_id, fake.channel_id),
        )
        con.commit()
        con.close()
        path = rf"^/channels/{fake.channel_id}/messages$"
        fake.delay_next("POST", path, 3.0)  # the send is in flight when the kill comes
        child = start_child(fake, db, now.isoformat())
        try:
            await fake.wait_for_ready(2, timeout=30)
            await eventually(
                lambda: any(r.method == "POST" and r.path.endswith("/messages") for r in fake.requests) or _claimed(db),
                20,
                "the post to be claimed",
            )
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
        assert integrity(db) == "ok"
        restarted = start_child(fake, db, (now + dt.timedelta(seconds=40)).isoformat())
        try:
            await fake.wait_for_ready(3, timeout=30)
            await eventually(lambda: _status(db) == "sent", 20, "the post to be completed")
            await asyncio.sleep(3.5)  # let the delayed first request finish, if the server kept it
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(20)
        finally:
            if restarted.poll() is None:
                restarted.kill()
        posts = [
            m
            for m in fake.messages.values()
            if str(m.get("channel_id")) == str(fake.channel_id) and "Armistice" in str(m.get("embeds"))
        ]
        assert len(posts) == 1


def _claimed(db: Path) -> bool:
    return _status(db) == "claimed"


def _status(db: Path) -> str | None:
    try:
        con = sqlite3.connect(db, timeout=1)
        try:
            row = con.execute("SELECT status FROM anniversary_posts WHERE event_id = 'armistice-signed'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None
