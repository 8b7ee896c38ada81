"""Overload: an interaction that cannot be answered within Discord's 3-second window is not attempted (or, if
the window closes during the attempt, not retried with an error reply): a usage row `late`, one log line per
burst, no traceback."""

from __future__ import annotations

import logging
import time

import pytest

from conftest import BotEnv

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
DISCORD_EPOCH_MS = 1420070400000


def created_ago(payload: dict, seconds: float) -> dict:
    """The same interaction, as if Discord had created it `seconds` ago (its id is a snowflake with the time)."""
    ms = int((time.time() - seconds) * 1000) - DISCORD_EPOCH_MS
    payload["id"] = str((ms << 22) | (int(payload["id"]) & 0x3FFFFF))
    return payload


async def test_interactions_whose_window_has_passed_are_shed_quietly(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    fake = bot_env.fake
    caplog.set_level(logging.INFO, logger="alliance_bot")
    # a backlog: received 2.95 s after Discord created them, too late to answer within 3 s
    late = [created_ago(fake.command("fact", {"query": "troops"}), 2.95) for _ in range(5)]
    late.append(created_ago(fake.component("ab1:pg:sometoken:1", message_id=fake.channel_id + 1), 2.95))
    for payload in late:
        await fake.send_interaction(payload)
    fresh = await bot_env.ask("fact", {"query": "troops"})  # a fresh one is answered as usual
    assert "28,500" in str(fresh)
    rows = await bot_env.usage_rows(7)
    assert sorted(r[3] for r in rows) == ["answered"] + ["late"] * 6
    assert all(not fake.callback_requests(p) for p in late), "no attempt for what cannot make the window"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "late" in warnings[0].getMessage() and not warnings[0].exc_info
    assert not [
        r
        for r in caplog.records
        if r.getMessage().startswith("interaction kind=")
        and r.levelno >= logging.INFO
        and "outcome=late" in r.getMessage()
    ], "no line per late interaction"


async def test_a_window_that_closes_during_the_answer_costs_one_attempt(
    bot_env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    fake = bot_env.fake
    fake.callback_deadline = 0.2
    fake.delay_next("POST", CALLBACK, 0.4)  # Discord answers 10062 "Unknown interaction": the window closed
    payload = await fake.send_interaction(fake.command("fact", {"query": "troops"}))
    rows = await bot_env.usage_rows(1)
    assert [(r[1], r[3], r[9]) for r in rows] == [("fact", "late", None)]
    assert [r.status for r in fake.callback_requests(payload)] == [404]  # no error reply after it: it would 404
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
