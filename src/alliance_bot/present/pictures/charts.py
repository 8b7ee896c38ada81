"""The moderators' usage charts, one picture: interactions per day stacked by command, the share of commands
that found nothing per day, and each command's latency (median and 95th percentile).

Takes the stats `Usage` (a `storage.usage.UsageSummary`, through the Protocol in present/text.py) and its
`per_day_command` (day, command, count, nothing found); returns a `Picture`. The busiest `TOP_COMMANDS`
commands get a colour each, the rest one colour together; what is not a command (clicks on pages, menus and
votes) is the grey top of each day's bar.
"""

from __future__ import annotations

from collections import defaultdict

from PIL import Image, ImageDraw

from alliance_bot.present.limits import ATTACHMENT_DESCRIPTION_MAX, _one_line
from alliance_bot.present.pictures import LabelBox, Picture
from alliance_bot.present.pictures.fonts import draw_text as _text
from alliance_bot.present.pictures.fonts import font, png_bytes
from alliance_bot.present.pictures.labels import PictureLabels, labels_for
from alliance_bot.present.pictures.timeline_image import BACKGROUND, INK, MUTED, OTHER, PALETTE
from alliance_bot.present.text import Usage

WIDTH = 1200
FILENAME = "usage.png"
TOP_COMMANDS = 5
LEFT = 70
RIGHT = 30
BAR_TOP, BAR_BOTTOM = 130, 400
SHARE_TOP, SHARE_BOTTOM = 460, 590
LATENCY_TOP = 650
LATENCY_ROW = 26
MAX_LATENCY_ROWS = 12
GRID = (226, 232, 240)
CLICKS = (203, 213, 224)
P95 = (190, 210, 235)
MEDIAN = (43, 108, 176)
SHARE = (197, 48, 48)


def _ms(value: float | None, labels: PictureLabels) -> str:
    return "–" if value is None else labels.ms.format(value=f"{value:.0f}" if value >= 10 else f"{value:.1f}")


def _nice_max(value: float) -> float:
    """The axis maximum: 1, 2 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for m in (1, 2, 5, 10):
        if m * step >= value:
            return m * step
    return 10 * step


def _day_label(day: str, n_days: int) -> str:
    return day[5:] if n_days > 1 else day  # MM-DD under the bars


def usage_alt(s: Usage, labels: PictureLabels) -> str:
    if not s.total:
        return labels.empty_usage
    busiest = max(s.per_day, key=lambda d: d[1]) if s.per_day else None
    commands = "; ".join(
        labels.usage_alt_command.format(
            command="/" + c.command,
            count=c.count,
            median=_ms(c.median_ms, labels),
            p95=_ms(c.p95_ms, labels),
            nothing=f"{c.nothing_found / c.count:.0%}" if c.count else "0%",
        )
        for c in s.per_command[:8]
    )
    n_commands = sum(c.count for c in s.per_command)
    nothing = sum(c.nothing_found for c in s.per_command)
    text = labels.usage_alt.format(
        days=s.days,
        total=s.total,
        busiest=labels.usage_alt_busiest.format(day=busiest[0], count=busiest[1]) if busiest else "",
        commands=commands or "–",
        nothing=f"{nothing / n_commands:.0%}" if n_commands else "0%",
    )
    return _one_line(text, ATTACHMENT_DESCRIPTION_MAX)


def render_usage_png(s: Usage, *, locale: str | None = None) -> Picture:
    """The usage charts of a summary (a `storage.usage.UsageSummary`)."""
    labels = labels_for(locale)
    per_day_command = s.per_day_command
    latency_rows = [c for c in s.per_command if c.median_ms is not None][:MAX_LATENCY_ROWS]
    height = LATENCY_TOP + 40 + max(1, len(latency_rows)) * LATENCY_ROW + 30
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    boxes: list[LabelBox] = []
    plot_right = WIDTH - RIGHT
    _text(draw, boxes, (24, 28), labels.usage_title.format(days=s.days), 22, INK, role="title")
    n_commands_all = sum(c.count for c in s.per_command)
    nothing_all = sum(c.nothing_found for c in s.per_command)
    summary = labels.usage_summary.format(
        total=s.total,
        error_rate=f"{s.error_rate:.1%}",
        median=_ms(s.median_ms, labels),
        p95=_ms(s.p95_ms, labels),
        nothing=f"{nothing_all / n_commands_all:.0%}" if n_commands_all else "0%",
    )
    _text(draw, boxes, (24, 60), summary, 15, MUTED, role="summary")

    # 1. interactions per day, stacked by command
    top = [c.command for c in s.per_command[:TOP_COMMANDS]]
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(top)}
    by_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    nothing_by_day: dict[str, tuple[int, int]] = {}
    for day, command, count, nothing in per_day_command:
        by_day[day][command if command in colours else "\x00other"] += count
        done, missing = nothing_by_day.get(day, (0, 0))
        nothing_by_day[day] = (done + count, missing + nothing)
    days = [d for d, _ in s.per_day]
    totals = dict(s.per_day)
    _text(draw, boxes, (LEFT, BAR_TOP - 26), labels.per_day, 16, INK, role="heading")
    x = LEFT + font(16).getlength(labels.per_day) + 24
    legend = [("/" + c, colours[c]) for c in top]
    if any("\x00other" in v for v in by_day.values()):
        legend.append(("/…", OTHER))
    legend.append((labels.clicks, CLICKS))
    for name, colour in legend:
        draw.rectangle((x, BAR_TOP - 31, x + 10, BAR_TOP - 21), fill=colour)
        x = _text(draw, boxes, (x + 14, BAR_TOP - 26), name, 13, MUTED, role="legend") + 14
    y_max = _nice_max(max(totals.values(), default=0))
    for k in range(5):
        gy = BAR_BOTTOM - (BAR_BOTTOM - BAR_TOP) * k / 4
        draw.line((LEFT, gy, plot_right, gy), fill=GRID)
        _text(draw, boxes, (LEFT - 8, gy), f"{y_max * k / 4:g}", 12, MUTED, role="axis", anchor="rm")
    if not days:
        _text(draw, boxes, (LEFT + 20, (BAR_TOP + BAR_BOTTOM) / 2), labels.empty_usage, 16, MUTED, role="note")
    slot = (plot_right - LEFT) / max(1, len(days))
    bar_w = max(1.0, slot * 0.7)
    every = max(1, round(len(days) / 15))
    scale = (BAR_BOTTOM - BAR_TOP) / y_max
    for i, day in enumerate(days):
        x0 = LEFT + i * slot + (slot - bar_w) / 2
        y = float(BAR_BOTTOM)
        parts = [(c, by_day[day].get(c, 0)) for c in top] + [("\x00other", by_day[day].get("\x00other", 0))]
        for command, count in parts:
            if count:
                h = count * scale
                draw.rectangle((x0, y - h, x0 + bar_w, y), fill=colours.get(command, OTHER))
                y -= h
        rest = totals.get(day, 0) - sum(n for _, n in parts)
        if rest > 0:
            draw.rectangle((x0, y - rest * scale, x0 + bar_w, y), fill=CLICKS)
        if i % every == 0:
            _text(
                draw,
                boxes,
                (x0 + bar_w / 2, BAR_BOTTOM + 14),
                _day_label(day, len(days)),
                12,
                MUTED,
                ref=day,
                role="axis",
                anchor="mm",
            )

    # 2. the share of commands that found nothing, per day
    _text(draw, boxes, (LEFT, SHARE_TOP - 24), labels.nothing_share, 16, INK, role="heading")
    shares = [
        (i, nothing_by_day[d][1] / nothing_by_day[d][0]) for i, d in enumerate(days) if nothing_by_day.get(d, (0, 0))[0]
    ]
    s_max = _nice_max(max((v for _, v in shares), default=0.0) * 100) / 100
    s_max = min(1.0, s_max) if s_max > 0 else 1.0
    for k in range(3):
        gy = SHARE_BOTTOM - (SHARE_BOTTOM - SHARE_TOP) * k / 2
        draw.line((LEFT, gy, plot_right, gy), fill=GRID)
        _text(draw, boxes, (LEFT - 8, gy), f"{s_max * k / 2:.0%}", 12, MUTED, role="axis", anchor="rm")
    points = [
        (LEFT + i * slot + slot / 2, SHARE_BOTTOM - (SHARE_BOTTOM - SHARE_TOP) * min(1.0, v / s_max)) for i, v in shares
    ]
    if len(points) > 1:
        draw.line(points, fill=SHARE, width=2)
    for px, py in points:
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=SHARE)

    # 3. latency per command
    _text(draw, boxes, (LEFT, LATENCY_TOP - 4), labels.latency, 16, INK, role="heading")
    if not latency_rows:
        _text(draw, boxes, (LEFT, LATENCY_TOP + 30), labels.no_latency, 14, MUTED, role="note")
    l_max = _nice_max(max((c.p95_ms or c.median_ms or 0.0 for c in latency_rows), default=0.0))
    name_w = 150
    bar_left, bar_right = LEFT + name_w, plot_right - 200
    for i, c in enumerate(latency_rows):
        y = LATENCY_TOP + 30 + i * LATENCY_ROW
        _text(draw, boxes, (bar_left - 10, y), "/" + c.command, 14, INK, ref=c.command, anchor="rm")
        width = bar_right - bar_left
        if c.p95_ms is not None:
            draw.rectangle((bar_left, y - 9, bar_left + width * c.p95_ms / l_max, y + 9), fill=P95)
        if c.median_ms is not None:
            draw.rectangle((bar_left, y - 5, bar_left + width * c.median_ms / l_max, y + 5), fill=MEDIAN)
        value = f"{_ms(c.median_ms, labels)} / {_ms(c.p95_ms, labels)}"
        share = " · " + labels.found_nothing.format(share=f"{c.nothing_found / c.count:.0%}") if c.count else ""
        _text(draw, boxes, (bar_right + 10, y), value + share, 13, MUTED, ref=c.command, role="value")
    return Picture(png_bytes(image), WIDTH, height, usage_alt(s, labels), FILENAME, tuple(boxes), labels.lang)
