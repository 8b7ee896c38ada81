"""What the answers are: plain data, with no idea of Discord or terminals.

Presentation turns these into embeds, text or JSON.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from alliance_bot.digest.dates import PartialDate
from alliance_bot.digest.model import short_label


@dataclass(frozen=True)
class SourceRef:
    """One citation, resolved: the source's metadata and the verbatim quote."""

    id: str
    title: str
    author: str | None
    outlet: str | None
    published: str | None
    quote: str
    label: str = ""  # the source's short label (`Source.label()`), named inline beside a quote
    holds: bool | None = None  # a position's citation: whether its source holds the position (else: context)

    def short(self) -> str:
        """`DeTrani 2025`: the name of the source beside a quote (the full title is in the Sources list)."""
        return self.label or short_label(self.title, self.author, self.outlet, self.published)


@dataclass(frozen=True)
class EventView:
    id: str
    date: PartialDate
    title: str
    summary: str
    tags: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    years_ago: int | None = None  # years since the event in the reference year, when positive
    anniversary: str | None = None  # the anniversaries file's wording, when the event has one
    note: str | None = None  # e.g. "February 29; marked on February 28 in common years"
    # which anniversary the date in question marks (digest.dates.anniversary_number): None for an event not known
    # to the day or one that is itself an anniversary ("70th anniversary of …" gets no second count)
    anniversary_number: int | None = None
    marked_on: dt.date | None = None  # the date of that anniversary (for a nearest day, maybe next year's)
    date_note: str | None = None  # how the date was worked out, when indirectly


@dataclass(frozen=True)
class TodayAnswer:
    month: int
    day: int
    reference_year: int
    events: tuple[EventView, ...]
    month_events: tuple[EventView, ...]
    nearest_before: tuple[EventView, ...] = ()
    nearest_after: tuple[EventView, ...] = ()
    today: dt.date | None = None  # the bot's date when this was asked (its time zone)

    @property
    def found(self) -> bool:
        return bool(self.events)

    @property
    def is_today(self) -> bool:
        """The day asked is the day itself: only then do the anniversary posts' words ("Today is…") apply."""
        return self.today is not None and (self.reference_year, self.month, self.day) == (
            self.today.year,
            self.today.month,
            self.today.day,
        )


@dataclass(frozen=True)
class EventAnswer:
    """One event's card: its date, summary and every source, and the anniversary of the day it is seen from
    (the date a /today answer showed it for) or else its next one. `event` is None for an unknown id."""

    query: str
    event: EventView | None
    is_today: bool = False  # the anniversary is today: the post's wording applies

    @property
    def found(self) -> bool:
        return self.event is not None


@dataclass(frozen=True)
class FactResult:
    kind: str  # fact | event | treaty
    id: str
    text: str
    sources: tuple[SourceRef, ...]
    title: str | None = None
    group: str | None = None
    differs: bool = False  # one of several facts from different sources that disagree
    score: float = 0.0
    match: str = "answer"  # "answer": it answers the question; "related": only related to it
    support: float = 0.0  # the share of what the question asks that this entry covers (answers/fact.py)


@dataclass(frozen=True)
class FactAnswer:
    query: str
    results: tuple[FactResult, ...]
    answered: bool = True  # the first result answers the question; False: the digest has nothing on it

    @property
    def found(self) -> bool:
        """Whether the question was answered (not only whether something related came up)."""
        return self.answered and bool(self.results)


@dataclass(frozen=True)
class Ref:
    """A link to another entry: its id and display name."""

    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class TreatyView:
    id: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    date: PartialDate | None
    date_kind: str
    date_note: str | None
    parties: tuple[str, ...]
    status: str
    summary: str
    provisions: tuple[str, ...]
    significance: str | None
    related_events: tuple[EventView, ...]
    viewpoints: tuple[Ref, ...]
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True)
class TreatyAnswer:
    """A treaty lookup. Answered and not ambiguous: `results[0]` is the treaty, any others match the query about
    as well ("also matching", less central to the digest). Ambiguous: candidates, none clearly meant (the
    listing, for an empty query). Not answered: the digest has no such treaty; `results` are at most three
    did-you-mean names (`ambiguous` is then set too, so that no reader takes the first one for the answer)."""

    query: str
    results: tuple[TreatyView, ...]
    ambiguous: bool = False  # several candidates, none clearly meant
    answered: bool = True  # False: the digest has nothing on it; the results are only did-you-mean names

    @property
    def found(self) -> bool:
        """Whether the question was answered (not only whether a name came close)."""
        return self.answered and bool(self.results)


@dataclass(frozen=True)
class PositionView:
    label: str
    summary: str
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True)
class ViewpointView:
    id: str
    topic: str
    question: str
    positions: tuple[PositionView, ...]
    related: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class ViewpointsAnswer:
    """The topics that answer the query, the best first; or, not answered, at most three related topics."""

    query: str
    results: tuple[ViewpointView, ...]
    listing: bool = False  # no topic given: every topic, for choosing
    answered: bool = True  # False: the digest has nothing on it; the results are only related topics

    @property
    def found(self) -> bool:
        """Whether the question was answered (not only whether a related topic came up)."""
        return self.answered and bool(self.results)


@dataclass(frozen=True)
class TimelineAnswer:
    start: str | None
    end: str | None
    tag: str | None
    events: tuple[EventView, ...]
    tags: tuple[str, ...] = ()  # the tags that exist, for a "no such tag" hint

    @property
    def found(self) -> bool:
        return bool(self.events)


@dataclass(frozen=True)
class CitedEntry:
    kind: str
    id: str
    name: str
    quote: str


@dataclass(frozen=True)
class SourceView:
    id: str
    title: str
    author: str | None
    outlet: str | None
    published: str | None
    published_note: str | None
    kind: str
    perspective: str
    url: str | None
    cited_by: tuple[CitedEntry, ...] = field(default=())


@dataclass(frozen=True)
class SourceAnswer:
    """The sources that answer the query; or, not answered, at most three related sources."""

    query: str
    results: tuple[SourceView, ...]
    listing: bool = False
    answered: bool = True  # False: the digest has nothing on it; the results are only related sources

    @property
    def found(self) -> bool:
        """Whether the question was answered (not only whether a related source came up)."""
        return self.answered and bool(self.results)


Answer = TodayAnswer | EventAnswer | FactAnswer | TreatyAnswer | ViewpointsAnswer | TimelineAnswer | SourceAnswer


@dataclass(frozen=True)
class Choice:
    """An autocomplete suggestion: `name` is shown (≤ 100 characters), `value` is sent back (≤ 100)."""

    name: str
    value: str
