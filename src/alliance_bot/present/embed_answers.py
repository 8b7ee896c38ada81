"""The answers of the six lookups as embeds (/today, /fact, /treaty, /viewpoints, /timeline, /source), each laid
out by `limits._Builder`; a lookup that finds nothing says what was asked, made inert. `embeds.render` picks the
renderer for an answer.

The answer comes first: its own statement leads (the fact, the treaty's name, the topic's question), with one
citation under it as a block quote (`> “…” — DeTrani 2025`, the source's short label); every quote the answer
rests on, with its document's full title, is behind the **Sources** button (`Rendered.sources`); related
entries are a compact list or the menu (`Rendered.links`), labelled as related, never as the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alliance_bot.answers.model import (
    CitedEntry,
    EventAnswer,
    EventView,
    FactAnswer,
    FactResult,
    PositionView,
    Ref,
    SourceAnswer,
    SourceRef,
    SourceView,
    TimelineAnswer,
    TodayAnswer,
    TreatyAnswer,
    TreatyView,
    ViewpointsAnswer,
    ViewpointView,
)
from alliance_bot.digest.dates import MONTH_NAMES
from alliance_bot.present import days
from alliance_bot.present.limits import (
    CHOICES_MAX,
    COLOUR_ANSWER,
    COLOUR_EMPTY,
    COLOUR_VIEWPOINTS,
    FIRST_MESSAGE_BUDGET,
    FOOTER,
    SHOWN_ALIASES,
    TITLE_MAX,
    EmbedJson,
    Link,
    Rendered,
    _Builder,
    _one_line,
    escape_md,
    link,
    number_pages,
    quoted,
)
from alliance_bot.present.markup import Mentions, command


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 entry`, `2 entries`."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _quote_line(s: SourceRef) -> str:
    """One citation as a block quote: `> “…” — DeTrani 2025` (a source without a quote: its label alone)."""
    if not s.quote.strip():
        return f"— {escape_md(s.short())}"
    return f"> {escape_md(quoted(s.quote))} — {escape_md(s.short())}"


def _also_cited(sources: Sequence[SourceRef]) -> str:
    """`2 more quotes, from Oh and Moon report 2020: **Sources** below`: the others by name, one click away."""
    more = len(sources) - 1
    if more <= 0:
        return ""
    names = [escape_md(n) for n in dict.fromkeys(s.short() for s in sources[1:])]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"*{plural(more, 'more quote')}, from {who}: **Sources** below*"


def _lead(sources: Sequence[SourceRef]) -> str:
    """The one citation under an answer, and the names of the others."""
    if not sources:
        return ""
    return "\n".join(x for x in (_quote_line(sources[0]), _also_cited(sources)) if x)


def _full_name(s: SourceRef) -> str:
    """The document in full: `South Korea’s allied … · Joseph R. DeTrani · The Washington Times · 2025-08-22`."""
    return " · ".join([s.title, *(p for p in (s.author, s.outlet) if p), s.published or "undated"])


def _sources_panel(
    title: str, groups: Iterable[tuple[str, Sequence[SourceRef]]], mentions: Mentions | None = None
) -> list[list[EmbedJson]]:
    """The pages behind the Sources button: every quote, grouped by what it supports, each under its document's
    full title and id (what `/source` opens)."""
    b = _Builder(f"Sources · {title}", COLOUR_ANSWER, FOOTER)
    b.describe(
        f"Every quote this answer rests on, verbatim, with its document. {command(mentions, 'source')} shows a "
        "document in full."
    )
    for heading, refs in groups:
        lines: list[str] = []
        last = ""
        for s in refs:
            if s.id != last:
                lines.append(f"**{escape_md(_full_name(s))}** (`{s.id}`)")
                last = s.id
            if s.quote.strip():
                lines.append(f"> {escape_md(quoted(s.quote))}")
        if lines:
            b.add(heading, "\n".join(lines))
    return b.build()


def _not_found(title: str, what: str, query: str, hint: str) -> Rendered:
    """The "nothing matches" answer of every lookup, quoting what was asked (made inert)."""
    b = _Builder(title, COLOUR_EMPTY, FOOTER)
    b.describe(f"{what} matches “{escape_md(_one_line(query, 200))}”. {hint}")
    return Rendered(b.build())


def _nothing_on(
    title: str,
    query: str,
    hint: str,
    label: str = "",
    lines: list[str] | None = None,
    links: list[Link] | None = None,
    menu: str = "Open a related entry…",
) -> Rendered:
    """A lookup that has no answer: "the digest has nothing on …" (what was asked, made inert), then what
    came close under `label` ("Did you mean", "Related topics"), never shown as the answer."""
    b = _Builder(title, COLOUR_EMPTY, FOOTER)
    b.describe(f"The digest has nothing on “{escape_md(_one_line(query, 200))}”. {hint}")
    if lines:
        b.add(label, "\n".join(lines))
    return Rendered(b.build(), links=(links or [])[:25], menu=menu)


def _treaty_line(t: TreatyView) -> str:
    return f"• **{escape_md(t.name)}**" + (f" ({t.date_kind} {t.date.human()})" if t.date else "")


def _today_item(e: EventView, *, today: bool = False, with_year: bool = False) -> str:
    """`**1953** · Korean Armistice Agreement signed, … · 73rd anniversary`: one line of /today."""
    year, *rest = days.item_parts(e, today=today, with_year=with_year)
    return " · ".join([f"**{year}**", *(escape_md(p) for p in rest)])


def _lead_quote(s: SourceRef) -> str:
    """The one quote on the first message of /today, as a block quote: `> “…” — *Daniel Oh*`."""
    return f"> {escape_md(quoted(_one_line(s.quote, days.LEAD_QUOTE_MAX)))} — *{escape_md(s.short())}*"


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
            Link(_one_line(f"{e.date.year} · {e.title}", days.MENU_LABEL_MAX), "event", days.event_target(e))
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
            Link(_one_line(f"{e.date.human()} · {e.title}", days.MENU_LABEL_MAX), "event", e.id) for e in a.month_events
        ]
    note = days.worked_out_note(days.today_shown(a))
    if note:
        b.describe(f"*{escape_md(note)}*")
    kinds = {link.command for link in links}
    if kinds == {"event"}:
        b.describe("*Pick an event below for its summary and every source.*")
    elif kinds == {"today"}:
        b.describe("*Pick a day below to see its events.*")
    elif kinds:
        b.describe("*Pick an event below for its summary and every source, or a nearest day.*")
    return Rendered(b.build(), links=links[:CHOICES_MAX])


def render_event_card(a: EventAnswer, mentions: Mentions | None = None) -> Rendered:
    """An event's card (an event picked from a menu): its date and which anniversary, its summary, the posts'
    wording on the day itself, one quote; every quote behind the Sources button."""
    e = a.event
    if e is None:
        return _not_found(
            "No such event",
            "No event",
            a.query,
            f"Find events with {command(mentions, 'timeline')} or {command(mentions, 'today')}.",
        )
    b = _Builder(e.title, COLOUR_ANSWER, FOOTER)
    head = f"**{escape_md(days.when_label(e.date))}**"
    anniversary = days.card_anniversary(e, a.is_today)
    if anniversary:
        head += f" · {escape_md(anniversary)}"
    body = [head]
    if e.note:
        body.append(f"*({escape_md(e.note)})*")
    if e.date_note:
        body.append(f"*Date: {escape_md(e.date_note)}*")
    body.append(escape_md(e.summary))
    if a.is_today and e.anniversary:
        body.append(f"» {escape_md(e.anniversary)}")
    body.append(_lead(e.sources))
    b.describe("\n".join(x for x in body if x))
    return Rendered(b.build(), sources=_sources_panel(e.title, [("Quotes", e.sources)], mentions), ephemeral=True)


_KIND_EMOJI = {"event": "📅", "treaty": "📜", "fact": "📌", "source": "📄", "viewpoint": "⚖️", "position": "⚖️"}


RELATED_SHOWN = 4  # related entries listed on an answer's first page; the others on the next
FIRST_PAGE_RESERVE = 120  # of the first page's budget: the footer and the field names


def _key_phrase(r: FactResult) -> str:
    """What an answer's title says: a fact's own statement, an event's or treaty's name (never the query)."""
    return r.title if r.kind != "fact" and r.title else r.text


def _compact(r: FactResult, width: int = 110) -> str:
    """One line of a related or further entry: what it says, cut at a word, and its first source's label."""
    text = _key_phrase(r) if r.kind != "fact" else r.text
    label = f" — {escape_md(r.sources[0].short())}" if r.sources else ""
    kind = "" if r.kind == "fact" else f"{_KIND_EMOJI.get(r.kind, '')} "
    return f"• {kind}{escape_md(_one_line(text, width))}{label}"


def _fact_links(results: Iterable[FactResult]) -> list[Link]:
    out = []
    for r in results:
        if r.kind == "event":
            out.append(link(r.title or r.id, "event", r.id, "Event: its card, with sources", "📅"))
        elif r.kind == "treaty":
            out.append(link(r.title or r.id, "treaty", r.id, "Treaty or agreement", "📜"))
        elif r.kind == "source":
            out.append(link(r.title or r.id, "source", r.id, "Source document", "📄"))
    return out[:25]


def _fact_panel(results: Sequence[FactResult], mentions: Mentions | None = None) -> list[list[EmbedJson]]:
    return _sources_panel(
        _one_line(_key_phrase(results[0]), 120),
        [(_one_line(_key_phrase(r), 200), r.sources) for r in results if r.sources],
        mentions,
    )


def _add_lines(b: _Builder, name: str, lines: list[str], room: int) -> tuple[int, list[str]]:
    """As many of `lines` as fit in `room` characters, as one field: (the characters used, the lines left)."""
    shown: list[str] = []
    used = len(name)
    for line in lines:
        if used + len(line) + 1 > room:
            break
        shown.append(line)
        used += len(line) + 1
    if shown:
        b.add(name, "\n".join(shown))
        return used, lines[len(shown) :]
    return 0, lines


def render_fact(a: FactAnswer, mentions: Mentions | None = None) -> Rendered:
    timeline, treaty, viewpoints = (command(mentions, c) for c in ("timeline", "treaty", "viewpoints"))
    hint = f"Try other words, {timeline}, {treaty} or {viewpoints}."
    if not a.answered or not a.results:
        b = _Builder("Nothing found", COLOUR_EMPTY, FOOTER)
        b.describe(f"The digest has nothing on “{escape_md(_one_line(a.query, 200))}”. {hint}")
        if a.results:
            b.add("Related (they do not answer it)", "\n".join(_compact(r) for r in a.results))
        return Rendered(
            b.build(),
            links=_fact_links(a.results),
            menu="Open a related entry (not the answer)…",
        )
    top = a.results[0]
    answers = [r for r in a.results if r.match == "answer"]
    differing = [r for r in answers[1:] if top.differs and r.differs]
    further = [r for r in answers[1:] if r not in differing]
    related = [r for r in a.results if r.match == "related"]
    key = _key_phrase(top)
    b = _Builder(key, COLOUR_ANSWER, FOOTER)
    body = []
    if len(key) > TITLE_MAX:  # the title is cut: the statement in full leads the text
        body.append(f"**{escape_md(key)}**")
    if top.kind != "fact":
        body.append(escape_md(_one_line(top.text, 500)))
    body.append(_lead(top.sources))
    if differing:
        body.append("⚠ The sources give **different figures** for this; each is shown with its source.")
    b.describe("\n".join(body))
    room = FIRST_MESSAGE_BUDGET - FIRST_PAGE_RESERVE - len(key) - sum(len(x) + 1 for x in body)
    for r in differing:  # each figure leads as the answer does: they disagree, so none is put below the others
        value = f"{escape_md(r.text)}\n{_lead(r.sources)}"
        b.add("⚠ Another figure", value)
        room -= len(value) + 20
    used, rest = _add_lines(b, "Also in the digest", [_compact(r) for r in further], room)
    related_lines = [_compact(r) for r in related]
    _, rest_related = _add_lines(b, "Related (not the answer)", related_lines[:RELATED_SHOWN], room - used)
    rest_related += related_lines[RELATED_SHOWN:]
    if rest or rest_related:  # the others on the next page, under the same headings
        b.page_break()
        if rest:
            b.add("Also in the digest", "\n".join(rest))
        if rest_related:
            b.add("Related (not the answer)", "\n".join(rest_related))
    return Rendered(
        b.build(),
        links=_fact_links(a.results),
        sources=_fact_panel([top, *differing, *further], mentions),  # what answers it; the related entries' are theirs
        menu="Open an event or a treaty named here…",
    )


def _event_line(e: EventView) -> str:
    return f"• {escape_md(e.date.when() + days.mark(e))} · {escape_md(e.title)}"


def render_treaty(a: TreatyAnswer, mentions: Mentions | None = None) -> Rendered:
    if not a.answered or not a.results:
        return _nothing_on(
            "No treaty found",
            a.query,
            f"Start typing a name in {command(mentions, 'treaty')} to see the list.",
            "Did you mean",
            [_treaty_line(t) for t in a.results],
            [link(t.name, "treaty", t.id, "Treaty or agreement", "📜") for t in a.results],
            menu="Open one of these treaties…",
        )
    if a.ambiguous:
        b = _Builder("Which treaty?" if a.query else "Treaties and agreements", COLOUR_ANSWER, FOOTER)
        if a.query:
            b.describe(f"Several treaties match “{escape_md(_one_line(a.query, 200))}”:")
        b.add("Candidates", "\n".join(_treaty_line(t) for t in a.results))
        return Rendered(
            b.build(),
            links=[
                link(t.name, "treaty", t.id, f"{t.date_kind} {t.date.human()}" if t.date else "", "📜")
                for t in a.results[:25]
            ],
            menu="Open a treaty…",
        )
    t = a.results[0]
    b = _Builder(t.name, COLOUR_ANSWER, FOOTER)
    when = f"{t.date_kind.capitalize()} {t.date.human()}" if t.date else "Date not given in the sources"
    if t.date_note:
        when += f" ({t.date_note})"
    b.describe(escape_md(t.summary) + "\n" + _lead(t.sources))
    also = a.results[1:]  # as good a match, less central: on the first page, before the details
    if also:
        b.add(f"Also matching “{escape_md(_one_line(a.query, 100))}”", "\n".join(_treaty_line(o) for o in also))
    b.add("Date", escape_md(when), inline=True)
    b.add("Parties", escape_md(", ".join(t.parties)), inline=True)
    b.add("Status", escape_md(t.status), inline=True)
    if t.aliases:
        shown = ", ".join(t.aliases[:SHOWN_ALIASES])
        more = len(t.aliases) - SHOWN_ALIASES
        b.add("Also known as", escape_md(shown) + (f" and {more} more" if more > 0 else ""))
    events = sorted(t.related_events, key=lambda e: e.date.sort_key())
    if events or t.viewpoints:
        said = " and ".join(
            x for x in (plural(len(events), "related event"), plural(len(t.viewpoints), "debate")) if x[0] != "0"
        )
        b.describe(f"*{said}: open them from the menu below; listed on page 2.*")
    b.page_break()
    if t.provisions:
        b.add("Key provisions", "\n".join(f"• {escape_md(p)}" for p in t.provisions))
    if t.significance:
        b.add("Significance", escape_md(t.significance))
    if events:
        note = days.worked_out_note(events)
        b.add("Related events, in date order", "\n".join([*map(_event_line, events), *([note] if note else [])]))
    if t.viewpoints:
        b.add("Debates", "\n".join(f"• {escape_md(v.name)}" for v in t.viewpoints))
    links = [link(o.name, "treaty", o.id, "Also matching: treaty or agreement", "📜") for o in also]
    links += [link(v.name, "viewpoints", v.id, "Debate: the positions, with sources", "⚖️") for v in t.viewpoints]
    links += [link(e.title, "event", e.id, days.when_label(e.date) + days.mark(e), "📅") for e in events]
    return Rendered(
        b.build(),
        links=links[:25],
        sources=_sources_panel(t.name, [("Quotes", t.sources)], mentions),
        menu="Open a debate or an event…",
    )


POSITION_MARKERS = ("🟦", "🟧", "🟩", "🟪", "🟥", "🟨")  # a topic has at most six positions (digest/model.py)


def position_markers(v: ViewpointView) -> dict[str, str]:
    """Each position's marker, by its label: the same whatever the day's order or the page (the labels sorted,
    so the rotation does not move them)."""
    return {
        label: POSITION_MARKERS[i % len(POSITION_MARKERS)]
        for i, label in enumerate(sorted(p.label for p in v.positions))
    }


VIEWPOINTS_FOOTER = "The order of the positions changes daily; none is the default · " + FOOTER


def _position_block(p: PositionView, marker: str) -> tuple[str, str]:
    value = escape_md(p.summary)
    if p.sources:
        value += "\n" + _lead(p.sources)
    return f"{marker} {p.label}", value


def _ref_link(r: Ref) -> Link | None:
    kind = r.kind.removesuffix("s").replace("treatie", "treaty")  # a `Ref`'s kind is the digest's: "treaties"
    if kind == "treaty":
        return link(r.name, "treaty", r.id, "Treaty or agreement", "📜")
    if kind == "event":
        return link(r.name, "event", r.id, "Event: its card, with sources", "📅")
    if kind == "viewpoint":
        return link(r.name, "viewpoints", r.id, "Debate: the positions, with sources", "⚖️")
    return None


def render_viewpoints(a: ViewpointsAnswer, mentions: Mentions | None = None) -> Rendered:
    if not a.answered or not a.results:
        return _nothing_on(
            "No topic found",
            a.query,
            f"Use {command(mentions, 'viewpoints')} and pick a topic from the list.",
            "Related topics (they do not answer it)",
            [f"• **{escape_md(v.topic)}**: {escape_md(v.question)}" for v in a.results],
            [link(v.topic, "viewpoints", v.id, "Related topic, not the answer", "⚖️") for v in a.results],
            menu="Open a related topic (not the answer)…",
        )
    if a.listing:
        b = _Builder("Debated topics", COLOUR_VIEWPOINTS, FOOTER)
        for v in a.results:
            b.add(v.topic, escape_md(v.question))
        return Rendered(
            b.build(),
            links=[link(v.topic, "viewpoints", v.id, _one_line(v.question, 100), "⚖️") for v in a.results[:25]],
            menu="Open a debate…",
        )
    pages: list[list[EmbedJson]] = []
    groups: list[tuple[str, Sequence[SourceRef]]] = []
    many = len(a.results) > 1
    for n, v in enumerate(a.results, 1):
        b = _Builder(v.topic, COLOUR_VIEWPOINTS, VIEWPOINTS_FOOTER)
        head = f"*Topic {n} of {len(a.results)} matching “{escape_md(_one_line(a.query, 100))}”*\n" if many else ""
        b.describe(f"{head}**{escape_md(v.question)}**")
        markers = position_markers(v)
        for p in v.positions:
            name, value = _position_block(p, markers[p.label])
            b.add(name, value)
            groups.append((f"{v.topic} · {name}" if many else name, p.sources))
        pages.extend(b.build())
    links: list[Link] = []
    for v in a.results:
        links += [x for x in (_ref_link(r) for r in v.related) if x is not None]
    return Rendered(
        number_pages(pages),
        links=list({(x.command, x.argument): x for x in links}.values())[:25],
        sources=_sources_panel(a.results[0].topic if not many else "the topics", groups, mentions),
        menu="Open a related treaty, event or debate…",
    )


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
        f"**{escape_md(days.when_label(e.date) + days.mark(e))}** · {escape_md(e.title)} — "
        f"*{escape_md(e.sources[0].short())}*"
        for e in a.events
    ]
    note = days.worked_out_note(a.events)
    b.describe("\n".join([*lines, *([f"*{escape_md(note)}*"] if note else [])]))
    return Rendered(b.build())


_CITED_KINDS = (("fact", "fact", "facts"), ("event", "event", "events"), ("treaty", "treaty", "treaties"))


def _entries_by_kind(cited: Sequence[CitedEntry]) -> list[tuple[str, str, list[CitedEntry], int]]:
    """(kind, heading, its quotes, how many entries): facts, events, treaties, then debates (a debate's
    positions are one entry)."""
    out = []
    for kind, one, many in (*_CITED_KINDS, ("position", "debate", "debates")):
        quotes = [c for c in cited if c.kind == kind]
        if quotes:
            entries = len({c.id for c in quotes})
            out.append((kind, plural(entries, one, many), quotes, entries))
    return out


def _source_card(s: SourceView) -> tuple[_Builder, list[Link]]:
    b = _Builder(s.title, COLOUR_ANSWER, FOOTER)
    b.describe(escape_md(s.perspective))
    b.add("Author", escape_md(s.author or "Not named in the document"), inline=True)
    b.add("Outlet", escape_md(s.outlet or "Not named in the document"), inline=True)
    b.add("Published", escape_md(s.published or "Not given"), inline=True)
    b.add("Kind", s.kind, inline=True)
    if s.published_note:
        b.add("About the date", escape_md(s.published_note))
    kinds = _entries_by_kind(s.cited_by)
    entries = sum(n for *_, n in kinds)
    links: list[Link] = []
    if kinds:
        counts = ", ".join(heading for _, heading, _, _ in kinds)
        b.add(
            "What the digest takes from it",
            f"{plural(entries, 'entry', 'entries')} cite it, with {plural(len(s.cited_by), 'quote')}: {counts}. "
            "The quotes are on the next pages; the menu opens them by kind.",
        )
        for kind, heading, quotes, _ in kinds:
            links.append(
                link(
                    heading.capitalize(),
                    "quotes",
                    f"{s.id} {kind}",
                    f"{plural(len(quotes), 'quote')} from this document",
                    _KIND_EMOJI.get(kind, ""),
                )
            )
    else:
        b.add("What the digest takes from it", "No entry cites it yet.")
    b.page_break()
    for _, heading, quotes, _ in kinds:
        b.add(
            f"{_KIND_EMOJI.get(quotes[0].kind, '')} {heading.capitalize()}",
            "\n".join(f"• *{escape_md(_one_line(c.name, 80))}*: {escape_md(quoted(c.quote))}" for c in quotes),
        )
    return b, links


def render_source_quotes(a: SourceAnswer, kind: str, mentions: Mentions | None = None) -> Rendered:
    """The quotes a source gives entries of one kind (the source card's menu), shown to whoever asked."""
    s = a.results[0] if a.found else None
    quotes = [c for c in s.cited_by if c.kind == kind] if s else []
    if s is None or not quotes:
        return _not_found(
            "Nothing to show", "No quote", f"{a.query} {kind}", f"Run {command(mentions, 'source')} again."
        )
    heading = next(h for k, h, _, _ in _entries_by_kind(s.cited_by) if k == kind)
    b = _Builder(f"{heading.capitalize()} citing {s.title}", COLOUR_ANSWER, FOOTER)
    b.add(
        f"{_KIND_EMOJI.get(kind, '')} {plural(len(quotes), 'quote')}",
        "\n".join(f"• *{escape_md(_one_line(c.name, 80))}*: {escape_md(quoted(c.quote))}" for c in quotes),
    )
    return Rendered(b.build(), ephemeral=True)


def render_source(a: SourceAnswer, mentions: Mentions | None = None) -> Rendered:
    if not a.answered or not a.results:
        return _nothing_on(
            "No source found",
            a.query,
            f"Use {command(mentions, 'source')} to list them.",
            "Related sources (they do not answer it)",
            [
                f"• **{escape_md(s.title)}**: "
                + escape_md(
                    f"{s.author or 'no author named'} · {s.outlet or 'outlet not named'} · {s.published or 'undated'}"
                )
                for s in a.results
            ],
            [link(s.title, "source", s.id, "Related source, not the answer", "📄") for s in a.results],
            menu="Open a related source (not the answer)…",
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
        return Rendered(
            b.build(),
            links=[link(s.title, "source", s.id, f"{s.kind} · {s.published or 'undated'}", "📄") for s in a.results],
            menu="Open a source…",
        )
    pages: list[list[EmbedJson]] = []
    links: list[Link] = []
    for s in a.results:
        b, kind_links = _source_card(s)
        if len(a.results) > 1:
            b.describe(f"*One of {len(a.results)} sources matching “{escape_md(_one_line(a.query, 100))}”.*")
        pages.extend(b.build())
        links += kind_links if len(a.results) == 1 else [link(s.title, "source", s.id, "This source alone", "📄")]
    return Rendered(
        number_pages(pages),
        links=links[:25],
        menu="Open its quotes by kind…" if len(a.results) == 1 else "Open one source…",
    )
