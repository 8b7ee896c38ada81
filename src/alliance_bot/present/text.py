"""Answers as plain text for a terminal: the same compact answer the bot shows (the answer first, one quote
under it), and at the end the Sources list, every quote with its document's full title (on Discord: the
Sources button)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Protocol, TypedDict

from alliance_bot.answers.model import (
    EventAnswer,
    EventView,
    FactAnswer,
    FactResult,
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
from alliance_bot.digest.dates import MONTH_NAMES, ordinal
from alliance_bot.present import days
from alliance_bot.present.limits import SHOWN_ALIASES, _one_line, quoted

WIDTH = 88


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent)


def _sources(sources: tuple[SourceRef, ...], indent: str = "  ") -> list[str]:
    lines = []
    for s in sources:
        lines.append(_wrap(f"— {s.short()} [{s.id}]: {quoted(s.quote)}", indent))
    return lines


def event_line(e: EventView) -> str:
    """`July 27, 1953: Korean Armistice …`, `During 1953: …`, with which anniversary when it brings one."""
    head = f"{days.when_label(e.date)}{days.mark(e)}: {e.title}"
    if e.anniversary_number:
        head += f" ({ordinal(e.anniversary_number)} anniversary)"
    return head


def _today_item(e: EventView, *, today: bool = False, with_year: bool = False, arrow: str = "•") -> str:
    """`• 1953 · Korean Armistice Agreement signed, … · 73rd anniversary [armistice-signed]`, wrapped."""
    line = f"{arrow} " + " · ".join(days.item_parts(e, today=today, with_year=with_year)) + f" [{e.id}]"
    return textwrap.fill(line, WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def today_text(a: TodayAnswer) -> str:
    """The compact /today: the day's items, the first with one quote, the month's events and, on an empty day,
    the nearest days; every event's details with `alliance-bot ask event ID`."""
    lines = [days.today_title(a, "On this day in history"), ""]
    if a.events:
        shown = a.events[: days.TODAY_ITEMS]
        for i, e in enumerate(shown):
            lines.append(_today_item(e, today=a.is_today))
            if i == 0 and e.sources:
                s = e.sources[0]
                lines.append(_wrap(f"{quoted(_one_line(s.quote, days.LEAD_QUOTE_MAX))} — {s.short()}"))
        if len(a.events) > len(shown):
            lines.append(days.more_line(len(a.events) - len(shown), "with --json"))
    else:
        lines.append(days.empty_line(a))
        if a.nearest_before or a.nearest_after:
            lines += ["", "Nearest days in the digest:"]
            for arrow, side in (("←", a.nearest_before), ("→", a.nearest_after)):
                for e in side[: days.TODAY_NEAREST]:
                    day = days.day_name(e.date.month or 1, e.date.day or 1)
                    lines.append(_today_item(e, with_year=True, arrow=f"{arrow} {day}:"))
    if a.month_events:
        shown = a.month_events[: days.TODAY_MONTH_LINES]
        lines += ["", f"Also in {MONTH_NAMES[a.month - 1]}, day not recorded:"]
        lines += [_today_item(e) for e in shown]
        if len(a.month_events) > len(shown):
            lines.append(days.more_line(len(a.month_events) - len(shown), "with --json"))
    note = days.worked_out_note(days.today_shown(a))
    if note:
        lines += ["", _wrap(note, "")]
    if a.events or a.month_events or a.nearest_before or a.nearest_after:
        lines += ["", "Summary and every source: alliance-bot ask event ID"]
    return "\n".join(lines).rstrip() + "\n"


def _lead(sources: Sequence[SourceRef], indent: str = "  ") -> list[str]:
    """The one citation under an answer (`> “…” — DeTrani 2025`) and how many others the Sources list has."""
    if not sources:
        return []
    first = sources[0]
    lines = [
        _wrap(f"> {quoted(first.quote)} — {first.short()}" if first.quote.strip() else f"— {first.short()}", indent)
    ]
    if len(sources) > 1:
        names = list(dict.fromkeys(s.short() for s in sources[1:]))
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        more = len(sources) - 1
        lines.append(_wrap(f"({more} more quote{'s' if more != 1 else ''}, from {who}: see Sources below)", indent))
    return lines


def _full_name(s: SourceRef) -> str:
    return " · ".join([s.title, *(p for p in (s.author, s.outlet) if p), s.published or "undated"])


def _sources_list(groups: Sequence[tuple[str, Sequence[SourceRef]]]) -> list[str]:
    """The terminal's Sources list (the Discord answer's Sources button): every quote, under its document's full
    title and id, grouped by what it supports."""
    lines = ["", "Sources:"]
    for heading, refs in groups:
        if not refs:
            continue
        if len(groups) > 1:
            lines.append(_wrap(heading, "  "))
        last = ""
        for s in refs:
            if s.id != last:
                lines.append(_wrap(f"{_full_name(s)} [{s.id}]", "    "))
                last = s.id
            if s.quote.strip():
                lines.append(_wrap(f"> {quoted(s.quote)}", "      "))
    return lines


def _one(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return (text[:cut] if cut > width * 2 // 3 else text[: width - 1]).rstrip(" ,;:") + "…"


def _compact(r: FactResult) -> str:
    text = r.title if r.kind != "fact" and r.title else r.text
    kind = "" if r.kind == "fact" else f"[{r.kind}] "
    return f"  • {kind}{_one(text)}" + (f" — {r.sources[0].short()}" if r.sources else "")


def event_text(a: EventAnswer) -> str:
    """An event's card: date (and which anniversary), summary, the posts' wording on the day itself, sources."""
    e = a.event
    if e is None:
        return f"No event matches “{a.query[:100]}”. Find events with timeline or today.\n"
    lines = [e.title, "=" * min(len(e.title), WIDTH)]
    head = days.when_label(e.date)
    anniversary = days.card_anniversary(e, a.is_today)
    lines.append(head + (f" · {anniversary}" if anniversary else "") + f" [{e.id}]")
    if e.note:
        lines.append(_wrap(f"({e.note})", ""))
    if e.date_note:
        lines.append(_wrap(f"Date: {e.date_note}", ""))
    lines += ["", _wrap(e.summary, "")]
    if a.is_today and e.anniversary:
        lines += ["", _wrap(f"» {e.anniversary}", "")]
    lines += ["", "Sources:", *_sources(e.sources)]
    return "\n".join(lines) + "\n"


def fact_text(a: FactAnswer) -> str:
    nothing = f"The digest has nothing on “{a.query[:100]}”."
    if not a.results:
        return f"{nothing} Try other words, or /timeline and /treaty.\n"
    if not a.answered:
        lines = [nothing, "", "Related entries (they do not answer it):", *(_compact(r) for r in a.results)]
        return "\n".join(lines) + "\n"
    top = a.results[0]
    answers = [r for r in a.results if r.match == "answer"]
    differing = [r for r in answers[1:] if top.differs and r.differs]
    further = [r for r in answers[1:] if r not in differing]
    related = [r for r in a.results if r.match == "related"]
    key = top.title if top.kind != "fact" and top.title else top.text
    lines = [textwrap.fill(key + (" [sources differ]" if differing else ""), WIDTH)]
    if top.kind != "fact":
        lines.append(_wrap(top.text))
    lines += _lead(top.sources)
    if differing:
        lines += ["", "The sources give different figures for this; each is shown with its source:"]
        for r in differing:
            lines += [textwrap.fill(f"{r.text} [sources differ]", WIDTH), *_lead(r.sources)]
    if further:
        lines += ["", "Also in the digest:", *(_compact(r) for r in further)]
    if related:
        lines += ["", "Related (not the answer):", *(_compact(r) for r in related)]
    lines += _sources_list([(_one(r.title or r.text, 80), r.sources) for r in (top, *differing, *further)])
    return "\n".join(lines) + "\n"


def _treaty_line(t: TreatyView) -> str:
    when = f" ({t.date_kind} {t.date.human()})" if t.date else ""
    return f"• {t.name}{when} [{t.id}]"


def treaty_text(a: TreatyAnswer) -> str:
    nothing = f"The digest has nothing on “{a.query[:100]}”."
    if not a.results:
        return f"{nothing} Try /treaty with part of its name, or /treaty alone to list them.\n"
    if not a.answered:
        return "\n".join([nothing, "", "Did you mean:", *(_treaty_line(t) for t in a.results)]) + "\n"
    if a.ambiguous:
        lines = [f"Several treaties match “{a.query[:100]}”:" if a.query else "Treaties and agreements:", ""]
        lines += [_treaty_line(t) for t in a.results]
        return "\n".join(lines) + "\n"
    t = a.results[0]
    lines = [t.name, "=" * min(len(t.name), WIDTH)]
    when = f"{t.date_kind.capitalize()} {t.date.human()}" if t.date else "Date: not given in the sources"
    lines.append(when + (f" ({t.date_note})" if t.date_note else ""))
    lines.append("Parties: " + ", ".join(t.parties))
    lines.append("Status: " + t.status)
    if t.aliases:
        more = len(t.aliases) - SHOWN_ALIASES
        lines.append(
            _wrap("Also: " + ", ".join(t.aliases[:SHOWN_ALIASES]) + (f" and {more} more" if more > 0 else ""), "")
        )
    lines += ["", _wrap(t.summary, ""), *_lead(t.sources, "")]
    if len(a.results) > 1:
        lines += ["", f"Also matching “{a.query[:100]}”:", *(_treaty_line(o) for o in a.results[1:])]
    if t.provisions:
        lines += ["", "Key provisions:"] + [_wrap(f"- {p}") for p in t.provisions]
    if t.significance:
        lines += ["", "Significance:", _wrap(t.significance)]
    if t.related_events:
        events = sorted(t.related_events, key=lambda e: e.date.sort_key())
        lines += ["", "Related events, in date order:"]
        lines += [f"  • {event_line(e)} [{e.id}]" for e in events]
    if t.viewpoints:
        lines += ["", "Debates: " + ", ".join(f"{v.name} [{v.id}]" for v in t.viewpoints)]
    lines += _sources_list([("Quotes", t.sources)])
    return "\n".join(lines) + "\n"


def _markers(v: ViewpointView) -> dict[str, str]:
    """The same letter for a position whatever the day's order (the labels sorted), as the embeds' colours."""
    return {label: f"[{chr(ord('A') + i)}]" for i, label in enumerate(sorted(p.label for p in v.positions))}


def viewpoints_text(a: ViewpointsAnswer) -> str:
    nothing = f"The digest has nothing on “{a.query[:100]}”."
    if not a.results:
        return f"{nothing} Run viewpoints with no topic to list the debated topics.\n"
    if not a.answered:
        related = [f"• {v.topic} [{v.id}]: {v.question}" for v in a.results]
        return "\n".join([nothing, "", "Related topics (they do not answer it):", *related]) + "\n"
    if a.listing:
        listing = ["Debated topics:", ""] + [f"• {v.topic} [{v.id}]: {v.question}" for v in a.results]
        return "\n".join(listing) + "\n"
    lines: list[str] = []
    if len(a.results) > 1:
        lines += [f"{len(a.results)} topics match “{a.query[:100]}”:", ""]
    groups: list[tuple[str, Sequence[SourceRef]]] = []
    for v in a.results:
        lines += [v.topic, "=" * min(len(v.topic), WIDTH), _wrap(v.question, ""), ""]
        markers = _markers(v)
        for p in v.positions:
            lines.append(f"{markers[p.label]} {p.label}")
            lines.append(_wrap(p.summary))
            lines += _lead(p.sources)
            lines.append("")
            groups.append((f"{markers[p.label]} {p.label}", p.sources))
    lines.append("(The order of the positions changes daily; none is the default.)")
    lines += _sources_list(groups)
    return "\n".join(lines).rstrip() + "\n"


def timeline_text(a: TimelineAnswer) -> str:
    """One line an event in time order; "During 1953" after the dated events of 1953, "In August 1953" after
    those of that August."""
    span = f"{a.start or 'the beginning'} to {a.end or 'today'}"
    head = f"Timeline, {span}" + (f", tag “{a.tag}”" if a.tag else "")
    if not a.events:
        hint = f" Tags: {', '.join(a.tags)}." if a.tag and a.tag not in a.tags else ""
        return f"{head}: no events.{hint}\n"
    lines = [head, ""] + [
        f"• {days.when_label(e.date)}{days.mark(e)}: {e.title} — {e.sources[0].short()}" for e in a.events
    ]
    note = days.worked_out_note(a.events)
    return "\n".join([*lines, *(["", _wrap(note, "")] if note else [])]) + "\n"


def _source_line(s: SourceView) -> str:
    return (
        f"• [{s.id}] {s.title} ({s.author or 'no author named'}, "
        f"{s.outlet or 'outlet not named'}, {s.published or 'undated'})"
    )


_CITED = (("fact", "fact", "facts"), ("event", "event", "events"), ("treaty", "treaty", "treaties"))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def source_text(a: SourceAnswer) -> str:
    nothing = f"The digest has nothing on “{a.query[:100]}”."
    if not a.results:
        return f"{nothing} Run source with no id to list the sources.\n"
    if not a.answered:
        related = [_source_line(s) for s in a.results]
        return "\n".join([nothing, "", "Related sources (they do not answer it):", *related]) + "\n"
    if a.listing:
        return "\n".join(["Sources:", "", *(_source_line(s) for s in a.results)]) + "\n"
    lines: list[str] = []
    if len(a.results) > 1:
        lines += [f"{len(a.results)} sources match “{a.query[:100]}”:", ""]
    for s in a.results:
        lines += [s.title, "=" * min(len(s.title), WIDTH)]
        lines.append(f"Id: {s.id} · Kind: {s.kind}")
        lines.append(f"Author: {s.author or 'not named in the document'}")
        lines.append(f"Outlet: {s.outlet or 'not named in the document'}")
        lines.append(
            f"Published: {s.published or 'not given'}" + (f" ({s.published_note})" if s.published_note else "")
        )
        lines += ["", "Perspective:", _wrap(s.perspective), ""]
        kinds = []
        for kind, one, many in (*_CITED, ("position", "debate", "debates")):
            quotes = [c for c in s.cited_by if c.kind == kind]
            if quotes:
                kinds.append((_plural(len({c.id for c in quotes}), one, many), quotes))
        entries = len({(c.kind, c.id) for c in s.cited_by if c.kind != "position"})
        entries += len({c.id for c in s.cited_by if c.kind == "position"})
        if not kinds:
            lines += ["No entry cites it yet.", ""]
            continue
        counts = ", ".join(heading for heading, _ in kinds)
        lines.append(
            f"What the digest takes from it: {_plural(entries, 'entry', 'entries')} cite it, "
            f"with {_plural(len(s.cited_by), 'quote', 'quotes')}: {counts}."
        )
        for heading, quotes in kinds:
            lines += ["", f"{heading[0].upper()}{heading[1:]}:"]
            lines += [_wrap(f"- {c.name} [{c.id}]: {quoted(c.quote)}") for c in quotes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_text(answer: object) -> str:
    match answer:
        case TodayAnswer():
            return today_text(answer)
        case EventAnswer():
            return event_text(answer)
        case FactAnswer():
            return fact_text(answer)
        case TreatyAnswer():
            return treaty_text(answer)
        case ViewpointsAnswer():
            return viewpoints_text(answer)
        case TimelineAnswer():
            return timeline_text(answer)
        case SourceAnswer():
            return source_text(answer)
    raise TypeError(f"no text form for {type(answer).__name__}")


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f} ms"


class CommandUsage(Protocol):
    """What is shown of one command's usage (a `storage.usage.CommandStats`)."""

    @property
    def command(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def nothing_found(self) -> int: ...
    @property
    def median_ms(self) -> float | None: ...
    @property
    def p95_ms(self) -> float | None: ...


class UnhelpfulAnswer(Protocol):
    """An answer voted unhelpful (a `storage.votes.Unhelpful`)."""

    @property
    def command(self) -> str: ...
    @property
    def entry_kind(self) -> str: ...
    @property
    def entry_id(self) -> str: ...
    @property
    def question_hash(self) -> str: ...
    @property
    def down(self) -> int: ...
    @property
    def up(self) -> int: ...
    @property
    def question(self) -> str | None: ...


def asked(command: str, query: str) -> str:
    """How a question on the to-do list was asked, in words: a question with no option (`/today` for the day
    it was asked) says so instead of showing empty quotes."""
    if query.strip():
        return f"/{command} “{query}”"
    return f"/{command} with no {'date' if command == 'today' else 'option'}"


class Usage(Protocol):
    """What is shown of the usage (a `storage.usage.UsageSummary`: this layer does not import storage)."""

    @property
    def days(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def error_rate(self) -> float: ...
    @property
    def refused(self) -> int: ...
    @property
    def invalid(self) -> int: ...
    @property
    def nothing_found(self) -> int: ...
    @property
    def median_ms(self) -> float | None: ...
    @property
    def p95_ms(self) -> float | None: ...
    @property
    def per_command(self) -> Sequence[CommandUsage]: ...
    @property
    def per_day(self) -> Sequence[tuple[str, int]]: ...
    @property
    def missing(self) -> Sequence[tuple[str, str, int]]: ...  # (command, query, times) that found nothing
    @property
    def unhelpful(self) -> Sequence[UnhelpfulAnswer]: ...  # voted 👎 more than 👍, most often first
    @property
    def components(self) -> Sequence[tuple[str, int]]: ...  # (what was clicked, times)
    @property
    def per_day_command(self) -> Sequence[tuple[str, str, int, int]]: ...  # (day, command, count, nothing found)


def stats_text(s: Usage) -> str:
    """A `storage.usage.UsageSummary` for the terminal."""
    lines = [
        f"Usage, last {s.days} days: {s.total} interactions, error rate {s.error_rate:.1%}, "
        f"median {_ms(s.median_ms)}, p95 {_ms(s.p95_ms)}",
        "",
    ]
    if s.per_command:
        lines.append(f"{'command':<28}{'count':>7}{'errors':>8}{'empty':>7}{'median':>11}{'p95':>11}")
        for c in s.per_command:
            lines.append(
                f"{c.command:<28}{c.count:>7}{c.errors:>8}{c.nothing_found:>7}{_ms(c.median_ms):>11}{_ms(c.p95_ms):>11}"
            )
        lines.append("")
    if s.per_day:
        lines.append("Per day: " + ", ".join(f"{d} {n}" for d, n in s.per_day))
    if s.components:
        lines.append("Clicks: " + ", ".join(f"{name} {n}" for name, n in s.components))
    if s.unhelpful or s.missing:
        lines += ["", "To do (what the digest lacks or answers badly):"]
    if s.unhelpful:
        lines.append("  Answers marked not useful (down/up votes):")
        lines += [
            f"    {u.down} down, {u.up} up: {u.entry_kind} {u.entry_id}, the answer to "
            + (asked(u.command, u.question) if u.question is not None else f"/{u.command} (question {u.question_hash})")
            for u in s.unhelpful
        ]
    if s.missing:
        lines.append("  Asked, but nothing found:")
        lines += [f"    {n}x {asked(c, q)}" for c, q, n in s.missing]
    return "\n".join(lines).rstrip() + "\n"


class CommandStatsJson(TypedDict):
    command: str
    count: int
    errors: int
    nothing_found: int
    median_ms: float | None
    p95_ms: float | None


class DayCountJson(TypedDict):
    day: str
    count: int


class MissingJson(TypedDict):
    command: str
    query: str
    count: int


class UnhelpfulJson(TypedDict):
    command: str
    entry_kind: str
    entry_id: str
    question_hash: str
    question: str | None
    down: int
    up: int


class ComponentCountJson(TypedDict):
    component: str
    count: int


class DayCommandJson(TypedDict):
    day: str
    command: str
    count: int
    nothing_found: int


class StatsJson(TypedDict):
    days: int
    total: int
    errors: int
    error_rate: float
    refused: int
    invalid_input: int
    nothing_found: int
    median_ms: float | None
    p95_ms: float | None
    per_command: list[CommandStatsJson]
    per_day: list[DayCountJson]
    missing: list[MissingJson]
    unhelpful: list[UnhelpfulJson]
    components: list[ComponentCountJson]
    per_day_command: list[DayCommandJson]


def stats_json(s: Usage) -> StatsJson:
    return {
        "days": s.days,
        "total": s.total,
        "errors": s.errors,
        "error_rate": s.error_rate,
        "refused": s.refused,
        "invalid_input": s.invalid,
        "nothing_found": s.nothing_found,
        "median_ms": s.median_ms,
        "p95_ms": s.p95_ms,
        "per_command": [
            {
                "command": c.command,
                "count": c.count,
                "errors": c.errors,
                "nothing_found": c.nothing_found,
                "median_ms": c.median_ms,
                "p95_ms": c.p95_ms,
            }
            for c in s.per_command
        ],
        "per_day": [{"day": d, "count": n} for d, n in s.per_day],
        "missing": [{"command": c, "query": q, "count": n} for c, q, n in s.missing],
        "unhelpful": [
            {
                "command": u.command,
                "entry_kind": u.entry_kind,
                "entry_id": u.entry_id,
                "question_hash": u.question_hash,
                "question": u.question,
                "down": u.down,
                "up": u.up,
            }
            for u in s.unhelpful
        ],
        "components": [{"component": name, "count": n} for name, n in s.components],
        "per_day_command": [
            {"day": d, "command": c, "count": n, "nothing_found": nothing} for d, c, n, nothing in s.per_day_command
        ],
    }
