"""Reading an interaction's data, Discord's JSON as it arrived: a field, the options typed (subcommands
flattened), the command's name, the option an autocomplete asks about. The data are plain JSON, typed only
loosely by discord.py and from commands this bot may not know (a stale sync) or tampered components, so
fields and options are checked for their shape (`field`, `_options`) rather than trusted.
"""

from __future__ import annotations

from collections.abc import Mapping

import discord


def field(data: object, key: str, default: object = None) -> object:
    """A field of an interaction's data or of one of its options (Discord's JSON), else `default`."""
    return data.get(key, default) if isinstance(data, Mapping) else default


def _options(data: object) -> list[Mapping[str, object]]:
    """The options of an interaction's data, or of an option (a subcommand's or a group's)."""
    options = field(data, "options")
    return [opt for opt in options if isinstance(opt, Mapping)] if isinstance(options, list) else []


def flatten_options(data: object) -> dict[str, object]:
    """The options of an interaction payload as {name: value}, subcommands flattened."""
    out: dict[str, object] = {}
    for opt in _options(data):
        if "options" in opt:
            out.update(flatten_options(opt))
        elif "value" in opt:
            out[str(opt["name"])] = opt["value"]
    return out


def command_name(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return interaction.command.qualified_name
    data = interaction.data
    name = str(field(data, "name", "?"))
    for opt in _options(data):
        if opt.get("type") in (1, 2):
            name += f" {opt['name']}"
            for sub in _options(opt):
                if sub.get("type") == 1:
                    name += f" {sub['name']}"
    return name


def focused_option(data: object) -> str | None:
    """The name of the option an autocomplete interaction asks about (subcommands searched), or None."""
    for opt in _options(data):
        if opt.get("focused"):
            return str(opt.get("name"))
        if "options" in opt:
            found = focused_option(opt)
            if found is not None:
                return found
    return None
