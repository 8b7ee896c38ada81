"""The `treaty` answer: a treaty found from its id, name, alias, abbreviation, year or a misspelling,
with the candidates when that is ambiguous; and a treaty's view, with its events, the viewpoints on it
and its sources. Functions of the `Answers` facade (answers/service.py), which they take as `self`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from alliance_bot.answers.common import entry_sources, treaties_by_date
from alliance_bot.answers.model import Ref, TreatyAnswer, TreatyView
from alliance_bot.answers.text import MAX_QUERY_CHARS, analyse, fold, normalise_name
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


def treaty(self: Answers, query: str) -> TreatyAnswer:
    """A treaty from its name, alias, abbreviation, year or a misspelling; candidates when ambiguous."""
    d = self.digest
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:
        return TreatyAnswer(
            query="", results=tuple(self.treaty_view(t) for t in treaties_by_date(self)), ambiguous=True
        )
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
        for _, score, i in process.extract(
            folded, self._treaty_label_texts, scorer=fuzz.ratio, limit=5, score_cutoff=80
        ):
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
