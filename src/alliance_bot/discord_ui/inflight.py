"""Interactions in flight at a stop: the task handling each is remembered until it ends (`InFlight.track`),
so that closing the bot can give those still running a few seconds to finish before the HTTP session closes;
the rest are cancelled, their exceptions retrieved, and each is told to run the command again
(`tell_cancelled`) and recorded as `cancelled`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from alliance_bot.present.embeds import render_message

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

SHUTDOWN_BUDGET = 5.0  # seconds at a stop for interactions still running to finish, before the session closes
NOTICE_BUDGET = 2.0  # then for telling those cancelled to run the command again


class InFlight:
    """The task handling each interaction, while it runs."""

    def __init__(self) -> None:
        self._in_flight: dict[asyncio.Task[object], discord.Interaction] = {}  # the task handling each interaction

    def track(self, interaction: discord.Interaction) -> None:
        """Remember the task handling an interaction until it ends, so that a stop can wait for it."""
        task = asyncio.current_task()
        if task is not None and task not in self._in_flight:
            self._in_flight[task] = interaction
            task.add_done_callback(lambda t: self._in_flight.pop(t, None))

    async def finish(self, shutdown_budget: float) -> list[discord.Interaction]:
        """Interactions still running get `shutdown_budget` seconds to finish; the rest are cancelled (and
        awaited) and returned, to be told to run the command again while the session is still open."""
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + shutdown_budget
        while True:
            pending = {t for t in self._in_flight if t is not current and not t.done()}
            remaining = deadline - loop.time()
            if not pending or remaining <= 0:
                break
            await asyncio.wait(pending, timeout=remaining)
        if not pending:
            return []
        cancelled = [(t, self._in_flight[t]) for t in pending]
        log.warning(
            "stopping: %d interaction%s still running after %g s, cancelled",
            len(cancelled),
            "" if len(cancelled) == 1 else "s",
            shutdown_budget,
        )
        for task, _ in cancelled:
            task.cancel()
        await asyncio.gather(*(t for t, _ in cancelled), return_exceptions=True)  # retrieved: nothing logged later
        return [i for _, i in cancelled]


async def tell_cancelled(bot: AllianceBot, interaction: discord.Interaction) -> None:
    """Record a cancelled interaction as `cancelled` and ask its user to run the command again."""
    bot.record(interaction, "cancelled")
    if interaction.type is discord.InteractionType.autocomplete:
        return
    rendered = render_message(
        "Stopped", "The bot is restarting and could not finish this: run the command again in a minute.", error=True
    )
    try:
        await asyncio.wait_for(bot.send_rendered(interaction, rendered, ephemeral=True), timeout=NOTICE_BUDGET)
    except (TimeoutError, discord.HTTPException, OSError) as exc:
        log.debug("could not tell a cancelled interaction: %s", type(exc).__name__)
