"""Answers as JSON: the stable, public form `alliance-bot ask --json` prints.

Scripts rely on these field names. Add fields freely; never rename or drop one.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from alliance_bot.answers.model import (
    EventAnswer,
    EventView,
    FactAnswer,
    SourceAnswer,
    SourceRef,
    TimelineAnswer,
    TodayAnswer,
    TreatyAnswer,
    ViewpointsAnswer,
)

# The shape of each answer's JSON, field by field (the public interface above).


class SourceJson(TypedDict):
    id: str
    title: str
    author: str | None
    outlet: str | None
    published: str | None
    quote: str
    short: str  # the source's short label ("DeTrani 2025")
    holds: NotRequired[bool]  # only on a viewpoint position's citations: its source holds the position


class EventJson(TypedDict):
    id: str
    date: str
    precision: str
    title: str
    summary: str
    years_ago: int | None
    anniversary: str | None
    note: str | None
    tags: list[str]
    sources: list[SourceJson]
    when: str  # the date as a phrase claiming no more than is known: "July 27, 1953", "in March 2010", "during 1953"
    date_note: str | None  # how the date was worked out, when indirectly
    anniversary_number: int | None  # which anniversary the date in question marks; null: none (see README)
    anniversary_date: str | None  # YYYY-MM-DD of that anniversary (a nearest day's may be next year's)


class TodayJson(TypedDict):
    date: str
    year: int
    events: list[EventJson]
    month_events: list[EventJson]
    nearest: list[EventJson]
    nearest_before: list[EventJson]
    nearest_after: list[EventJson]
    is_today: bool  # the day asked is today in the bot's time zone: only then is "anniversary" (the posts' wording) set


class EventAnswerJson(TypedDict):
    query: str
    found: bool
    is_today: bool
    event: EventJson | None


class FactResultJson(TypedDict):
    id: str
    kind: str
    text: str
    title: str | None
    group: str | None
    differs: bool
    sources: list[SourceJson]
    match: str  # "answer" | "related"


class FactJson(TypedDict):
    query: str
    answered: bool
    results: list[FactResultJson]


class RelatedEventJson(TypedDict):
    id: str
    date: str
    title: str


class TreatyViewpointJson(TypedDict):
    id: str
    topic: str


class TreatyResultJson(TypedDict):
    id: str
    name: str
    aliases: list[str]
    kind: str
    signed: str | None
    date_kind: str
    date_note: str | None
    parties: list[str]
    status: str
    summary: str
    provisions: list[str]
    significance: str | None
    related_events: list[RelatedEventJson]
    viewpoints: list[TreatyViewpointJson]
    sources: list[SourceJson]
    match: str  # "answer" | "related" (a did-you-mean name, or another treaty matching as well as the answer)


class TreatyJson(TypedDict):
    query: str
    ambiguous: bool
    answered: bool  # False: the digest has no such treaty; the results are did-you-mean names
    results: list[TreatyResultJson]


class PositionJson(TypedDict):
    label: str
    summary: str
    sources: list[SourceJson]


class RefJson(TypedDict):
    id: str
    name: str
    kind: str


class ViewpointJson(TypedDict):
    id: str
    topic: str
    question: str
    positions: list[PositionJson]
    related: list[RefJson]
    match: str  # "answer" | "related"


class ViewpointsJson(TypedDict):
    query: str
    listing: bool
    answered: bool  # False: the digest has nothing on it; the results are related topics
    results: list[ViewpointJson]


TimelineJson = TypedDict(
    "TimelineJson", {"from": str | None, "to": str | None, "tag": str | None, "events": list[EventJson]}
)


class CitedByJson(TypedDict):
    kind: str
    id: str
    name: str
    quote: str


class SourceResultJson(TypedDict):
    id: str
    title: str
    author: str | None
    outlet: str | None
    published: str | None
    published_note: str | None
    kind: str
    perspective: str
    url: str | None
    cited_by: list[CitedByJson]
    match: str  # "answer" | "related"


class SourceAnswerJson(TypedDict):
    query: str
    answered: bool  # False: the digest has nothing on it; the results are related sources
    results: list[SourceResultJson]


AnswerJson = TodayJson | EventAnswerJson | FactJson | TreatyJson | ViewpointsJson | TimelineJson | SourceAnswerJson


def source_json(s: SourceRef) -> SourceJson:
    out: SourceJson = {
        "id": s.id,
        "title": s.title,
        "author": s.author,
        "outlet": s.outlet,
        "published": s.published,
        "quote": s.quote,
        "short": s.short(),
    }
    if s.holds is not None:
        out["holds"] = s.holds
    return out


def event_json(e: EventView) -> EventJson:
    return {
        "id": e.id,
        "date": e.date.iso(),
        "precision": e.date.precision.value,
        "title": e.title,
        "summary": e.summary,
        "years_ago": e.years_ago,
        "anniversary": e.anniversary,
        "note": e.note,
        "tags": list(e.tags),
        "sources": [source_json(s) for s in e.sources],
        "when": e.date.when(),
        "date_note": e.date_note,
        "anniversary_number": e.anniversary_number,
        "anniversary_date": e.marked_on.isoformat() if e.marked_on else None,
    }


def today_json(a: TodayAnswer) -> TodayJson:
    return {
        "date": f"{a.month:02d}-{a.day:02d}",
        "year": a.reference_year,
        "events": [event_json(e) for e in a.events],
        "month_events": [event_json(e) for e in a.month_events],
        "nearest": [event_json(e) for e in (*a.nearest_before, *a.nearest_after)],
        "nearest_before": [event_json(e) for e in a.nearest_before],
        "nearest_after": [event_json(e) for e in a.nearest_after],
        "is_today": a.is_today,
    }


def event_answer_json(a: EventAnswer) -> EventAnswerJson:
    return {
        "query": a.query,
        "found": a.found,
        "is_today": a.is_today,
        "event": event_json(a.event) if a.event else None,
    }


def fact_json(a: FactAnswer) -> FactJson:
    return {
        "query": a.query,
        "answered": a.answered,
        "results": [
            {
                "id": r.id,
                "kind": r.kind,
                "text": r.text,
                "title": r.title,
                "group": r.group,
                "differs": r.differs,
                "sources": [source_json(s) for s in r.sources],
                "match": r.match,
            }
            for r in a.results
        ],
    }


def _treaty_match(a: TreatyAnswer, i: int) -> str:
    """A result answers when the lookup is answered and it is the answer or one of equal candidates; the
    treaties after an unambiguous answer match as well but are not it."""
    return "answer" if a.answered and (a.ambiguous or i == 0) else "related"


def treaty_json(a: TreatyAnswer) -> TreatyJson:
    return {
        "query": a.query,
        "ambiguous": a.ambiguous,
        "answered": a.answered,
        "results": [
            {
                "id": t.id,
                "name": t.name,
                "aliases": list(t.aliases),
                "kind": t.kind,
                "signed": t.date.iso() if t.date else None,
                "date_kind": t.date_kind,
                "date_note": t.date_note,
                "parties": list(t.parties),
                "status": t.status,
                "summary": t.summary,
                "provisions": list(t.provisions),
                "significance": t.significance,
                "related_events": [{"id": e.id, "date": e.date.iso(), "title": e.title} for e in t.related_events],
                "viewpoints": [{"id": v.id, "topic": v.name} for v in t.viewpoints],
                "sources": [source_json(s) for s in t.sources],
                "match": _treaty_match(a, i),
            }
            for i, t in enumerate(a.results)
        ],
    }


def viewpoints_json(a: ViewpointsAnswer) -> ViewpointsJson:
    return {
        "query": a.query,
        "listing": a.listing,
        "answered": a.answered,
        "results": [
            {
                "id": v.id,
                "topic": v.topic,
                "question": v.question,
                "positions": [
                    {"label": p.label, "summary": p.summary, "sources": [source_json(s) for s in p.sources]}
                    for p in v.positions
                ],
                "related": [{"id": r.id, "name": r.name, "kind": r.kind} for r in v.related],
                "match": "answer" if a.answered else "related",
            }
            for v in a.results
        ],
    }


def timeline_json(a: TimelineAnswer) -> TimelineJson:
    return {"from": a.start, "to": a.end, "tag": a.tag, "events": [event_json(e) for e in a.events]}


def source_answer_json(a: SourceAnswer) -> SourceAnswerJson:
    return {
        "query": a.query,
        "answered": a.answered,
        "results": [
            {
                "id": s.id,
                "title": s.title,
                "author": s.author,
                "outlet": s.outlet,
                "published": s.published,
                "published_note": s.published_note,
                "kind": s.kind,
                "perspective": s.perspective,
                "url": s.url,
                "cited_by": [{"kind": c.kind, "id": c.id, "name": c.name, "quote": c.quote} for c in s.cited_by],
                "match": "answer" if a.answered else "related",
            }
            for s in a.results
        ],
    }


def to_json(answer: object) -> AnswerJson:
    match answer:
        case TodayAnswer():
            return today_json(answer)
        case EventAnswer():
            return event_answer_json(answer)
        case FactAnswer():
            return fact_json(answer)
        case TreatyAnswer():
            return treaty_json(answer)
        case ViewpointsAnswer():
            return viewpoints_json(answer)
        case TimelineAnswer():
            return timeline_json(answer)
        case SourceAnswer():
            return source_answer_json(answer)
    raise TypeError(f"no JSON form for {type(answer).__name__}")
