"""Anniversary rules: which events a day marks, and when a server's post is due.

Pure functions of the digest, a date and a time zone; no clock of their own, no I/O.
- An anniversary belongs to a local calendar date in the server's time zone.
- February 29 events are marked on February 28 in common years (and said so).
- The post time is a local wall-clock time: across daylight-saving changes it
  stays at that local time. A time that does not exist that day (the spring-
  forward gap) posts at the same offset past the gap; an ambiguous time (the
  fall-back hour) posts at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.digest.dates import FEB29_NOTE, is_leap, marked_on, ordinal
from alliance_bot.digest.model import Anniversary, Event
from alliance_bot.digest.result import Digest


@dataclass(frozen=True)
class AnniversaryItem:
    event: Event
    years: int
    message: str
    note: str | None = None
    source_label: str = ""  # the first citation's source, short: "Joseph R. DeTrani, The Washington Times, 2025"

    @property
    def ordinal(self) -> str:
        return ordinal(self.years)


def items_on(digest: Digest, day: dt.date) -> list[AnniversaryItem]:
    """The anniversaries a local date marks, oldest event first."""
    out: list[AnniversaryItem] = []
    for ann in digest.anniversaries.values():
        ev = digest.events[ann.event]
        month, dd = ev.date.month, ev.date.day
        note = None
        if (month, dd) == (day.month, day.day):
            pass
        elif (month, dd) == (2, 29) and (day.month, day.day) == (2, 28) and not is_leap(day.year):
            note = FEB29_NOTE
        else:
            continue
        years = day.year - ev.date.year
        if years <= 0:
            continue
        out.append(AnniversaryItem(ev, years, _format(ann, ev, years), note, _source_label(digest, ev)))
    out.sort(key=lambda i: (i.event.date.sort_key(), i.event.id))
    return out


def post_day(month: int, day: int, year: int | None, today: dt.date) -> dt.date:
    """The local date of the post for month-day: in `year` when one is given, else the next one from `today`
    (today's included). On December 4, 2026 the next January 21 is in 2027 (the 59th anniversary of the Blue
    House raid, not the 58th); a February 29 falls on February 28 in common years, as the posts do."""
    if year is not None:
        return marked_on(month, day, year)
    this_year = marked_on(month, day, today.year)
    return this_year if this_year >= today else marked_on(month, day, today.year + 1)


def _source_label(digest: Digest, ev: Event) -> str:
    src = digest.sources[ev.citations[0].source]
    parts = [p for p in (src.author, src.outlet) if p] or [src.title]
    if src.published:
        parts.append(str(src.published.year))
    return ", ".join(parts)


def _format(ann: Anniversary, ev: Event, years: int) -> str:
    return ann.message.format(year=ev.date.year, years=years, ordinal=ordinal(years), title=ev.title)


def anniversary_days(digest: Digest) -> list[tuple[int, int]]:
    """Sorted (month, day) pairs that have at least one anniversary (next_due maps February 29 in common years)."""
    return sorted({_month_day(digest.events[a.event]) for a in digest.anniversaries.values()})


def _month_day(ev: Event) -> tuple[int, int]:
    month, day = ev.date.month, ev.date.day
    assert month is not None and day is not None, ev.id  # an anniversary's event has a day (the content check)
    return month, day


_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")


def parse_post_time(text: str) -> dt.time:
    m = _TIME.match(text.strip().lower())
    if not m:
        raise InvalidInput("the time must be written as HH:MM in 24-hour form, for example 09:00 or 18:30")
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{hour:02d}:{minute:02d} is not a time of day (00:00 to 23:59)")
    return dt.time(hour, minute)


def post_instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of `at` local time on `day` in `tz`.

    fold=0 gives both rules at once: a time in the spring-forward gap is read with
    the offset before the gap, which lands the same distance after it (02:30 that
    does not exist posts at 03:30), and an ambiguous time in the fall-back hour is
    its first occurrence.
    """
    return dt.datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(dt.UTC)


@dataclass(frozen=True)
class Due:
    day: dt.date  # the local date the post is for
    at: dt.datetime  # UTC instant it is due


def next_due(days: list[tuple[int, int]], at: dt.time, tz: ZoneInfo, after: dt.datetime) -> Due | None:
    """The first post instant strictly after `after` (UTC) for a server with this time and zone.

    `days` is `anniversary_days(digest)`: a handful of dates a year, so this looks
    at a few candidates, not at every day.
    """
    if not days:
        return None
    earliest = after.astimezone(tz).date() - dt.timedelta(days=1)
    for year in range(earliest.year, earliest.year + 3):
        for month, dd in days:
            # February 29 is marked on February 28 in common years
            day = marked_on(month, dd, year)
            if day < earliest:
                continue
            instant = post_instant(day, at, tz)
            if instant > after:
                return Due(day, instant)
    return None


def due_between(
    days: list[tuple[int, int]], at: dt.time, tz: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> list[Due]:
    """Every post instant in (start, end]."""
    out: list[Due] = []
    cursor = start
    while True:
        due = next_due(days, at, tz, cursor)
        if due is None or due.at > end:
            return out
        out.append(due)
        cursor = due.at
