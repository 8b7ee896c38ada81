"""`alliance-bot sync`: register the slash commands, only when they changed.

Syncing on every start burns Discord's daily command-write quota; one invalid
name rejects the whole payload. So: validate first, hash the payload, and skip
the call when the hash matches the last successful sync (kept in the database).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from alliance_bot.storage.backends import open_database
from alliance_bot.storage.db import SYNC_META, DatabaseError

if TYPE_CHECKING:
    from alliance_bot.library import ContentStore
    from alliance_bot.settings import Settings

# the exit codes of the command line (alliance_bot.cli)
_EXIT_OK, _EXIT_PROBLEMS, _EXIT_USAGE = 0, 1, 2
_REFUSED_TOKEN = "Discord refused the token (DISCORD_TOKEN); reset it in the developer portal"

_NAME = re.compile(r"^[-_\w]{1,32}$")


async def command_payload(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None = None
) -> list[dict[str, Any]]:
    """What `sync` sends: the commands as Discord's JSON, with their translations (as `tree.sync` sends them),
    sorted for a stable hash: a changed translation is a change to sync."""
    translator = tree.translator
    cmds = [
        await c.get_translated_payload(tree, translator) if translator is not None else c.to_dict(tree)
        for c in tree.get_commands(guild=guild)
    ]
    return sorted(cmds, key=lambda c: (c.get("type", 1), c["name"]))


def payload_hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def validate_payload(payload: list[dict[str, Any]], path: str = "") -> list[str]:
    problems: list[str] = []
    for cmd in payload:
        name = str(cmd.get("name", ""))
        where = f"{path}/{name}" if path else f"/{name}"
        if not _NAME.match(name) or name != name.lower():
            problems.append(f"{where}: name must be 1-32 lowercase letters, digits, - or _")
        description = cmd.get("description", "")
        if (cmd.get("type", 1) in (1, None) or "options" in cmd or path) and not 1 <= len(description) <= 100:
            problems.append(f"{where}: description must be 1-100 characters (has {len(description)})")
        for locale, localised in (cmd.get("name_localizations") or {}).items():
            if not _NAME.match(str(localised)) or localised != str(localised).lower():
                problems.append(f"{where}: {locale} name must be 1-32 lowercase letters, digits, - or _")
        for locale, localised in (cmd.get("description_localizations") or {}).items():
            if not 1 <= len(str(localised)) <= 100:
                problems.append(f"{where}: {locale} description must be 1-100 characters (has {len(str(localised))})")
        for choice in cmd.get("choices", []) or []:
            names = [choice.get("name", ""), *(choice.get("name_localizations") or {}).values()]
            if not all(1 <= len(str(n)) <= 100 for n in names):
                problems.append(f"{where}: choice name must be 1-100 characters (in every language)")
        options = cmd.get("options", []) or []
        if len(options) > 25:
            problems.append(f"{where}: at most 25 options")
        problems += validate_payload(options, where)
    if not path and len(payload) > 100:
        problems.append(f"at most 100 commands (has {len(payload)})")
    return problems


def login_problem(exc: BaseException) -> str | None:
    """One line for a start-up failure that is the operator's to fix (the token, the intents), else None."""
    if isinstance(exc, discord.LoginFailure):
        return _REFUSED_TOKEN
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return str(exc)
    return None


async def sync_commands(
    settings: Settings, token: str, store: ContentStore, guild_id: int | None, *, force: bool = False
) -> int:
    from alliance_bot.runner import build_bot

    try:
        db = await open_database(settings.db, lock=False)
    except DatabaseError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return _EXIT_PROBLEMS
    try:
        bot = build_bot(settings, store, db, None, b"", None, schedule=False)
        async with bot:
            try:
                await bot.login(token)  # runs setup_hook: the cogs register their commands
            except discord.LoginFailure:
                print(f"alliance-bot: {_REFUSED_TOKEN}", file=sys.stderr)
                return _EXIT_USAGE
            guild = discord.Object(id=guild_id) if guild_id else None
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            payload = await command_payload(bot.tree, guild)
            problems = validate_payload(payload)
            if problems:
                for p in problems:
                    print(f"invalid command: {p}", file=sys.stderr)
                return _EXIT_PROBLEMS
            key = SYNC_META.format(application=bot.application_id, scope=guild_id or "global")
            digest = payload_hash(payload)
            where = f"guild {guild_id}" if guild_id else "globally"
            if not force and await db.get_meta(key) == digest:
                print(f"commands unchanged since the last sync {where}: nothing sent (use --force to send anyway)")
                return _EXIT_OK
            synced = await bot.tree.sync(guild=guild)
            await db.set_meta(key, digest)
            print(
                f"registered {len(synced)} commands {where}"
                + ("" if guild_id else " (global commands can take up to an hour to appear)")
            )
            return _EXIT_OK
    finally:
        await db.close()
