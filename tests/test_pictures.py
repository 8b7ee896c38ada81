"""The pictures (present/pictures/): valid PNGs of the promised size, not blank, every label drawn where the
layout says (compared with the text list), Hangul drawn with real glyphs, the cache and the alt text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from alliance_bot.answers.model import EventView, SourceRef, TimelineAnswer
from alliance_bot.answers.service import Answers
from alliance_bot.digest.dates import PartialDate, Precision
from alliance_bot.digest.loader import load_digest
from alliance_bot.present.limits import ATTACHMENT_DESCRIPTION_MAX, ATTACHMENT_SCHEME, Rendered, with_image
from alliance_bot.present.pictures import Picture, charts, timeline_image
from alliance_bot.present.pictures.cache import PictureCache, timeline_key, usage_key
from alliance_bot.present.pictures.fonts import NOTDEF_PROBE, glyph_mask, has_glyphs
from alliance_bot.present.pictures.labels import LABELS, PictureLabels, labels_for
from alliance_bot.present.text import timeline_text
from alliance_bot.storage.usage import CommandStats, UsageSummary

CONTENT = Path(__file__).resolve().parents[1] / "content"
TODAY = dt.date(2026, 7, 10)  # the armistice's 73rd anniversary (July 27) is 17 days ahead


@pytest.fixture(scope="module")
def answers() -> Answers:
    result = load_digest(CONTENT, None)
    assert result.digest is not None
    return Answers(result.digest)


def _image(p: Picture) -> Image.Image:
    assert p.png[:8] == b"\x89PNG\r\n\x1a\n"
    Image.open(io.BytesIO(p.png)).verify()  # a valid PNG, chunks and checksums
    image = Image.open(io.BytesIO(p.png))
    image.load()
    assert image.format == "PNG"
    assert image.size == (p.width, p.height), "the promised size"
    return image.convert("RGB")


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    """An RGB image's pixels, row by row (from its bytes: the same on every Pillow version)."""
    raw = image.tobytes()
    return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def _near(px: object, colour: tuple[int, int, int]) -> bool:
    """The same colour, give or take the palette's rounding (png_bytes keeps 128 colours)."""
    assert isinstance(px, tuple)
    return sum(abs(a - b) for a, b in zip(px, colour, strict=True)) <= 24


def _ink(image: Image.Image, box: tuple[int, int, int, int], background: tuple[int, int, int]) -> int:
    """Pixels in `box` that are not the background (nor the band shading: pale colours)."""
    crop = image.crop(box)
    return sum(1 for px in _pixels(crop) if px != background and min(px) < 200)


def _not_blank(image: Image.Image) -> None:
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20, "more than a few colours: drawn, not blank"
    background = max(colours)[0]
    assert background < image.width * image.height * 0.97, "at least 3% of the picture is drawn"


@pytest.mark.parametrize(
    ("start", "end", "tag"), [(None, None, None), ("1950", "1960", None), (None, None, "armistice")]
)
def test_timeline_png_valid_sized_not_blank_and_every_label_drawn(
    answers: Answers, start: str | None, end: str | None, tag: str | None
) -> None:
    a = answers.timeline(start, end, tag)
    assert a.events
    p = timeline_image.render_timeline_png(a, today=TODAY)
    image = _image(p)
    assert p.width == timeline_image.WIDTH and p.filename == "timeline.png"
    _not_blank(image)
    # every event of the text list has its label, in the same order, and that label has ink where it was drawn
    listed = [line for line in timeline_text(a).splitlines() if line.startswith("• ")]
    labels = [b for b in p.labels if b.role == "label"]
    assert len(labels) == len(a.events) == len(listed)
    for event, line, box in zip(a.events, listed, labels, strict=True):
        assert box.ref == event.id
        drawn = box.text.removesuffix("…")
        assert event.title.startswith(drawn) and len(drawn) >= min(len(event.title), 30), (box.text, event.title)
        assert drawn[:30] in line, "the picture and the text list name the same event"
        assert _ink(image, box.box, timeline_image.BACKGROUND) > 20, f"no ink where {box.text!r} should be"
    dates = [b for b in p.labels if b.role == "date"]
    assert [b.ref for b in dates] == [e.id for e in a.events]
    assert all(_ink(image, b.box, timeline_image.BACKGROUND) > 10 for b in dates)


def test_timeline_layout_time_order_precision_and_gaps(answers: Answers) -> None:
    a = answers.timeline()
    layout = timeline_image.layout_timeline(a, TODAY, labels_for("en"))
    ys = [r.y for r in layout.rows]
    assert ys == sorted(ys) and len(set(ys)) == len(ys), "one row each, in time order"
    assert [r.event_id for r in layout.rows] == [e.id for e in a.events]
    for row, e in zip(layout.rows, a.events, strict=True):
        assert row.precision is e.date.precision
    # a month-only event is not drawn as a day: its mark is taller than wide, a day's is round
    image = Image.open(io.BytesIO(timeline_image.render_timeline_png(a, today=TODAY).png)).convert("RGB")

    def mark_size(row: timeline_image.Row) -> tuple[int, int]:
        x, y = timeline_image.AXIS_X, row.y
        box = (x - 12, y - 12, x + 13, y + 13)
        crop = image.crop(box)
        inked = [(i % 25, i // 25) for i, px in enumerate(_pixels(crop)) if _near(px, row.colour)]
        xs, ys = [p[0] for p in inked], [p[1] for p in inked]
        return max(xs) - min(xs) + 1, max(ys) - min(ys) + 1

    day = next(r for r in layout.rows if r.precision is Precision.DAY and not r.anniversary)
    month = next(r for r in layout.rows if r.precision is Precision.MONTH)
    year = next(r for r in layout.rows if r.precision is Precision.YEAR)
    dw, dh = mark_size(day)
    mw, mh = mark_size(month)
    yw, yh = mark_size(year)
    assert abs(dw - dh) <= 1, "a day is a dot"
    assert mh > mw + 4, "a month is a bar"
    assert yh > mh and yw > mw, "a year only is a taller, wider bracket"
    assert _near(image.getpixel((timeline_image.AXIS_X, year.y)), timeline_image.BACKGROUND), "and open"
    # 1882 to 1905: a break in the axis that says how long
    assert any(g.years == 23 for g in layout.gaps)
    assert layout.height < 2400


def test_coming_anniversary_is_marked(answers: Answers) -> None:
    a = answers.timeline("1953", "1953")
    p = timeline_image.render_timeline_png(a, today=TODAY)
    marked = [b for b in p.labels if b.role == "anniversary"]
    assert [(b.ref, b.text) for b in marked] == [("armistice-signed", "73rd anniversary on Jul 27, 2026")]
    assert "73rd anniversary on Jul 27, 2026" in p.alt
    later = timeline_image.render_timeline_png(a, today=dt.date(2026, 9, 1))
    assert not [b for b in later.labels if b.role == "anniversary"], "not in the coming weeks: not marked"


def _event(i: int, title: str, date: PartialDate, tags: tuple[str, ...] = ("test",)) -> EventView:
    return EventView(f"e{i}", date, title, "summary", tags, (SourceRef("s", "Source", None, None, None, "q", "S"),))


def test_many_events_label_an_even_spread_and_say_so() -> None:
    events = tuple(_event(i, f"Event number {i}", PartialDate(1900 + i)) for i in range(150))
    p = timeline_image.render_timeline_png(TimelineAnswer(None, None, None, events), today=TODAY)
    labels = [b for b in p.labels if b.role == "label"]
    assert len(labels) == timeline_image.MAX_ROWS
    assert labels[0].ref == "e0" and labels[-1].ref == "e149", "the whole range, first and last"
    note = [b for b in p.labels if b.role == "note"]
    assert note and "60 of 150 events" in note[0].text
    assert "more, listed in the message" in p.alt


def test_hangul_is_drawn_with_real_glyphs_not_the_notdef_box() -> None:
    notdef = glyph_mask(NOTDEF_PROBE)
    for syllable in "한국어동맹":
        size, bitmap = glyph_mask(syllable)
        assert (size, bitmap) != notdef, f"{syllable} is drawn as the missing-glyph box"
        assert any(bitmap), f"{syllable} has ink"
    assert glyph_mask("한") != glyph_mask("국"), "two syllables, two glyphs"
    assert has_glyphs("한미동맹 US–ROK alliance 1953")
    assert not has_glyphs(NOTDEF_PROBE), "the probe itself has no glyph: the comparison can fail"


def test_a_korean_title_is_drawn() -> None:
    events = (
        _event(1, "정전협정 체결", PartialDate(1953, 7, 27)),
        _event(2, "한미상호방위조약 서명", PartialDate(1953, 10, 1)),
    )
    p = timeline_image.render_timeline_png(TimelineAnswer("1953", "1953", None, events), today=TODAY, locale="ko")
    image = _image(p)
    for box in (b for b in p.labels if b.role == "label"):
        assert has_glyphs(box.text)
        assert _ink(image, box.box, timeline_image.BACKGROUND) > 50


def test_labels_come_from_one_table_per_language() -> None:
    assert labels_for("en-US") is LABELS["en"]
    assert labels_for("ko") is LABELS["ko"]  # a Korean client: the Korean table
    assert labels_for("fr") is LABELS["en"], "a language without its table falls back to English"
    assert labels_for(None) is LABELS["en"]
    for field in dataclasses.fields(PictureLabels):  # every Korean label has the English one's placeholders
        en, ko = getattr(LABELS["en"], field.name), getattr(LABELS["ko"], field.name)
        if isinstance(en, str):
            assert set(re.findall(r"{(\w+)}", ko)) == set(re.findall(r"{(\w+)}", en)), field.name


def test_a_korean_reader_gets_korean_labels_and_dates() -> None:
    events = (_event(1, "Korean Armistice Agreement signed", PartialDate(1953, 7, 27)),)
    p = timeline_image.render_timeline_png(TimelineAnswer("1953", "1953", None, events), today=TODAY, locale="ko")
    drawn = " ".join(b.text for b in p.labels)
    assert "1953년 7월 27일" in drawn and "날짜까지 알려짐" in drawn and "연표" in drawn
    assert "2026년 7월 27일 73주년" in drawn  # the coming anniversary, as Koreans write it
    assert "Korean Armistice Agreement signed" in drawn  # the digest's own title, in its language
    image = _image(p)
    for box in p.labels:
        assert has_glyphs(box.text)
        assert _ink(image, box.box, timeline_image.BACKGROUND) > 0
    assert len(LABELS["en"].months) == 12


def _summary(total: int = 120) -> UsageSummary:
    per_day_command = [
        ("2026-12-01", "fact", 30, 6),
        ("2026-12-01", "today", 10, 0),
        ("2026-12-02", "fact", 40, 4),
        ("2026-12-02", "timeline", 15, 0),
        ("2026-12-03", "treaty", 5, 1),
    ]
    per_command = [
        CommandStats("fact", 70, 1, 10, 3.5, 40.0),
        CommandStats("timeline", 15, 0, 0, 80.0, 250.0),
        CommandStats("today", 10, 0, 0, 1.2, 4.0),
        CommandStats("treaty", 5, 0, 1, 2.0, 9.0),
    ]
    per_day = [("2026-12-01", 45), ("2026-12-02", 60), ("2026-12-03", 15)]
    return UsageSummary(7, total, 1, 0, 2, 11, 3.0, 90.0, per_command, per_day, [], [], [], per_day_command)


def test_usage_chart_valid_every_command_labelled() -> None:
    s = _summary()
    p = charts.render_usage_png(s)
    image = _image(p)
    _not_blank(image)
    commands = {b.ref for b in p.labels if b.role == "label"}
    assert commands == {c.command for c in s.per_command}
    days = [b.ref for b in p.labels if b.role == "axis" and b.ref]
    assert days == [d for d, _ in s.per_day]
    for b in p.labels:
        if b.role in ("label", "title", "heading", "value"):
            assert _ink(image, b.box, charts.BACKGROUND) > 5, b.text
    assert "120 interactions" in p.alt and "/fact 70" in p.alt
    assert len(p.alt) <= ATTACHMENT_DESCRIPTION_MAX


def test_usage_chart_of_nothing_still_draws() -> None:
    empty = UsageSummary(7, 0, 0, 0, 0, 0, None, None, [], [], [])
    p = charts.render_usage_png(empty)
    _image(p)
    assert p.alt == LABELS["en"].empty_usage


def test_alt_text_fits_discord(answers: Answers) -> None:
    p = timeline_image.render_timeline_png(answers.timeline(), today=TODAY)
    assert 0 < len(p.alt) <= ATTACHMENT_DESCRIPTION_MAX
    assert p.alt.startswith("Timeline picture of 45 events")


def test_cache_keys_and_bounds(answers: Answers) -> None:
    a = answers.timeline("1950", "1960")
    key = timeline_key("v1", a, "en-US", TODAY)
    assert key == timeline_key("v1", a, "en-GB", TODAY), "one language, one picture"
    assert key != timeline_key("v2", a, "en-US", TODAY), "new content, new picture"
    assert key != timeline_key("v1", answers.timeline("1950", "1961"), "en-US", TODAY)
    assert key != timeline_key("v1", a, "en-US", TODAY + dt.timedelta(days=1)), "the coming anniversaries change"
    assert usage_key(1, _summary(), None) == usage_key(1, _summary(), None)
    assert usage_key(1, _summary(), None) != usage_key(2, _summary(), None)
    assert usage_key(1, _summary(), None) != usage_key(1, dataclasses.replace(_summary(), total=121), None)
    cache = PictureCache(max_entries=2, max_bytes=100)
    pic = Picture(b"x" * 40, 1, 1, "alt", "a.png")
    cache.put("a", pic)
    cache.put("b", pic)
    assert cache.get("a") is pic
    cache.put("c", pic)  # over both bounds: the least recently used ("b") goes
    assert cache.get("b") is None and cache.get("a") is pic and cache.get("c") is pic
    assert cache.bytes == 80 and cache.hits == 3 and cache.misses == 1
    cache.put("huge", Picture(b"x" * 101, 1, 1, "alt", "a.png"))
    assert cache.get("huge") is None


def test_with_image_refers_every_page_to_the_file() -> None:
    rendered = Rendered([[{"title": "one"}], [{"title": "two"}, {"title": "extra"}]])
    shown = with_image(rendered, "timeline.png")
    assert [p[0]["image"]["url"] for p in shown.pages] == [ATTACHMENT_SCHEME + "timeline.png"] * 2
    assert "image" not in shown.pages[1][1]
    assert "image" not in rendered.pages[0][0], "the answer's own pages are not changed"
