"""The `today` answer: the events on a month and day across the years (February 29 remembered on the
28th in common years), with the month's events dated to the month only and, when the day has none, the
nearest days that have; and what day it is in the bot's time zone. Functions of the `Answers` facade
(answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import replace
from typing import TYPE_CHECKING

from alliance_bot.answers.model import EventView, TodayAnswer
from alliance_bot.answers.userdates import DayQuery, parse_day

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def today_date(self: Answers, now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(self.tz).date()


def today(self: Answers, when: str | None = None, *, now: dt.datetime | None = None) -> TodayAnswer:
    """Events on a month and day across the years; `when` as the user typed it, or today."""
    if when is None or not when.strip() or when.strip().lower() == "today":
        t = self.today_date(now)
        q = DayQuery(t.month, t.day, t.year)
        reference_year = t.year
    else:
        q = parse_day(when)
        reference_year = q.year or self.today_date(now).year
    return self.on_day(q.month, q.day, reference_year)


def on_day(self: Answers, month: int, day: int, reference_year: int) -> TodayAnswer:
    events = [self.event_view(ev, reference_year) for ev in self._events_by_day.get((month, day), [])]
    # February 29 events are remembered on February 28 in common years
    if (month, day) == (2, 28) and not _is_leap(reference_year):
        for ev in self._events_by_day.get((2, 29), []):
            events.append(
                replace(self.event_view(ev, reference_year), note="February 29; marked on February 28 in common years")
            )
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


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
