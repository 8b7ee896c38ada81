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
        ALLIANCE_BOT_SHARD_BEAT_SECONDS="0.2",  # shards.py: quick beats, and a takeover after 3 s without one
        ALLIANCE_BOT_SHARD_TAKEOVER_SECONDS="3",
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
        a = start(fake, pg_url, "0-1", tmp_path)  # alone at first
        try:
            deadline = asyncio.get_running_loop().time() + 40
            while (await statuses(pg_url)).get(first_gid) != "claimed":  # claimed, its send held up by the fake
                assert asyncio.get_running_loop().time() < deadline, "the post was never claimed"
                await asyncio.sleep(0.05)
            a.send_signal(signal.SIGKILL)
            a.wait(10)
        finally:
            stop(a)
        assert (await statuses(pg_url)).get(first_gid) == "claimed"
        # the other process, alone: once shards 0-1 have had no beat for the takeover time, it takes their servers'
        # posts and settles the claims the dead process left (the same nonce again: Discord keeps one message)
        b = start(fake, pg_url, "2-3", tmp_path)
        try:
            await wait_sent(pg_url, servers)
            # and the dead process, back: its shards are its own again, and nothing is posted twice
            restarted = start(fake, pg_url, "0-1", tmp_path, NOW + dt.timedelta(seconds=40))
            try:
                await fake.wait_until(lambda: fake.ready_count >= 6, 60, "the restarted process's shards")
                await asyncio.sleep(5.5)  # let the delayed first request finish, if the server kept it
            finally:
                stop(restarted)
        finally:
            stop(b)
        for c in servers.values():
            assert len(posts_in(fake, c)) == 1, c


def test_the_compose_file_splits_every_shard_once_over_one_postgresql() -> None:
    import yaml

    from conftest import CONTENT as content

    compose = yaml.safe_load((content.parent / "deploy" / "compose.postgres.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    bots = {name: s for name, s in services.items() if name != "postgres"}
    assert len(bots) == 2
    seen: list[int] = []
    for service in bots.values():
        cmd = service["command"]
        count = int(cmd[cmd.index("--shard-count") + 1])
        seen.extend(parse_shard_ids(cmd[cmd.index("--shard-ids") + 1], count))
        env = service["environment"]
        assert (
            env["ALLIANCE_BOT_DB"].startswith("postgresql://") and ":" not in env["ALLIANCE_BOT_DB"].split("@")[0][13:]
        )
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["restart"] == "unless-stopped"
    assert sorted(seen) == list(range(4))  # every shard, once


async def test_a_process_that_never_comes_leaves_no_server_out(pg_url: str, tmp_path: Any) -> None:
    """Only the process of shards 2-3 runs: after the takeover time without a beat from shards 0-1, it makes
    their servers' posts too, each once."""
    async with FakeDiscord(token=TOKEN, shard_count=4) as fake:
        servers = await setup(fake, pg_url)
        b = start(fake, pg_url, "2-3", tmp_path)
        try:
            await wait_sent(pg_url, servers)
        finally:
            stop(b)
        for channel in servers.values():
            assert len(posts_in(fake, channel)) == 1
        assert sorted(fake.shard_sessions) == [2, 3]  # no one ever ran shards 0 and 1
