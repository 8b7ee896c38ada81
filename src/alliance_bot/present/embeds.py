"""Answers as Discord embeds (plain dicts, in Discord's JSON shape), every limit enforced here.

Nothing is cut silently: text longer than a field is continued in the next
field, fields beyond an embed's 25 or its share of the 6,000-character total
go on the next page. The Discord layer sends page 1 and lets the asker turn
the others with buttons. This module does not import discord: it is pure and
tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alliance_bot.answers.model import (
    EventView,
    FactAnswer,
    SourceAnswer,
    SourceRef,
    TimelineAnswer,
    TodayAnswer,
    TreatyAnswer,
    ViewpointsAnswer,
)
from alliance_bot.digest.dates import MONTH_NAMES, ordinal

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

    pages: list[list[dict[str, Any]]]
    links: list[Link] = field(default_factory=list)
    ephemeral: bool = False

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

    def build(self) -> list[list[dict[str, Any]]]:
        description = "\n\n".join(self.description_parts)
        desc_chunks = split_text(description, min(DESCRIPTION_MAX, _PAGE_BUDGET - len(self.title))) or [""]
        pages: list[dict[str, Any]] = []
        for chunk in desc_chunks[:-1]:
            pages.append({"title": self.title, "description": chunk, "fields": []})
        current: dict[str, Any] = {"title": self.title, "description": desc_chunks[-1], "fields": []}
        used = len(self.title) + len(current["description"])
        for f in self.fields:
            if len(current["fields"]) >= FIELDS_MAX or used + f.size() > _PAGE_BUDGET:
                pages.append(current)
                current = {"title": _one_line(f"{self.title} (continued)", TITLE_MAX), "description": "",
                           "fields": []}
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


def _cite_lines(sources: tuple[SourceRef, ...], numbers: dict[tuple[str, str], int] | None = None) -> str:
    lines = []
    for s in sources:
        lines.append(f"— *{escape_md(s.short())}*: “{escape_md(s.quote)}”")
    return "\n".join(lines)


def _event_heading(e: EventView) -> str:
    head = f"{e.date.human()} · {e.title}"
    if e.years_ago:
        head += f" ({ordinal(e.years_ago)} anniversary)"
    return head


def _event_fields(b: _Builder, e: EventView) -> None:
    body = escape_md(e.summary)
    if e.note:
        body = f"*({escape_md(e.note)})*\n{body}"
    if e.anniversary:
        body += f"\n» {escape_md(e.anniversary)}"
    b.add(_event_heading(e), body)
    b.add("Sources", _cite_lines(e.sources))


def _not_found(title: str, what: str, query: str, hint: str) -> Rendered:
    """The "nothing matches" answer of every lookup, quoting what was asked (made inert)."""
    b = _Builder(title, COLOUR_EMPTY, FOOTER)
    b.describe(f"{what} matches “{escape_md(_one_line(query, 200))}”. {hint}")
    return Rendered(b.build())


def render_today(a: TodayAnswer) -> Rendered:
    day = f"{MONTH_NAMES[a.month - 1]} {a.day}"
    b = _Builder(f"On this day: {day}", COLOUR_ANSWER if a.events else COLOUR_EMPTY, FOOTER)
    if a.events:
        for e in a.events:
            _event_fields(b, e)
    else:
        b.describe(f"Nothing in the digest happened on {day}.")
        near = [f"← {_event_heading(e)}" for e in a.nearest_before] + [f"→ {_event_heading(e)}" for e in a.nearest_after]
        if near:
            b.add("Nearest dates", "\n".join(escape_md(x) for x in near))
    if a.month_events:
        lines = [f"**{escape_md(e.date.human())}** · {escape_md(e.title)} — *{escape_md(e.sources[0].short())}*"
                 for e in a.month_events]
        b.add(f"This month in history ({MONTH_NAMES[a.month - 1]}, day not recorded)", "\n".join(lines))
    links = [Link(f"Nearest: {e.date.human()}", "today", f"{e.date.month:02d}-{e.date.day:02d}")
             for e in (*a.nearest_before, *a.nearest_after)]
    return Rendered(b.build(), links=links[:2])


def render_fact(a: FactAnswer) -> Rendered:
    if not a.results:
        return _not_found("Nothing found", "Nothing in the digest", a.query,
                          "Try other words, `/timeline`, `/treaty` or `/viewpoints`.")
    b = _Builder(f"Facts: {escape_md(_one_line(a.query, 200))}", COLOUR_ANSWER, FOOTER)
    if any(r.differs for r in a.results):
        b.describe("⚠ Some sources give **different figures** for the same question; both are shown, each with its "
                   "source.")
    for i, r in enumerate(a.results, 1):
        kind = "" if r.kind == "fact" else f" ({r.kind})"
        mark = " · sources differ" if r.differs else ""
        b.add(f"{i}. {r.title or 'Fact'}{kind}{mark}" if r.kind != "fact" else f"{i}. Fact{mark}",
              escape_md(r.text) + "\n" + _cite_lines(r.sources))
    return Rendered(b.build())


def render_treaty(a: TreatyAnswer) -> Rendered:
    if not a.results:
        return _not_found("No treaty found", "No treaty or agreement", a.query,
                          "Start typing a name in `/treaty` to see the list.")
    if a.ambiguous:
        b = _Builder("Which treaty?" if a.query else "Treaties and agreements", COLOUR_ANSWER, FOOTER)
        if a.query:
            b.describe(f"Several treaties match “{escape_md(_one_line(a.query, 200))}”:")
        lines = [f"• **{escape_md(t.name)}**" + (f" ({t.date_kind} {t.date.human()})" if t.date else "")
                 for t in a.results]
        b.add("Candidates", "\n".join(lines))
        return Rendered(b.build(), links=[Link(_one_line(t.name, 80), "treaty", t.id) for t in a.results[:25]])
    t = a.results[0]
    b = _Builder(t.name, COLOUR_ANSWER, FOOTER)
    when = f"{t.date_kind.capitalize()} {t.date.human()}" if t.date else "Date not given in the sources"
    if t.date_note:
        when += f" ({t.date_note})"
    b.describe(escape_md(t.summary))
    b.add("Date", escape_md(when), inline=True)
    b.add("Parties", escape_md(", ".join(t.parties)), inline=True)
    b.add("Status", escape_md(t.status), inline=True)
    if t.aliases:
        b.add("Also known as", escape_md(", ".join(t.aliases)))
    if t.provisions:
        b.add("Key provisions", "\n".join(f"• {escape_md(p)}" for p in t.provisions))
    if t.significance:
        b.add("Significance", escape_md(t.significance))
    if t.related_events:
        b.add("Related events", "\n".join(f"• {escape_md(e.date.human())} · {escape_md(e.title)}"
                                          for e in t.related_events))
    if t.viewpoints:
        b.add("Debates", "\n".join(f"• {escape_md(v.name)}" for v in t.viewpoints))
    b.add("Sources", _cite_lines(t.sources))
    links = [Link(_one_line(f"Debate: {v.name}", 100), "viewpoints", v.id) for v in t.viewpoints]
    links += [Link(_one_line(f"{e.date.human()}: {e.title}", 100), "timeline", e.id) for e in t.related_events]
    return Rendered(b.build(), links=links[:25])


def render_viewpoints(a: ViewpointsAnswer) -> Rendered:
    if not a.results:
        return _not_found("No topic found", "No debated topic", a.query,
                          "Use `/viewpoints` and pick a topic from the list.")
    if a.listing:
        b = _Builder("Debated topics", COLOUR_VIEWPOINTS, FOOTER)
        for v in a.results:
            b.add(v.topic, escape_md(v.question))
        return Rendered(b.build(), links=[Link(_one_line(v.topic, 100), "viewpoints", v.id) for v in a.results[:25]])
    pages: list[list[dict[str, Any]]] = []
    for v in a.results:
        b = _Builder(v.topic, COLOUR_VIEWPOINTS, "Positions are shown side by side in an order that rotates; "
                                                 "none is the default · " + FOOTER)
        b.describe(f"**{escape_md(v.question)}**")
        refs: list[SourceRef] = []
        for i, p in enumerate(v.positions, 1):
            names = []
            for s in p.sources:
                if s not in refs:
                    refs.append(s)
                names.append(f"[{refs.index(s) + 1}]")
            value = escape_md(p.summary) + "\nSources: " + " ".join(dict.fromkeys(names))
            b.add(f"Position {i}: {p.label}", value, inline=True)
        b.add("Quotes", "\n".join(f"[{i}] *{escape_md(s.short())}*: “{escape_md(s.quote)}”"
                                  for i, s in enumerate(refs, 1)))
        pages.extend(b.build())
    return Rendered(pages)


def render_timeline(a: TimelineAnswer) -> Rendered:
    span = f"{a.start or 'the beginning'} to {a.end or 'today'}"
    title = escape_md(f"Timeline: {span}" + (f" · {a.tag}" if a.tag else ""))
    if not a.events:
        b = _Builder(title, COLOUR_EMPTY, FOOTER)
        hint = f" Known tags: {', '.join(a.tags)}." if a.tag and a.tag not in a.tags else ""
        b.describe(escape_md(f"No events in this range.{hint}"))
        return Rendered(b.build())
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    lines = [f"**{escape_md(e.date.human())}** · {escape_md(e.title)} — *{escape_md(e.sources[0].short())}*"
             for e in a.events]
    b.describe("\n".join(lines))
    return Rendered(b.build())


def render_source(a: SourceAnswer) -> Rendered:
    if not a.results:
        return _not_found("No source found", "No source", a.query, "Use `/source` to list them.")
    if a.listing:
        b = _Builder("Sources of the digest", COLOUR_ANSWER, FOOTER)
        for s in a.results:
            b.add(s.title, escape_md(f"{s.author or 'No author named'} · {s.outlet or 'outlet not named'} · "
                                     f"{s.published or 'undated'} · {s.kind} · id `{s.id}`").replace("\\`", "`"))
        return Rendered(b.build(), links=[Link(_one_line(s.title, 100), "source", s.id) for s in a.results])
    pages: list[list[dict[str, Any]]] = []
    for s in a.results:
        b = _Builder(s.title, COLOUR_ANSWER, FOOTER)
        b.describe(escape_md(s.perspective))
        b.add("Author", escape_md(s.author or "Not named in the document"), inline=True)
        b.add("Outlet", escape_md(s.outlet or "Not named in the document"), inline=True)
        b.add("Published", escape_md((s.published or "Not given") + (f" ({s.published_note})" if s.published_note
                                                                       else "")), inline=True)
        b.add("Kind", s.kind, inline=True)
        b.add(f"Cited by {len(s.cited_by)} entries",
              "\n".join(f"• {c.kind} *{escape_md(_one_line(c.name, 80))}*: “{escape_md(c.quote)}”" for c in s.cited_by))
        pages.extend(b.build())
    return Rendered(pages)


def render_message(title: str, text: str, *, error: bool = False, ephemeral: bool = True) -> Rendered:
    b = _Builder(title, COLOUR_ERROR if error else COLOUR_EMPTY, FOOTER)
    b.describe(text)
    return Rendered(b.build(), ephemeral=ephemeral)


def render(answer: object) -> Rendered:
    for typ, fn in (
        (TodayAnswer, render_today), (FactAnswer, render_fact), (TreatyAnswer, render_treaty),
        (ViewpointsAnswer, render_viewpoints), (TimelineAnswer, render_timeline), (SourceAnswer, render_source),
    ):
        if isinstance(answer, typ):
            return fn(answer)  # type: ignore[operator]
    raise TypeError(f"no embed form for {type(answer).__name__}")


def embed_size(embed: dict[str, Any]) -> int:
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


# ---------------------------------------------------------------- bot pages that are not answers

HELP_LINES = (
    ("/today [date]", "What happened on this day (or any day: 07-27, July 27, 27 July)."),
    ("/treaty [name]", "A treaty or agreement: MDT, armistice, KORUS, SMA… Start typing for suggestions."),
    ("/fact query", "Facts and figures: troop numbers, casualties, trade, dates. Where sources disagree, both "
                    "figures are shown."),
    ("/viewpoints [topic]", "The positions on a debated topic side by side, each with its sources."),
    ("/timeline [from] [to] [tag]", "Events in order, e.g. from 1950 to 1953."),
    ("/source [source]", "The documents behind the digest, their perspective, and what we cite from them."),
    ("Moderators", "/content reload · /content status · /content moderator-role · /stats · "
                   "/anniversaries set|show|preview|off"),
)


def render_help() -> Rendered:
    b = _Builder("alliance_bot: the US–ROK alliance, with sources", COLOUR_ANSWER, FOOTER)
    b.describe("Every answer comes from a digest of source documents and shows the quote it rests on.")
    for name, text in HELP_LINES:
        b.add(name, text)
    return Rendered(b.build(), ephemeral=True)


def render_about(version: str, counts: dict[str, int], content_version: str, loaded_at: float,
                 source_titles: list[str]) -> Rendered:
    b = _Builder("About alliance_bot", COLOUR_ANSWER, FOOTER)
    b.describe("A reader's guide to the history and live debates of the US–Republic of Korea alliance, built from "
               "a curated, cited digest. It takes no side: debates are shown side by side.")
    b.add("Version", version, inline=True)
    b.add("Content", ", ".join(f"{n} {k}" for k, n in counts.items())
          + f"\nversion `{content_version}`, loaded <t:{int(loaded_at)}:R>")
    b.add("Sources", "\n".join(f"• {escape_md(t)}" for t in source_titles))
    return Rendered(b.build(), ephemeral=True)


def render_reload(result: Any, *, attached: bool = False) -> Rendered:
    """A `library.ReloadResult` for the moderator who asked."""
    if result.ok:
        d = result.diff
        b = _Builder("Content reloaded", COLOUR_ANSWER, FOOTER)
        if d is None or d.empty:
            b.describe(f"The files are valid and unchanged ({result.seconds:.2f} s).")
        else:
            b.describe(f"Now serving the new content ({result.seconds:.2f} s).")
            for label, ids in (("Added", d.added), ("Changed", d.changed), ("Removed", d.removed)):
                if ids:
                    b.add(f"{label} ({len(ids)})", ", ".join(f"`{i}`" for i in ids))
        return Rendered(b.build(), ephemeral=True)
    b = _Builder("Content not reloaded", COLOUR_ERROR, FOOTER)
    n = len(result.problems)
    b.describe(f"The files have {n} problem{'s' if n != 1 else ''}, so the bot keeps serving the last good content. "
               "Fix them and reload; `alliance-bot content check` shows the same list.")
    if attached:
        b.add("Problems", "The full list is in the attached file. First ones:\n"
              + "\n".join(f"`{escape_md(str(p))[:300]}`" for p in result.problems[:3]))
    else:
        b.add("Problems", "\n".join(f"`{escape_md(str(p))[:300]}`" for p in result.problems))
    return Rendered(b.build(), ephemeral=True)


def render_status(digest: Any, loaded_at: float, last_failure: tuple[float, list[Any]] | None) -> Rendered:
    b = _Builder("Content status", COLOUR_ANSWER, FOOTER)
    b.describe(f"Serving content version `{digest.version}` from `{escape_md(str(digest.root))}`, "
               f"loaded <t:{int(loaded_at)}:R>.")
    b.add("Entries", "\n".join(f"{k}: {n}" for k, n in digest.counts().items()))
    if last_failure:
        when, problems = last_failure
        b.add("Last reload failed", f"<t:{int(when)}:R> with {len(problems)} problem(s); the content above is still "
                                    f"served. First: `{escape_md(str(problems[0]))[:300]}`" if problems else "")
    return Rendered(b.build(), ephemeral=True)


def render_stats(s: Any) -> Rendered:
    """A `storage.usage.UsageSummary`."""
    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v:.1f} ms"

    b = _Builder(f"Usage, last {s.days} day{'s' if s.days != 1 else ''}", COLOUR_ANSWER, FOOTER)
    b.describe(f"{s.total} interactions · error rate {s.error_rate:.1%} · median {ms(s.median_ms)} · "
               f"95th percentile {ms(s.p95_ms)} · nothing found {s.nothing_found} · invalid input {s.invalid} · "
               f"refused {s.refused}")
    if s.per_command:
        b.add("Per command", "\n".join(
            f"`/{escape_md(c.command)}` {c.count} · errors {c.errors} · nothing found {c.nothing_found} · "
            f"median {ms(c.median_ms)} · p95 {ms(c.p95_ms)}" for c in s.per_command))
    if s.per_day:
        b.add("Per day", "\n".join(f"{d}: {n}" for d, n in s.per_day))
    if s.missing:
        b.add("Asked, but nothing found (what the digest lacks)", "\n".join(
            f"{n}× `/{escape_md(c)}` “{escape_md(q)}”" for c, q, n in s.missing))
    return Rendered(b.build(), ephemeral=True)


# ---------------------------------------------------------------- anniversary posts

def render_anniversary_post(items: list[Any], day: Any, role_id: int | None = None, *,
                            preview: bool = False) -> dict[str, Any]:
    """The message for a day's anniversaries (`anniversaries.AnniversaryItem`s), as Discord's JSON.

    The role mention is the only mention the bot ever makes, and only here."""
    title = f"On this day: {MONTH_NAMES[day.month - 1]} {day.day}"
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    for item in items:
        ev = item.event
        head = f"{ev.date.human()} · {ev.title} ({item.ordinal} anniversary)"
        body = escape_md(item.message)
        if item.note:
            body = f"*({escape_md(item.note)})*\n{body}"
        cite = ev.citations[0]
        body += f"\n— *{escape_md(item.source_label or cite.source)}*: “{escape_md(cite.quote)}”"
        b.add(head, body)
    pages = b.build()
    embeds = [page[0] for page in pages][:EMBEDS_PER_MESSAGE]
    content = None
    if role_id is not None:
        content = f"<@&{int(role_id)}> Anniversaries today"
    if preview:
        content = (content or "") + ("\n" if content else "") + "*(preview: only you can see this)*"
    mentions: dict[str, Any] = {"parse": []}
    if role_id is not None and not preview:
        mentions["roles"] = [str(int(role_id))]
    return {"content": content, "embeds": embeds, "allowed_mentions": mentions}


def render_anniversary_settings(title: str, schedule: Any, webhook_masked: str | None,
                                upcoming: list[tuple[Any, list[str]]], recent: list[Any], *,
                                paused: str | None = None) -> Rendered:
    """`/anniversaries show`: settings, the next posts with their local times, the last posts and failures.

    `paused`: why posts that are on are not being made (the scheduler's reason).
    """
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    if schedule is None:
        b.describe("Not set up. `/anniversaries set` chooses the channel, the local time and the time zone.")
        return Rendered(b.build(), ephemeral=True)
    state = "on" if schedule.enabled else f"off ({escape_md(schedule.disabled_reason or 'switched off')})"
    if schedule.enabled and paused:
        state = "paused"
    where = f"webhook {webhook_masked}" if schedule.webhook_url else f"<#{schedule.channel_id}>"
    b.describe(f"Posts are **{state}**: {where} at {schedule.post_time:%H:%M} {schedule.timezone}"
               + (f", mentioning <@&{schedule.role_id}>" if schedule.role_id else "") + ".")
    if schedule.enabled and paused:
        b.add("Why no posts are made", escape_md(paused))
    if upcoming:
        lines = []
        for due, titles in upcoming:
            lines.append(f"<t:{int(due.at.timestamp())}:F> ({due.day:%B} {due.day.day}, {schedule.post_time:%H:%M} "
                         f"{schedule.timezone}): {escape_md('; '.join(titles))}")
        b.add("Next posts", "\n".join(lines))
    if recent:
        lines = []
        for row in recent:
            line = f"{row.day} `{row.event_id}`: **{row.status}**"
            if row.error and row.status != "sent":
                line += f" ({escape_md(row.error)[:200]})"
            lines.append(line)
        b.add("Last posts and failures", "\n".join(lines))
    return Rendered(b.build(), ephemeral=True)
