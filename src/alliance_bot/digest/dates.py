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

    def sort_key(self) -> tuple[int, int, int]:
        """Year-precision dates sort before month-precision ones of the same year, and so on."""
        return (self.year, self.month or 0, self.day or 0)

    def __str__(self) -> str:
        return self.iso()


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 73rd, 101st, 111th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
