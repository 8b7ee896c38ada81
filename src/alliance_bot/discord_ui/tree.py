"""The command tree: every slash command and autocomplete passes its `interaction_check` first (receipt time,
in-flight tracking, load shedding), and every failure of one comes to its `on_error`. An autocomplete the tree
cannot route (a command or option this bot does not have, after a stale sync) or whose handler failed gets
the only reply Discord accepts for one: no choices, logged once per command name.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from alliance_bot.discord_ui.errors import handle_error
from alliance_bot.discord_ui.overload import RESPONSE_BUDGET
from alliance_bot.discord_ui.payload import command_name, focused_option

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it


def can_autocomplete(interaction: discord.Interaction) -> bool:
    """Whether the tree has the command and an autocomplete handler for the focused option."""
    command = interaction.command  # None when the tree has no such command or subcommand
    if not isinstance(command, app_commands.Command):
        return False
    focused = focused_option(interaction.data)
    return any(p.display_name == focused and p.autocomplete for p in command.parameters)


class AllianceTree(app_commands.CommandTree["AllianceBot"]):
    def __init__(self, client: AllianceBot, **options: Any) -> None:
        super().__init__(client, **options)
        self._unroutable_logged: set[str] = set()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        interaction.extras.setdefault("t0", time.perf_counter())
        self.client.in_flight.track(interaction)
        if self.client.load.too_late(interaction):
            self.client.load.shed(interaction)
            return False
        if interaction.type is discord.InteractionType.autocomplete and not can_autocomplete(interaction):
            # discord.py would raise CommandNotFound (whose error reply, a message, Discord rejects for an
            # autocomplete) or log a traceback and leave it unanswered: answer it here, with no choices
            await self.answer_unroutable_autocomplete(interaction)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            # Discord accepts only choices for an autocomplete: never a message, whatever went wrong
            await self.answer_unroutable_autocomplete(interaction)
            return
        await handle_error(self.client, interaction, error)

    async def answer_unroutable_autocomplete(self, interaction: discord.Interaction) -> None:
        """An autocomplete for a command or option the bot does not have: empty choices (the only reply Discord
        accepts), logged once per command name, not once per keystroke."""
        name = command_name(interaction)
        if name not in self._unroutable_logged and len(self._unroutable_logged) < 1000:
            self._unroutable_logged.add(name)
            log.warning(
                "autocomplete for %r (option %r), which this bot does not have: answered with no choices; "
                "run `alliance-bot sync` if Discord's command list is out of date (logged once)",
                name,
                focused_option(interaction.data),
            )
        self.client.record(interaction, "error", kind="autocomplete", command=name)
        if interaction.response.is_done():
            return
        try:
            await asyncio.wait_for(interaction.response.autocomplete([]), timeout=RESPONSE_BUDGET)
        except (TimeoutError, discord.HTTPException, OSError) as exc:
            log.debug("could not answer an autocomplete: %s", type(exc).__name__)
