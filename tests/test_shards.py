"""Shards across processes on one PostgreSQL database, end to end: two real bot processes (shards 0-1 and 2-3 of
4) against one fake Discord serving four gateway sessions at once. Every server's commands are answered through
the session of the shard holding it, every due post is made exactly once, a process killed with SIGKILL in the
middle of a post and restarted makes no duplicate, and a process left dead leaves no server's post out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from alliance_bot.anniversaries.ledger import AnniversaryStore, ServerSchedule
from alliance_bot.shards import ShardError, Shards, parse_shard_ids, shard_of
from alliance_bot.storage.backends import open_database
from conftest import CONTENT, eventually
from fakediscord import FakeDiscord

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"
NOW = dt.datetime(2026, 7, 27, 0, 0, 30, tzinfo=dt.UTC)  # 09:00:30 in Seoul, the armistice's day

# The real bot (run_bot with its shards), pointed at the fake Discord, its scheduler's clock fixed.
CHILD = r"""
import asyncio, datetime as dt, sys
import discord, discord.gateway, discord.http, yarl
discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
async def _no_delay(self, shard_id, *, initial=False):
    return None
discord.Client.before_identify_hook = _no_delay  # discord.py waits 5 s between the IDENTIFYs of its shards
import alliance_bot.anniversaries.scheduler as sch
fixed = dt.datetime.fromisoformat(sys.argv[3])
init = sch.Scheduler.__init__
def patched(self, *a, **k):
    k.setdefault("clock", lambda: fixed)
    init(self, *a, **k)
sch.Scheduler.__init__ = patched
from alliance_bot.library import ContentStore
from alliance_bot.runner import run_bot
from alliance_bot.settings import load_settings
from alliance_bot.shards import Shards
settings = load_settings()
store = ContentStore(settings.content_dir)
assert store.load().ok
shards = Shards.from_options(int(sys.argv[4]), sys.argv[5])
raise SystemExit(asyncio.run(run_bot(settings, settings.require_token(), store=store, shards=shards,
                                     guild_ready_timeout=0.05)))
"""


def test_shard_ids_are_read_and_checked() -> None:
    assert parse_shard_ids("0-3", 4) == (0, 1, 2, 3)
    assert parse_shard_ids("2,0", 4) == (0, 2)
    for bad, says in (("4", "does not exist"), ("3-1", "backwards"), ("x", "not a shard id"), ("1,1", "twice")):
        with pytest.raises(ShardError, match=says):
            parse_shard_ids(bad, 4)
    with pytest.raises(ShardError, match="needs --shard-count"):
        Shards.from_options(None, "0-1")
    s = Shards.from_options(4, "0-1")
    assert [s.owns(g << 22) for g in range(4)] == [True, True, False, False] and not s.all_here
    assert shard_of(5 << 22, 4) == 1


def test_sqlite_refuses_a_partial_shard_set(clean_env: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_")}
    env.update(DISCORD_TOKEN=TOKEN, ALLIANCE_BOT_CONTENT_DIR=str(CONTENT))
    done = subprocess.run(
        [sys.executable, "-m", "alliance_bot", "run", "--shard-count", "4", "--shard-ids", "0-1"],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "postgresql://" in done.stderr


def start(fake: FakeDiscord, url: str, ids: str, tmp: Any, now: dt.datetime = NOW) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_")}
    env.update(
        DISCORD_TOKEN=TOKEN,
        ALLIANCE_BOT_DB=url,
        ALLIANCE_BOT_CONTENT_DIR=str(CONTENT),
        ALLIANCE_BOT_LOG_LEVEL="WARNING",
        ALLIANCE_BOT_HEARTBEAT=str(tmp / f"heartbeat-{ids}"),
    )
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, fake.base_url, fake.gateway_url, now.isoformat(), "4", ids],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(*children: subprocess.Popen[bytes]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


async def setup(fake: FakeDiscord, url: str) -> dict[int, int]:
    """Two servers per shard, each with anniversary posts at 09:00 Seoul time: guild -> channel."""
    servers = dict(fake.add_guild(shard) for shard in (0, 0, 1, 1, 2, 2, 3, 3))
    db = await open_database(url)
    store = AnniversaryStore(db)
    for gid, cid in servers.items():
        await store.save(ServerSchedule(gid, dt.time(9, 0), "Asia/Seoul", channel_id=cid))
    await db.close()
    return servers


def posts_in(fake: FakeDiscord, channel: int) -> list[dict]:
    return [
        m
        for m in fake.messages.values()
        if str(m.get("channel_id")) == str(channel) and "Armistice" in str(m.get("embeds"))
    ]


async def statuses(url: str) -> dict[int, str]:
    db = await open_database(url, migrate=False)
    try:
        rows = await db.fetchall("SELECT guild_id, status FROM anniversary_posts WHERE event_id = 'armistice-signed'")
    finally:
        await db.close()
    return {int(r[0]): str(r[1]) for r in rows}


async def all_sent(url: str, servers: dict[int, int]) -> bool:
    got = await statuses(url)
    return all(got.get(g) == "sent" for g in servers)


async def wait_sent(url: str, servers: dict[int, int], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await all_sent(url, servers):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not every post was made: {await statuses(url)}")
        await asyncio.sleep(0.1)


async def test_two_processes_four_shards_each_server_answered_by_its_shard_and_posted_once(
    pg_url: str, tmp_path: Any
) -> None:
    async with FakeDiscord(token=TOKEN, shard_count=4) as fake:
        servers = await setup(fake, pg_url)
        a, b = start(fake, pg_url, "0-1", tmp_path), start(fake, pg_url, "2-3", tmp_path)
        try:
            await fake.wait_until(lambda: len(fake.shard_sessions) == 4 and fake.ready_count >= 4, 60, "4 shards")
            assert sorted(tuple(p["shard"]) for p in fake.identify_payloads) == [(0, 4), (1, 4), (2, 4), (3, 4)]
            for gid in servers:
                payload = await fake.send_interaction(fake.command("about", guild_id=gid))
                cb = await fake.wait_for_callback(payload, timeout=15)
                assert cb["type"] == 4  # answered, by the process holding the server's shard (the only one told)
                assert fake.interaction_shards[int(payload["id"])] == fake.shard_of(gid, 4)
            await wait_sent(pg_url, servers)
            for channel in servers.values():
                assert len(posts_in(fake, channel)) == 1
            # the command set is written by `alliance-bot sync` only, never by a process starting
            assert not [r for r in fake.requests if r.method == "PUT" and "/commands" in r.path]
            # each process has its own heartbeat, saying which shards it runs (`alliance-bot health` per process)
            for ids, said in (("0-1", "shards 0,1 of 4"), ("2-3", "shards 2,3 of 4")):
                beat = tmp_path / f"heartbeat-{ids}"
                await eventually(lambda beat=beat: beat.exists() or None, 40, "a heartbeat")
                data = json.loads(beat.read_bytes().decode().strip() or "null")
                assert data["shards"] == said and data["pid"] in (a.pid, b.pid)
        finally:
            stop(a, b)
        for channel in servers.values():
            assert len(posts_in(fake, channel)) == 1


async def test_a_process_killed_mid_post_and_restarted_makes_no_duplicate_and_a_dead_one_leaves_no_server_out(
    pg_url: str, tmp_path: Any
) -> None:
    async with FakeDiscord(token=TOKEN, shard_count=4) as fake:
        servers = await setup(fake, pg_url)
        first_gid = next(g for g in servers if fake.shard_of(g, 4) == 0)
        channel = servers[first_gid]
        fake.delay_next("POST", rf"^/channels/{channel}/messages$", 5.0)  # in flight when the kill comes
        a = start(fake, pg_url, "0-1", tmp_path)  # alone: it takes every due post, the other process is not up
        try:
            deadline = asyncio.get_running_loop().time() + 40
            while (await statuses(pg_url)).get(first_gid) != "claimed":  # claimed, its send held up by the fake
                assert asyncio.get_running_loop().time() < deadline, "the post was never claimed"
                await asyncio.sleep(0.05)
            a.send_signal(signal.SIGKILL)
            a.wait(10)
        finally:
            stop(a)
        left = {g for g, s in (await statuses(pg_url)).items() if s == "claimed"}
        assert first_gid in left  # and perhaps others that were on their way too
        # the other process, alive and alone: it never settles a claim of the dead one's shards (that process may
        # only be slow, its post on its way), and it makes every other post still due, including those of servers
        # on the dead process's shards that were not claimed yet
        b = start(fake, pg_url, "2-3", tmp_path)
        try:
            held_by_a = {g for g in left if fake.shard_of(g, 4) in (0, 1)}
            await wait_sent(pg_url, {g: c for g, c in servers.items() if g not in held_by_a})
            assert {g for g, s in (await statuses(pg_url)).items() if s == "claimed"} == held_by_a
            restarted = start(fake, pg_url, "0-1", tmp_path, NOW + dt.timedelta(seconds=40))
            try:
                await wait_sent(pg_url, servers)  # settled by the owner of its shard: sent again with the same nonce
                await asyncio.sleep(5.5)  # let the delayed first request finish, if the server kept it
            finally:
                stop(restarted)
        finally:
            stop(b)
        for c in servers.values():
            assert len(posts_in(fake, c)) == 1, c
