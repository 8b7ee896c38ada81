"""Who may run the moderators' commands: the check the cogs put on them, and the failure it raises.

The check asks the bot at run time (Manage Server, or the server's moderator role), so it holds whatever
an admin does to the `default_permissions` hint; the tree's error handler turns `NotModerator` into a
private refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

_T = TypeVar("_T")


class NotModerator(app_commands.CheckFailure):
    """The member lacks Manage Server and the moderator role."""


def moderator_only() -> Callable[[_T], _T]:
    """`@moderator_only()` on a command: run it only for the server's moderators."""

    async def predicate(interaction: discord.Interaction[AllianceBot]) -> bool:
        bot = interaction.client  # the cogs with this check are AllianceBot's
        if await bot.is_moderator(interaction):
            return True
        raise NotModerator()

    return app_commands.check(predicate)
