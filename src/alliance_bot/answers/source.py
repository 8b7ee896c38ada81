"""The `source` answer: a source found by its id or by its author, outlet, title or kind (or every
source), shown with each entry that cites it and the words it quotes. Functions of the `Answers` facade
(answers/service.py), which they take as `self`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from alliance_bot.answers.common import name_of
from alliance_bot.answers.model import CitedEntry, SourceAnswer, SourceView
from alliance_bot.answers.text import MAX_QUERY_CHARS

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


def source(self: Answers, query: str = "") -> SourceAnswer:
    d = self.digest
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:
        return SourceAnswer("", tuple(self.source_view(s) for s in d.sources), listing=True)
    if text in d.sources:
        return SourceAnswer(text, (self.source_view(text),))
    hits = self._source_index.search(text, limit=3, min_ratio=0.8, min_coverage=0.5)
    return SourceAnswer(text, tuple(self.source_view(h.doc.key) for h in hits))
