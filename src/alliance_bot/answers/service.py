"""The answers to every question the bot is asked, from a validated digest.

`Answers(digest)` builds its indexes once; every method is a pure, fast,
in-memory computation that never raises on user text (bad dates raise
`InvalidInput` with a message to show).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from bisect import bisect_left
from collections import defaultdict
from dataclasses import replace
from itertools import chain

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.index import SearchDoc, SearchIndex, TextAnalysis
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
from alliance_bot.digest.dates import MONTH_NAMES, Precision, ordinal
from alliance_bot.digest.loader import Digest, gc_paused
from alliance_bot.digest.model import Citation, Event, Fact, Source, Treaty, Viewpoint
from alliance_bot.answers.zones import load_zone

MAX_CHOICES = 25
CHOICE_MAX = 100
FACT_RESULTS = 8

FACT_WEIGHTS = {"main": 3.0, "keywords": 2.5, "title": 2.5, "date": 2.0, "summary": 1.0, "tags": 0.5, "quotes": 0.6}


def _clip(text: str, limit: int = CHOICE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ChoiceIndex:
    """One autocomplete option's choices, with an index of their words.

    A keystroke must be answered in a few milliseconds; testing every choice's text for the typed
    words cost ~15 ms at a hundred times the shipped digest (18,000 fact choices). So the
    whitespace-separated tokens of all choices are indexed (token -> choices, and token -> choices
    where it begins the text or follows a space): a typed word, which never contains whitespace, is
    in a choice exactly when it is inside one of the choice's tokens, so looking the word up among the
    few thousand distinct tokens, then mapping those to choices, gives exactly the scan's answer.
    """

    _SHORT_CACHE = 512  # masks remembered for words of one or two letters, the ones in thousands of tokens

    def __init__(self, items: list[tuple[str, str, str]]) -> None:
        self.items = items
        keys = [item[0] for item in items]
        self._n = len(keys)
        tokens_of: list[set[str]] = []
        starting_of: list[set[str]] = []
        for key in keys:
            tokens = set(map(sys.intern, key.split()))  # interned: the same few thousand words, many times
            tokens_of.append(tokens)
            if key.isprintable():  # no whitespace but spaces: every token begins the text or follows a space
                starting_of.append(tokens)
            else:  # the token at the start of each space-separated part
                starting_of.append({sys.intern(part.split(None, 1)[0]) for part in key.split(" ")
                                    if part and not part[0].isspace()})
        self._vocab = vocab = sorted(set().union(*tokens_of)) if tokens_of else []
        number = {t: i for i, t in enumerate(vocab)}
        self._ptr, self._token_keys = _csr(tokens_of, number, len(vocab))
        if all(a is b for a, b in zip(tokens_of, starting_of)):  # the usual case: the same index twice
            self._start_ptr, self._start_keys = self._ptr, self._token_keys
        else:
            self._start_ptr, self._start_keys = _csr(starting_of, number, len(vocab))
        # every token once, one per line, to find the tokens containing a word with one C-level search
        self._blob = "\n".join(vocab)
        self._offsets = np.cumsum([0] + [len(t) + 1 for t in vocab[:-1]]) if vocab else np.zeros(0, dtype=np.int64)
        self._short: dict[str, np.ndarray] = {}
        # for typos: the words (runs of letters) inside the tokens, sorted, and the tokens holding each
        pieces: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(vocab):
            for piece in set(_LETTERS.findall(t)):
                pieces[piece].append(i)
        self._pieces = sorted(pieces)
        self._piece_tokens = [np.array(pieces[w], dtype=np.int64) for w in self._pieces]

    def _keys_of(self, token_ids: np.ndarray) -> np.ndarray:
        """The choices (positions, with repeats) holding any of the tokens: their CSR ranges, concatenated."""
        first, last = self._ptr[token_ids], self._ptr[token_ids + 1]
        lengths = last - first
        total = int(lengths.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        return self._token_keys[np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(total)]

    def _tokens_containing(self, word: str) -> np.ndarray:
        positions = [m.start() for m in re.finditer(re.escape(word), self._blob)]
        return np.unique(np.searchsorted(self._offsets, positions, side="right") - 1)

    def _containing(self, word: str) -> np.ndarray:
        """Mask of the choices whose text contains `word` (read-only: it may be shared)."""
        mask = self._short.get(word)
        if mask is None:
            mask = np.zeros(self._n, dtype=bool)
            mask[self._keys_of(self._tokens_containing(word))] = True
            if len(word) <= 2 and len(self._short) < self._SHORT_CACHE:
                self._short[word] = mask
        return mask

    def _prefix_range(self, prefix: str, sorted_words: list[str]) -> tuple[int, int]:
        lo = bisect_left(sorted_words, prefix)
        if ord(prefix[-1]) < 0x10FFFF:
            return lo, bisect_left(sorted_words, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)
        hi = lo
        while hi < len(sorted_words) and sorted_words[hi].startswith(prefix):
            hi += 1
        return lo, hi

    def containing(self, words: list[str], limit: int) -> list[int]:
        """Choices holding every word; those where the first word begins the text or follows a space first.

        The same as scanning the choices in order, filing each match under "starts" or "contains",
        stopping at `limit` starts, and taking the first `limit` of starts then contains.
        """
        match: np.ndarray | None = None
        for word in sorted(words, key=len, reverse=True):  # the longest word is usually the rarest
            mask = self._containing(word)
            match = mask.copy() if match is None else match & mask
            if not match.any():
                return []
        assert match is not None
        lo, hi = self._prefix_range(words[0], self._vocab)
        begins = np.zeros(self._n, dtype=bool)
        begins[self._start_keys[self._start_ptr[lo]:self._start_ptr[hi]]] = True
        starts = np.flatnonzero(match & begins)[:limit].tolist()
        if len(starts) == limit:
            return starts
        return starts + np.flatnonzero(match & ~begins)[: limit - len(starts)].tolist()

    def closest(self, words: list[str], limit: int) -> list[int]:
        """For a typo: choices ranked by how many of the typed letters they match, word by word.

        A typed word counts in full where a choice contains it. Otherwise a word of 4 to 30 letters
        (as in SearchIndex.correct) matches a word of a choice that begins with the same letter and is
        one edit away, two for words over six letters, a swapped pair counting as one; whole, or in
        its first letters (the word may be half typed). It then counts its length less the edits.
        A choice must match at least 70% of the typed letters; the best come first, then the
        choices' order.
        """
        matched = np.zeros(self._n, dtype=np.int64)
        for word in words:
            best = np.where(self._containing(word), len(word), 0)
            if 4 <= len(word) <= 30 and word.isalpha():
                max_edits = 1 if len(word) <= 6 else 2
                lo, hi = self._prefix_range(word[0], self._pieces)
                candidates = self._pieces[lo:hi]
                edits = np.full(len(candidates), max_edits + 1)
                for size in (None, len(word) - 1, len(word), len(word) + 1):  # whole, or its first letters
                    shown = candidates if size is None else [c[:size] for c in candidates]
                    if shown:
                        found = process.cdist([word], shown, scorer=OSA.distance, score_cutoff=max_edits)[0]
                        edits = np.minimum(edits, found)
                for j in np.flatnonzero(edits <= max_edits).tolist():
                    chosen = self._keys_of(self._piece_tokens[lo + j])
                    np.maximum.at(best, chosen, len(word) - int(edits[j]))
            matched += best
        typed = sum(len(w) for w in words)
        good = np.flatnonzero(matched * 10 >= typed * 7)
        if not len(good):
            return []
        order = np.lexsort((good, -matched[good]))
        return good[order[:limit]].tolist()


def _csr(token_sets: list[set[str]], number: dict[str, int], n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """token -> the positions of the sets holding it, as one array of positions sliced by `ptr`."""
    lengths = [len(t) for t in token_sets]
    token_ids = np.fromiter(map(number.__getitem__, chain.from_iterable(token_sets)), dtype=np.int64,
                            count=sum(lengths))
    positions = np.repeat(np.arange(len(token_sets), dtype=np.int64), lengths)
    order = np.lexsort((positions, token_ids))
    ptr = np.searchsorted(token_ids[order], np.arange(n_tokens + 1))
    return ptr, positions[order]


_LETTERS = re.compile(r"[^\W\d_]+")


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
        self._timeline = sorted(d.events.values(), key=lambda e: (e.date.sort_key(), e.id))
        for ev in self._timeline:
            if ev.date.precision is Precision.DAY:
                self._events_by_day[(ev.date.month, ev.date.day)].append(ev)
            elif ev.date.precision is Precision.MONTH:
                self._events_by_month[ev.date.month].append(ev)
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
        self._treaty_index = SearchIndex(
            [doc for doc in fact_docs if doc.kind == "treaty"],
            {"main": 3.0, "keywords": 3.0, "date": 1.5, "summary": 0.7, "tags": 0.3},
            analysis=analysis,
        )
        self._treaty_names: dict[str, list[str]] = defaultdict(list)  # normalised name/alias -> treaty ids
        for tr in d.treaties.values():
            for name in (tr.name, tr.id.replace("-", " "), *tr.aliases):
                key = normalise_name(name)
                if key and tr.id not in self._treaty_names[key]:
                    self._treaty_names[key].append(tr.id)
        self._treaty_labels = [(fold(n), tr.id) for tr in d.treaties.values() for n in (tr.name, *tr.aliases)]
        self._treaty_label_texts = [label for label, _ in self._treaty_labels]
        self._treaty_years = [(tr.date.year, tr.id) for tr in d.treaties.values() if tr.date]
        self._treaties_sorted = sorted(d.treaties.values(),
                                       key=lambda t: (t.date.sort_key() if t.date else (9999, 0, 0), t.name))
        self._source_index = SearchIndex(
            [SearchDoc(s.id, "source", {"main": " ".join(filter(None, (s.author, s.outlet, s.id.replace("-", " ")))),
                                        "title": s.title, "kind": s.kind}, s) for s in d.sources.values()],
            {"main": 3.0, "title": 1.5, "kind": 1.0},
            analysis=analysis,
        )
        self._viewpoint_index = SearchIndex(
            [
                SearchDoc(vp.id, "viewpoint", {
                    "main": f"{vp.topic} {vp.id.replace('-', ' ')}",
                    "keywords": " ".join(vp.keywords),
                    "summary": vp.question + " " + " ".join(p.label for p in vp.positions),
                    "related": " ".join(self._name_of(r) for r in vp.related),
                }, vp)
                for vp in viewpoints
            ],
            {"main": 3.0, "keywords": 2.5, "summary": 1.0, "related": 1.0},
            analysis=analysis,
        )
        self._viewpoints_sorted = sorted(viewpoints, key=lambda v: v.topic)
        self._viewpoint_topics = {vp.id: fold(vp.topic) for vp in viewpoints}
        self._choices = {option: ChoiceIndex(items) for option, items in self._build_choices().items()}

        # views of single entries (see the class docstring)
        self._source_meta = {s.id: (s.id, s.title, s.author, s.outlet, s.published.iso() if s.published else None)
                             for s in d.sources.values()}
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
            positions, salt, related = self._viewpoint_parts(vp)
            for k in range(len(positions)):
                self._rotations[(vp.id, k)] = ViewpointView(vp.id, vp.topic, vp.question,
                                                            positions[k:] + positions[:k], related)

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
        meta = self._source_meta
        return tuple(SourceRef(*meta[c.source], c.quote) for c in citations)

    def _entry_sources(self, entry: Event | Fact | Treaty) -> tuple[SourceRef, ...]:
        """The resolved citations of an entry (ids are unique across kinds), made once."""
        found = self._sources_cache.get(entry.id)
        if found is None:
            found = self._sources_cache[entry.id] = self.sources_of(entry.citations)
        return found

    def event_view(self, ev: Event, reference_year: int | None = None) -> EventView:
        base = self._event_views.get(ev.id)
        if base is None:
            base = self._event_views[ev.id] = EventView(
                id=ev.id, date=ev.date, title=ev.title, summary=ev.summary, tags=tuple(ev.tags),
                sources=self._entry_sources(ev))
        years = reference_year - ev.date.year if reference_year is not None else None
        if not years or years <= 0:
            return base
        # the views of one reference year (this year, mostly) are kept: a day at 100x shows hundreds
        views = self._views_by_year.get(reference_year)  # type: ignore[arg-type]
        if views is None:
            if len(self._views_by_year) >= 4:  # a few years at most: the oldest asked goes
                del self._views_by_year[next(iter(self._views_by_year))]
            views = self._views_by_year[reference_year] = {}  # type: ignore[index]
        view = views.get(ev.id)
        if view is None:
            ann = self.digest.anniversaries.get(ev.id)
            message = None
            if ann is not None:
                message = ann.message.format(year=ev.date.year, years=years, ordinal=ordinal(years), title=ev.title)
            view = views[ev.id] = EventView(id=ev.id, date=ev.date, title=ev.title, summary=ev.summary,
                                            tags=base.tags, sources=base.sources, years_ago=years,
                                            anniversary=message)
        return view

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

    def _fact_result(self, kind: str, entry: object, score: float = 0.0, *, differs: bool = False) -> FactResult:
        """An entry as a fact result: its text and sources are made once, the score is the query's."""
        parts = self._fact_parts.get(entry.id)  # type: ignore[attr-defined]
        if parts is None:
            parts = self._fact_parts[entry.id] = self._fact_result_parts(kind, entry)  # type: ignore[attr-defined]
        kind, ident, text, sources, title, group = parts
        return FactResult(kind, ident, text, sources, title=title, group=group, differs=differs, score=score)

    def _fact_result_parts(self, kind: str, entry: object) -> tuple[str, str, str, tuple[SourceRef, ...],
                                                                    str | None, str | None]:
        if kind == "fact":
            assert isinstance(entry, Fact)
            return ("fact", entry.id, entry.statement, self._entry_sources(entry), None, entry.group)
        if kind == "event":
            assert isinstance(entry, Event)
            text = f"{entry.date.human()}: {entry.title}. {entry.summary}"
            return ("event", entry.id, text, self._entry_sources(entry), entry.title, None)
        if kind == "source":
            assert isinstance(entry, Source)
            by = ", ".join(filter(None, (entry.author, entry.outlet))) or "author not named"
            when = entry.published.human() if entry.published else "undated"
            text = f"{entry.title}: {entry.kind} by {by} ({when}). {entry.perspective}"
            return ("source", entry.id, text, (SourceRef(*self._source_meta[entry.id], ""),), entry.title, None)
        assert isinstance(entry, Treaty)
        when = f" ({entry.date_kind} {entry.date.human()})" if entry.date else ""
        text = f"{entry.name}{when}: {entry.summary}"
        return ("treaty", entry.id, text, self._entry_sources(entry), entry.name, None)

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
                results.append(self._fact_result(hit.doc.kind, hit.doc.payload, hit.score, differs=True))
                for other in self._groups[result.group]:
                    if other.id not in seen:
                        seen.add(other.id)
                        results.append(self._fact_result("fact", other, hit.score, differs=True))
            else:
                results.append(result)
            if len(results) >= limit:
                break
        return FactAnswer(query=query[:MAX_QUERY_CHARS], results=tuple(results))

    # ------------------------------------------------------------------ treaties

    def treaty_view(self, tr: Treaty) -> TreatyView:
        view = self._treaty_views.get(tr.id)
        if view is None:
            view = self._treaty_views[tr.id] = self._make_treaty_view(tr)
        return view

    def _make_treaty_view(self, tr: Treaty) -> TreatyView:
        return TreatyView(
            id=tr.id, name=tr.name, aliases=tuple(tr.aliases), kind=tr.kind, date=tr.date, date_kind=tr.date_kind,
            date_note=tr.date_note, parties=tuple(tr.parties), status=tr.status, summary=tr.summary,
            provisions=tuple(tr.provisions), significance=tr.significance,
            related_events=tuple(self.event_view(self.digest.events[e]) for e in tr.related_events),
            viewpoints=tuple(Ref(vp.id, vp.topic, "viewpoints") for vp in self._treaty_viewpoints.get(tr.id, [])),
            sources=self._entry_sources(tr),
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
        folded = fold(text)
        if folded:
            for _, score, i in process.extract(folded, self._treaty_label_texts, scorer=fuzz.ratio, limit=5,
                                               score_cutoff=80):
                tid = self._treaty_labels[i][1]
                scores[tid] = max(scores[tid], (score - 60) / 40)
        # a year narrows the candidates: "1953 treaty"
        years = {int(t) for t in analyse(text) if t.isdigit() and len(t) == 4}
        if years:
            in_year = [tid for year, tid in self._treaty_years if year in years]
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
        return self._treaties_sorted

    # ------------------------------------------------------------------ viewpoints

    def _viewpoint_parts(self, vp: Viewpoint) -> tuple[tuple[PositionView, ...], int, tuple[Ref, ...]]:
        """A viewpoint's positions (resolved), its rotation salt and its links, made once."""
        parts = self._positions.get(vp.id)
        if parts is None:
            positions = tuple(PositionView(p.label, p.summary, self.sources_of(p.citations)) for p in vp.positions)
            salt = int.from_bytes(hashlib.sha256(vp.id.encode()).digest()[:4], "big")
            parts = self._positions[vp.id] = (positions, salt, tuple(self._ref(r) for r in vp.related))
        return parts

    def viewpoint_view(self, vp: Viewpoint, *, on: dt.date | None = None) -> ViewpointView:
        """Positions rotate by day (and differ per topic), so no position is systematically first."""
        positions, salt, related = self._viewpoint_parts(vp)
        day = (on or self.today_date()).toordinal()
        k = (day + salt) % len(positions)
        # only len(positions) different views of a viewpoint exist, one per rotation: made at start-up
        view = self._rotations.get((vp.id, k))
        if view is None:
            view = self._rotations[(vp.id, k)] = ViewpointView(
                vp.id, vp.topic, vp.question, positions[k:] + positions[:k], related)
        return view

    def viewpoints(self, query: str = "", *, on: dt.date | None = None) -> ViewpointsAnswer:
        d = self.digest
        on = on or self.today_date()  # once, not per topic (a listing at 100x has 900)
        text = query.strip()[:MAX_QUERY_CHARS]
        if not text:  # every topic: the same all day, so the day's listing is kept
            day = on.toordinal()
            if self._listing[0] != day:
                self._listing = (day, tuple(self.viewpoint_view(vp, on=on) for vp in self._viewpoints_sorted))
            return ViewpointsAnswer("", self._listing[1], listing=True)
        if text in d.viewpoints:
            return ViewpointsAnswer(text, (self.viewpoint_view(d.viewpoints[text], on=on),))
        if text in d.treaties:  # from a treaty's "viewpoints" link
            views = tuple(self.viewpoint_view(vp, on=on) for vp in self._treaty_viewpoints.get(text, []))
            return ViewpointsAnswer(text, views)
        hits = self._viewpoint_index.search(text, limit=3, min_ratio=0.5)
        if not hits:
            key = fold(text)
            found = process.extractOne(key, self._viewpoint_topics, scorer=fuzz.WRatio, score_cutoff=80)
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
        return TimelineAnswer(start, end, tag_key, tuple(events), self._all_tags)

    def _cited(self) -> dict[str, tuple[CitedEntry, ...]]:
        """Per source, what cites it: one pass over every citation, made on first use."""
        if self._cited_by is None:
            d = self.digest
            cited: dict[str, list[CitedEntry]] = defaultdict(list)
            for kind, entries in (("event", d.events), ("treaty", d.treaties), ("fact", d.facts)):
                for e in entries.values():
                    for c in e.citations:
                        cited[c.source].append(CitedEntry(kind, e.id, self._name_of(e.id), c.quote))
            for vp in d.viewpoints.values():
                for p in vp.positions:
                    for c in p.citations:
                        cited[c.source].append(CitedEntry("position", vp.id, f"{vp.topic}: {p.label}", c.quote))
            self._cited_by = {source: tuple(entries) for source, entries in cited.items()}
        return self._cited_by

    def source_view(self, source_id: str) -> SourceView:
        s = self.digest.sources[source_id]
        return SourceView(s.id, s.title, s.author, s.outlet, s.published.iso() if s.published else None,
                          s.published_note, s.kind, s.perspective, s.url, self._cited().get(source_id, ()))

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
        """Up to 25 suggestions for a partial input; each name and value at most 100 characters.

        The choices containing every typed word (anywhere, in any order), those where the first word
        begins a word first, in the order of the choices; when none does (a typo), the choices whose
        words are closest to the typed ones (ChoiceIndex.closest).
        """
        choices = self._choices.get(option)
        if choices is None:
            return []
        needle = fold(current[:CHOICE_MAX]).strip()
        if not needle:
            return [Choice(name, value) for _, name, value in choices.items[:MAX_CHOICES]]
        words = needle.split()
        picked = choices.containing(words, MAX_CHOICES) or choices.closest(words, MAX_CHOICES)
        return [Choice(name, value) for _, name, value in (choices.items[i] for i in picked)]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
