"""Answers as JSON: the stable, public form `alliance-bot ask --json` prints.

Scripts rely on these field names. Add fields freely; never rename or drop one.
"""

from __future__ import annotations

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


def source_json(s: SourceRef) -> dict[str, Any]:
    return {"id": s.id, "title": s.title, "author": s.author, "outlet": s.outlet, "published": s.published,
            "quote": s.quote}


def event_json(e: EventView) -> dict[str, Any]:
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
    }


def today_json(a: TodayAnswer) -> dict[str, Any]:
    return {
        "date": f"{a.month:02d}-{a.day:02d}",
        "year": a.reference_year,
        "events": [event_json(e) for e in a.events],
        "month_events": [event_json(e) for e in a.month_events],
        "nearest": [event_json(e) for e in (*a.nearest_before, *a.nearest_after)],
        "nearest_before": [event_json(e) for e in a.nearest_before],
        "nearest_after": [event_json(e) for e in a.nearest_after],
    }


def fact_json(a: FactAnswer) -> dict[str, Any]:
    return {
        "query": a.query,
        "results": [
            {"id": r.id, "kind": r.kind, "text": r.text, "title": r.title, "group": r.group, "differs": r.differs,
             "sources": [source_json(s) for s in r.sources]}
            for r in a.results
        ],
    }


def treaty_json(a: TreatyAnswer) -> dict[str, Any]:
    return {
        "query": a.query,
        "ambiguous": a.ambiguous,
        "results": [
            {
                "id": t.id, "name": t.name, "aliases": list(t.aliases), "kind": t.kind,
                "signed": t.date.iso() if t.date else None, "date_kind": t.date_kind, "date_note": t.date_note,
                "parties": list(t.parties), "status": t.status, "summary": t.summary,
                "provisions": list(t.provisions), "significance": t.significance,
                "related_events": [{"id": e.id, "date": e.date.iso(), "title": e.title} for e in t.related_events],
                "viewpoints": [{"id": v.id, "topic": v.name} for v in t.viewpoints],
                "sources": [source_json(s) for s in t.sources],
            }
            for t in a.results
        ],
    }


def viewpoints_json(a: ViewpointsAnswer) -> dict[str, Any]:
    return {
        "query": a.query,
        "listing": a.listing,
        "results": [
            {
                "id": v.id, "topic": v.topic, "question": v.question,
                "positions": [{"label": p.label, "summary": p.summary, "sources": [source_json(s) for s in p.sources]}
                              for p in v.positions],
                "related": [{"id": r.id, "name": r.name, "kind": r.kind} for r in v.related],
            }
            for v in a.results
        ],
    }


def timeline_json(a: TimelineAnswer) -> dict[str, Any]:
    return {"from": a.start, "to": a.end, "tag": a.tag, "events": [event_json(e) for e in a.events]}


def source_answer_json(a: SourceAnswer) -> dict[str, Any]:
    return {
        "query": a.query,
        "results": [
            {
                "id": s.id, "title": s.title, "author": s.author, "outlet": s.outlet, "published": s.published,
                "published_note": s.published_note, "kind": s.kind, "perspective": s.perspective, "url": s.url,
                "cited_by": [{"kind": c.kind, "id": c.id, "name": c.name, "quote": c.quote} for c in s.cited_by],
            }
            for s in a.results
        ],
    }


def to_json(answer: object) -> dict[str, Any]:
    for typ, fn in _BY_TYPE:
        if isinstance(answer, typ):
            return fn(answer)  # type: ignore[operator]
    raise TypeError(f"no JSON form for {type(answer).__name__}")


_BY_TYPE = (
    (TodayAnswer, today_json),
    (FactAnswer, fact_json),
    (TreatyAnswer, treaty_json),
    (ViewpointsAnswer, viewpoints_json),
    (TimelineAnswer, timeline_json),
    (SourceAnswer, source_answer_json),
)
