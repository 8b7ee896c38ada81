"""What every answer is made of: an entry's name and link, its citations resolved to their sources
(made once per entry), an event's view (with its anniversary message for a reference year) and the
treaties in date order. Like each answer's own module, these are functions of the `Answers` facade
(answers/service.py), which they take as `self`: they read the indexes it built once and fill its caches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from alliance_bot.answers.model import EventView, Ref, SourceRef
from alliance_bot.digest.dates import anniversary_number, marked_on, ordinal
from alliance_bot.digest.model import Citation, Event, Fact, PositionCitation, Treaty

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


def name_of(self: Answers, entry_id: str) -> str:
    d = self.digest
    if entry_id in d.treaties:
        return d.treaties[entry_id].name
    if entry_id in d.events:
        return d.events[entry_id].title
    if entry_id in d.facts:
        return d.facts[entry_id].statement
    if entry_id in d.viewpoints:
        return d.viewpoints[entry_id].topic
    return entry_id


def ref(self: Answers, entry_id: str) -> Ref:
    return Ref(entry_id, name_of(self, entry_id), self.digest.kind_of(entry_id) or "")


def sources_of(self: Answers, citations: Sequence[Citation]) -> tuple[SourceRef, ...]:
    """The resolved citations; a position's carry whether their source holds it (`PositionCitation.holds`)."""
    meta = self._source_meta
    labels = self._source_labels
    return tuple(
        SourceRef(*meta[c.source], c.quote, labels[c.source], c.holds if isinstance(c, PositionCitation) else None)
        for c in citations
    )


def entry_sources(self: Answers, entry: Event | Fact | Treaty) -> tuple[SourceRef, ...]:
    """The resolved citations of an entry (ids are unique across kinds), made once."""
    found = self._sources_cache.get(entry.id)
    if found is None:
        found = self._sources_cache[entry.id] = self.sources_of(entry.citations)
    return found


def event_view(self: Answers, ev: Event, reference_year: int | None = None) -> EventView:
    """The event, and with a reference year which anniversary that year brings (never the posts' wording, which
    says "today" and is added only on the day itself: answers/today.py)."""
    base = self._event_views.get(ev.id)
    if base is None:
        base = self._event_views[ev.id] = EventView(
            id=ev.id,
            date=ev.date,
            title=ev.title,
            summary=ev.summary,
            tags=tuple(ev.tags),
            sources=entry_sources(self, ev),
            date_note=ev.date_note,
        )
    if reference_year is None:
        return base
    years = reference_year - ev.date.year
    if years <= 0:
        return base
    # the views of one reference year (this year, mostly) are kept: a day at 100x shows hundreds
    views = self._views_by_year.get(reference_year)
    if views is None:
        if len(self._views_by_year) >= 4:  # a few years at most: the oldest asked goes
            del self._views_by_year[next(iter(self._views_by_year))]
        views = self._views_by_year[reference_year] = {}
    view = views.get(ev.id)
    if view is None:
        number = anniversary_number(ev.date, reference_year, ev.title)
        view = views[ev.id] = replace(
            base,
            years_ago=years,
            anniversary_number=number,
            marked_on=marked_on(ev.date.month, ev.date.day, reference_year)
            if ev.date.month is not None and ev.date.day is not None and reference_year <= dt.MAXYEAR
            else None,
        )
    return view


def anniversary_wording(self: Answers, ev: Event, years: int) -> str | None:
    """The anniversaries file's wording for this event's anniversary number `years`, when it has one."""
    ann = self.digest.anniversaries.get(ev.id)
    if ann is None:
        return None
    return ann.message.format(year=ev.date.year, years=years, ordinal=ordinal(years), title=ev.title)


def treaties_by_date(self: Answers) -> list[Treaty]:
    return self._treaties_sorted
