"""The timeline as a picture: one row per event in time order, on a vertical time axis.

The axis keeps time readable from one year to 150: the space between two events grows with the years between
them, up to a cap; a longer gap is drawn as a break in the axis with its length written beside it ("≈ 23
years"), so clusters (1950-1954, 2023) stay open and empty decades take no page. Decades (or, in a range of
under 20 years, years) are shaded in alternate bands, with the year written at the first event of each year.
Each event is a mark on the axis whose shape says how precisely its date is known (a dot for a day, a bar for
a month, an open bracket for a year only: a month-only event is never a point on a day), coloured by its most
common tag in the range; an event whose anniversary comes in the next `ANNIVERSARY_DAYS` days is ringed and
says which anniversary, and when. Past `MAX_ROWS` events the picture labels an even spread of them and says
so; the message's text list has them all.

`layout_timeline` computes every position as data (`TimelineLayout`), `draw_timeline` paints it: the tests
check the layout against the text list and the pixels against the layout.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from PIL import Image, ImageDraw

from alliance_bot.answers.model import EventView, TimelineAnswer
from alliance_bot.digest.dates import Precision, anniversary_number, marked_on
from alliance_bot.present.limits import _one_line
from alliance_bot.present.pictures import LabelBox, Picture
from alliance_bot.present.pictures.fonts import draw_text as _text
from alliance_bot.present.pictures.fonts import font, png_bytes
from alliance_bot.present.pictures.labels import PictureLabels, labels_for, ordinal

WIDTH = 1000
MAX_ROWS = 60  # events labelled in one picture; beyond, an even spread of them
ANNIVERSARY_DAYS = 28  # anniversaries this many days ahead are marked
FILENAME = "timeline.png"

ROW = 26  # pixels per event row
TOP = 118  # title and legend (two lines)
BOTTOM = 44
AXIS_X = 118
LABEL_X = AXIS_X + 26
RIGHT = 24
GAP_CAP = 60  # the most space a gap between two events takes; longer gaps are a break in the axis
TITLE_SIZE = 22
TEXT_SIZE = 16
SMALL_SIZE = 13
ALT_EVENTS = 12  # events named in the alt text (the text list has them all)
TITLE_MAX = 90  # characters of a title before it is cut at a word (then cut to the width, when narrower)

BACKGROUND = (255, 255, 255)
INK = (26, 32, 44)
MUTED = (96, 108, 124)
BAND = (241, 244, 248)
AXIS = (160, 174, 192)
ANNIVERSARY = (221, 107, 32)
PALETTE = (
    (43, 108, 176),
    (197, 48, 48),
    (47, 133, 90),
    (128, 90, 213),
    (183, 121, 31),
    (0, 131, 143),
)
OTHER = (113, 128, 150)


@dataclass(frozen=True)
class Row:
    event_id: str
    y: int  # the row's centre
    precision: Precision
    colour: tuple[int, int, int]
    date_text: str
    title: str  # as drawn (cut to the width when long)
    full_title: str
    year_label: str | None  # the year, at the first event of each year
    anniversary: str | None  # "73rd anniversary on Jul 27", when within ANNIVERSARY_DAYS


@dataclass(frozen=True)
class Gap:
    y: int  # the break's centre
    years: int


@dataclass(frozen=True)
class Band:
    top: int
    bottom: int


@dataclass(frozen=True)
class TimelineLayout:
    width: int
    height: int
    title: str
    rows: tuple[Row, ...]
    gaps: tuple[Gap, ...]
    bands: tuple[Band, ...]
    legend: tuple[tuple[str, tuple[int, int, int]], ...]  # tag -> colour
    total: int  # events in the answer
    note: str | None  # when not every event is labelled


def _fraction_year(e: EventView) -> float:
    """Where the event starts, in years (1953.57 for July 27, 1953)."""
    d = e.date
    if d.month is None:
        return float(d.year)
    start = dt.date(d.year, d.month, d.day or 1)
    return d.year + (start.timetuple().tm_yday - 1) / 366


def date_text(e: EventView, labels: PictureLabels) -> str:
    d = e.date
    if d.month is None:
        return labels.year_date.format(year=d.year)
    month = labels.months[d.month - 1]
    if d.day is None:
        return labels.month_date.format(month=month, year=d.year)
    return labels.day_date.format(month=month, day=d.day, year=d.year)


def upcoming_anniversary(e: EventView, today: dt.date, labels: PictureLabels) -> str | None:
    """`73rd anniversary on Jul 27` when the event's anniversary falls within ANNIVERSARY_DAYS of `today`."""
    d = e.date
    if d.precision is not Precision.DAY:
        return None
    assert d.month is not None and d.day is not None
    for year in (today.year, today.year + 1):
        on = marked_on(d.month, d.day, year)
        if on < today:
            continue
        if (on - today).days > ANNIVERSARY_DAYS:
            return None
        n = anniversary_number(d, year, e.title)
        if n is None:
            return None
        when = labels.day_date.format(month=labels.months[on.month - 1], day=on.day, year=on.year)
        return labels.anniversary.format(nth=ordinal(n, labels.lang), date=when)
    return None


def _spread(events: tuple[EventView, ...], limit: int) -> list[EventView]:
    """All the events, or `limit` of them evenly spread over the range (first and last included)."""
    if len(events) <= limit:
        return list(events)
    picks = sorted({round(i * (len(events) - 1) / (limit - 1)) for i in range(limit)})
    return [events[i] for i in picks]


def _fit(text: str, size: int, width: float) -> str:
    """The text cut (at a word, with an ellipsis) to fit `width` pixels."""
    f = font(size)
    if f.getlength(text) <= width:
        return text
    words = text.split(" ")
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(" ,;:–-") + "…"
        if f.getlength(candidate) <= width:
            return candidate
    out = text
    while out and f.getlength(out + "…") > width:
        out = out[:-1]
    return out + "…"


def title_of(a: TimelineAnswer, labels: PictureLabels) -> str:
    span = labels.span.format(start=a.start or labels.beginning, end=a.end or labels.today)
    return labels.timeline_title.format(span=span) + (labels.tag.format(tag=a.tag) if a.tag else "")


def layout_timeline(a: TimelineAnswer, today: dt.date, labels: PictureLabels) -> TimelineLayout:
    shown = _spread(a.events, MAX_ROWS)
    counts = Counter(t for e in shown for t in e.tags)
    legend_tags = [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: len(PALETTE)]]
    colour_of = dict(zip(legend_tags, PALETTE, strict=False))
    starts = [_fraction_year(e) for e in shown]
    span_years = max(1.0, starts[-1] - starts[0]) if starts else 1.0
    px_year = min(60.0, max(4.0, 600.0 / span_years))
    rows: list[Row] = []
    gaps: list[Gap] = []
    y = TOP + ROW // 2
    last_year: int | None = None
    text_font = font(TEXT_SIZE)
    for i, e in enumerate(shown):
        if i:
            years = max(0.0, starts[i] - starts[i - 1])
            extra = years * px_year
            if extra > GAP_CAP:
                gaps.append(Gap(y + GAP_CAP // 2, round(years)))
                extra = GAP_CAP
            y += ROW + round(extra)
        tags = sorted((t for t in e.tags if t in colour_of), key=legend_tags.index)
        colour = colour_of[tags[0]] if tags else OTHER
        when = date_text(e, labels)
        anniversary = upcoming_anniversary(e, today, labels)
        room = WIDTH - RIGHT - LABEL_X - text_font.getlength(when + "  ")
        if anniversary:
            room -= font(SMALL_SIZE).getlength("  " + anniversary)
        title = _fit(_one_line(e.title, TITLE_MAX), TEXT_SIZE, room)
        rows.append(
            Row(
                e.id,
                y,
                e.date.precision,
                colour,
                when,
                title,
                e.title,
                str(e.date.year) if e.date.year != last_year else None,
                anniversary,
            )
        )
        last_year = e.date.year
    # alternate bands: decades over a long range, years over a short one
    unit = 10 if span_years >= 20 else 1
    bands: list[Band] = []
    groups: dict[int, list[Row]] = {}
    for e, row in zip(shown, rows, strict=True):
        groups.setdefault(e.date.year // unit, []).append(row)
    for n, key in enumerate(sorted(groups)):
        if n % 2 == 0:
            members = groups[key]
            bands.append(Band(members[0].y - ROW // 2, members[-1].y + ROW // 2))
    note = labels.more_events.format(shown=len(shown), total=len(a.events)) if len(shown) < len(a.events) else None
    height = (rows[-1].y + ROW // 2 if rows else TOP) + BOTTOM + (22 if note else 0)
    legend = tuple((t, colour_of[t]) for t in legend_tags)
    return TimelineLayout(
        WIDTH, height, title_of(a, labels), tuple(rows), tuple(gaps), tuple(bands), legend, len(a.events), note
    )


def _mark(draw: ImageDraw.ImageDraw, x: int, y: int, precision: Precision, colour: tuple[int, int, int]) -> None:
    if precision is Precision.DAY:  # a point: the day is known
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=colour)
    elif precision is Precision.MONTH:  # a short bar: somewhere in that month
        draw.rounded_rectangle((x - 4, y - 9, x + 4, y + 9), radius=3, fill=colour)
    else:  # an open bracket: somewhere in that year
        draw.rectangle((x - 5, y - 11, x + 5, y + 11), outline=colour, width=3, fill=BACKGROUND)


def draw_timeline(layout: TimelineLayout, labels: PictureLabels) -> tuple[bytes, tuple[LabelBox, ...]]:
    image = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    boxes: list[LabelBox] = []
    for band in layout.bands:
        draw.rectangle((0, band.top, layout.width, band.bottom), fill=BAND)
    _text(draw, boxes, (24, 26), _fit(layout.title, TITLE_SIZE, layout.width - 48), TITLE_SIZE, INK, role="title")
    # legend: the marks, then the tags' colours
    x, y = 24.0, 66
    for precision, word in (
        (Precision.DAY, labels.legend_day),
        (Precision.MONTH, labels.legend_month),
        (Precision.YEAR, labels.legend_year),
    ):
        _mark(draw, int(x) + 6, y, precision, MUTED)
        x = _text(draw, boxes, (x + 18, y), word, SMALL_SIZE, MUTED, role="legend") + 18
    draw.ellipse((x, y - 8, x + 16, y + 8), outline=ANNIVERSARY, width=2)
    x = (
        _text(
            draw,
            boxes,
            (x + 22, y),
            labels.legend_anniversary.format(days=ANNIVERSARY_DAYS),
            SMALL_SIZE,
            ANNIVERSARY,
            role="legend",
        )
        + 22
    )
    x, y = 24.0, 92  # the tags' colours, on a line of their own
    for tag, colour in layout.legend:
        width = font(SMALL_SIZE).getlength(tag) + 26
        if x + width > layout.width - RIGHT:
            break  # one line; the colours still group the rows
        draw.rectangle((x, y - 5, x + 10, y + 5), fill=colour)
        x = _text(draw, boxes, (x + 14, y), tag, SMALL_SIZE, colour, role="legend") + 16
    if any(row.colour == OTHER for row in layout.rows) and x + 60 < layout.width - RIGHT:
        draw.rectangle((x, y - 5, x + 10, y + 5), fill=OTHER)
        _text(draw, boxes, (x + 14, y), labels.other_tags, SMALL_SIZE, OTHER, role="legend")
    if layout.rows:
        draw.line((AXIS_X, layout.rows[0].y - ROW // 2, AXIS_X, layout.rows[-1].y + ROW // 2), fill=AXIS, width=2)
    for gap in layout.gaps:  # a break in the axis: two slashes and the years it stands for
        draw.rectangle((AXIS_X - 8, gap.y - 6, AXIS_X + 8, gap.y + 6), fill=BACKGROUND)
        for dy in (-4, 4):
            draw.line((AXIS_X - 8, gap.y + dy + 4, AXIS_X + 8, gap.y + dy - 4), fill=AXIS, width=2)
        _text(
            draw, boxes, (AXIS_X + 14, gap.y), labels.gap.format(years=f"≈ {gap.years}"), SMALL_SIZE, MUTED, role="axis"
        )
    for row in layout.rows:
        if row.year_label:
            _text(
                draw,
                boxes,
                (AXIS_X - 16, row.y),
                row.year_label,
                TEXT_SIZE,
                MUTED,
                ref=row.event_id,
                role="axis",
                anchor="rm",
            )
        if row.anniversary:
            draw.ellipse((AXIS_X - 11, row.y - 11, AXIS_X + 11, row.y + 11), outline=ANNIVERSARY, width=2)
        _mark(draw, AXIS_X, row.y, row.precision, row.colour)
        right = _text(
            draw, boxes, (LABEL_X, row.y), row.date_text, TEXT_SIZE, row.colour, ref=row.event_id, role="date"
        )
        right = _text(draw, boxes, (right + 10, row.y), row.title, TEXT_SIZE, INK, ref=row.event_id)
        if row.anniversary:
            _text(
                draw,
                boxes,
                (right + 10, row.y),
                row.anniversary,
                SMALL_SIZE,
                ANNIVERSARY,
                ref=row.event_id,
                role="anniversary",
            )
    if layout.note:
        _text(draw, boxes, (24, layout.height - BOTTOM // 2 - 6), layout.note, SMALL_SIZE, MUTED, role="note")
    return png_bytes(image), tuple(boxes)


def timeline_alt(a: TimelineAnswer, layout: TimelineLayout, labels: PictureLabels) -> str:
    """What a screen reader says: the range, how many events, the first of them by date and title, the coming
    anniversaries; at most ATTACHMENT_DESCRIPTION_MAX characters (the text list in the message has them all)."""
    from alliance_bot.present.limits import ATTACHMENT_DESCRIPTION_MAX

    rows = layout.rows
    named = "; ".join(f"{r.date_text}: {r.full_title}" for r in rows[:ALT_EVENTS])
    text = labels.timeline_alt.format(
        count=layout.total,
        first=rows[0].date_text if rows else "",
        last=rows[-1].date_text if rows else "",
        events=named,
    )
    if layout.total > min(len(rows), ALT_EVENTS):
        text = text.rstrip(".") + labels.timeline_alt_more.format(more=layout.total - min(len(rows), ALT_EVENTS))
    coming = [f"{r.full_title} ({r.anniversary})" for r in rows if r.anniversary]
    if coming:
        text += labels.timeline_alt_anniversaries.format(items="; ".join(coming))
    return _one_line(text, ATTACHMENT_DESCRIPTION_MAX)


def render_timeline_png(a: TimelineAnswer, *, today: dt.date, locale: str | None = None) -> Picture:
    """The picture of a timeline answer (with at least one event): PNG bytes, size, alt text, label boxes."""
    if not a.events:
        raise ValueError("a timeline picture needs at least one event")
    labels = labels_for(locale)
    layout = layout_timeline(a, today, labels)
    png, boxes = draw_timeline(layout, labels)
    return Picture(png, layout.width, layout.height, timeline_alt(a, layout, labels), FILENAME, boxes, labels.lang)
