"""Discord's limits on what a message may hold, and the one place that keeps to them: user text is made inert
(`escape_md`), long text is split only at a boundary (`split_text`), and `_Builder` continues a field that is too
long in the next field and puts fields beyond an embed's 25 or its share of the 6,000-character total on the next
page, so nothing is cut silently; `Rendered` is what every renderer returns and `limit_violations` names any limit
it breaks. The Discord layer sends page 1 and lets the asker turn the others with buttons. This module does not
import discord: it is pure and tested directly.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TypedDict

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
OPTION_LABEL_MAX = 100  # a select menu option's label, and its description
OPTION_DESCRIPTION_MAX = 100
PLACEHOLDER_MAX = 150  # a select menu's placeholder
BUTTON_LABEL_MAX = 80
BUTTONS_PER_ROW = 5
ROWS_MAX = 5  # action rows per message
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # one upload, in a server without boosts (a larger file is refused: 40005)
ATTACHMENT_DESCRIPTION_MAX = 1024  # an attachment's description: the alt text screen readers read
ATTACHMENT_SCHEME = "attachment://"  # an embed's image that is a file of the same message: attachment://NAME

# Our own reading budgets (issue #16), checked by tests on the shipped content's payloads
OPTION_LABEL_PHONE = 40  # a menu label longer than this is cut at a phone's width: the rest goes in the description
INLINE_VALUE_MAX = 300  # an inline field (a column on desktop, a line on a phone) holds no more; longer: full width
FIRST_MESSAGE_BUDGET = 1500  # visible characters of the first message of /fact, /today and /treaty
KEY_LINE_WITHIN = 300  # and the answer's key line within its first this many
SHOWN_ALIASES = 3  # a treaty's "also known as" names at most this many

# Our own budget per page: below the total so the footer ("Page 2/3 · …") always fits.
_PAGE_BUDGET = 5200
_FOOTER_RESERVE = 200

COLOUR_ANSWER = 0x2B6CB0
COLOUR_EMPTY = 0x718096
COLOUR_ERROR = 0xC53030
COLOUR_VIEWPOINTS = 0x6B46C1


class EmbedFieldJson(TypedDict):
    name: str
    value: str
    inline: bool


class EmbedFooterJson(TypedDict):
    text: str


class EmbedAuthorJson(TypedDict):
    name: str


class EmbedImageJson(TypedDict):
    url: str  # here always `attachment://NAME`, a file sent with the same message


class EmbedJson(TypedDict, total=False):
    """An embed in Discord's JSON, as far as the bot writes it (`author` it never sets, but Discord counts it).

    The Discord layer hands it to `discord.Embed.from_dict`, which takes any mapping: this layer does not import
    discord, so this is ours, not discord.py's `types.embed.Embed`."""

    title: str
    description: str
    fields: list[EmbedFieldJson]
    footer: EmbedFooterJson
    author: EmbedAuthorJson
    color: int
    image: EmbedImageJson


_MD_SPECIAL = re.compile(r"([\\*_~`|\[\]])")
_MD_LINE_START = re.compile(r"^(\s*)([>#-])", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def escape_md(text: str) -> str:
    """Make user-typed text inert in Markdown (mentions are also disabled at the client)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    return _MENTION.sub(lambda m: m.group(0).replace("@", "@\u200b"), text)


_OPENING_QUOTES = "“\"‘'«„"
_CLOSING_QUOTES = "”\"’'»“"


def quoted(text: str) -> str:
    """`“text”`, unless the text already is a quotation (`“70 years is enough!”` is not wrapped again)."""
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] in _OPENING_QUOTES and text[-1] in _CLOSING_QUOTES:
        return text
    return f"“{text}”"


def _one_line(text: str, limit: int) -> str:
    """The text on one line, at most `limit` characters: cut at a word (or mid-word when one is that long)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    head = text[:cut] if cut > limit * 2 // 3 else text[: limit - 1]
    return head.rstrip(" ,;:–-") + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, line, sentence or word boundaries into chunks of at most `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", "; ", ", ", " "):
            pos = window.rfind(sep)
            if pos > limit // 3:
                cut = pos + (1 if sep.strip() else 0) if sep not in ("\n\n", "\n") else pos
                break
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


@dataclass
class Field:
    name: str
    value: str
    inline: bool = False

    def size(self) -> int:
        return len(self.name) + len(self.value)


@dataclass
class Link:
    """Something the reader can open from this answer (a treaty's debates, its events): a menu option, its label
    short enough for a phone (`OPTION_LABEL_PHONE`), the rest in its description, with an optional emoji."""

    label: str
    command: str  # today | treaty | fact | viewpoints | timeline | source | event (its card) | quotes ("id kind")
    argument: str
    description: str = ""
    emoji: str = ""


def link(label: str, command: str, argument: str, description: str = "", emoji: str = "") -> Link:
    """A `Link` whose label fits a phone: a longer label is cut at a word, the whole of it starting the
    description (which Discord shows under the label, on its own line)."""
    label = " ".join(label.split())
    if len(label) > OPTION_LABEL_PHONE:
        short = _one_line(label, OPTION_LABEL_PHONE)
        cut = short.rfind(" ", 0, OPTION_LABEL_PHONE - 1)
        short = (label[:cut].rstrip(" ,;:–-") + "…") if cut > OPTION_LABEL_PHONE // 2 else short
        description = f"{label} · {description}" if description else label
        label = short
    return Link(label, command, argument, _one_line(description, OPTION_DESCRIPTION_MAX) if description else "", emoji)


MENU_PLACEHOLDER = "Open a related entry…"


@dataclass
class Rendered:
    """What the bot sends: one or more pages, each a list of embed dicts (usually one); the links of its menu
    (with the menu's placeholder) and, behind a Sources button, the pages of every quote the answer rests on."""

    pages: list[list[EmbedJson]]
    links: list[Link] = field(default_factory=list)
    ephemeral: bool = False
    sources: list[list[EmbedJson]] = field(default_factory=list)
    menu: str = MENU_PLACEHOLDER
    vote_key: str | None = None  # the answer's 👍/👎 key (storage.votes.AnswerKey), set by the Discord layer

    @property
    def page_count(self) -> int:
        return len(self.pages)


class _Builder:
    def __init__(self, title: str, colour: int, footer: str) -> None:
        self.title = _one_line(title, TITLE_MAX)
        self.colour = colour
        self.footer = footer
        self.description_parts: list[str] = []
        self.fields: list[Field] = []
        self._breaks: set[int] = set()  # indexes of the fields that start a new page

    def describe(self, text: str) -> None:
        if text.strip():
            self.description_parts.append(text.strip())

    def add(self, name: str, value: str, *, inline: bool = False) -> None:
        """A field; a longer value continues in fields without a name of their own (a zero-width one), so it
        reads as one block. An inline value over `INLINE_VALUE_MAX` is laid out full width instead."""
        name = _one_line(name or "\u200b", FIELD_NAME_MAX)
        parts = split_text(value, FIELD_VALUE_MAX) or ["\u200b"]
        inline = inline and len(parts) == 1 and len(parts[0]) <= INLINE_VALUE_MAX
        for i, part in enumerate(parts):
            self.fields.append(Field(name if i == 0 else "\u200b", part, inline))

    def page_break(self) -> None:
        """The fields added after this start a new page (when there is anything before them)."""
        self._breaks.add(len(self.fields))

    def build(self) -> list[list[EmbedJson]]:
        description = "\n\n".join(self.description_parts)
        desc_chunks = split_text(description, min(DESCRIPTION_MAX, _PAGE_BUDGET - len(self.title))) or [""]
        pages: list[EmbedJson] = []
        for chunk in desc_chunks[:-1]:
            pages.append({"title": self.title, "description": chunk, "fields": []})
        current: EmbedJson = {"title": self.title, "description": desc_chunks[-1], "fields": []}
        used = len(self.title) + len(current["description"])
        for n, f in enumerate(self.fields):
            broken = n in self._breaks and (current["fields"] or current["description"])
            if broken or len(current["fields"]) >= FIELDS_MAX or used + f.size() > _PAGE_BUDGET:
                pages.append(current)
                current = {"title": self.title, "description": "", "fields": []}
                used = len(current["title"])
            current["fields"].append({"name": f.name, "value": f.value, "inline": f.inline})
            used += f.size()
        pages.append(current)
        total = len(pages)
        out = []
        for i, page in enumerate(pages, 1):
            footer = self.footer if total == 1 else f"Page {i}/{total} · {self.footer}"
            page["footer"] = {"text": _one_line(footer, FOOTER_MAX)}
            page["color"] = self.colour
            if not page["description"]:
                del page["description"]
            if not page["fields"]:
                del page["fields"]
            out.append([page])
        return out


FOOTER = "alliance_bot · every answer cites its sources"


def with_image(rendered: Rendered, filename: str) -> Rendered:
    """The answer with the picture `filename` (a file sent with the message) shown in the first embed of every
    page: a page turn keeps it in place instead of leaving it as a loose file under the embed."""
    pages: list[list[EmbedJson]] = []
    for page in rendered.pages:
        first: EmbedJson = dict(page[0])  # type: ignore[assignment]  # a copy: the answer's pages are not changed
        first["image"] = {"url": ATTACHMENT_SCHEME + filename}
        pages.append([first, *page[1:]])
    return dataclasses.replace(rendered, pages=pages)


_PAGE_PREFIX = re.compile(r"^Page \d+/\d+ · ")


def number_pages(pages: list[list[EmbedJson]]) -> list[list[EmbedJson]]:
    """Pages made by several builders (a topic each) numbered as one answer: `Page 2/5 · …` in each footer."""
    total = len(pages)
    for i, page in enumerate(pages, 1):
        for e in page[:1]:
            text = _PAGE_PREFIX.sub("", e.get("footer", {}).get("text", ""))
            e["footer"] = {"text": _one_line(f"Page {i}/{total} · {text}" if total > 1 else text, FOOTER_MAX)}
    return pages


def visible_text(page: list[EmbedJson]) -> str:
    """What a reader sees of a message's embeds, in reading order (title, description, fields, footer)."""
    out = []
    for e in page:
        out += [e.get("title", ""), e.get("description", "")]
        for f in e.get("fields", []):
            out += [f["name"].replace("\u200b", ""), f["value"]]
        out.append(e.get("footer", {}).get("text", ""))
    return "\n".join(x for x in out if x)


def embed_size(embed: EmbedJson) -> int:
    """Characters Discord counts toward the 6,000 total."""
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    n += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    return n


def limit_violations(rendered: Rendered) -> list[str]:
    """Every Discord limit the rendered answer breaks (empty when it is sendable)."""
    problems = []
    for p, page in enumerate(rendered.pages, 1):
        if len(page) > EMBEDS_PER_MESSAGE:
            problems.append(f"page {p}: {len(page)} embeds")
        if sum(embed_size(e) for e in page) > EMBED_TOTAL_MAX:
            problems.append(f"page {p}: {sum(embed_size(e) for e in page)} characters in all")
        for e in page:
            if len(e.get("title", "")) > TITLE_MAX:
                problems.append(f"page {p}: title {len(e['title'])}")
            if len(e.get("description", "")) > DESCRIPTION_MAX:
                problems.append(f"page {p}: description {len(e['description'])}")
            fields = e.get("fields", [])
            if len(fields) > FIELDS_MAX:
                problems.append(f"page {p}: {len(fields)} fields")
            for f in fields:
                if not f["name"].strip() or len(f["name"]) > FIELD_NAME_MAX:
                    problems.append(f"page {p}: field name {len(f['name'])}")
                if not f["value"].strip() or len(f["value"]) > FIELD_VALUE_MAX:
                    problems.append(f"page {p}: field value {len(f['value'])}")
                if f["inline"] and len(f["value"]) > INLINE_VALUE_MAX:
                    problems.append(f"page {p}: inline field value {len(f['value'])}")
            if len(e.get("footer", {}).get("text", "")) > FOOTER_MAX:
                problems.append(f"page {p}: footer")
    for p, page in enumerate(rendered.sources, 1):
        problems += [f"sources {p}: {x}" for x in limit_violations(Rendered([page]))]
    for item in rendered.links:
        if not item.label.strip() or len(item.label) > OPTION_LABEL_MAX:
            problems.append(f"link label {len(item.label)}")
        if len(item.description) > OPTION_DESCRIPTION_MAX:
            problems.append(f"link description {len(item.description)}")
    if len(rendered.links) > CHOICES_MAX:
        problems.append(f"{len(rendered.links)} links")
    if len(rendered.menu) > PLACEHOLDER_MAX:
        problems.append(f"menu placeholder {len(rendered.menu)}")
    return problems
