"""Discord's limits on what a message may hold, and the one place that keeps to them: user text is made inert
(`escape_md`), long text is split only at a boundary (`split_text`), and `_Builder` continues a field that is too
long in the next field and puts fields beyond an embed's 25 or its share of the 6,000-character total on the next
page, so nothing is cut silently; `Rendered` is what every renderer returns and `limit_violations` names any limit
it breaks. The Discord layer sends page 1 and lets the asker turn the others with buttons. This module does not
import discord: it is pure and tested directly.
"""

from __future__ import annotations

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


_MD_SPECIAL = re.compile(r"([\\*_~`|\[\]])")
_MD_LINE_START = re.compile(r"^(\s*)([>#-])", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def escape_md(text: str) -> str:
    """Make user-typed text inert in Markdown (mentions are also disabled at the client)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    return _MENTION.sub(lambda m: m.group(0).replace("@", "@\u200b"), text)


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
    """Something the reader can open from this answer (a treaty's debates, its events)."""

    label: str
    command: str  # today | treaty | fact | viewpoints | timeline | source
    argument: str


@dataclass
class Rendered:
    """What the bot sends: one or more pages, each a list of embed dicts (usually one)."""

    pages: list[list[EmbedJson]]
    links: list[Link] = field(default_factory=list)
    ephemeral: bool = False
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

    def describe(self, text: str) -> None:
        if text.strip():
            self.description_parts.append(text.strip())

    def add(self, name: str, value: str, *, inline: bool = False) -> None:
        """A field; longer values continue in fields named '… (cont.)'."""
        name = _one_line(name or "\u200b", FIELD_NAME_MAX - 10)
        parts = split_text(value, FIELD_VALUE_MAX) or ["\u200b"]
        for i, part in enumerate(parts):
            self.fields.append(Field(name if i == 0 else f"{name} (cont.)"[:FIELD_NAME_MAX], part, inline))

    def build(self) -> list[list[EmbedJson]]:
        description = "\n\n".join(self.description_parts)
        desc_chunks = split_text(description, min(DESCRIPTION_MAX, _PAGE_BUDGET - len(self.title))) or [""]
        pages: list[EmbedJson] = []
        for chunk in desc_chunks[:-1]:
            pages.append({"title": self.title, "description": chunk, "fields": []})
        current: EmbedJson = {"title": self.title, "description": desc_chunks[-1], "fields": []}
        used = len(self.title) + len(current["description"])
        for f in self.fields:
            if len(current["fields"]) >= FIELDS_MAX or used + f.size() > _PAGE_BUDGET:
                pages.append(current)
                current = {"title": _one_line(f"{self.title} (continued)", TITLE_MAX), "description": "", "fields": []}
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
            if len(e.get("footer", {}).get("text", "")) > FOOTER_MAX:
                problems.append(f"page {p}: footer")
    for link in rendered.links:
        if len(link.label) > CHOICE_NAME_MAX:
            problems.append(f"link label {len(link.label)}")
    if len(rendered.links) > CHOICES_MAX:
        problems.append(f"{len(rendered.links)} links")
    return problems
