"""The `viewpoints` answer: a debated topic (or every topic, or those a treaty links to) with its
positions, which rotate by day and differ per topic so that no position is systematically first, or "the
digest has nothing on it" with related topics when no topic answers (answers/judge.py); and a viewpoint's
view. Functions of the `Answers` facade (answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from alliance_bot.answers.common import name_of, ref
from alliance_bot.answers.judge import RELATED_RESULTS, RELATED_SUPPORT, JudgedEntry, candidate_scores
from alliance_bot.answers.model import PositionView, Ref, ViewpointsAnswer, ViewpointView
from alliance_bot.answers.text import MAX_QUERY_CHARS, fold, normalise_name, stem
from alliance_bot.digest.model import Position, PositionCitation, Viewpoint

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def _holding_first(position: Position) -> list[PositionCitation]:
    """A position's citations, those whose source holds it first (otherwise in the file's order)."""
    return sorted(position.citations, key=lambda c: not c.holds)


def viewpoint_parts(self: Answers, vp: Viewpoint) -> tuple[tuple[PositionView, ...], int, tuple[Ref, ...]]:
    """A viewpoint's positions (resolved), its rotation salt and its links, made once."""
    parts = self._positions.get(vp.id)
    if parts is None:
        # a position's quote shown first is one whose source holds it (`holds: true`), not a piece of context
        positions = tuple(PositionView(p.label, p.summary, self.sources_of(_holding_first(p))) for p in vp.positions)
        salt = int.from_bytes(hashlib.sha256(vp.id.encode()).digest()[:4], "big")
        parts = self._positions[vp.id] = (positions, salt, tuple(ref(self, r) for r in vp.related))
    return parts


def viewpoint_view(self: Answers, vp: Viewpoint, *, on: dt.date | None = None) -> ViewpointView:
    """Positions rotate by day (and differ per topic), so no position is systematically first."""
    positions, salt, related = viewpoint_parts(self, vp)
    day = (on or self.today_date()).toordinal()
    k = (day + salt) % len(positions)
    # only len(positions) different views of a viewpoint exist, one per rotation: made at start-up
    view = self._rotations.get((vp.id, k))
    if view is None:
        view = self._rotations[(vp.id, k)] = ViewpointView(
            vp.id, vp.topic, vp.question, positions[k:] + positions[:k], related
        )
    return view


# What every topic is: the words that ask for this lookup itself ("the opcon debate"), in each topic's names,
# as a treaty's kind is in its names; being everywhere, they weigh next to nothing.
TOPIC_WORDS = "debate debates viewpoints views positions arguments opinions pros cons for and against"
_TOPIC_TERMS = frozenset(stem(w) for w in TOPIC_WORDS.split())


def viewpoint_entries(self: Answers) -> list[JudgedEntry[Viewpoint]]:
    """The topics as the judge sees them: a topic's names are its title, id and keywords (and `TOPIC_WORDS`);
    its question, its positions' labels and the names of the entries it relates to are the rest of its text;
    its positions' summaries are its detail (words they cover count, but do not weigh)."""
    return [
        JudgedEntry(
            vp.id,
            "viewpoint",
            (vp.topic, vp.id.replace("-", " "), *vp.keywords, TOPIC_WORDS),
            (vp.question, *(p.label for p in vp.positions), *(name_of(self, r) for r in vp.related)),
            vp,
            tuple(p.summary for p in vp.positions),
        )
        for vp in self.digest.viewpoints.values()
    ]


NEAR_BEST = 0.5  # topics that answer are shown when they score at least this share of the best one
TOPICS_MAX = 3
FUZZY_CANDIDATE = 80  # a topic or keyword this close (rapidfuzz ratio) to the whole query is a candidate...
FUZZY_ANSWER = 85  # ...and answers at this: a misspelt topic


def viewpoints(self: Answers, query: str = "", *, on: dt.date | None = None) -> ViewpointsAnswer:
    """Every topic (no query: the listing), a topic by id, the topics on a treaty (by its id, name or alias),
    or the topics a search finds: those that answer the query (answers/judge.py), the best first; when none
    does, `answered=False` and at most `RELATED_RESULTS` related topics."""
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
        return ViewpointsAnswer(text, views, answered=bool(views))
    treaties = self._treaty_names.get(normalise_name(text), [])  # a treaty named exactly ("MDT"): as by its id
    if len(treaties) == 1 and self._treaty_viewpoints.get(treaties[0]):
        linked = self._treaty_viewpoints[treaties[0]]
        return ViewpointsAnswer(text, tuple(self.viewpoint_view(vp, on=on) for vp in linked))
    judge = self._viewpoint_judge
    judgement = judge.judge(text)
    if judgement.words and all(w.term in _TOPIC_TERMS for w in judgement.words):  # "debates": the listing
        return replace(viewpoints(self, "", on=on), query=text)
    scores = candidate_scores(((self._viewpoint_index, text), (judge.names, text), (judge.plain, judgement.query)))
    misspelt: dict[str, float] = {}
    key = fold(text)
    if key:
        for _, score, i in process.extract(
            key, self._viewpoint_labels, scorer=fuzz.ratio, limit=5, score_cutoff=FUZZY_CANDIDATE
        ):
            vid = self._viewpoint_label_ids[i]
            scores[vid] = max(scores[vid], (score - 60) / 40)
            misspelt[vid] = max(misspelt.get(vid, 0.0), score)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    answering = [(vid, s) for vid, s in ranked if judgement.answers(vid) or misspelt.get(vid, 0.0) >= FUZZY_ANSWER]
    if answering:
        best = answering[0][1]
        chosen = [vid for vid, s in answering if s >= best * NEAR_BEST][:TOPICS_MAX]
        return ViewpointsAnswer(text, tuple(self.viewpoint_view(d.viewpoints[v], on=on) for v in chosen))
    support = {vid: judgement.support(vid) for vid, _ in ranked}
    related = sorted(
        (vid for vid, _ in ranked if support[vid] >= RELATED_SUPPORT), key=lambda v: (-support[v], -scores[v], v)
    )
    views = tuple(self.viewpoint_view(d.viewpoints[v], on=on) for v in related[:RELATED_RESULTS])
    return ViewpointsAnswer(text, views, answered=False)
