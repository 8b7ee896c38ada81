"""Stopping the bot with interactions in flight: they finish within a budget (or are cancelled cleanly, with a
notice and a usage row) before the HTTP session closes; no un-retrieved task exception."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from conftest import MANAGE_GUILD, BotEnv

LOADING = 1 << 7


@pytest.fixture
async def loop_problems():
    loop = asyncio.get_running_loop()
    problems: list[dict] = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: problems.append(ctx))
    yield problems
    loop.set_exception_handler(old)


async def deferred_reload_in_flight(env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, asyncio.Event]:
    release = asyncio.Event()
    real = env.store.reload

    async def slow_reload():
        await release.wait()
        return await real()

    monkeypatch.setattr(env.store, "reload", slow_reload)
    payload = await env.fake.send_interaction(
        env.fake.command("content", subcommand="reload", member_permissions=MANAGE_GUILD)
    )
    cb = await env.fake.wait_for_callback(payload)
    assert cb["type"] == 5  # deferred: "thinking…"
    return payload, release


async def settled(problems: list[dict]) -> None:
    for _ in range(3):
        gc.collect()  # "Task exception was never retrieved" is reported when the task is collected
        await asyncio.sleep(0)


async def test_a_deferred_command_in_flight_finishes_before_the_session_closes(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, loop_problems: list[dict]
) -> None:
    fake = bot_env.fake
    payload, release = await deferred_reload_in_flight(bot_env, monkeypatch)
    closing = asyncio.create_task(bot_env.bot.close())
    await asyncio.sleep(0)
    release.set()  # the reload finishes while the bot is stopping
    await asyncio.wait_for(closing, 10)
    answer = fake.original_message(payload)
    assert answer is not None and not answer["flags"] & LOADING, "the moderator got the answer"
    assert "Content reloaded" in str(answer["embeds"]) or "reload" in str(answer["embeds"]).lower()
    rows = await bot_env.usage_rows(1)
    assert [(r[1], r[3]) for r in rows] == [("content reload", "answered")]
    await settled(loop_problems)
    assert loop_problems == []
    assert "Session is closed" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_command_still_running_after_the_budget_is_cancelled_cleanly(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, loop_problems: list[dict]
) -> None:
    fake = bot_env.fake
    bot_env.bot.shutdown_budget = 0.3
    payload, _never = await deferred_reload_in_flight(bot_env, monkeypatch)
    await asyncio.wait_for(bot_env.bot.close(), 10)
    answer = fake.original_message(payload)
    assert answer is not None and not answer["flags"] & LOADING
    assert "run the command again" in str(answer["embeds"])
    rows = await bot_env.usage_rows(1)
    assert [(r[1], r[3]) for r in rows] == [("content reload", "cancelled")]
    await settled(loop_problems)
    assert loop_problems == []
    assert "Session is closed" not in caplog.text and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "1 interaction still running" in caplog.text
