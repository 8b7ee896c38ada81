"""The `today` answer: the events on a month and day across the years (February 29 remembered on the
28th in common years), with the month's events dated to the month only and, when the day has none, the
nearest days that have, each with the anniversary it brings when it next comes (or last came): across the
year boundary that is next year's (or last year's) anniversary. The posts' wording ("Today is its 73rd
anniversary") is given only when the day asked is the day itself in the bot's time zone. And the card of
one event (`event`), which a /today answer links to. Functions of the `Answers` facade
(answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import replace
from typing import TYPE_CHECKING

from alliance_bot.answers.common import anniversary_wording
from alliance_bot.answers.model import EventAnswer, EventView, TodayAnswer
from alliance_bot.answers.userdates import DayQuery, parse_day
from alliance_bot.digest.dates import FEB29_NOTE, is_leap, marked_on
from alliance_bot.digest.model import Event

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def today_date(self: Answers, now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(self.tz).date()


def today(self: Answers, when: str | None = None, *, now: dt.datetime | None = None) -> TodayAnswer:
    """Events on a month and day across the years; `when` as the user typed it, or today."""
    t = self.today_date(now)
    if when is None or not when.strip() or when.strip().lower() == "today":
        q = DayQuery(t.month, t.day, t.year)
    else:
        q = parse_day(when)
    return self.on_day(q.month, q.day, q.year or t.year, current=t)


def _views(self: Answers, events: list[Event], year: int, note: str | None = None) -> list[EventView]:
    views = [self.event_view(ev, year) for ev in events]
    return [replace(v, note=note) for v in views] if note else views


def on_day(self: Answers, month: int, day: int, reference_year: int, *, current: dt.date | None = None) -> TodayAnswer:
    """The answer for month-day in `reference_year`; `current` (the bot's date today) decides whether it is the day
    itself, when the anniversary posts' wording is added."""
    by_day = self._events_by_day
    events = _views(self, by_day.get((month, day), []), reference_year)
    if (month, day) == (2, 29) and not is_leap(reference_year):
        events = [replace(e, note=FEB29_NOTE) for e in events]
    # February 29 events are remembered on February 28 in common years
    if (month, day) == (2, 28) and not is_leap(reference_year):
        events += _views(self, by_day.get((2, 29), []), reference_year, FEB29_NOTE)
    month_events = tuple(self.event_view(ev, reference_year) for ev in self._events_by_month.get(month, []))
    before: tuple[EventView, ...] = ()
    after: tuple[EventView, ...] = ()
    if not events and self._days:
        # the nearest days with events, each in the year it next comes (or last came): from December 4 the next
        # January 21 is next year's, from January 1 the last November 17 was last year's
        i = bisect_left(self._days, (month, day))
        after_day, after_year = self._days[i % len(self._days)], reference_year + (i >= len(self._days))
        before_day, before_year = self._days[(i - 1) % len(self._days)], reference_year - (i == 0)
        before = tuple(_nearest(self, before_day, before_year))
        after = tuple(_nearest(self, after_day, after_year))
    answer = TodayAnswer(month, day, reference_year, tuple(events), month_events, before, after, current)
    if answer.is_today:
        answer = replace(answer, events=tuple(_with_wording(self, e) for e in answer.events))
    return answer


def _nearest(self: Answers, day: tuple[int, int], year: int) -> list[EventView]:
    views = _views(self, self._events_by_day[day], year)
    if day == (2, 29) and not is_leap(year):
        views = [replace(v, note=FEB29_NOTE) for v in views]
    return views


def _with_wording(self: Answers, e: EventView) -> EventView:
    """On the day itself, the anniversary post's wording for an event that has one."""
    if e.anniversary_number is None:
        return e
    wording = anniversary_wording(self, self.digest.events[e.id], e.anniversary_number)
    return replace(e, anniversary=wording) if wording else e


def event(self: Answers, target: str, *, now: dt.datetime | None = None) -> EventAnswer:
    """The card of one event: `target` is its id, optionally with the day it is seen from after an `@`
    (`armistice-signed@2026-07-27`, what a /today answer links to). Its anniversary is that day's when the day
    marks it, else the next one from today (today's, on the day itself, with the posts' wording)."""
    event_id, _, seen_from = target.strip().partition("@")
    ev = self.digest.events.get(event_id.strip())
    if ev is None:
        return EventAnswer(target, None)
    t = self.today_date(now)
    month, day = ev.date.month, ev.date.day
    if month is None or day is None:
        return EventAnswer(target, self.event_view(ev))
    year = None
    if seen_from.strip():
        q = parse_day(seen_from)
        y = q.year or t.year
        if marked_on(month, day, y) == marked_on(q.month, q.day, y):  # that day marks it (Feb 29: the 28th too)
            year = y
    if year is None:  # the next anniversary from today (today's included)
        year = t.year if marked_on(month, day, t.year) >= t else t.year + 1
    view = self.event_view(ev, year)
    if (month, day) == (2, 29) and not is_leap(year):
        view = replace(view, note=FEB29_NOTE)
    is_today = view.marked_on == t and view.anniversary_number is not None
    if is_today:
        view = _with_wording(self, view)
    return EventAnswer(target, view, is_today)
