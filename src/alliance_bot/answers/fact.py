"""The `fact` answer, the search-backed lookup: free text ranked over the facts, events, sources and
treaties by the fact index (its documents and their field weights are here), best first, with the facts
that answer one question differently kept together. Functions of the `Answers` facade
(answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from alliance_bot.answers.common import entry_sources
from alliance_bot.answers.index import SearchDoc
from alliance_bot.answers.model import FactAnswer, FactResult, SourceRef
from alliance_bot.answers.text import MAX_QUERY_CHARS, has_date
from alliance_bot.digest.model import Event, Fact, Source, Treaty

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers

FACT_RESULTS = 8

FactEntry = Fact | Event | Source | Treaty  # what the fact index finds

FACT_WEIGHTS = {"main": 3.0, "keywords": 2.5, "title": 2.5, "date": 2.0, "summary": 1.0, "tags": 0.5, "quotes": 0.6}


def fact_docs(self: Answers) -> list[SearchDoc[FactEntry]]:
    d = self.digest
    docs: list[SearchDoc[FactEntry]] = []
    for fa in d.facts.values():
        docs.append(
            SearchDoc(
                fa.id,
                "fact",
                {
                    "main": fa.statement,
                    "keywords": " ".join(fa.keywords),
                    "tags": " ".join(fa.tags),
                    "quotes": " ".join(c.quote for c in fa.citations),
                },
                fa,
            )
        )
    for ev in d.events.values():
        docs.append(
            SearchDoc(
                ev.id,
                "event",
                {
                    "title": ev.title,
                    "date": f"{ev.date.human()} {ev.date.iso()}",
                    "summary": ev.summary,
                    "tags": " ".join(ev.tags),
                    "quotes": " ".join(c.quote for c in ev.citations),
                },
                ev,
            )
        )
    for src in d.sources.values():
        docs.append(
            SearchDoc(
                src.id,
                "source",
                {
                    "main": f"{src.title}, {src.kind} (author {src.author or 'not named'})",
                    "keywords": " ".join(filter(None, (src.author, src.outlet))),
                    "summary": src.perspective,
                },
                src,
            )
        )
    for tr in d.treaties.values():
        docs.append(
            SearchDoc(
                tr.id,
                "treaty",
                {
                    "main": tr.name,
                    "keywords": " ".join(tr.searched_names()),
                    "date": f"{tr.date.human()} {tr.date.iso()}" if tr.date else "",
                    "summary": " ".join([tr.summary, *tr.provisions, tr.significance or ""]),
                    "tags": " ".join(tr.tags),
                    "quotes": " ".join(c.quote for c in tr.citations),
                },
                tr,
            )
        )
    return docs


def _fact_result(
    self: Answers, kind: str, entry: FactEntry, score: float = 0.0, *, differs: bool = False
) -> FactResult:
    """An entry as a fact result: its text and sources are made once, the score is the query's."""
    parts = self._fact_parts.get(entry.id)
    if parts is None:
        parts = self._fact_parts[entry.id] = _fact_result_parts(self, kind, entry)
    kind, ident, text, sources, title, group = parts
    return FactResult(kind, ident, text, sources, title=title, group=group, differs=differs, score=score)


def _fact_result_parts(
    self: Answers, kind: str, entry: FactEntry
) -> tuple[str, str, str, tuple[SourceRef, ...], str | None, str | None]:
    if kind == "fact":
        assert isinstance(entry, Fact)
        return ("fact", entry.id, entry.statement, entry_sources(self, entry), None, entry.group)
    if kind == "event":
        assert isinstance(entry, Event)
        text = f"{entry.date.human()}: {entry.title}. {entry.summary}"
        return ("event", entry.id, text, entry_sources(self, entry), entry.title, None)
    if kind == "source":
        assert isinstance(entry, Source)
        by = ", ".join(filter(None, (entry.author, entry.outlet))) or "author not named"
        when = entry.published.human() if entry.published else "undated"
        text = f"{entry.title}: {entry.kind} by {by} ({when}). {entry.perspective}"
        return (
            "source",
            entry.id,
            text,
            (SourceRef(*self._source_meta[entry.id], "", self._source_labels[entry.id]),),
            entry.title,
            None,
        )
    assert isinstance(entry, Treaty)
    when = f" ({entry.date_kind} {entry.date.human()})" if entry.date else ""
    text = f"{entry.name}{when}: {entry.summary}"
    return ("treaty", entry.id, text, entry_sources(self, entry), entry.name, None)


# Whether the best entry answers the question, from the question's own terms (answers/index.py, `support`):
# the entry must cover most of what the question asks, by weight (a word the digest never uses weighs as the
# rarest word; one reached only by a typo correction counts in part), and what it covers must be distinctive
# enough to mean something ("korea" alone is in most entries). Calibrated on bench/abstain_questions.yaml's
# tuning part; BENCHMARKS.md has the figures on its held-out part.
ANSWER_SUPPORT = 0.6
ANSWER_WEIGHT = 1.0
# "how many", "how much": an answer gives an amount, not only a year
_AMOUNT = re.compile(r"\b(?!1[89]\d\d\b|20\d\d\b)\d[\d,.]*\b|\b(?:hundred|thousand|million|billion|dozen|half)\b", re.I)
RELATED_RESULTS = 3  # when there is no answer: at most this many related entries, labelled as related


def fact(self: Answers, query: str, *, limit: int = FACT_RESULTS) -> FactAnswer:
    """Free-text lookup over facts, events and treaties: the entry that answers the question first (with
    the facts that answer it differently, kept together), related entries after; or, when no entry answers
    it, `answered=False` and at most `RELATED_RESULTS` related entries."""
    query = query[: MAX_QUERY_CHARS * 10]
    chosen = self._fact_docs_by_id.get(query.strip())
    if chosen is not None:  # an entry by its id (what /fact's autocomplete sends): that entry, then related
        return _entry_answer(self, query.strip(), chosen, limit)
    index = self._fact_index
    hits = index.search(query, limit=limit * 2, min_ratio=0.2, min_coverage=0.3)
    profile = index.profile(query) if hits else None
    answered = False
    support = 0.0
    if hits and profile is not None:
        support = index.support(profile, hits[0].matched)
        covered = support * profile.total
        answered = support >= ANSWER_SUPPORT and covered >= ANSWER_WEIGHT and profile.places <= set(hits[0].matched)
        top = _fact_result(self, hits[0].doc.kind, hits[0].doc.payload).text
        if answered and "amount" in profile.intents:
            answered = bool(_AMOUNT.search(top))
        if answered and "when" in profile.intents:  # "when", "what year": a date answers, not the event alone
            answered = has_date(top)
    results: list[FactResult] = []
    seen: set[str] = set()
    for n, hit in enumerate(hits):
        if hit.doc.key in seen:
            continue
        seen.add(hit.doc.key)
        is_answer = answered and n == 0
        match = "answer" if is_answer else "related"
        hit_support = support if n == 0 else index.support(profile, hit.matched) if profile else 0.0
        result = _fact_result(self, hit.doc.kind, hit.doc.payload, hit.score)
        if result.group and is_answer:  # the figures that disagree: together, only when they answer
            results.append(replace(result, differs=True, match=match, support=hit_support))
            for other in self._groups[result.group]:
                if other.id not in seen:
                    seen.add(other.id)
                    results.append(
                        replace(
                            _fact_result(self, "fact", other, hit.score), differs=True, match=match, support=hit_support
                        )
                    )
        else:
            results.append(replace(result, match=match, support=hit_support))
        if len(results) >= (limit if answered else RELATED_RESULTS):
            break
    return FactAnswer(query=query[:MAX_QUERY_CHARS], results=tuple(results), answered=answered)


def _entry_answer(self: Answers, ident: str, doc: SearchDoc[FactEntry], limit: int) -> FactAnswer:
    """The answer to an entry asked by its id: the entry (with the facts that answer its question differently),
    then the entries a search for its own text finds, as related."""
    top = _fact_result(self, doc.kind, doc.payload)
    results = [replace(top, match="answer", support=1.0, differs=bool(top.group))]
    if top.group:
        results += [
            replace(_fact_result(self, "fact", other), match="answer", support=1.0, differs=True)
            for other in self._groups[top.group]
            if other.id != top.id
        ]
    seen = {r.id for r in results}
    for hit in self._fact_index.search(top.title or top.text, limit=limit * 2, min_ratio=0.2, min_coverage=0.3):
        if len(results) >= limit:
            break
        if hit.doc.key not in seen:
            seen.add(hit.doc.key)
            results.append(replace(_fact_result(self, hit.doc.kind, hit.doc.payload, hit.score), match="related"))
    return FactAnswer(query=ident[:MAX_QUERY_CHARS], results=tuple(results), answered=True)
