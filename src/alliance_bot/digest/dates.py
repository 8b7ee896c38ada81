"""Dates with a precision: a day, a month or a year, never more precise than the source."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum


class Precision(str, Enum):  # noqa: UP042 - a StrEnum would change str() of a value, which messages use
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


_FORM = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to a day, a month or only a year."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; raise ValueError with a readable reason."""
        m = _FORM.match(text.strip())
        if not m:
            raise ValueError(
                f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM or YYYY (for example 1953-07-27, 2010-03, 1987)"
            )
        year, month, day = int(m.group(1)), m.group(2), m.group(3)
        if year < 1:
            raise ValueError(f"{text!r}: year 0 does not exist")
        if month is None:
            return cls(year)
        mo = int(month)
        if not 1 <= mo <= 12:
            raise ValueError(f"{text!r}: there is no month {mo}")
        if day is None:
            return cls(year, mo)
        d = int(day)
        try:
            dt.date(year, mo, d)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date: {MONTH_NAMES[mo - 1]} {year} has no day {d}") from None
        return cls(year, mo, d)

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def human(self) -> str:
        """`July 27, 1953`, `March 2010` or `1987`."""
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return f"{MONTH_NAMES[self.month - 1]} {self.year}"
        return f"{MONTH_NAMES[self.month - 1]} {self.day}, {self.year}"

    def when(self) -> str:
        """The date as a phrase that claims no more than is known: `July 27, 1953`, `in March 2010`, `during
        1953` (a list capitalises it at the start of a line)."""
        if self.month is None:
            return f"during {self.year}"
        if self.day is None:
            return f"in {MONTH_NAMES[self.month - 1]} {self.year}"
        return self.human()

    def sort_key(self) -> tuple[int, int, int]:
        """In time order, placed honestly: a date known only to its month sorts after the days of that month, one
        known only to its year after everything dated within that year (Dulles's talks "during 1953" are not
        before June 18, 1953), since nothing says it came earlier."""
        return (self.year, self.month or 13, self.day or 32)

    def __str__(self) -> str:
        return self.iso()


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 73rd, 101st, 111th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------- anniversaries
# An anniversary is of a day: the number of years since an event known to the day, on the date that marks it in
# a given year (February 29 is marked on February 28 in common years). Shared by /today (answers/) and the posts
# (anniversaries/), which may both import this module.

FEB29_NOTE = "February 29; marked on February 28 in common years"
_NAMES_AN_ANNIVERSARY = re.compile(r"\banniversar(?:y|ies)\b", re.IGNORECASE)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def marked_on(month: int, day: int, year: int) -> dt.date:
    """The date that marks month-day in `year`: February 29 is marked on February 28 in common years."""
    if (month, day) == (2, 29) and not is_leap(year):
        return dt.date(year, 2, 28)
    return dt.date(year, month, day)


def names_an_anniversary(title: str) -> bool:
    """Whether an entry is itself about an anniversary ("70th anniversary of the Korean Armistice Agreement"):
    such an entry gets no anniversary count of its own, which would read as a second one."""
    return bool(_NAMES_AN_ANNIVERSARY.search(title))


def anniversary_number(date: PartialDate, year: int, title: str = "") -> int | None:
    """Which anniversary of an event `year` brings (73 for the July 27, 1953 armistice in 2026), or None: the
    event is not known to the day, has not had a first anniversary by then, or is itself an anniversary."""
    if date.day is None or names_an_anniversary(title):
        return None
    years = year - date.year
    return years if years > 0 else None
