"""Sending rendered answers: embeds, page buttons, the Sources button, link menus (the clicks on them:
`components`).

Components are stateless on Discord's side: a custom id is `ab1:<action>:<token>[:<n>]`
and the token refers to an entry in `PageStore` (in memory, expiring). A click on a
token we no longer know (after a restart, a timeout, or a tampered id) gets a
clear "this button has expired" instead of Discord's "interaction failed".

Rows: the page buttons and the Sources button share row 0, the link menu is row 1; rows 2 to 4 are left for
what other modules add (`components_for(..., extra=...)`, such as the vote buttons).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import InitVar, dataclass, field
from typing import Any

import discord

from alliance_bot.discord_ui import votes
from alliance_bot.present.limits import BUTTONS_PER_ROW, MENU_PLACEHOLDER, ROWS_MAX, EmbedJson, Link, Rendered

log = logging.getLogger(__name__)

PREFIX = "ab1"
PAGE_TIMEOUT = 600.0  # seconds: buttons stop (and are removed) after this; interaction tokens last 15 minutes
TOKEN_LIFETIME = 15 * 60.0  # an interaction token edits its messages this long; later the buttons cannot be removed
MAX_ENTRIES = 2000  # answers with live buttons; past this the oldest are forgotten (their buttons say "expired")
MAX_BYTES = 16 * 1024 * 1024  # and at most this much of stored (compressed) pages in all
REMOVE_AT_ONCE = 8  # expired messages edited concurrently
FOLLOWUP_BUDGET = 30.0  # seconds for a follow-up, or an edit through the interaction's webhook, to go through


@dataclass
class PageEntry:
    """What a click needs (the owner, the pages, the links) and what removing the buttons needs: the
    interaction's webhook (application id + token, valid 15 minutes) and the message; never the Interaction.

    The pages are kept as compressed JSON (a tenth of the embeds as Python objects; a page turn decodes them
    in well under a millisecond)."""

    owner_id: int
    rendered: InitVar[Rendered]
    command: str
    created: float = field(default_factory=time.monotonic)
    page: int = 0
    application_id: int | None = None
    webhook_token: str | None = None
    message_id: int | None = None
    page_count: int = field(init=False)
    links: list[Link] = field(init=False)
    menu: str = field(init=False)
    has_sources: bool = field(init=False)
    vote_key: str | None = field(init=False)  # the 👍/👎 pair stays on every page and after expiry (votes.py)
    _pages: bytes = field(init=False, repr=False)

    def __post_init__(self, rendered: Rendered) -> None:
        self.page_count = rendered.page_count
        self.links = list(rendered.links)
        self.menu = rendered.menu
        self.has_sources = bool(rendered.sources)
        self.vote_key = rendered.vote_key
        stored = {"pages": rendered.pages, "sources": rendered.sources}
        self._pages = zlib.compress(json.dumps(stored, separators=(",", ":")).encode())

    @property
    def size(self) -> int:
        return len(self._pages)

    def _stored(self) -> dict[str, list[list[EmbedJson]]]:
        stored: dict[str, list[list[EmbedJson]]] = json.loads(zlib.decompress(self._pages))
        return stored

    def embeds(self, number: int) -> list[EmbedJson]:
        return self._stored()["pages"][number]  # Rendered.pages, as stored

    def sources(self) -> list[list[EmbedJson]]:
        """The pages behind the Sources button (`Rendered.sources`)."""
        return self._stored()["sources"]


class PageStore:
    """Recently sent multi-page answers and link menus, by token; bounded and expiring.

    Entries are kept in the order they were added, and all live `timeout` seconds, so the oldest is always
    the next to expire: one sweeper (`sweep`) waits for it, forgets what expired and removes its buttons.
    """

    def __init__(
        self,
        timeout: float = PAGE_TIMEOUT,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.evicted = 0  # forgotten before expiry because of the caps
        self._entries: OrderedDict[str, PageEntry] = OrderedDict()
        self._bytes = 0
        self._added = asyncio.Event()

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: PageEntry) -> str:
        token = secrets.token_urlsafe(9)
        entry.created = self.clock()
        self._entries[token] = entry
        self._bytes += entry.size
        while len(self._entries) > self.max_entries or (self._bytes > self.max_bytes and len(self._entries) > 1):
            self._forget(next(iter(self._entries)))
            self.evicted += 1
        self._added.set()
        return token

    def _forget(self, token: str) -> PageEntry | None:
        entry = self._entries.pop(token, None)
        if entry is not None:
            self._bytes -= entry.size
        return entry

    def _expired(self, entry: PageEntry) -> bool:
        return self.clock() >= entry.created + self.timeout

    def get(self, token: str) -> PageEntry | None:
        entry = self._entries.get(token)
        if entry is None or self._expired(entry):
            return None  # an expired entry is left for the sweeper, which removes its buttons
        return entry

    def drop(self, token: str) -> None:
        self._forget(token)

    def next_expiry(self) -> float | None:
        """When the oldest entry expires (clock time), or None when there is none."""
        for entry in self._entries.values():
            return entry.created + self.timeout
        return None

    def pop_expired(self) -> list[PageEntry]:
        """Forget every expired entry and return them (oldest first)."""
        out = []
        while self._entries:
            token, entry = next(iter(self._entries.items()))
            if not self._expired(entry):
                break
            self._forget(token)
            out.append(entry)
        return out

    async def wait_for_entry(self) -> None:
        self._added.clear()
        if not self._entries:
            await self._added.wait()


async def sweep(store: PageStore, remove_buttons: Callable[[PageEntry], Awaitable[None]]) -> None:
    """The one expiry mechanism, for the bot's lifetime: sleep until the oldest entry expires, forget every
    expired entry, remove their buttons (a few at a time), again. An entry added meanwhile expires later."""
    while True:
        due = store.next_expiry()
        if due is None:
            await store.wait_for_entry()
            continue
        delay = due - store.clock()
        if delay > 0:
            await asyncio.sleep(delay)
            continue
        expired = store.pop_expired()
        for i in range(0, len(expired), REMOVE_AT_ONCE):
            await asyncio.gather(*(remove_buttons(e) for e in expired[i : i + REMOVE_AT_ONCE]))


def to_embeds(page: list[EmbedJson]) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in page]


def _button(label: str, custom_id: str, *, disabled: bool = False, emoji: str | None = None) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id, disabled=disabled, emoji=emoji, row=0
    )


def page_buttons(token: str, page: int, page_count: int) -> list[discord.ui.Button[Any]]:
    """◀ Previous and Next ▶ (the counter is in each page's footer); ⏮ and ⏭ too beyond three pages. The first
    and last buttons are `pj` ("jump"), so that no two buttons share a custom id when they lead to one page."""
    if page_count <= 1:
        return []
    last = page_count - 1
    buttons = [
        _button("Previous", f"{PREFIX}:pg:{token}:{page - 1}", disabled=page == 0, emoji="◀️"),
        _button("Next", f"{PREFIX}:pg:{token}:{page + 1}", disabled=page >= last, emoji="▶️"),
    ]
    if page_count > 3:
        buttons.insert(0, _button("First", f"{PREFIX}:pj:{token}:0", disabled=page == 0, emoji="⏮️"))
        buttons.append(_button("Last", f"{PREFIX}:pj:{token}:{last}", disabled=page >= last, emoji="⏭️"))
    return buttons


def link_menu(links: list[Link], token: str, placeholder: str = MENU_PLACEHOLDER) -> discord.ui.Select[Any] | None:
    """The menu of what the answer links to: short labels, the rest in each option's description, an emoji."""
    if not links:
        return None
    options = [
        discord.SelectOption(
            label=item.label[:100],
            value=str(i),
            description=item.description[:100] or None,
            emoji=item.emoji or None,
        )
        for i, item in enumerate(links[:25])
    ]
    return discord.ui.Select(
        custom_id=f"{PREFIX}:ln:{token}",
        placeholder=placeholder[:150],
        options=options,
        min_values=1,
        max_values=1,
        row=1,
    )


def components_for(
    rendered: Rendered | PageEntry,
    token: str | None,
    page: int,
    extra: Iterable[discord.ui.Item[Any]] = (),
) -> discord.ui.View | None:
    """Row 0: page buttons (when several pages) and the Sources button (when the answer has quotes behind it);
    row 1: the link menu (when the answer links elsewhere); then `extra`, items of other modules, each with its
    own row (2 to 4); the vote pair (votes.py, row 4), also with no token."""
    if token is None:
        return votes.add_vote_row(None, rendered.vote_key)
    view = discord.ui.View(timeout=None)
    row0: list[discord.ui.Item[Any]] = list(page_buttons(token, page, rendered.page_count))
    has_sources = rendered.has_sources if isinstance(rendered, PageEntry) else bool(rendered.sources)
    if has_sources:
        row0.append(
            discord.ui.Button(
                label="Sources", style=discord.ButtonStyle.primary, custom_id=f"{PREFIX}:src:{token}", emoji="📚", row=0
            )
        )
    assert len(row0) <= BUTTONS_PER_ROW
    for item in row0:
        view.add_item(item)
    menu = link_menu(rendered.links, token, rendered.menu)
    if menu is not None:
        view.add_item(menu)
    for item in extra:
        assert item.row is None or 2 <= item.row < ROWS_MAX, "rows 0 and 1 are the answer's own"
        view.add_item(item)
    votes.add_vote_row(view, rendered.vote_key)
    if not view.children:
        return None
    # Only the components are wanted: clicks come to on_interaction, which finds the entry by its token. A
    # stopped view is sent but never stored in discord.py's view store (which would keep every answer's view,
    # forever for a public message), and has no timeout task.
    view.stop()
    return view


def needs_components(rendered: Rendered) -> bool:
    return rendered.page_count > 1 or bool(rendered.links) or bool(rendered.sources)


ACTIONS = frozenset({"pg", "pj", "ln", "src", "noop"})  # page, jump to a page, link menu, Sources, (old) counter


def parse_custom_id(custom_id: str) -> tuple[str, str, int | None] | None:
    """`ab1:pg:TOKEN:3` -> ('pg', 'TOKEN', 3); anything else -> None."""
    parts = custom_id.split(":")
    if len(parts) < 3 or parts[0] != PREFIX or parts[1] not in ACTIONS:
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
    if 0 <= index < len(entry.links):
        return entry.links[index]
    return None
