"""The answers core on the shipped content: no Discord involved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.service import Answers
from alliance_bot.answers.userdates import parse_day
from alliance_bot.digest.loader import load_digest
from alliance_bot.present.embeds import render
from alliance_bot.present.limits import limit_violations

CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture(scope="module")
def answers() -> Answers:
    result = load_digest(CONTENT)
    assert result.ok, result.problems
    return Answers(result.digest, timezone="Asia/Seoul")


# ---------------------------------------------------------------- today


@pytest.mark.parametrize(
    ("day", "event_id", "years"),
    [("07-27", "armistice-signed", 73), ("10-01", "mdt-signed", 73), ("06-25", "korean-war-begins", 76)],
)
def test_today_finds_the_right_event(answers: Answers, day: str, event_id: str, years: int) -> None:
    a = answers.today(f"2026-{day}")
    ids = [e.id for e in a.events]
    assert event_id in ids
    e = a.events[ids.index(event_id)]
    assert e.years_ago == years
    assert e.sources and all(s.quote for s in e.sources)


def test_today_events_oldest_first_with_ordinal_anniversary(answers: Answers) -> None:
    # on the day itself (the posts' wording says "Today is…": only then is it given)
    a = answers.today("2026-07-27", now=dt.datetime(2026, 7, 27, 3, tzinfo=dt.UTC))
    years = [e.date.year for e in a.events]
    assert years == sorted(years)
    armistice = next(e for e in a.events if e.id == "armistice-signed")
    assert armistice.anniversary_number == 73
    assert armistice.anniversary is not None and "73rd" in armistice.anniversary


@pytest.mark.parametrize(
    "form",
    [
        "07-27",
        "7-27",
        "07/27",
        "July 27",
        "jul 27",
        "27 July",
        "27th of July",
        "2026-07-27",
        "July 27, 2026",
        "  july   27  ",
    ],
)
def test_every_date_form(answers: Answers, form: str) -> None:
    a = answers.today(form, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert (a.month, a.day) == (7, 27)
    assert a.reference_year == 2026
    assert "armistice-signed" in [e.id for e in a.events]


def test_default_is_today_in_the_configured_time_zone(answers: Answers) -> None:
    # 2026-07-26 20:00 UTC is already July 27 in Seoul
    a = answers.today(None, now=dt.datetime(2026, 7, 26, 20, 0, tzinfo=dt.UTC))
    assert (a.month, a.day) == (7, 27)
    la = Answers(answers.digest, timezone="America/Los_Angeles")
    b = la.today(None, now=dt.datetime(2026, 7, 27, 5, 0, tzinfo=dt.UTC))
    assert (b.month, b.day) == (7, 26)


@pytest.mark.parametrize("bad", ["02-30", "13-01", "2026-02-29", "June 31", "hello", "32 July", "0-0", "x" * 5000])
def test_impossible_dates_get_a_clear_message(answers: Answers, bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        answers.today(bad)
    assert err.value.message
    assert len(err.value.message) < 200


def test_february_29_works_in_every_year(answers: Answers) -> None:
    for year in (2024, 2025, 2026, 2100):
        a = answers.today("02-29", now=dt.datetime(year, 3, 1, tzinfo=dt.UTC))
        assert (a.month, a.day) == (2, 29)
    assert parse_day("2024-02-29").day == 29
    with pytest.raises(InvalidInput) as err:
        parse_day("2025-02-29")
    assert "not a leap year" in err.value.message


def test_february_29_events_are_remembered_on_the_28th_in_common_years(answers: Answers) -> None:
    from dataclasses import replace

    digest = answers.digest
    leap_event = replace_event = digest.events["armistice-signed"].model_copy(
        update={"id": "leap-day-event", "date": type(digest.events["armistice-signed"].date).parse("1952-02-29")}
    )
    events = dict(digest.events)
    events[leap_event.id] = replace_event
    special = Answers(replace(digest, events=events))
    common = special.today("2026-02-28")
    marked = [e for e in common.events if e.id == "leap-day-event"]
    assert marked and "February 28" in (marked[0].note or "")
    leap = special.today("2028-02-28")
    assert "leap-day-event" not in [e.id for e in leap.events]
    assert "leap-day-event" in [e.id for e in special.today("2028-02-29").events]


def test_empty_day_offers_nearest_events(answers: Answers) -> None:
    a = answers.today("2026-01-02")
    assert not a.events
    assert a.nearest_before and a.nearest_after
    before = a.nearest_before[0].date
    after = a.nearest_after[0].date
    assert (after.month, after.day) > (1, 2)
    assert (before.month, before.day) != (1, 2)


def test_month_precision_events_are_this_month_not_a_day(answers: Answers) -> None:
    a = answers.today("2026-03-01")
    cheonan = [e for e in a.month_events if e.id == "cheonan-sinking"]
    assert cheonan, "the March 2010 Cheonan sinking belongs to 'this month in history'"
    assert cheonan[0].date.day is None
    assert "cheonan-sinking" not in [e.id for e in a.events]
    for day in range(1, 32):
        assert "cheonan-sinking" not in [e.id for e in answers.today(f"03-{day:02d}").events]


# ---------------------------------------------------------------- treaties


@pytest.mark.parametrize(
    "name",
    [
        "mdt",
        "MDT",
        "mutual defence treaty",
        "Mutual Defense Treaty",
        "US-ROK mutual defense treaty",
        "mutal defense tready",
        "mutual-defense-treaty-1953",
    ],
)
def test_treaty_finds_the_mutual_defense_treaty(answers: Answers, name: str) -> None:
    a = answers.treaty(name)
    assert a.results and a.results[0].id == "mutual-defense-treaty-1953"
    assert not a.ambiguous
    t = a.results[0]
    assert t.date is not None and t.date.iso() == "1953-10-01"
    assert t.sources


@pytest.mark.parametrize(
    ("name", "treaty_id"),
    [
        ("korus", "korus-fta"),
        ("KORUS FTA", "korus-fta"),
        ("sma", "cost-sharing-2024"),
        ("armistice", "korean-armistice-1953"),
        ("armistace", "korean-armistice-1953"),
        ("taft katsura", "taft-katsura-1905"),
        ("H.R. 1369", "peace-on-korean-peninsula-act"),
        ("1882 treaty", "joseon-us-treaty-1882"),
        ("1954 agreed minutes", "agreed-minutes-1954"),
        ("agreed framework", "agreed-framework"),
    ],
)
def test_treaty_by_alias_year_and_misspelling(answers: Answers, name: str, treaty_id: str) -> None:
    a = answers.treaty(name)
    assert a.results, name
    assert a.results[0].id == treaty_id, [t.id for t in a.results]


@pytest.mark.parametrize(
    ("name", "treaty_id"),
    [
        ("thearmistice", "korean-armistice-1953"),
        ("cnd-of-war", "end-of-war-declaration"),
        ("burden charing", "cost-sharing-2024"),
        ("HcR1369", "peace-on-korean-peninsula-act"),
        ("Agreed uMinptes", "agreed-minutes-1954"),
    ],
)
def test_treaty_name_misspelt_beyond_word_correction(answers: Answers, name: str, treaty_id: str) -> None:
    """Joined words and typos in short words, which word-by-word correction cannot repair."""
    a = answers.treaty(name)
    assert [t.id for t in a.results] == [treaty_id]


def test_every_name_and_alias_missing_a_letter_still_finds_its_treaty(answers: Answers) -> None:
    missed = []
    for tr in answers.digest.treaties.values():
        for label in (tr.name, *tr.aliases):
            if len(label) < 8:
                continue
            for i in range(len(label)):
                typed = label[:i] + label[i + 1 :]
                if tr.id not in [t.id for t in answers.treaty(typed).results]:
                    missed.append((typed, tr.id))
    assert not missed, missed[:10]


def test_treaty_answer_is_complete(answers: Answers) -> None:
    t = answers.treaty("mdt").results[0]
    assert t.parties and t.status and t.summary
    assert t.related_events and "mdt-signed" in [e.id for e in t.related_events]
    assert t.viewpoints, "the MDT touches debated topics"


def test_ambiguous_treaty_lists_candidates(answers: Answers) -> None:
    a = answers.treaty("1953")
    assert a.ambiguous
    ids = {t.id for t in a.results}
    assert {"korean-armistice-1953", "mutual-defense-treaty-1953"} <= ids


def test_unknown_treaty_is_nothing_found(answers: Answers) -> None:
    assert answers.treaty("treaty of westphalia zzz").results == ()


# ---------------------------------------------------------------- facts


def test_fact_troops(answers: Answers) -> None:
    a = answers.fact("how many us troops are in korea")
    assert "28,500" in a.results[0].text


def test_fact_typo(answers: Answers) -> None:
    a = answers.fact("armistise date")
    assert any("July 27, 1953" in r.text for r in a.results[:3])


def test_fact_cheonan(answers: Answers) -> None:
    a = answers.fact("cheonan")
    assert "46" in a.results[0].text or "Cheonan" in a.results[0].text


def test_facts_that_disagree_are_shown_together(answers: Answers) -> None:
    a = answers.fact("korean war american deaths")
    top = a.results[:2]
    assert {r.group for r in top} == {"korean-war-us-deaths"}
    assert all(r.differs for r in top)
    texts = " ".join(r.text for r in top)
    assert "37,000" in texts and "33,629" in texts
    assert {r.sources[0].id for r in top} == {"detrani-2025", "oh-alliance-history"}


def test_fact_results_name_their_kind(answers: Answers) -> None:
    kinds = {
        r.kind for q in ("cfc established", "mutual defense treaty", "blue house raid") for r in answers.fact(q).results
    }
    assert {"fact", "event", "treaty"} <= kinds


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "-",
        "*",
        "AND",
        "NOT",
        "NEAR(",
        "a AND b NEAR(x, y)",
        "::",
        "\x00",
        "x" * 5000,
        "🇰🇷" * 100,
        "<@&123> @everyone",
        "",
        "   ",
        "the of and",
    ],
)
def test_fact_never_errors(answers: Answers, query: str) -> None:
    a = answers.fact(query)
    for r in a.results:
        assert r.text and r.sources


# ---------------------------------------------------------------- viewpoints, timeline, source


def test_viewpoints_side_by_side(answers: Answers) -> None:
    a = answers.viewpoints("peace agreement")
    assert a.results[0].id == "armistice-or-peace"
    v = a.results[0]
    assert len(v.positions) >= 2
    assert all(p.sources and p.summary and p.label for p in v.positions)


def test_no_position_is_systematically_first(answers: Answers) -> None:
    firsts = {
        answers.viewpoints("cost-sharing", on=dt.date(2026, 1, 1) + dt.timedelta(days=i)).results[0].positions[0].label
        for i in range(10)
    }
    n = len(answers.digest.viewpoints["cost-sharing"].positions)
    assert len(firsts) == n


def test_viewpoints_listing_and_unknown(answers: Answers) -> None:
    listing = answers.viewpoints("")
    assert listing.listing and len(listing.results) == len(answers.digest.viewpoints)
    assert answers.viewpoints("qwertyuiop asdfgh").results == ()


def test_timeline_range_and_tag(answers: Answers) -> None:
    a = answers.timeline("1950", "1953")
    years = [e.date.year for e in a.events]
    assert years and min(years) >= 1950 and max(years) <= 1953 and years == sorted(years)
    assert "armistice-signed" in [e.id for e in a.events]
    tagged = answers.timeline(tag="provocation")
    assert tagged.events and all("provocation" in e.tags for e in tagged.events)
    with pytest.raises(InvalidInput):
        answers.timeline("2000", "1990")
    with pytest.raises(InvalidInput):
        answers.timeline("last year")


def test_source_answer(answers: Answers) -> None:
    a = answers.source("detrani-2025")
    s = a.results[0]
    assert s.author == "Joseph R. DeTrani" and s.outlet == "The Washington Times"
    assert s.cited_by and all(c.quote for c in s.cited_by)
    assert answers.source("detrani").results[0].id == "detrani-2025"
    assert answers.source("").listing


# ---------------------------------------------------------------- autocomplete and rendering


@pytest.mark.parametrize("option", ["treaty", "viewpoints", "source", "today", "fact", "tag"])
@pytest.mark.parametrize("typed", ["", "m", "mut", "korea", "zzzz", "x" * 300, "1953"])
def test_autocomplete_limits(answers: Answers, option: str, typed: str) -> None:
    choices = answers.autocomplete(option, typed)
    assert len(choices) <= 25
    for c in choices:
        assert 1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100


def test_autocomplete_suggests_by_partial_name(answers: Answers) -> None:
    assert "mutual-defense-treaty-1953" in [c.value for c in answers.autocomplete("treaty", "mutual")]
    assert "korus-fta" in [c.value for c in answers.autocomplete("treaty", "KOR")]
    assert "07-27" in [c.value for c in answers.autocomplete("today", "jul")]
    assert "cost-sharing" in [c.value for c in answers.autocomplete("viewpoints", "cost")]
    assert answers.autocomplete("treaty", "mutal") != []


def test_every_shipped_answer_renders_within_discord_limits(answers: Answers) -> None:
    d = answers.digest
    rendered = [render(answers.treaty(t)) for t in d.treaties]
    rendered += [render(answers.viewpoints(v)) for v in d.viewpoints]
    rendered += [render(answers.source(s)) for s in d.sources]
    rendered += [render(answers.today(f"{m:02d}-{day:02d}")) for m in range(1, 13) for day in (1, 15, 27)]
    rendered += [render(answers.timeline()), render(answers.treaty("")), render(answers.viewpoints(""))]
    for f in d.facts.values():
        rendered.append(render(answers.fact(f.statement)))
    for r in rendered:
        assert limit_violations(r) == []
