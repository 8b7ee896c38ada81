"""The clickable mentions of the bot's commands (`</today:ID>`) for a server, for everything the Discord layer
hands the renderers: the ids are the tree's (`tree.AllianceTree.mentions`); this module imports neither the
tree nor anything that imports it, so the error path and the cogs can use it without an import cycle."""

from __future__ import annotations

from typing import Any

from alliance_bot.present.markup import NO_MENTIONS, Mentions


def mentions(bot: Any, guild_id: int | None) -> Mentions:
    """Command name (`today`, `content reload`) -> its mention in `guild_id`; empty for a client whose tree
    does not know the ids (the renderers then name commands as plain `/today`)."""
    of = getattr(getattr(bot, "tree", None), "mentions", None)
    result = of(guild_id) if callable(of) else None
    return result if isinstance(result, dict) else NO_MENTIONS
