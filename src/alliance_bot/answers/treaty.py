"""The `treaty` answer: a treaty found from its id, name, alias, abbreviation, year or a misspelling,
with the candidates when that is ambiguous (the more central to the digest first), or "the digest has
nothing on it" with did-you-mean names when no treaty answers (answers/judge.py); and a treaty's view,
with its events, the viewpoints on it and its sources. Functions of the `Answers` facade
(answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from alliance_bot.answers.common import entry_sources, treaties_by_date
from alliance_bot.answers.judge import RELATED_RESULTS, JudgedEntry, Judgement, candidate_scores
from alliance_bot.answers.model import Ref, TreatyAnswer, TreatyView
from alliance_bot.answers.text import MAX_QUERY_CHARS, analyse, fold, normalise_name, stem
from alliance_bot.digest.model import Treaty

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def treaty_view(self: Answers, tr: Treaty) -> TreatyView:
    view = self._treaty_views.get(tr.id)
    if view is None:
        view = self._treaty_views[tr.id] = _make_treaty_view(self, tr)
    return view


def _make_treaty_view(self: Answers, tr: Treaty) -> TreatyView:
    return TreatyView(
        id=tr.id,
        name=tr.name,
        aliases=tuple(tr.aliases),
        kind=tr.kind,
        date=tr.date,
        date_kind=tr.date_kind,
        date_note=tr.date_note,
        parties=tuple(tr.parties),
        status=tr.status,
        summary=tr.summary,
        provisions=tuple(tr.provisions),
        significance=tr.significance,
        related_events=tuple(self.event_view(self.digest.events[e]) for e in tr.related_events),
        viewpoints=tuple(Ref(vp.id, vp.topic, "viewpoints") for vp in self._treaty_viewpoints.get(tr.id, [])),
        sources=entry_sources(self, tr),
    )


def treaty_entries(self: Answers) -> list[JudgedEntry[Treaty]]:
    """The treaties as the judge sees them: their names are what a treaty is called (name, aliases, id), its
    kind and its date; its parties, summary, provisions, significance and tags are the rest of its text."""
    return [
        JudgedEntry(
            tr.id,
            "treaty",
            (
                tr.name,
                *tr.searched_names(),
                tr.id.replace("-", " "),
                tr.kind,
                f"{tr.date.human()} {tr.date.iso()}" if tr.date else "",
            ),
            (", ".join(tr.parties), tr.summary, *tr.provisions, tr.significance or "", " ".join(tr.tags)),
            tr,
        )
        for tr in self.digest.treaties.values()
    ]


def treaty_centrality(self: Answers) -> dict[str, int]:
    """How central each treaty is to the digest: the sources that cite it or an entry referring to it, plus
    the entries referring to it (facts naming it, viewpoints on it or on one of its events, its events).
    Between candidates that match a query about equally, the more central is the better guess: "mutual
    defense" is the US–ROK treaty, which the documents discuss at length, not the North Korea–China one
    they mention once."""
    d = self.digest
    sources: dict[str, set[str]] = {tid: {c.source for c in tr.citations} for tid, tr in d.treaties.items()}
    entries: dict[str, int] = dict.fromkeys(d.treaties, 0)
    for fa in d.facts.values():
        for tid in fa.related:
            if tid in entries:
                entries[tid] += 1
                sources[tid].update(c.source for c in fa.citations)
    for tid, tr in d.treaties.items():
        for vp in self._treaty_viewpoints.get(tid, []):
            entries[tid] += 1
            sources[tid].update(c.source for p in vp.positions for c in p.citations)
        for eid in tr.related_events:
            entries[tid] += 1
            sources[tid].update(c.source for c in d.events[eid].citations)
    return {tid: len(sources[tid]) + entries[tid] for tid in d.treaties}


NEAR_EQUAL = 0.85  # a candidate scoring at least this share of the best matches about as well
SUPPORT_TIE = 0.05  # ...as does one that covers as much of the query as the best covers (within this)
NEAR_SUPPORTED = 0.5  # ...and scores at least this share of the best
CANDIDATES_MAX = 5  # candidates listed when a query matches several about equally
DOMINANT = 2.0  # the most central of a few near-equal candidates is the answer when this many times as central
ALSO_MAX = 3  # ...and at most this many near-equal candidates, shown after it as "also matching"
FUZZY_ANSWER = 85  # a whole name or alias this close (rapidfuzz ratio) answers: a misspelt name
_YEARS = re.compile(r"\b\d{4}\b")
CANDIDATE_FLOOR = 0.3  # a candidate must score at least this (relative to the best, fuzzy or year) to be one


def treaty(self: Answers, query: str) -> TreatyAnswer:
    """A treaty from its name, alias, abbreviation, year or a misspelling; the candidates when several match
    about equally (the most central first); when none answers, `answered=False` and at most
    `RELATED_RESULTS` did-you-mean names."""
    d = self.digest
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:  # the listing: every treaty, in date order
        return TreatyAnswer(
            query="", results=tuple(self.treaty_view(t) for t in treaties_by_date(self)), ambiguous=True
        )
    if text in d.treaties:
        return TreatyAnswer(text, (self.treaty_view(d.treaties[text]),))
    central = self._treaty_centrality
    corrected, _ = self._treaty_index.correct(text)
    for candidate in (text, corrected):
        exact = self._treaty_names.get(normalise_name(candidate), [])
        if len(exact) == 1:
            return TreatyAnswer(text, (self.treaty_view(d.treaties[exact[0]]),))
        if len(exact) > 1:
            ordered = sorted(exact, key=lambda t: -central[t])
            return TreatyAnswer(text, tuple(self.treaty_view(d.treaties[i]) for i in ordered), ambiguous=True)
    judgement = self._treaty_judge.judge(text)
    # views of the treaties: with the field's synonyms ("truce" is the armistice), and as typed (the names,
    # and all their text for the query as corrected toward the names)
    judge = self._treaty_judge
    scores = candidate_scores(
        ((self._treaty_index, text), (judge.names, text), (judge.plain, judgement.query)), min_coverage=0.5
    )
    # a whole name or alias, misspelt beyond what word-by-word correction repairs
    misspelt: dict[str, float] = {}
    folded = fold(text)
    if folded:
        for _, score, i in process.extract(
            folded, self._treaty_label_texts, scorer=fuzz.ratio, limit=5, score_cutoff=80
        ):
            tid = self._treaty_labels[i][1]
            scores[tid] = max(scores[tid], (score - 60) / 40)
            if set(_YEARS.findall(folded)) <= set(_YEARS.findall(self._treaty_label_texts[i])):  # 1965 is not 1953
                misspelt[tid] = max(misspelt.get(tid, 0.0), score)
    # a year narrows the candidates: "1953 treaty"
    years = {int(t) for t in analyse(text) if t.isdigit() and len(t) == 4}
    if years:
        in_year = [tid for year, tid in self._treaty_years if year in years]
        if in_year:
            scores = defaultdict(float, {tid: scores[tid] + 1.0 for tid in in_year})
    ranked = sorted(((tid, s) for tid, s in scores.items() if s > CANDIDATE_FLOOR), key=lambda kv: (-kv[1], kv[0]))
    if not ranked:
        return TreatyAnswer(text, (), answered=False)
    answering = [(tid, s) for tid, s in ranked if judgement.answers(tid) or misspelt.get(tid, 0.0) >= FUZZY_ANSWER]
    if not answering:
        return TreatyAnswer(text, _did_you_mean(self, judgement, ranked), ambiguous=True, answered=False)
    # about as good: scoring near the best, or covering the query as fully as the best covers it
    best = answering[0][1]
    support = {tid: judgement.support(tid) for tid, _ in answering}
    most = max(support.values())
    near = sorted(
        (
            (tid, s)
            for tid, s in answering
            if s >= best * NEAR_EQUAL or (support[tid] >= most - SUPPORT_TIE and s >= best * NEAR_SUPPORTED)
        ),
        key=lambda kv: (-central[kv[0]], -kv[1], kv[0]),
    )
    ids = [tid for tid, _ in near]
    if len(ids) > 1 and not (len(ids) <= 1 + ALSO_MAX and central[ids[0]] >= DOMINANT * central[ids[1]]):
        return TreatyAnswer(text, tuple(self.treaty_view(d.treaties[t]) for t in ids[:CANDIDATES_MAX]), ambiguous=True)
    return TreatyAnswer(text, tuple(self.treaty_view(d.treaties[t]) for t in ids))


def _did_you_mean(
    self: Answers, judgement: Judgement[Treaty], ranked: list[tuple[str, float]]
) -> tuple[TreatyView, ...]:
    """At most `RELATED_RESULTS` names to suggest: those of the kind the query names first ("washington
    declaration": the declarations the digest has), then by how much of the query they cover."""
    d = self.digest
    named = {w.term for w in judgement.words}
    support = {tid: judgement.support(tid) for tid, _ in ranked}
    order = sorted(
        ranked,
        key=lambda kv: (
            stem(d.treaties[kv[0]].kind) not in named,
            -support[kv[0]],
            -kv[1],
            -self._treaty_centrality[kv[0]],
            kv[0],
        ),
    )
    return tuple(self.treaty_view(d.treaties[tid]) for tid, _ in order[:RELATED_RESULTS])
