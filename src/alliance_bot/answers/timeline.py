"""The `timeline` answer: the events between two dates (a year, a month or a day each, either left
open), of one tag or all, in date order; an event dated only to a year or a month belongs to the range
if any part of it does. A function of the `Answers` facade (answers/service.py), which it takes as `self`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.model import TimelineAnswer
from alliance_bot.answers.userdates import parse_year_or_date, shown

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def timeline(self: Answers, start: str | None = None, end: str | None = None, tag: str | None = None) -> TimelineAnswer:
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
