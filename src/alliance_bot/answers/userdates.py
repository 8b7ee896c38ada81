"""Dates as people type them: `07-27`, `7/27`, `July 27`, `27 July`, `Jul 27, 2026`, `2026-07-27`."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.vocabulary import MONTHS
from alliance_bot.digest.dates import MONTH_NAMES

FORMS_HINT = "try 07-27, July 27, 27 July or 2026-07-27"


@dataclass(frozen=True)
class DayQuery:
    month: int
    day: int
    year: int | None = None

    def mm_dd(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"

    def human(self) -> str:
        text = f"{MONTH_NAMES[self.month - 1]} {self.day}"
        return f"{text}, {self.year}" if self.year else text


_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_MD = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")
_NAME_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")
_DAY_NAME = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?(?:,?\s+(\d{4}))?$")


def shown(text: str, limit: int = 30) -> str:
    """User text as it may be quoted back in a message: printable, short, in quotes."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text[: limit * 4])
    clean = " ".join(clean.split())
    return f"“{clean[:limit]}…”" if len(clean) > limit else f"“{clean}”"


def parse_day(text: str) -> DayQuery:
    """Parse a month and day (and optional year); raise InvalidInput with a clear reason."""
    shown_text = shown(text)
    s = " ".join(text.strip().lower().split())
    if not s:
        raise InvalidInput(f"no date given: {FORMS_HINT}")
    if len(s) > 40:
        raise InvalidInput(f"{shown_text} is not a date: {FORMS_HINT}")
    year: int | None = None
    if m := _ISO.match(s):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _MD.match(s):
        month, day = int(m.group(1)), int(m.group(2))
    elif (m := _NAME_DAY.match(s)) and m.group(1) in MONTHS:
        month, day = MONTHS[m.group(1)], int(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
    elif (m := _DAY_NAME.match(s)) and m.group(2) in MONTHS:
        month, day = MONTHS[m.group(2)], int(m.group(1))
        year = int(m.group(3)) if m.group(3) else None
    else:
        raise InvalidInput(f"{shown_text} is not a date: {FORMS_HINT}")
    if not 1 <= month <= 12:
        raise InvalidInput(f"{shown_text}: there is no month {month} ({FORMS_HINT})")
    if year is not None and not 1 <= year <= 9999:
        raise InvalidInput(f"{shown_text}: the year {year} is out of range")
    longest = calendar.monthrange(year if year else 2000, month)[1]  # 2000 is a leap year: February 29 exists
    if not 1 <= day <= longest:
        if year is not None and month == 2 and day == 29:
            raise InvalidInput(f"{shown_text}: {year} is not a leap year, so it has no February 29")
        raise InvalidInput(f"{shown_text}: {MONTH_NAMES[month - 1]} has no day {day}")
    return DayQuery(month, day, year)


def parse_year_or_date(text: str, *, end: bool = False) -> tuple[int, int, int]:
    """A timeline bound: `1950`, `1950-06`, `1950-06-25` -> a sortable (year, month, day)."""
    s = text.strip()
    shown_text = shown(s, 20)
    if m := re.fullmatch(r"(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", s):
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else (12 if end else 1)
        if not 1 <= month <= 12:
            raise InvalidInput(f"{shown_text}: there is no month {month}")
        last = calendar.monthrange(max(year, 1), month)[1]
        day = int(m.group(3)) if m.group(3) else (last if end else 1)
        if not 1 <= day <= last:
            raise InvalidInput(f"{shown_text}: {MONTH_NAMES[month - 1]} {year} has no day {day}")
        return (year, month, day)
    raise InvalidInput(f"{shown_text} is not a year or date: write 1950, 1950-06 or 1950-06-25")
