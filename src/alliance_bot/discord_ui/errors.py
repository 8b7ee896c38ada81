"""What a failed command or click gets: one short private reply, also on failure, and one usage row. An
exception the user can act on (invalid input, a refused check) is answered in words; anything else gets an
error id, shown to the user and logged with the traceback, which joins the two. A response that came after
Discord's window (it answers 404 Unknown interaction) is recorded `late` and not answered again.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.discord_ui.checks import NotModerator
from alliance_bot.discord_ui.mentions import mentions
from alliance_bot.discord_ui.payload import command_name
from alliance_bot.present.limits import escape_md
from alliance_bot.present.markup import Mentions, command

if TYPE_CHECKING:
    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

UNKNOWN_INTERACTION = 10062  # Discord's error code for a response after the window (or a second one)


# What an invalid input gets, by command: a title naming what was wrong and the next step ({name} is the
# command's clickable mention, plain /name when its id is not known).
INVALID_INPUT: dict[str, tuple[str, str]] = {
    "today": ("Not a date I can read", "Try {today} again with another date, or with none for today."),
    "timeline": ("Not a timeline I can show", "Try {timeline} with years or dates, for example from 1950 to 1953."),
    "anniversaries set": (
        "Settings not saved",
        "Nothing was changed. Run {anniversaries set} again with that option fixed; {anniversaries show} shows "
        "the settings in use.",
    ),
    "anniversaries preview": ("Not a date I can read", "Try {anniversaries preview} with 07-27 or July 27."),
    "content moderator-role": (
        "Role not accepted",
        "Choose a role the server's moderators hand out, with {content moderator-role}.",
    ),
}
DEFAULT_INVALID = ("Input not understood", "Check the options and run the command again.")
_PLACEHOLDER = re.compile(r"\{([a-z -]+)\}")


def sentence(text: str) -> str:
    """A message as a sentence: a capital first letter (only when the text starts with a letter, never inside
    what the user typed) and a full stop."""
    text = text.strip()
    if text[:1].isalpha() and text[:1].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


def next_step(template: str, mentions: Mentions) -> str:
    return _PLACEHOLDER.sub(lambda m: command(mentions, m.group(1)), template)


def invalid_input_reply(name: str, message: str, mentions: Mentions) -> tuple[str, str]:
    """The title and text for an invalid input to /`name`: what was wrong (the message, inert, as a sentence),
    then what to do."""
    title, step = INVALID_INPUT.get(name, DEFAULT_INVALID)
    return title, f"{sentence(escape_md(message))}\n{next_step(step, mentions)}"


async def handle_error(bot: AllianceBot, interaction: discord.Interaction, error: Exception) -> None:
    """The one error path of commands and components (an autocomplete is the tree's: it takes no message)."""
    original = getattr(error, "original", error)
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # the window closed before the response arrived: an error reply would get the same 404
        bot.load.shed(interaction)
        return
    error_id: str | None = None
    m = mentions(bot, interaction.guild_id)
    if isinstance(original, InvalidInput):
        # the message may quote what the user typed: made inert
        outcome = "invalid_input"
        title, text = invalid_input_reply(command_name(interaction), original.message, m)
    elif isinstance(error, NotModerator):
        outcome, title = "refused", "Moderators only"
        text = (
            "This command is for moderators: members with Manage Server, or the server's moderator role.\n"
            "Ask one of them to run it, or to give you the role."
        )
    elif isinstance(error, app_commands.NoPrivateMessage):
        outcome, title = "refused", "Servers only"
        text = "This command works in a server, not in direct messages.\nRun it in a server the bot is in."
    elif isinstance(error, app_commands.CheckFailure):
        outcome, title = "refused", "Not allowed"
        text = "You are not allowed to use this command here.\nAsk the server's moderators if you need it."
    elif isinstance(error, app_commands.CommandNotFound):
        outcome, title = "error", "Unknown command"
        text = (
            "This command no longer exists; the server's command list may be out of date.\n"
            f"Type / to see the commands the bot has now, or start with {command(m, 'help')}."
        )
    else:
        error_id = secrets.token_hex(4)
        outcome, title = "error", "Something went wrong"
        text = (
            f"Sorry, that failed on our side. Error id `{error_id}`: the bot's operators can find the "
            f"details in its logs.\nTry again in a moment; if it keeps failing, give the error id to the "
            f"server's moderators."
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
