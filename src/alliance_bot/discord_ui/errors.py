"""What a failed command or click gets: one short private reply, also on failure, and one usage row. An
exception the user can act on (invalid input, a refused check) is answered in words; anything else gets an
error id, shown to the user and logged with the traceback, which joins the two. A response that came after
Discord's window (it answers 404 Unknown interaction) is recorded `late` and not answered again.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.discord_ui.checks import NotModerator
from alliance_bot.discord_ui.payload import command_name
from alliance_bot.present.limits import escape_md

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

UNKNOWN_INTERACTION = 10062  # Discord's error code for a response after the window (or a second one)


async def handle_error(bot: AllianceBot, interaction: discord.Interaction, error: Exception) -> None:
    """The one error path of commands and components (an autocomplete is the tree's: it takes no message)."""
    original = getattr(error, "original", error)
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # the window closed before the response arrived: an error reply would get the same 404
        bot.load.shed(interaction)
        return
    error_id: str | None = None
    if isinstance(original, InvalidInput):
        # the message may quote what the user typed: make it inert
        outcome, title, text = "invalid_input", "That did not work", escape_md(original.message)
    elif isinstance(error, NotModerator):
        outcome, title = "refused", "Moderators only"
        text = "This command is for moderators: members with Manage Server, or the server's moderator role."
    elif isinstance(error, app_commands.NoPrivateMessage):
        outcome, title, text = "refused", "Servers only", "This command works in a server, not in direct messages."
    elif isinstance(error, app_commands.CheckFailure):
        outcome, title, text = "refused", "Not allowed", "You are not allowed to use this command here."
    elif isinstance(error, app_commands.CommandNotFound):
        outcome, title = "error", "Unknown command"
        text = "This command no longer exists; the server's command list may be out of date."
    else:
        error_id = secrets.token_hex(4)
        outcome, title = "error", "Something went wrong"
        text = (
            f"Sorry, that failed on our side. Error id `{error_id}`: the bot's operators can find the "
            f"details in its logs."
        )
        log.error(
            "interaction failed [error_id=%s] command=%s guild=%s",
            error_id,
            command_name(interaction),
            interaction.guild_id,
            exc_info=original,
        )
    if outcome == "refused":
        log.info("refused %s in guild %s: %s", command_name(interaction), interaction.guild_id, type(error).__name__)
    bot.record(interaction, outcome, error_id=error_id)
    try:
        await bot.reply_message(interaction, title, text, error=outcome == "error")
    except (TimeoutError, discord.HTTPException, OSError) as exc:
        # the interaction expired or Discord is failing: logged, nothing else can be done for this one
        log.warning("could not send the error reply [error_id=%s]: %s", error_id, type(exc).__name__)
