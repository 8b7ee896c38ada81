"""What every answer is made of: an entry's name and link, its citations resolved to their sources
(made once per entry), an event's view (with its anniversary message for a reference year) and the
treaties in date order. Like each answer's own module, these are functions of the `Answers` facade
(answers/service.py), which they take as `self`: they read the indexes it built once and fill its caches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alliance_bot.answers.model import EventView, Ref, SourceRef
from alliance_bot.digest.dates import ordinal
from alliance_bot.digest.model import Citation, Event, Fact, Treaty

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


def sources_of(self: Answers, citations: list[Citation]) -> tuple[SourceRef, ...]:
    meta = self._source_meta
    labels = self._source_labels
    return tuple(SourceRef(*meta[c.source], c.quote, labels[c.source]) for c in citations)


def entry_sources(self: Answers, entry: Event | Fact | Treaty) -> tuple[SourceRef, ...]:
    """The resolved citations of an entry (ids are unique across kinds), made once."""
    found = self._sources_cache.get(entry.id)
    if found is None:
        found = self._sources_cache[entry.id] = self.sources_of(entry.citations)
    return found


def event_view(self: Answers, ev: Event, reference_year: int | None = None) -> EventView:
    base = self._event_views.get(ev.id)
    if base is None:
        base = self._event_views[ev.id] = EventView(
            id=ev.id,
            date=ev.date,
            title=ev.title,
            summary=ev.summary,
            tags=tuple(ev.tags),
            sources=entry_sources(self, ev),
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
        ann = self.digest.anniversaries.get(ev.id)
        message = None
        if ann is not None:
            message = ann.message.format(year=ev.date.year, years=years, ordinal=ordinal(years), title=ev.title)
        view = views[ev.id] = EventView(
            id=ev.id,
            date=ev.date,
            title=ev.title,
            summary=ev.summary,
            tags=base.tags,
            sources=base.sources,
            years_ago=years,
            anniversary=message,
        )
    return view


def treaties_by_date(self: Answers) -> list[Treaty]:
    return self._treaties_sorted
