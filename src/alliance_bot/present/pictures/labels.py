"""Every word the pictures draw or say (alt text), in one table per language: the Korean edition (#18) adds
`LABELS["ko"]` and nothing else changes. Event titles are the digest's own text, in the digest's language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PictureLabels:
    lang: str
    months: tuple[str, ...]  # abbreviated month names, January first
    # the timeline
    timeline_title: str = "Timeline: {span}"
    span: str = "{start} to {end}"
    beginning: str = "the beginning"
    today: str = "today"
    tag: str = " · tag {tag}"
    day_date: str = "{month} {day}, {year}"
    month_date: str = "{month} {year}"
    year_date: str = "{year}"
    legend_day: str = "day known"
    legend_month: str = "month known"
    legend_year: str = "only the year known"
    legend_anniversary: str = "anniversary in the next {days} days"
    anniversary: str = "{nth} anniversary on {date}"
    gap: str = "{years} years"
    other_tags: str = "other"
    more_events: str = "{shown} of {total} events labelled, spread over the range; every event is in the list"
    timeline_alt: str = (
        "Timeline picture of {count} events from {first} to {last}, one line each in time order: {events}."
    )
    timeline_alt_more: str = " …and {more} more, listed in the message."
    timeline_alt_anniversaries: str = " Coming anniversaries: {items}."
    # the usage charts
    usage_title: str = "Usage, last {days} days"
    usage_summary: str = (
        "{total} interactions · error rate {error_rate} · median {median} · 95th percentile {p95} · "
        "found nothing {nothing}"
    )
    per_day: str = "Interactions per day, by command"
    clicks: str = "clicks and other"
    nothing_share: str = "Share of commands that found nothing, per day"
    latency: str = "Latency per command (bar: 95th percentile, dark: median)"
    no_latency: str = "no latency recorded"
    ms: str = "{value} ms"
    found_nothing: str = "{share} found nothing"
    usage_alt: str = (
        "Usage charts of the last {days} days: {total} interactions, {busiest}; per command: {commands}; "
        "found nothing {nothing} of commands overall."
    )
    usage_alt_busiest: str = "busiest day {day} with {count}"
    usage_alt_command: str = "{command} {count}, median {median}, p95 {p95}, found nothing {nothing}"
    empty_usage: str = "No interactions in this period."


LABELS: dict[str, PictureLabels] = {
    "en": PictureLabels("en", ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")),
}
DEFAULT_LANG = "en"


def labels_for(locale: str | None) -> PictureLabels:
    """The table for a Discord locale (`ko`, `en-US`) or language; English where there is none yet."""
    lang = (locale or DEFAULT_LANG).split("-")[0].lower()
    return LABELS.get(lang, LABELS[DEFAULT_LANG])


def ordinal(n: int, lang: str = DEFAULT_LANG) -> str:
    """`73rd` (a translation gives its own form)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
