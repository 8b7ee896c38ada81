"""The usage log's side of an interaction: one row (and one log line) each, whatever the outcome, the first
outcome recorded winning. Options marked secret (`@secret_options`, e.g. a webhook URL carrying its token) are
masked before a row is written, on every path: answered, refused, error; for a command this bot does not know
no option value is kept at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from alliance_bot.discord_ui.payload import command_name, flatten_options
from alliance_bot.storage.usage import UsageLog, UsageRecord, hash_user, options_json

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

SECRET = "[secret]"  # what the usage log keeps of a secret option's value


CommandT = TypeVar("CommandT", bound="app_commands.Command[Any, ..., Any]")


def secret_options(*names: str) -> Callable[[CommandT], CommandT]:
    """Mark options whose values never reach the usage log (a webhook URL carries its token); above
    `@app_commands.command`. The names are checked against the command's parameters here, at definition."""

    def decorator(command: CommandT) -> CommandT:
        unknown = sorted(set(names) - {p.name for p in command.parameters})
        if unknown:
            raise TypeError(f"/{command.qualified_name} has no option {', '.join(unknown)} to mark secret")
        command.extras["secret_options"] = frozenset(names)
        return command

    return decorator


def without_secrets(interaction: discord.Interaction, options: dict[str, Any] | None) -> dict[str, Any] | None:
    """The options as the usage log may keep them: a secret option's value replaced, whatever the outcome; for a
    command this bot does not know (it cannot say which are secret), no values at all."""
    if not options or interaction.type not in (
        discord.InteractionType.application_command,
        discord.InteractionType.autocomplete,
    ):
        return options
    command = interaction.command
    if command is None:
        return dict.fromkeys(options, SECRET)
    secret = command.extras.get("secret_options", frozenset())
    return {name: SECRET if name in secret else value for name, value in options.items()}


def record(
    usage: UsageLog | None,
    hash_key: bytes,
    interaction: discord.Interaction,
    outcome: str,
    *,
    kind: str | None = None,
    command: str | None = None,
    options: dict[str, object] | None = None,
    error_id: str | None = None,
) -> None:
    """The interaction's row in `usage` (None: logged only) and its log line, unless it has one already; the
    user as a keyed hash (`hash_key`), never the id."""
    if interaction.extras.get("recorded"):
        return
    interaction.extras["recorded"] = True
    t0 = interaction.extras.get("t0")
    latency = (time.perf_counter() - t0) * 1000 if t0 is not None else None
    if kind is None:
        kind = {
            discord.InteractionType.autocomplete: "autocomplete",
            discord.InteractionType.component: "component",
        }.get(interaction.type, "command")
    name = command or command_name(interaction)
    # one line per interaction (no user id); the error id, when there is one, joins it to the traceback
    log.log(
        logging.DEBUG if kind == "autocomplete" or outcome == "late" else logging.INFO,
        "interaction kind=%s command=%s outcome=%s latency_ms=%s guild=%s%s",
        kind,
        name,
        outcome,
        f"{latency:.1f}" if latency is not None else "-",
        interaction.guild_id,
        f" error_id={error_id}" if error_id else "",
    )
    if usage is None:
        return
    if options is None and interaction.type is not discord.InteractionType.component:
        options = flatten_options(interaction.data)
    options = without_secrets(interaction, options)  # every path comes here: answered, refused, error
    usage.record(
        UsageRecord(
            ts=time.time(),
            kind=kind,
            command=name,
            options=options_json(options),
            outcome=outcome,
            latency_ms=latency,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_hash=hash_user(hash_key, interaction.user.id if interaction.user else None),
            locale=str(interaction.locale) if interaction.locale else None,
            error_id=error_id,
        )
    )
