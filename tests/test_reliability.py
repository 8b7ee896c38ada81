"""Faults through the fake Discord and the real discord.py client: the answer arrives once, or the failure
is logged with an error id; no duplicate, no lost usage row. Also a full disk and hostile interactions."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MANAGE_GUILD, MEMBER_PERMISSIONS, BotEnv, eventually

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
EPHEMERAL = 1 << 6


def callbacks(env: BotEnv, payload: dict) -> list:
    return env.fake.callback_requests(payload)


async def settle(env: BotEnv, n_rows: int) -> list[tuple]:
    return await env.usage_rows(n_rows)


@pytest.mark.parametrize("is_global", [False, True])
async def test_rate_limited_callback_is_retried_and_answered_once(bot_env: BotEnv, is_global: bool) -> None:
    fake = bot_env.fake
    fake.rate_limit_next(
        "POST", CALLBACK, retry_after=0.3, is_global=is_global, scope="global" if is_global else "user"
    )
    payload = await fake.send_interaction(fake.command("fact", {"query": "cheonan"}))
    cb = await fake.wait_for_callback(payload)
    assert "Cheonan" in str(cb)
    await asyncio.sleep(0.3)
    reqs = callbacks(bot_env, payload)
    assert [r.status for r in reqs] == [429, 204] or [r.status for r in reqs] == [429, 200]
    rows = await settle(bot_env, 1)
    assert [(r[1], r[3]) for r in rows] == [("fact", "answered")]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_the_library_retries(bot_env: BotEnv, status: int) -> None:
    fake = bot_env.fake
    fake.fail_next("POST", CALLBACK, status)
    payload = await fake.send_interaction(fake.command("today", {"date": "07-27"}))
    cb = await fake.wait_for_callback(payload, timeout=10)
    assert "On this day" in str(cb)
    ok = [r for r in callbacks(bot_env, payload) if r.ok]
    assert len(ok) == 1
    assert [(r[1], r[3]) for r in await settle(bot_env, 1)] == [("today", "answered")]


async def test_discord_failing_for_good_is_logged_with_an_error_id(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    fake = bot_env.fake
    fake.fail_next("POST", CALLBACK, 503, times=1000)  # the interaction endpoint is down
    payload = await fake.send_interaction(fake.command("fact", {"query": "troops"}))
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        await bot_env.usage.flush()
        rows = await bot_env.db.fetchall("SELECT command, outcome, error_id FROM usage")
        if rows or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert [(r[0], r[1]) for r in rows] == [("fact", "error")] and rows[0][2]
    assert any(rows[0][2] in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert not [r for r in callbacks(bot_env, payload) if r.ok]  # nothing could be delivered; nothing doubled
    fake.clear_faults()
    cb = await bot_env.ask("fact", {"query": "troops"})  # Discord is back: answers flow again
    assert "28,500" in str(cb)


async def test_a_slow_discord_still_gets_one_answer(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    fake.delay_next("POST", CALLBACK, 1.0)
    payload = await fake.send_interaction(fake.command("treaty", {"name": "korus"}))
    await fake.wait_for_callback(payload, timeout=10)
    await asyncio.sleep(0.2)
    assert len([r for r in callbacks(bot_env, payload) if r.ok]) == 1
    assert len(await settle(bot_env, 1)) == 1


async def test_a_connection_reset_is_logged_with_an_error_id_and_nothing_is_lost(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    fake = bot_env.fake
    fake.reset_next("POST", CALLBACK)
    payload = await fake.send_interaction(fake.command("fact", {"query": "thaad"}))
    # discord.py does not retry a dropped connection: the handler answers the failure on the same interaction
    cb = await fake.wait_for_callback(payload, timeout=10)
    assert "Error id" in str(cb) or "THAAD" in str(cb)
    ok = [r for r in callbacks(bot_env, payload) if r.ok]
    assert len(ok) == 1
    rows = await settle(bot_env, 1)
    assert len(rows) == 1 and rows[0][3] in ("error", "answered")
    if rows[0][3] == "error":
        assert rows[0][9] and any(rows[0][9] in r.getMessage() for r in caplog.records)
    # the bot keeps answering
    again = await bot_env.ask("fact", {"query": "thaad"})
    assert "Seongju" in str(again)


async def test_heartbeat_acks_that_stop_lead_to_a_reconnect(bot_env: BotEnv) -> None:
    fake, bot = bot_env.fake, bot_env.bot
    identifies, resumes = fake.identify_count, fake.resume_count
    fake.stop_heartbeat_acks()
    # discord.py's heartbeat_timeout is 60 s by default: shorten it for the test, then wake the receive loop
    # (a heartbeat request) so that its next wait uses the shorter limit
    bot.ws._max_heartbeat_timeout = 2.0
    await fake.gateway_request_heartbeat()
    await eventually(
        lambda: fake.resume_count > resumes or fake.identify_count > identifies,
        20,
        "a reconnect after missing heartbeat ACKs",
    )
    fake.resume_heartbeat_acks()
    await eventually(lambda: fake.connected, 10, "connected again")
    cb = await bot_env.ask("fact", {"query": "cheonan"})
    assert "Cheonan" in str(cb)


async def test_a_full_disk_keeps_answers_flowing_logs_once_and_recovers(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    db = bot_env.db
    pages = await db.scalar("PRAGMA page_count")
    await db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: "database or disk is full"
    for size in (2000, 200, 20, 0):  # use up the free space left inside the file, down to the last bytes
        with pytest.raises(sqlite3.OperationalError, match="full"):
            for _ in range(100_000):
                await db.execute(
                    "INSERT INTO usage (ts, kind, command, options, outcome) VALUES "
                    "(0, 'filler', 'filler', ?, 'answered')",
                    ("x" * size,),
                )
    for i in range(8):
        cb = await bot_env.ask("fact", {"query": "troops" + "?" * (i + 1)})  # eight distinct interactions
        assert "28,500" in str(cb)
    await bot_env.usage.flush()
    await bot_env.usage.flush()
    assert bot_env.usage.failing and "full" in bot_env.usage.failing
    assert bot_env.usage.pending == 8
    paused = [r for r in caplog.records if "usage logging paused" in r.getMessage()]
    assert len(paused) == 1
    await db.execute("PRAGMA max_page_count = 1073741823")  # the disk recovers
    await db.execute("DELETE FROM usage WHERE kind = 'filler'")
    rows = await bot_env.usage_rows(8)
    assert len(rows) == 8 and all(r[1] == "fact" for r in rows) and bot_env.usage.failing is None
    assert any("usage logging resumed" in r.getMessage() for r in caplog.records)


async def test_a_database_locked_by_another_program(bot_env: BotEnv) -> None:
    import sqlite3

    blocker = sqlite3.connect(bot_env.db.path, timeout=0.1, isolation_level=None)
    await bot_env.db.execute("PRAGMA busy_timeout = 100")
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for _i in range(3):
            cb = await bot_env.ask("today", {"date": "07-27"})
            assert "Armistice" in str(cb)
        await bot_env.usage.flush()
        assert bot_env.usage.pending == 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert len(await bot_env.usage_rows(3)) == 3


# ---------------------------------------------------------------- hostile interactions


async def test_moderator_commands_refused_through_every_path(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    for sub in ("reload", "status", "moderator-role"):
        cb = await bot_env.ask("content", subcommand=sub, member_permissions=MEMBER_PERMISSIONS)
        assert "for moderators" in str(cb)
    for sub, options in (("set", {"time": "09:00"}), ("show", None), ("preview", None), ("off", None)):
        cb = await bot_env.ask("anniversaries", options, subcommand=sub, member_permissions=MEMBER_PERMISSIONS)
        assert "for moderators" in str(cb)
    cb = await bot_env.ask("stats", member_permissions=MEMBER_PERMISSIONS)
    assert "for moderators" in str(cb)
    # a moderator's paged answer: a member pressing its buttons is refused
    for i in range(40):
        bot_env.usage.record(
            __import__("alliance_bot.storage.usage", fromlist=["UsageRecord"]).UsageRecord(
                __import__("time").time(),
                "command",
                f"cmd{i}",
                None,
                "nothing_found",
                1.0,
                fake.guild_id,
                1,
                "h",
                "en-US",
            )
        )
    # crafted component ids aimed at moderator answers: expired, never executed
    for custom_id in ("ab1:pg:forged-token:1", "ab1:ln:forged-token", "content:reload", "ab1:pg::0"):
        p = await fake.send_interaction(
            fake.component(custom_id, message_id=fake.channel_id + 5, member_permissions=MEMBER_PERMISSIONS)
        )
        cb = await fake.wait_for_callback(p)
        assert "expired" in str(cb)
    rows = await bot_env.usage_rows(8 + 4)
    refused = [r for r in rows if r[3] == "refused"]
    assert len(refused) >= 8
    assert await bot_env.anniversaries.get(fake.guild_id) is None


async def test_a_moderators_pages_refuse_a_member(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(
        fake.command("source", {"source": "oh-alliance-history"}, member_permissions=MANAGE_GUILD)
    )
    await fake.wait_for_callback(payload)
    message = await eventually(lambda: fake.original_message(payload), what="the answer")
    next_id = next(
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c.get("custom_id", "").endswith(":1")
    )
    click = await fake.send_interaction(
        fake.component(
            next_id, message_id=message["id"], user_id=fake.add_user(), member_permissions=MEMBER_PERMISSIONS
        )
    )
    cb = await fake.wait_for_callback(click)
    assert "Only the person who asked" in str(cb)
    rows = await bot_env.usage_rows(2)
    assert rows[-1][3] == "refused"


HOSTILE = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "@everyone",
            "@here",
            "<@&123456789012345678>",
            "<@1>",
            "**x**",
            "`x`",
            "||x||",
            "\u202e",
            "Z̴̡̧a̷l̸g̵o̶" * 20,
            "NEAR(",
            "a AND b",
            '"',
            "*",
            "\x00\x1b[31m",
            "x" * 6000,
        ]
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from(
        [
            ("fact", "query"),
            ("treaty", "name"),
            ("viewpoints", "topic"),
            ("today", "date"),
            ("source", "source"),
            ("timeline", "tag"),
        ]
    ),
    text=HOSTILE,
)
async def test_hostile_options_through_discord(bot_env: BotEnv, command: tuple[str, str], text: str) -> None:
    name, option = command
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command(name, {option: text}))
    cb = await fake.wait_for_callback(payload)
    data = cb["data"]
    assert data.get("allowed_mentions") == {"parse": []}
    blob = str(data.get("embeds", [])) + str(data.get("content") or "")
    assert "@everyone" not in blob and "<@&" not in blob and "@here" not in blob
    # the fake Discord rejects any payload over a limit (400): reaching here means it was accepted
    assert all(r.ok for r in fake.callback_requests(payload))


async def test_moderator_role_refuses_everyone_and_managed_roles(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    bot_role = await fake.add_role("OtherBot", managed=True, tags={"bot_id": str(fake.add_user())})
    boost_role = await fake.add_role("Server Booster", managed=True, tags={"premium_subscriber": None})
    for role, why in ((fake.guild_id, "every member a moderator"), (bot_role, "managed"), (boost_role, "managed")):
        cb = await bot_env.ask("content", {"role": role}, subcommand="moderator-role", member_permissions=MANAGE_GUILD)
        assert cb["data"]["flags"] & EPHEMERAL
        assert why in str(cb) and "not changed" in str(cb)
        # nothing was stored: a member is still no moderator
        assert (
            await bot_env.db.scalar("SELECT moderator_role FROM guild_settings WHERE guild_id = ?", (fake.guild_id,))
            is None
        )
        member = await bot_env.ask("content", subcommand="status", member_permissions=MEMBER_PERMISSIONS)
        assert "for moderators" in str(member)
    rows = await bot_env.usage_rows(6)
    assert [r[3] for r in rows if r[1] == "content moderator-role"] == ["invalid_input"] * 3


async def test_a_stored_everyone_role_grants_nothing(bot_env: BotEnv) -> None:
    # a database written before the refusal may hold @everyone (role id = server id): it makes no one a moderator
    fake = bot_env.fake
    await bot_env.db.execute(
        "INSERT INTO guild_settings (guild_id, moderator_role, updated_at) VALUES (?, ?, 0)",
        (fake.guild_id, fake.guild_id),
    )
    member = await bot_env.ask("content", subcommand="status", member_permissions=MEMBER_PERMISSIONS)
    assert "for moderators" in str(member)
