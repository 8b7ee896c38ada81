"""The `viewpoints` answer: a debated topic (or every topic, or those a treaty links to) with its
positions, which rotate by day and differ per topic so that no position is systematically first; and a
viewpoint's view. Functions of the `Answers` facade (answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from alliance_bot.answers.common import ref
from alliance_bot.answers.model import PositionView, Ref, ViewpointsAnswer, ViewpointView
from alliance_bot.answers.text import MAX_QUERY_CHARS, fold
from alliance_bot.digest.model import Viewpoint

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def viewpoint_parts(self: Answers, vp: Viewpoint) -> tuple[tuple[PositionView, ...], int, tuple[Ref, ...]]:
    """A viewpoint's positions (resolved), its rotation salt and its links, made once."""
    parts = self._positions.get(vp.id)
    if parts is None:
        positions = tuple(PositionView(p.label, p.summary, self.sources_of(p.citations)) for p in vp.positions)
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


def viewpoints(self: Answers, query: str = "", *, on: dt.date | None = None) -> ViewpointsAnswer:
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
    return ViewpointsAnswer(text, tuple(self.viewpoint_view(h.doc.payload, on=on) for h in hits))
