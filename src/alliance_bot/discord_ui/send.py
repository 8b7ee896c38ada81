"""Sending rendered answers: embeds, page buttons, link menus, and the clicks on them.

Components are stateless on Discord's side: a custom id is `ab1:<action>:<token>[:<n>]`
and the token refers to an entry in `PageStore` (in memory, expiring). A click on a
token we no longer know (after a restart, a timeout, or a tampered id) gets a
clear "this button has expired" instead of Discord's "interaction failed".
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import discord

from alliance_bot.present.embeds import Link, Rendered

log = logging.getLogger(__name__)

PREFIX = "ab1"
PAGE_TIMEOUT = 600.0  # seconds: buttons stop (and are removed) after this; interaction tokens last 15 minutes
MAX_ENTRIES = 5000


@dataclass
class PageEntry:
    owner_id: int
    rendered: Rendered
    command: str
    created: float = field(default_factory=time.monotonic)
    page: int = 0


class PageStore:
    """Recently sent multi-page answers and link menus, by token; bounded and expiring."""

    def __init__(self, timeout: float = PAGE_TIMEOUT, max_entries: int = MAX_ENTRIES) -> None:
        self.timeout = timeout
        self.max_entries = max_entries
        self._entries: OrderedDict[str, PageEntry] = OrderedDict()

    def add(self, entry: PageEntry) -> str:
        token = secrets.token_urlsafe(9)
        self._entries[token] = entry
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return token

    def get(self, token: str) -> PageEntry | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if time.monotonic() - entry.created > self.timeout:
            self._entries.pop(token, None)
            return None
        return entry

    def drop(self, token: str) -> None:
        self._entries.pop(token, None)


def to_embeds(page: list[dict[str, Any]]) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in page]


def components_for(rendered: Rendered, token: str | None, page: int) -> discord.ui.View | None:
    """Page buttons (when several pages) and a link menu (when the answer links elsewhere)."""
    if token is None:
        return None
    view = discord.ui.View(timeout=None)  # never registered with the client: clicks come to on_interaction
    if rendered.page_count > 1:
        view.add_item(discord.ui.Button(label="◀ Previous", style=discord.ButtonStyle.secondary,
                                        custom_id=f"{PREFIX}:pg:{token}:{page - 1}", disabled=page == 0))
        view.add_item(discord.ui.Button(label=f"{page + 1}/{rendered.page_count}", style=discord.ButtonStyle.secondary,
                                        custom_id=f"{PREFIX}:noop:{token}", disabled=True))
        view.add_item(discord.ui.Button(label="Next ▶", style=discord.ButtonStyle.secondary,
                                        custom_id=f"{PREFIX}:pg:{token}:{page + 1}",
                                        disabled=page >= rendered.page_count - 1))
    if rendered.links:
        options = [discord.SelectOption(label=link.label[:100], value=str(i)) for i, link in enumerate(rendered.links[:25])]
        view.add_item(discord.ui.Select(custom_id=f"{PREFIX}:ln:{token}", placeholder="Open a related entry…",
                                        options=options, min_values=1, max_values=1))
    return view if view.children else None


def needs_components(rendered: Rendered) -> bool:
    return rendered.page_count > 1 or bool(rendered.links)


def parse_custom_id(custom_id: str) -> tuple[str, str, int | None] | None:
    """`ab1:pg:TOKEN:3` -> ('pg', 'TOKEN', 3); anything else -> None."""
    parts = custom_id.split(":")
    if len(parts) < 3 or parts[0] != PREFIX or parts[1] not in {"pg", "ln", "noop"}:
        return None
    number: int | None = None
    if len(parts) == 4:
        try:
            number = int(parts[3])
        except ValueError:
            return None
    elif len(parts) != 3:
        return None
    return parts[1], parts[2], number


def link_target(entry: PageEntry, values: list[str]) -> Link | None:
    try:
        index = int(values[0])
    except (IndexError, ValueError):
        return None
    if 0 <= index < len(entry.rendered.links):
        return entry.rendered.links[index]
    return None


async def expire_later(store: PageStore, token: str, interaction: discord.Interaction, delay: float) -> None:
    """When the buttons time out, remove them from the message (the interaction token is still valid)."""
    try:
        await asyncio.sleep(delay)
        entry = store.get(token)
        store.drop(token)
        if entry is None:
            return
        await interaction.edit_original_response(view=None)
    except asyncio.CancelledError:
        raise
    except discord.HTTPException as exc:  # message deleted, token expired: nothing to tidy
        log.debug("could not remove expired buttons: %s", exc)
