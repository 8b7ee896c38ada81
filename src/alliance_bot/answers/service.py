"""The answers to every question the bot is asked, from a validated digest.

`Answers(digest)` builds its indexes once; every method is a pure, fast,
in-memory computation that never raises on user text (bad dates raise
`InvalidInput` with a message to show).

Each answer has a module of its own (today.py, fact.py, treaty.py,
viewpoints.py, timeline.py, source.py, autocomplete.py; what they share is
in common.py); `Answers` holds the indexes and views built once and delegates
each method to the function of the same name in its module.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from alliance_bot.answers import autocomplete, common, fact, source, timeline, today, treaty, viewpoints
from alliance_bot.answers.autocomplete import ChoiceIndex, build_choices
from alliance_bot.answers.common import name_of
from alliance_bot.answers.fact import FACT_RESULTS, FACT_WEIGHTS, FactEntry
from alliance_bot.answers.index import SearchDoc, SearchIndex, TextAnalysis
from alliance_bot.answers.judge import Judge
from alliance_bot.answers.model import (
    Choice,
    CitedEntry,
    EventAnswer,
    EventView,
    FactAnswer,
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
from alliance_bot.answers.text import fold, normalise_name
from alliance_bot.answers.viewpoints import viewpoint_entries, viewpoint_parts
from alliance_bot.answers.zones import load_zone
from alliance_bot.digest.dates import Precision
from alliance_bot.digest.loader import gc_paused
from alliance_bot.digest.model import Citation, Event, Fact, Treaty, Viewpoint
from alliance_bot.digest.result import Digest


class Answers:
    """Every answer, from indexes and views computed once per digest.

    Start-up builds what queries need: the search indexes, the autocomplete word indexes, the
    day and treaty-viewpoint tables, and the views of every event, treaty and viewpoint (each
    rotation of its positions) with their resolved citations. Smaller pieces (a fact result's
    text, an event's view for a reference year, what cites a source) are made on first use and
    kept: the digest never changes under an `Answers`; a reload builds a new one.
    """

    def __init__(self, digest: Digest, *, timezone: str = "Asia/Seoul") -> None:
        with gc_paused():  # up to millions of long-lived objects: see gc_paused
            self._build(digest, timezone)

    def _build(self, digest: Digest, timezone: str) -> None:
        self.digest = digest
        self.tz = load_zone(timezone)
        d = digest
        self._events_by_day: dict[tuple[int, int], list[Event]] = defaultdict(list)
        self._events_by_month: dict[int, list[Event]] = defaultdict(list)
        self._timeline = sorted(d.events.values(), key=lambda e: e.date.sort_key())  # a tie: as events.yaml has them
        for ev in self._timeline:
            month, day = ev.date.month, ev.date.day
            if ev.date.precision is Precision.DAY:
                assert month is not None and day is not None  # what a date known to the day has
                self._events_by_day[(month, day)].append(ev)
            elif ev.date.precision is Precision.MONTH:
                assert month is not None  # what a date known to the month has
                self._events_by_month[month].append(ev)
        self._days = sorted(self._events_by_day)
        self._all_tags = tuple(sorted({t for ev in self._timeline for t in ev.tags}))

        # treaty -> viewpoints: those naming the treaty, then (in digest order) those naming one of its events
        self._treaty_viewpoints: dict[str, list[Viewpoint]] = defaultdict(list)
        by_related: dict[str, list[int]] = defaultdict(list)  # event or treaty id -> viewpoint positions
        viewpoints = list(d.viewpoints.values())
        for i, vp in enumerate(viewpoints):
            for ref in vp.related:
                self._treaty_viewpoints[ref].append(vp)
                by_related[ref].append(i)
        for tr in d.treaties.values():
            linked = self._treaty_viewpoints[tr.id]
            present = {vp.id for vp in linked}
            via_events = sorted({i for e in tr.related_events for i in by_related.get(e, ())})
            for i in via_events:
                if viewpoints[i].id not in present:
                    linked.append(viewpoints[i])
                    present.add(viewpoints[i].id)

        # facts that answer one question differently, in digest order (Digest.facts_in_group, precomputed)
        self._groups: dict[str, list[Fact]] = defaultdict(list)
        for fa in d.facts.values():
            if fa.group:
                self._groups[fa.group].append(fa)

        analysis = TextAnalysis()  # one analysis per distinct text across the indexes below
        fact_docs = self._fact_docs()
        self._fact_index = SearchIndex(fact_docs, FACT_WEIGHTS, analysis=analysis)
        self._fact_docs_by_id = {doc.key: doc for doc in fact_docs}  # an entry asked by its id (autocomplete)
        self._treaty_index = SearchIndex(
            [doc for doc in fact_docs if doc.kind == "treaty"],
            {"main": 3.0, "keywords": 3.0, "date": 1.5, "summary": 0.7, "tags": 0.3},
            analysis=analysis,
        )
        self._treaty_names: dict[str, list[str]] = defaultdict(list)  # normalised name/alias -> treaty ids
        for tr in d.treaties.values():
            for name in (tr.name, tr.id.replace("-", " "), *tr.searched_names()):
                key = normalise_name(name)
                if key and tr.id not in self._treaty_names[key]:
                    self._treaty_names[key].append(tr.id)
        self._treaty_labels = [(fold(n), tr.id) for tr in d.treaties.values() for n in (tr.name, *tr.searched_names())]
        self._treaty_label_texts = [label for label, _ in self._treaty_labels]
        self._treaty_years = [(tr.date.year, tr.id) for tr in d.treaties.values() if tr.date]
        self._treaty_judge = Judge(treaty.treaty_entries(self), self._treaty_index, analysis=analysis)
        self._treaty_centrality = treaty.treaty_centrality(self)
        self._treaties_sorted = sorted(
            d.treaties.values(), key=lambda t: (t.date.sort_key() if t.date else (9999, 0, 0), t.name)
        )
        self._source_index = SearchIndex(
            [
                SearchDoc(
                    s.id,
                    "source",
                    {
                        "main": " ".join(filter(None, (s.author, s.outlet, s.id.replace("-", " ")))),
                        "title": s.title,
                        "kind": s.kind,
                    },
                    s,
                )
                for s in d.sources.values()
            ],
            {"main": 3.0, "title": 1.5, "kind": 1.0},
            analysis=analysis,
        )
        self._source_judge = Judge(source.source_entries(self), self._source_index, analysis=analysis)
        self._viewpoint_index = SearchIndex(
            [
                SearchDoc(
                    vp.id,
                    "viewpoint",
                    {
                        "main": f"{vp.topic} {vp.id.replace('-', ' ')}",
                        "keywords": " ".join(vp.keywords),
                        "summary": vp.question + " " + " ".join(p.label for p in vp.positions),
                        "related": " ".join(name_of(self, r) for r in vp.related),
                    },
                    vp,
                )
                for vp in viewpoints
            ],
            {"main": 3.0, "keywords": 2.5, "summary": 1.0, "related": 1.0},
            analysis=analysis,
        )
        self._viewpoints_sorted = sorted(viewpoints, key=lambda v: v.topic)
        self._viewpoint_judge = Judge(viewpoint_entries(self), self._viewpoint_index, analysis=analysis, prose=True)
        # a topic or keyword misspelt beyond word-by-word correction: folded, with the topic of each
        labels = [(fold(label), vp.id) for vp in viewpoints for label in (vp.topic, *vp.keywords)]
        self._viewpoint_labels = [label for label, _ in labels]
        self._viewpoint_label_ids = [vid for _, vid in labels]
        self._choices = {option: ChoiceIndex(items) for option, items in build_choices(self).items()}

        # views of single entries (see the class docstring)
        self._source_meta = {
            s.id: (s.id, s.title, s.author, s.outlet, s.published.iso() if s.published else None)
            for s in d.sources.values()
        }
        self._source_labels = {s.id: s.label() for s in d.sources.values()}
        self._sources_cache: dict[str, tuple[SourceRef, ...]] = {}
        self._event_views: dict[str, EventView] = {}
        self._views_by_year: dict[int, dict[str, EventView]] = {}
        self._treaty_views: dict[str, TreatyView] = {}
        self._fact_parts: dict[str, tuple[str, str, str, tuple[SourceRef, ...], str | None, str | None]] = {}
        self._positions: dict[str, tuple[tuple[PositionView, ...], int, tuple[Ref, ...]]] = {}
        self._rotations: dict[tuple[str, int], ViewpointView] = {}
        self._listing: tuple[int, tuple[ViewpointView, ...]] = (0, ())  # (day, every topic's view that day)
        self._cited_by: dict[str, tuple[CitedEntry, ...]] | None = None
        # the views every day, treaty or topic page shows, made now rather than on a first request
        for ev in self._timeline:
            self.event_view(ev)
        for tr in self._treaties_sorted:
            self.treaty_view(tr)
        for vp in viewpoints:
            positions, _salt, related = viewpoint_parts(self, vp)
            for k in range(len(positions)):
                self._rotations[(vp.id, k)] = ViewpointView(
                    vp.id, vp.topic, vp.question, positions[k:] + positions[:k], related
                )

    # ------------------------------------------------------------------ views shared by the answers (common.py)

    def sources_of(self, citations: Sequence[Citation]) -> tuple[SourceRef, ...]:
        return common.sources_of(self, citations)

    def event_view(self, ev: Event, reference_year: int | None = None) -> EventView:
        return common.event_view(self, ev, reference_year)

    # ------------------------------------------------------------------ today (today.py)

    def today_date(self, now: dt.datetime | None = None) -> dt.date:
        return today.today_date(self, now)

    def today(self, when: str | None = None, *, now: dt.datetime | None = None) -> TodayAnswer:
        return today.today(self, when, now=now)

    def on_day(self, month: int, day: int, reference_year: int, *, current: dt.date | None = None) -> TodayAnswer:
        return today.on_day(self, month, day, reference_year, current=current)

    def event(self, target: str, *, now: dt.datetime | None = None) -> EventAnswer:
        """One event's card: `target` is an event id, optionally `@` the day it is seen from (today.py)."""
        return today.event(self, target, now=now)

    # ------------------------------------------------------------------ facts (fact.py)

    def _fact_docs(self) -> list[SearchDoc[FactEntry]]:
        return fact.fact_docs(self)

    def fact(self, query: str, *, limit: int = FACT_RESULTS) -> FactAnswer:
        return fact.fact(self, query, limit=limit)

    # ------------------------------------------------------------------ treaties (treaty.py)

    def treaty_view(self, tr: Treaty) -> TreatyView:
        return treaty.treaty_view(self, tr)

    def treaty(self, query: str) -> TreatyAnswer:
        return treaty.treaty(self, query)

    # ------------------------------------------------------------------ viewpoints (viewpoints.py)

    def viewpoint_view(self, vp: Viewpoint, *, on: dt.date | None = None) -> ViewpointView:
        return viewpoints.viewpoint_view(self, vp, on=on)

    def viewpoints(self, query: str = "", *, on: dt.date | None = None) -> ViewpointsAnswer:
        return viewpoints.viewpoints(self, query, on=on)

    # ------------------------------------------------------------------ timeline (timeline.py)

    def timeline(self, start: str | None = None, end: str | None = None, tag: str | None = None) -> TimelineAnswer:
        return timeline.timeline(self, start, end, tag)

    # ------------------------------------------------------------------ sources (source.py)

    def source_view(self, source_id: str) -> SourceView:
        return source.source_view(self, source_id)

    def source(self, query: str = "") -> SourceAnswer:
        return source.source(self, query)

    # ------------------------------------------------------------------ autocomplete (autocomplete.py)

    def autocomplete(self, option: str, current: str) -> list[Choice]:
        return autocomplete.autocomplete(self, option, current)
