"""The `source` answer: a source found by its id or by its author, outlet, title or kind (or every
source), shown with each entry that cites it and the words it quotes; or "the digest has nothing on it"
with related sources when no source answers (answers/judge.py). Functions of the `Answers` facade
(answers/service.py), which they take as `self`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from alliance_bot.answers.common import name_of
from alliance_bot.answers.judge import RELATED_RESULTS, RELATED_SUPPORT, JudgedEntry, candidate_scores
from alliance_bot.answers.model import CitedEntry, SourceAnswer, SourceView
from alliance_bot.answers.text import MAX_QUERY_CHARS
from alliance_bot.digest.model import Source

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def _cited(self: Answers) -> dict[str, tuple[CitedEntry, ...]]:
    """Per source, what cites it: one pass over every citation, made on first use."""
    if self._cited_by is None:
        d = self.digest
        cited: dict[str, list[CitedEntry]] = defaultdict(list)
        for kind, entries in (("event", d.events), ("treaty", d.treaties), ("fact", d.facts)):
            for e in entries.values():
                for c in e.citations:
                    cited[c.source].append(CitedEntry(kind, e.id, name_of(self, e.id), c.quote))
        for vp in d.viewpoints.values():
            for p in vp.positions:
                for c in p.citations:
                    cited[c.source].append(CitedEntry("position", vp.id, f"{vp.topic}: {p.label}", c.quote))
        self._cited_by = {source: tuple(entries) for source, entries in cited.items()}
    return self._cited_by


def source_view(self: Answers, source_id: str) -> SourceView:
    s = self.digest.sources[source_id]
    return SourceView(
        s.id,
        s.title,
        s.author,
        s.outlet,
        s.published.iso() if s.published else None,
        s.published_note,
        s.kind,
        s.perspective,
        s.url,
        _cited(self).get(source_id, ()),
    )


def source_entries(self: Answers) -> list[JudgedEntry[Source]]:
    """The sources as the judge sees them: their names are who wrote them, where, what and when; their
    perspective is the rest of their text."""
    return [
        JudgedEntry(
            s.id,
            "source",
            (
                s.author or "",
                s.outlet or "",
                s.id.replace("-", " "),
                s.title,
                s.kind,
                s.published.iso() if s.published else "",
            ),
            (s.perspective,),
            s,
        )
        for s in self.digest.sources.values()
    ]


NEAR_BEST = 0.8  # sources that answer are shown when they score at least this share of the best one
SOURCES_MAX = 3


def source(self: Answers, query: str = "") -> SourceAnswer:
    """Every source (no query), a source by id, or those a search finds that answer the query
    (answers/judge.py), the best first; when none does, `answered=False` and at most `RELATED_RESULTS`
    related sources."""
    d = self.digest
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:
        return SourceAnswer("", tuple(self.source_view(s) for s in d.sources), listing=True)
    if text in d.sources:
        return SourceAnswer(text, (self.source_view(text),))
    judge = self._source_judge
    judgement = judge.judge(text)
    scores = candidate_scores(((self._source_index, text), (judge.names, text), (judge.plain, judgement.query)))
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    answering = [(sid, s) for sid, s in ranked if judgement.answers(sid)]
    if answering:
        best = answering[0][1]
        chosen = [sid for sid, s in answering if s >= best * NEAR_BEST][:SOURCES_MAX]
        return SourceAnswer(text, tuple(self.source_view(sid) for sid in chosen))
    support = {sid: judgement.support(sid) for sid, _ in ranked}
    related = sorted(
        (sid for sid, _ in ranked if support[sid] >= RELATED_SUPPORT), key=lambda k: (-support[k], -scores[k], k)
    )
    return SourceAnswer(text, tuple(self.source_view(sid) for sid in related[:RELATED_RESULTS]), answered=False)
