"""The answers of the six lookups as embeds (/today, /fact, /treaty, /viewpoints, /timeline, /source), each laid
out by `limits._Builder` with the quote of every source it rests on; a lookup that finds nothing says what was
asked, made inert. `embeds.render` picks the renderer for an answer.
"""

from __future__ import annotations

from alliance_bot.answers.model import (
    EventAnswer,
    EventView,
    FactAnswer,
    SourceAnswer,
    SourceRef,
    TimelineAnswer,
    TodayAnswer,
    TreatyAnswer,
    TreatyView,
    ViewpointsAnswer,
)
from alliance_bot.digest.dates import MONTH_NAMES, ordinal
from alliance_bot.present import days
from alliance_bot.present.limits import (
    CHOICES_MAX,
    COLOUR_ANSWER,
    COLOUR_EMPTY,
    COLOUR_VIEWPOINTS,
    FOOTER,
    EmbedJson,
    Link,
    Rendered,
    _Builder,
    _one_line,
    escape_md,
)


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


def _nothing_on(
    title: str, query: str, hint: str, label: str = "", lines: list[str] | None = None, links: list[Link] | None = None
) -> Rendered:
    """A lookup that has no answer: "the digest has nothing on …" (what was asked, made inert), then what
    came close under `label` ("Did you mean", "Related topics"), never shown as the answer."""
    b = _Builder(title, COLOUR_EMPTY, FOOTER)
    b.describe(f"The digest has nothing on “{escape_md(_one_line(query, 200))}”. {hint}")
    if lines:
        b.add(label, "\n".join(lines))
    return Rendered(b.build(), links=(links or [])[:25])


def _treaty_line(t: TreatyView) -> str:
    return f"• **{escape_md(t.name)}**" + (f" ({t.date_kind} {t.date.human()})" if t.date else "")


def _today_item(e: EventView, *, today: bool = False, with_year: bool = False) -> str:
    """`**1953** · Korean Armistice Agreement signed, … · 73rd anniversary`: one line of /today."""
    year, *rest = days.item_parts(e, today=today, with_year=with_year)
    return " · ".join([f"**{year}**", *(escape_md(p) for p in rest)])


def _lead_quote(s: SourceRef) -> str:
    """The one quote on the first message of /today, as a block quote: `> “…” — *Daniel Oh*`."""
    return f"> {escape_md(days.quoted(days.one_line(s.quote, days.LEAD_QUOTE_MAX)))} — *{escape_md(s.short())}*"


def render_today(a: TodayAnswer) -> Rendered:
    """At most five one-line items, the first with one quote; the month's events dated only to the month and, on
    an empty day, the nearest days as short lines; every event's card (summary, every source) in the menu."""
    b = _Builder(days.today_title(a), COLOUR_ANSWER if a.events else COLOUR_EMPTY, FOOTER)
    links: list[Link] = []
    lines: list[str] = []
    if a.events:
        shown = a.events[: days.TODAY_ITEMS]
        for i, e in enumerate(shown):
            lines.append(_today_item(e, today=a.is_today))
            if i == 0 and e.sources:
                lines.append(_lead_quote(e.sources[0]))
        if len(a.events) > len(shown):
            where = "in the menu below" if len(a.events) <= CHOICES_MAX else "in the digest"
            lines.append(escape_md(days.more_line(len(a.events) - len(shown), where)))
        links += [
            Link(days.one_line(f"{e.date.year} · {e.title}", days.MENU_LABEL_MAX), "event", days.event_target(e))
            for e in a.events
        ]
    else:
        lines.append(escape_md(days.empty_line(a)))
    b.describe("\n".join(lines))
    if not a.events and (a.nearest_before or a.nearest_after):
        near = []
        for arrow, side in (("←", a.nearest_before), ("→", a.nearest_after)):
            for e in side[: days.TODAY_NEAREST]:
                near.append(
                    f"{arrow} {escape_md(days.day_name(e.date.month or 1, e.date.day or 1))}: "
                    + _today_item(e, with_year=True)
                )
            if side and side[0].marked_on is not None:
                on = side[0].marked_on
                links.append(Link(f"Nearest: {days.day_name(on.month, on.day)}, {on.year}", "today", on.isoformat()))
        b.add("Nearest days in the digest", "\n".join(near))
    if a.month_events:
        month = MONTH_NAMES[a.month - 1]
        shown = a.month_events[: days.TODAY_MONTH_LINES]
        lines = [_today_item(e) for e in shown]
        if len(a.month_events) > len(shown):
            fits = len(links) + len(a.month_events) <= CHOICES_MAX
            lines.append(
                escape_md(
                    days.more_line(len(a.month_events) - len(shown), "in the menu below" if fits else "in the digest")
                )
            )
        b.add(f"Also in {month}, day not recorded", "\n".join(lines))
        links += [
            Link(days.one_line(f"{e.date.human()} · {e.title}", days.MENU_LABEL_MAX), "event", e.id)
            for e in a.month_events
        ]
    kinds = {link.command for link in links}
    if kinds == {"event"}:
        b.describe("*Pick an event below for its summary and every source.*")
    elif kinds == {"today"}:
        b.describe("*Pick a day below to see its events.*")
    elif kinds:
        b.describe("*Pick an event below for its summary and every source, or a nearest day.*")
    return Rendered(b.build(), links=links[:CHOICES_MAX])


def render_event_card(a: EventAnswer) -> Rendered:
    """An event's card: its date (and which anniversary), summary, the posts' wording on the day itself, and
    every source with its quote."""
    e = a.event
    if e is None:
        return _not_found("No such event", "No event", a.query, "Find events with `/timeline` or `/today`.")
    b = _Builder(e.title, COLOUR_ANSWER, FOOTER)
    head = f"**{escape_md(days.when_label(e.date))}**"
    anniversary = days.card_anniversary(e, a.is_today)
    if anniversary:
        head += f" · {escape_md(anniversary)}"
    parts = [head]
    if e.note:
        parts.append(f"*({escape_md(e.note)})*")
    if e.date_note:
        parts.append(f"*Date: {escape_md(e.date_note)}*")
    b.describe("\n".join(parts))
    b.describe(escape_md(e.summary))
    if a.is_today and e.anniversary:
        b.describe(f"» {escape_md(e.anniversary)}")
    b.add("Sources", _cite_lines(e.sources))
    return Rendered(b.build())


def render_fact(a: FactAnswer) -> Rendered:
    hint = "Try other words, `/timeline`, `/treaty` or `/viewpoints`."
    if not a.answered or not a.results:
        b = _Builder("Nothing found", COLOUR_EMPTY, FOOTER)
        b.describe(f"The digest has nothing on “{escape_md(_one_line(a.query, 200))}”. {hint}")
        for r in a.results:
            b.add(
                f"Related: {r.title or 'Fact'}" if r.kind != "fact" else "Related fact",
                escape_md(r.text) + "\n" + _cite_lines(r.sources),
            )
        return Rendered(b.build())
    b = _Builder(f"Facts: {escape_md(_one_line(a.query, 200))}", COLOUR_ANSWER, FOOTER)
    if any(r.differs for r in a.results):
        b.describe(
            "⚠ Some sources give **different figures** for the same question; both are shown, each with its source."
        )
    for i, r in enumerate(a.results, 1):
        kind = "" if r.kind == "fact" else f" ({r.kind})"
        mark = " · sources differ" if r.differs else " · related" if r.match == "related" else ""
        b.add(
            f"{i}. {r.title or 'Fact'}{kind}{mark}" if r.kind != "fact" else f"{i}. Fact{mark}",
            escape_md(r.text) + "\n" + _cite_lines(r.sources),
        )
    return Rendered(b.build())


def render_treaty(a: TreatyAnswer) -> Rendered:
    if not a.answered or not a.results:
        return _nothing_on(
            "No treaty found",
            a.query,
            "Start typing a name in `/treaty` to see the list.",
            "Did you mean",
            [_treaty_line(t) for t in a.results],
            [Link(_one_line(t.name, 80), "treaty", t.id) for t in a.results],
        )
    if a.ambiguous:
        b = _Builder("Which treaty?" if a.query else "Treaties and agreements", COLOUR_ANSWER, FOOTER)
        if a.query:
            b.describe(f"Several treaties match “{escape_md(_one_line(a.query, 200))}”:")
        b.add("Candidates", "\n".join(_treaty_line(t) for t in a.results))
        return Rendered(b.build(), links=[Link(_one_line(t.name, 80), "treaty", t.id) for t in a.results[:25]])
    t = a.results[0]
    b = _Builder(t.name, COLOUR_ANSWER, FOOTER)
    when = f"{t.date_kind.capitalize()} {t.date.human()}" if t.date else "Date not given in the sources"
    if t.date_note:
        when += f" ({t.date_note})"
    b.describe(escape_md(t.summary))
    also = a.results[1:]  # as good a match, less central: on the first page, before the details
    if also:
        b.add(f"Also matching “{escape_md(_one_line(a.query, 100))}”", "\n".join(_treaty_line(o) for o in also))
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
        b.add(
            "Related events",
            "\n".join(f"• {escape_md(e.date.human())} · {escape_md(e.title)}" for e in t.related_events),
        )
    if t.viewpoints:
        b.add("Debates", "\n".join(f"• {escape_md(v.name)}" for v in t.viewpoints))
    b.add("Sources", _cite_lines(t.sources))
    links = [Link(_one_line(o.name, 100), "treaty", o.id) for o in also]
    links += [Link(_one_line(f"Debate: {v.name}", 100), "viewpoints", v.id) for v in t.viewpoints]
    links += [Link(_one_line(f"{e.date.human()}: {e.title}", 100), "timeline", e.id) for e in t.related_events]
    return Rendered(b.build(), links=links[:25])


def render_viewpoints(a: ViewpointsAnswer) -> Rendered:
    if not a.answered or not a.results:
        return _nothing_on(
            "No topic found",
            a.query,
            "Use `/viewpoints` and pick a topic from the list.",
            "Related topics (they do not answer it)",
            [f"• **{escape_md(v.topic)}**: {escape_md(v.question)}" for v in a.results],
            [Link(_one_line(v.topic, 100), "viewpoints", v.id) for v in a.results],
        )
    if a.listing:
        b = _Builder("Debated topics", COLOUR_VIEWPOINTS, FOOTER)
        for v in a.results:
            b.add(v.topic, escape_md(v.question))
        return Rendered(b.build(), links=[Link(_one_line(v.topic, 100), "viewpoints", v.id) for v in a.results[:25]])
    pages: list[list[EmbedJson]] = []
    for v in a.results:
        b = _Builder(
            v.topic,
            COLOUR_VIEWPOINTS,
            "Positions are shown side by side in an order that rotates; none is the default · " + FOOTER,
        )
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
        b.add(
            "Quotes",
            "\n".join(f"[{i}] *{escape_md(s.short())}*: “{escape_md(s.quote)}”" for i, s in enumerate(refs, 1)),
        )
        pages.extend(b.build())
    return Rendered(pages)


def render_timeline(a: TimelineAnswer) -> Rendered:
    """One line an event, in time order; an event known only to its year or month comes after the dated ones
    of that year or month, shown as "During 1953" or "In August 1953", never as if it came first."""
    span = f"{a.start or 'the beginning'} to {a.end or 'today'}"
    title = escape_md(f"Timeline: {span}" + (f" · {a.tag}" if a.tag else ""))
    if not a.events:
        b = _Builder(title, COLOUR_EMPTY, FOOTER)
        hint = f" Known tags: {', '.join(a.tags)}." if a.tag and a.tag not in a.tags else ""
        b.describe(escape_md(f"No events in this range.{hint}"))
        return Rendered(b.build())
    b = _Builder(title, COLOUR_ANSWER, FOOTER)
    lines = [
        f"**{escape_md(days.when_label(e.date))}** · {escape_md(e.title)} — *{escape_md(e.sources[0].short())}*"
        for e in a.events
    ]
    b.describe("\n".join(lines))
    return Rendered(b.build())


def render_source(a: SourceAnswer) -> Rendered:
    if not a.answered or not a.results:
        return _nothing_on(
            "No source found",
            a.query,
            "Use `/source` to list them.",
            "Related sources (they do not answer it)",
            [
                f"• **{escape_md(s.title)}**: "
                + escape_md(
                    f"{s.author or 'no author named'} · {s.outlet or 'outlet not named'} · {s.published or 'undated'}"
                )
                for s in a.results
            ],
            [Link(_one_line(s.title, 100), "source", s.id) for s in a.results],
        )
    if a.listing:
        b = _Builder("Sources of the digest", COLOUR_ANSWER, FOOTER)
        for s in a.results:
            b.add(
                s.title,
                escape_md(
                    f"{s.author or 'No author named'} · {s.outlet or 'outlet not named'} · "
                    f"{s.published or 'undated'} · {s.kind} · id `{s.id}`"
                ).replace("\\`", "`"),
            )
        return Rendered(b.build(), links=[Link(_one_line(s.title, 100), "source", s.id) for s in a.results])
    pages: list[list[EmbedJson]] = []
    for s in a.results:
        b = _Builder(s.title, COLOUR_ANSWER, FOOTER)
        b.describe(escape_md(s.perspective))
        b.add("Author", escape_md(s.author or "Not named in the document"), inline=True)
        b.add("Outlet", escape_md(s.outlet or "Not named in the document"), inline=True)
        b.add(
            "Published",
            escape_md((s.published or "Not given") + (f" ({s.published_note})" if s.published_note else "")),
            inline=True,
        )
        b.add("Kind", s.kind, inline=True)
        b.add(
            f"Cited by {len(s.cited_by)} entries",
            "\n".join(f"• {c.kind} *{escape_md(_one_line(c.name, 80))}*: “{escape_md(c.quote)}”" for c in s.cited_by),
        )
        pages.extend(b.build())
    return Rendered(pages)
