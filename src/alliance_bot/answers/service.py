"""The answers to every question the bot is asked, from a validated digest.

`Answers(digest)` builds its indexes once; every method is a pure, fast,
in-memory computation that never raises on user text (bad dates raise
`InvalidInput` with a message to show).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left
from collections import defaultdict
from dataclasses import replace
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.index import SearchDoc, SearchIndex
from alliance_bot.answers.model import (
    Choice,
    CitedEntry,
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
from alliance_bot.answers.text import MAX_QUERY_CHARS, analyse, fold, normalise_name
from alliance_bot.answers.userdates import DayQuery, parse_day, parse_year_or_date, shown
from alliance_bot.digest.dates import MONTH_NAMES, PartialDate, Precision, ordinal
from alliance_bot.digest.loader import Digest
from alliance_bot.digest.model import Citation, Event, Fact, Source, Treaty, Viewpoint

MAX_CHOICES = 25
CHOICE_MAX = 100
FACT_RESULTS = 8

FACT_WEIGHTS = {"main": 3.0, "keywords": 2.5, "title": 2.5, "date": 2.0, "summary": 1.0, "tags": 0.5, "quotes": 0.6}


def _clip(text: str, limit: int = CHOICE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Answers:
    def __init__(self, digest: Digest, *, timezone: str = "Asia/Seoul") -> None:
        self.digest = digest
        self.tz = ZoneInfo(timezone)
        d = digest
        self._events_by_day: dict[tuple[int, int], list[Event]] = defaultdict(list)
        self._events_by_month: dict[int, list[Event]] = defaultdict(list)
        for ev in sorted(d.events.values(), key=lambda e: (e.date.sort_key(), e.id)):
            if ev.date.precision is Precision.DAY:
                self._events_by_day[(ev.date.month, ev.date.day)].append(ev)
            elif ev.date.precision is Precision.MONTH:
                self._events_by_month[ev.date.month].append(ev)
        self._days = sorted(self._events_by_day)
        self._timeline = sorted(d.events.values(), key=lambda e: (e.date.sort_key(), e.id))
        self._treaty_viewpoints: dict[str, list[Viewpoint]] = defaultdict(list)
        for vp in d.viewpoints.values():
            for ref in vp.related:
                self._treaty_viewpoints[ref].append(vp)
        for tr in d.treaties.values():  # a viewpoint on an event also touches the treaties of that event
            for vp in d.viewpoints.values():
                if vp not in self._treaty_viewpoints[tr.id] and set(vp.related) & set(tr.related_events):
                    self._treaty_viewpoints[tr.id].append(vp)
        fact_docs = self._fact_docs()
        self._fact_index = SearchIndex(fact_docs, FACT_WEIGHTS)
        self._treaty_index = SearchIndex(
            [doc for doc in fact_docs if doc.kind == "treaty"],
            {"main": 3.0, "keywords": 3.0, "date": 1.5, "summary": 0.7, "tags": 0.3},
        )
        self._treaty_names: dict[str, list[str]] = defaultdict(list)  # normalised name/alias -> treaty ids
        for tr in d.treaties.values():
            for name in (tr.name, tr.id.replace("-", " "), *tr.aliases):
                key = normalise_name(name)
                if key and tr.id not in self._treaty_names[key]:
                    self._treaty_names[key].append(tr.id)
        self._treaty_labels = [(fold(n), tr.id) for tr in d.treaties.values() for n in (tr.name, *tr.aliases)]
        self._source_index = SearchIndex(
            [SearchDoc(s.id, "source", {"main": " ".join(filter(None, (s.author, s.outlet, s.id.replace("-", " ")))),
                                        "title": s.title, "kind": s.kind}, s) for s in d.sources.values()],
            {"main": 3.0, "title": 1.5, "kind": 1.0},
        )
        self._viewpoint_index = SearchIndex(
            [
                SearchDoc(vp.id, "viewpoint", {
                    "main": f"{vp.topic} {vp.id.replace('-', ' ')}",
                    "keywords": " ".join(vp.keywords),
                    "summary": vp.question + " " + " ".join(p.label for p in vp.positions),
                    "related": " ".join(self._name_of(r) for r in vp.related),
                }, vp)
                for vp in d.viewpoints.values()
            ],
            {"main": 3.0, "keywords": 2.5, "summary": 1.0, "related": 1.0},
        )
        self._choices = self._build_choices()

    # ------------------------------------------------------------------ helpers

    def _name_of(self, entry_id: str) -> str:
        d = self.digest
        if entry_id in d.treaties:
            return d.treaties[entry_id].name
        if entry_id in d.events:
            return d.events[entry_id].title
        if entry_id in d.facts:
            return d.facts[entry_id].statement
        if entry_id in d.viewpoints:
            return d.viewpoints[entry_id].topic
        return entry_id

    def _ref(self, entry_id: str) -> Ref:
        return Ref(entry_id, self._name_of(entry_id), self.digest.kind_of(entry_id) or "")

    def sources_of(self, citations: list[Citation]) -> tuple[SourceRef, ...]:
        out = []
        for c in citations:
            s = self.digest.sources[c.source]
            out.append(SourceRef(s.id, s.title, s.author, s.outlet, s.published.iso() if s.published else None, c.quote))
        return tuple(out)

    def event_view(self, ev: Event, reference_year: int | None = None) -> EventView:
        years = reference_year - ev.date.year if reference_year is not None else None
        ann = self.digest.anniversaries.get(ev.id)
        message = None
        if ann is not None and years and years > 0:
            message = ann.message.format(year=ev.date.year, years=years, ordinal=ordinal(years), title=ev.title)
        return EventView(
            id=ev.id, date=ev.date, title=ev.title, summary=ev.summary, tags=tuple(ev.tags),
            sources=self.sources_of(ev.citations),
            years_ago=years if years and years > 0 else None,
            anniversary=message,
        )

    def _fact_docs(self) -> list[SearchDoc]:
        d = self.digest
        docs = []
        for fa in d.facts.values():
            docs.append(SearchDoc(fa.id, "fact", {
                "main": fa.statement,
                "keywords": " ".join(fa.keywords),
                "tags": " ".join(fa.tags),
                "quotes": " ".join(c.quote for c in fa.citations),
            }, fa))
        for ev in d.events.values():
            docs.append(SearchDoc(ev.id, "event", {
                "title": ev.title,
                "date": f"{ev.date.human()} {ev.date.iso()}",
                "summary": ev.summary,
                "tags": " ".join(ev.tags),
                "quotes": " ".join(c.quote for c in ev.citations),
            }, ev))
        for src in d.sources.values():
            docs.append(SearchDoc(src.id, "source", {
                "main": f"{src.title}, {src.kind} (author {src.author or 'not named'})",
                "keywords": " ".join(filter(None, (src.author, src.outlet))),
                "summary": src.perspective,
            }, src))
        for tr in d.treaties.values():
            docs.append(SearchDoc(tr.id, "treaty", {
                "main": tr.name,
                "keywords": " ".join(tr.aliases),
                "date": f"{tr.date.human()} {tr.date.iso()}" if tr.date else "",
                "summary": " ".join([tr.summary, *tr.provisions, tr.significance or ""]),
                "tags": " ".join(tr.tags),
                "quotes": " ".join(c.quote for c in tr.citations),
            }, tr))
        return docs

    def today_date(self, now: dt.datetime | None = None) -> dt.date:
        now = now or dt.datetime.now(dt.timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        return now.astimezone(self.tz).date()

    # ------------------------------------------------------------------ today

    def today(self, when: str | None = None, *, now: dt.datetime | None = None) -> TodayAnswer:
        """Events on a month and day across the years; `when` as the user typed it, or today."""
        if when is None or not when.strip() or when.strip().lower() == "today":
            t = self.today_date(now)
            q = DayQuery(t.month, t.day, t.year)
            reference_year = t.year
        else:
            q = parse_day(when)
            reference_year = q.year or self.today_date(now).year
        return self.on_day(q.month, q.day, reference_year)

    def on_day(self, month: int, day: int, reference_year: int) -> TodayAnswer:
        events = [self.event_view(ev, reference_year) for ev in self._events_by_day.get((month, day), [])]
        # February 29 events are remembered on February 28 in common years
        if (month, day) == (2, 28) and not _is_leap(reference_year):
            for ev in self._events_by_day.get((2, 29), []):
                events.append(replace(self.event_view(ev, reference_year),
                                      note="February 29; marked on February 28 in common years"))
        month_events = tuple(self.event_view(ev, reference_year) for ev in self._events_by_month.get(month, []))
        before: tuple[EventView, ...] = ()
        after: tuple[EventView, ...] = ()
        if not events and self._days:
            i = bisect_left(self._days, (month, day))
            after_day = self._days[i % len(self._days)]
            before_day = self._days[(i - 1) % len(self._days)]
            before = tuple(self.event_view(ev, reference_year) for ev in self._events_by_day[before_day])
            after = tuple(self.event_view(ev, reference_year) for ev in self._events_by_day[after_day])
        return TodayAnswer(month, day, reference_year, tuple(events), month_events, before, after)

    # ------------------------------------------------------------------ facts

    def _fact_result(self, kind: str, entry: object, score: float = 0.0) -> FactResult:
        if kind == "fact":
            assert isinstance(entry, Fact)
            return FactResult("fact", entry.id, entry.statement, self.sources_of(entry.citations),
                              group=entry.group, score=score)
        if kind == "event":
            assert isinstance(entry, Event)
            text = f"{entry.date.human()}: {entry.title}. {entry.summary}"
            return FactResult("event", entry.id, text, self.sources_of(entry.citations), title=entry.title, score=score)
        if kind == "source":
            assert isinstance(entry, Source)
            by = ", ".join(filter(None, (entry.author, entry.outlet))) or "author not named"
            when = entry.published.human() if entry.published else "undated"
            text = f"{entry.title}: {entry.kind} by {by} ({when}). {entry.perspective}"
            return FactResult("source", entry.id, text, (SourceRef(entry.id, entry.title, entry.author, entry.outlet,
                              entry.published.iso() if entry.published else None, ""),), title=entry.title,
                              score=score)
        assert isinstance(entry, Treaty)
        when = f" ({entry.date_kind} {entry.date.human()})" if entry.date else ""
        text = f"{entry.name}{when}: {entry.summary}"
        return FactResult("treaty", entry.id, text, self.sources_of(entry.citations), title=entry.name, score=score)

    def fact(self, query: str, *, limit: int = FACT_RESULTS) -> FactAnswer:
        """Free-text lookup over facts, events and treaties, best first; disagreeing facts kept together."""
        query = query[:MAX_QUERY_CHARS * 10]
        hits = self._fact_index.search(query, limit=limit * 2, min_ratio=0.2, min_coverage=0.3)
        results: list[FactResult] = []
        seen: set[str] = set()
        for hit in hits:
            if hit.doc.key in seen:
                continue
            seen.add(hit.doc.key)
            result = self._fact_result(hit.doc.kind, hit.doc.payload, hit.score)
            if result.group:
                members = self.digest.facts_in_group(result.group)
                results.append(replace(result, differs=True))
                for other in members:
                    if other.id not in seen:
                        seen.add(other.id)
                        results.append(replace(self._fact_result("fact", other, hit.score), differs=True))
            else:
                results.append(result)
            if len(results) >= limit:
                break
        return FactAnswer(query=query[:MAX_QUERY_CHARS], results=tuple(results))

    # ------------------------------------------------------------------ treaties

    def treaty_view(self, tr: Treaty) -> TreatyView:
        return TreatyView(
            id=tr.id, name=tr.name, aliases=tuple(tr.aliases), kind=tr.kind, date=tr.date, date_kind=tr.date_kind,
            date_note=tr.date_note, parties=tuple(tr.parties), status=tr.status, summary=tr.summary,
            provisions=tuple(tr.provisions), significance=tr.significance,
            related_events=tuple(self.event_view(self.digest.events[e]) for e in tr.related_events),
            viewpoints=tuple(Ref(vp.id, vp.topic, "viewpoints") for vp in self._treaty_viewpoints.get(tr.id, [])),
            sources=self.sources_of(tr.citations),
        )

    def treaty(self, query: str) -> TreatyAnswer:
        """A treaty from its name, alias, abbreviation, year or a misspelling; candidates when ambiguous."""
        d = self.digest
        text = query.strip()[:MAX_QUERY_CHARS]
        if not text:
            return TreatyAnswer(query="", results=tuple(self.treaty_view(t) for t in self._treaties_by_date()),
                                ambiguous=True)
        if text in d.treaties:
            return TreatyAnswer(text, (self.treaty_view(d.treaties[text]),))
        corrected, _ = self._treaty_index.correct(text)
        for candidate in (text, corrected):
            exact = self._treaty_names.get(normalise_name(candidate), [])
            if len(exact) == 1:
                return TreatyAnswer(text, (self.treaty_view(d.treaties[exact[0]]),))
            if len(exact) > 1:
                return TreatyAnswer(text, tuple(self.treaty_view(d.treaties[i]) for i in exact), ambiguous=True)
        scores: dict[str, float] = defaultdict(float)
        hits = self._treaty_index.search(text, limit=10, min_coverage=0.5)
        top = hits[0].score if hits else 0.0
        for hit in hits:
            scores[hit.doc.key] = max(scores[hit.doc.key], hit.score / top if top else 0.0)
        # a whole name or alias, misspelt beyond what word-by-word correction repairs
        for (_, tid), score, _ in process.extract(fold(text), self._treaty_labels, processor=lambda pair: pair[0],
                                                  scorer=fuzz.ratio, limit=5, score_cutoff=80):
            scores[tid] = max(scores[tid], (score - 60) / 40)
        # a year narrows the candidates: "1953 treaty"
        years = {int(t) for t in analyse(text) if t.isdigit() and len(t) == 4}
        if years:
            in_year = [t.id for t in d.treaties.values() if t.date and t.date.year in years]
            if in_year:
                scores = {tid: scores.get(tid, 0.0) + 1.0 for tid in in_year}
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        ranked = [(tid, s) for tid, s in ranked if s > 0.3]
        if not ranked:
            return TreatyAnswer(text, ())
        best = ranked[0][1]
        close = [tid for tid, s in ranked if s >= best * 0.85][:5]
        return TreatyAnswer(text, tuple(self.treaty_view(d.treaties[t]) for t in close), ambiguous=len(close) > 1)

    def _treaties_by_date(self) -> list[Treaty]:
        return sorted(self.digest.treaties.values(),
                      key=lambda t: (t.date.sort_key() if t.date else (9999, 0, 0), t.name))

    # ------------------------------------------------------------------ viewpoints

    def viewpoint_view(self, vp: Viewpoint, *, on: dt.date | None = None) -> ViewpointView:
        """Positions rotate by day (and differ per topic), so no position is systematically first."""
        positions = [PositionView(p.label, p.summary, self.sources_of(p.citations)) for p in vp.positions]
        day = (on or self.today_date()).toordinal()
        salt = int.from_bytes(hashlib.sha256(vp.id.encode()).digest()[:4], "big")
        k = (day + salt) % len(positions)
        positions = positions[k:] + positions[:k]
        return ViewpointView(vp.id, vp.topic, vp.question, tuple(positions), tuple(self._ref(r) for r in vp.related))

    def viewpoints(self, query: str = "", *, on: dt.date | None = None) -> ViewpointsAnswer:
        d = self.digest
        text = query.strip()[:MAX_QUERY_CHARS]
        if not text:
            views = tuple(self.viewpoint_view(vp, on=on) for vp in sorted(d.viewpoints.values(), key=lambda v: v.topic))
            return ViewpointsAnswer("", views, listing=True)
        if text in d.viewpoints:
            return ViewpointsAnswer(text, (self.viewpoint_view(d.viewpoints[text], on=on),))
        if text in d.treaties:  # from a treaty's "viewpoints" link
            views = tuple(self.viewpoint_view(vp, on=on) for vp in self._treaty_viewpoints.get(text, []))
            return ViewpointsAnswer(text, views)
        hits = self._viewpoint_index.search(text, limit=3, min_ratio=0.5)
        if not hits:
            key = fold(text)
            found = process.extractOne(key, {vp.id: fold(vp.topic) for vp in d.viewpoints.values()},
                                       scorer=fuzz.WRatio, score_cutoff=80)
            if found:
                return ViewpointsAnswer(text, (self.viewpoint_view(d.viewpoints[found[2]], on=on),))
            return ViewpointsAnswer(text, ())
        return ViewpointsAnswer(text, tuple(self.viewpoint_view(h.doc.payload, on=on) for h in hits))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ timeline and sources

    def timeline(self, start: str | None = None, end: str | None = None, tag: str | None = None) -> TimelineAnswer:
        lo = parse_year_or_date(start) if start and start.strip() else None
        hi = parse_year_or_date(end, end=True) if end and end.strip() else None
        if lo and hi and lo > hi:
            raise InvalidInput(f"the timeline starts ({shown(start or '')}) after it ends ({shown(end or '')})")
        tag_key = tag.strip().lower().replace(" ", "-") if tag and tag.strip() else None
        events = []
        for ev in self._timeline:
            # an event dated to a year or month belongs to the range if any part of it does
            first = (ev.date.year, ev.date.month or 1, ev.date.day or 1)
            last = (ev.date.year, ev.date.month or 12, ev.date.day or 31)
            if lo and last < lo:
                continue
            if hi and first > hi:
                continue
            if tag_key and tag_key not in ev.tags:
                continue
            events.append(self.event_view(ev))
        all_tags = tuple(sorted({t for ev in self._timeline for t in ev.tags}))
        return TimelineAnswer(start, end, tag_key, tuple(events), all_tags)

    def source_view(self, source_id: str) -> SourceView:
        d = self.digest
        s = d.sources[source_id]
        cited: list[CitedEntry] = []
        for kind, entries in (("event", d.events), ("treaty", d.treaties), ("fact", d.facts)):
            for e in entries.values():
                for c in e.citations:
                    if c.source == source_id:
                        cited.append(CitedEntry(kind, e.id, self._name_of(e.id), c.quote))
        for vp in d.viewpoints.values():
            for p in vp.positions:
                for c in p.citations:
                    if c.source == source_id:
                        cited.append(CitedEntry("position", vp.id, f"{vp.topic}: {p.label}", c.quote))
        return SourceView(s.id, s.title, s.author, s.outlet, s.published.iso() if s.published else None,
                          s.published_note, s.kind, s.perspective, s.url, tuple(cited))

    def source(self, query: str = "") -> SourceAnswer:
        d = self.digest
        text = query.strip()[:MAX_QUERY_CHARS]
        if not text:
            return SourceAnswer("", tuple(self.source_view(s) for s in d.sources), listing=True)
        if text in d.sources:
            return SourceAnswer(text, (self.source_view(text),))
        hits = self._source_index.search(text, limit=3, min_ratio=0.8, min_coverage=0.5)
        return SourceAnswer(text, tuple(self.source_view(h.doc.key) for h in hits))

    # ------------------------------------------------------------------ autocomplete

    def _build_choices(self) -> dict[str, list[tuple[str, str, str]]]:
        """Per option: (search key, name shown, value sent back), in the order shown for empty input."""
        d = self.digest

        def entry(name: str, value: str, *extra: str) -> tuple[str, str, str]:
            key = fold(" ".join((name, value, *extra)))
            return (key, _clip(name), value[:CHOICE_MAX])

        treaty = [entry(t.name + (f" ({t.date.year})" if t.date else ""), t.id, *t.aliases)
                  for t in self._treaties_by_date()]
        viewpoints = [entry(v.topic, v.id, v.question, *v.keywords)
                      for v in sorted(d.viewpoints.values(), key=lambda v: v.topic)]
        sources = [entry(f"{s.author or s.outlet or 'Unsigned'}: {s.title}", s.id, s.kind)
                   for s in d.sources.values()]
        days = []
        for (m, dd) in self._days:
            titles = "; ".join(e.title for e in self._events_by_day[(m, dd)])
            days.append(entry(f"{MONTH_NAMES[m - 1]} {dd}: {titles}", f"{m:02d}-{dd:02d}",
                              f"{MONTH_NAMES[m - 1][:3]} {dd}"))
        facts = []
        for fa in d.facts.values():
            facts.append(entry(fa.statement, _clip(fa.statement), *fa.keywords))
        for ev in self._timeline:
            facts.append(entry(f"{ev.title} ({ev.date.human()})", _clip(ev.title), *ev.tags))
        tags = sorted({t for ev in self._timeline for t in ev.tags})
        return {
            "treaty": treaty,
            "viewpoints": viewpoints,
            "source": sources,
            "today": days,
            "fact": facts,
            "tag": [entry(t, t) for t in tags],
        }

    def autocomplete(self, option: str, current: str) -> list[Choice]:
        """Up to 25 suggestions for a partial input; each name and value at most 100 characters."""
        choices = self._choices.get(option, [])
        needle = fold(current[:CHOICE_MAX]).strip()
        if not needle:
            return [Choice(name, value) for _, name, value in choices[:MAX_CHOICES]]
        words = needle.split()
        starts: list[tuple[str, str, str]] = []
        contains: list[tuple[str, str, str]] = []
        for item in choices:
            key = item[0]
            if all(w in key for w in words):
                (starts if key.startswith(words[0]) or f" {words[0]}" in key else contains).append(item)
                if len(starts) >= MAX_CHOICES:
                    break
        picked = (starts + contains)[:MAX_CHOICES]
        if not picked:  # a typo: fuzzy match on the names
            found = process.extract(needle, [c[0] for c in choices], scorer=fuzz.partial_ratio,
                                    score_cutoff=70, limit=MAX_CHOICES)
            picked = [choices[i] for _, _, i in found]
        return [Choice(name, value) for _, name, value in picked]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
