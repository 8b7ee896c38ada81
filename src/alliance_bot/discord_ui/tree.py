"""The command tree: every slash command and autocomplete passes its `interaction_check` first (receipt time,
in-flight tracking, load shedding), and every failure of one comes to its `on_error`. An autocomplete the tree
cannot route (a command or option this bot does not have, after a stale sync) or whose handler failed gets
the only reply Discord accepts for one: no choices, logged once per command name.

It also knows the ids Discord gave the commands, for clickable mentions (`</today:ID>`, `mentions()`): from
every `sync` it makes, and fetched once at start-up (`learn_command_ids`: the global commands, and those of
each server `alliance-bot sync --guild` registered, as the database remembers them). A command whose id is
not known is named as plain text (`/today`), never as a broken mention.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from alliance_bot.discord_ui.errors import handle_error
from alliance_bot.discord_ui.overload import RESPONSE_BUDGET
from alliance_bot.discord_ui.payload import command_name, focused_option
from alliance_bot.present.markup import Mentions
from alliance_bot.storage.db import Database, synced_guilds

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
        self.command_ids: dict[tuple[int | None, str], int] = {}  # (server or None for global, name) -> id
        self._synced: set[int | None] = set()  # scopes this process synced: what it sent wins over a fetch

    # ---------------------------------------------------------------- command ids, for mentions

    def remember(self, commands: list[app_commands.AppCommand], guild_id: int | None) -> None:
        """The ids of `commands` as registered (globally when `guild_id` is None); an earlier set for the same
        scope is replaced, so a command removed since is not mentioned any more."""
        for key in [k for k in self.command_ids if k[0] == guild_id]:
            del self.command_ids[key]
        for c in commands:
            if c.type is discord.AppCommandType.chat_input:
                self.command_ids[(guild_id, c.name)] = c.id

    async def sync(self, *, guild: discord.abc.Snowflake | None = None) -> list[app_commands.AppCommand]:
        synced = await super().sync(guild=guild)
        self.remember(synced, guild.id if guild else None)
        self._synced.add(guild.id if guild else None)
        return synced

    async def learn_command_ids(self, db: Database | None) -> None:
        """At start-up: the ids of the registered commands, globally and in each server that `alliance-bot sync
        --guild` registered them in (the database remembers which). Any failure leaves plain `/name` mentions
        for that scope (logged), never a failed start."""
        guild_ids: list[int] = []
        if db is not None and self.client.application_id is not None:
            try:
                guild_ids = await synced_guilds(db, self.client.application_id)
            except (sqlite3.Error, OSError) as exc:
                log.warning("could not read which servers have their own commands: %s", type(exc).__name__)
        for guild_id in [None, *guild_ids]:
            try:
                fetched = await asyncio.wait_for(
                    self.fetch_commands(guild=discord.Object(guild_id) if guild_id else None), timeout=30
                )
            except (TimeoutError, discord.HTTPException, OSError) as exc:
                log.warning(
                    "could not fetch the registered commands (%s) for their mentions: %s; /help and the hints "
                    "name them as plain text",
                    f"guild {guild_id}" if guild_id else "global",
                    type(exc).__name__,
                )
                continue
            if guild_id not in self._synced:  # a sync meanwhile knows better than what was fetched before it
                self.remember(fetched, guild_id)

    def mentions(self, guild_id: int | None) -> Mentions:
        """Every command and subcommand of this bot (`today`, `content reload`) -> its clickable mention in
        `guild_id` (the server's own registration first, then the global one); those with no known id are
        left out, so that renderers name them as text."""
        out: dict[str, str] = {}
        for command in self.walk_commands():
            if isinstance(command, app_commands.Group):
                continue
            root = command.root_parent.name if command.root_parent else command.name
            cid = self.command_ids.get((guild_id, root)) if guild_id else None
            cid = cid or self.command_ids.get((None, root))
            if cid:
                out[command.qualified_name] = f"</{command.qualified_name}:{cid}>"
        return out

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


async def learn_command_ids(bot: AllianceBot) -> None:
    t = bot.tree
    if isinstance(t, AllianceTree):
        await t.learn_command_ids(bot.db)
