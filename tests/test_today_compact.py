"""/today, an event's card and /timeline (#16): which anniversary a day brings across the year boundary and on
leap days, the posts' wording only on the day itself, no second count for an entry that is itself an
anniversary, year- and month-only events placed after the dated ones, and the compact first message within
its budget on every day of the year. Fixed instants throughout; no Discord here (see test_bot_e2e.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace

import pytest

from alliance_bot.anniversaries.rules import post_day
from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.model import EventView, TodayAnswer
from alliance_bot.answers.service import Answers
from alliance_bot.cli import main
from alliance_bot.digest.dates import PartialDate, anniversary_number, marked_on, names_an_anniversary
from alliance_bot.digest.loader import load_digest
from alliance_bot.digest.result import Digest
from alliance_bot.present.embeds import render
from alliance_bot.present.jsonout import to_json
from alliance_bot.present.limits import EmbedJson, limit_violations
from alliance_bot.present.text import to_text
from conftest import CONTENT

SEOUL_NOON = 3  # 03:00 UTC is noon in Seoul, the bot's default time zone


def at(year: int, month: int, day: int) -> dt.datetime:
    """An instant on that date in Seoul."""
    return dt.datetime(year, month, day, SEOUL_NOON, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def answers() -> Answers:
    result = load_digest(CONTENT)
    assert result.ok and result.digest is not None, result.problems
    return Answers(result.digest, timezone="Asia/Seoul")


def digest_with(digest: Digest, dates: dict[str, str]) -> Digest:
    """Only the events named: copies of the armistice, with these ids and dates (and no treaties, facts, topics
    or anniversary posts, which would name the others)."""
    model = digest.events["armistice-signed"]
    events = {
        eid: model.model_copy(update={"id": eid, "date": PartialDate.parse(d), "title": f"Event {eid}"})
        for eid, d in dates.items()
    }
    return replace(digest, events=events, treaties={}, facts={}, viewpoints={}, anniversaries={})


def flat(text: str) -> str:
    """The terminal form with its line wrapping undone."""
    return " ".join(text.split())


def one(views: tuple[EventView, ...], event_id: str) -> EventView:
    return next(e for e in views if e.id == event_id)


# ---------------------------------------------------------------- the year boundary


def test_from_december_the_next_january_anniversary_is_next_years(answers: Answers) -> None:
    a = answers.today(None, now=at(2026, 12, 4))
    assert (a.month, a.day, a.is_today) == (12, 4, True) and not a.events
    raid = one(a.nearest_after, "blue-house-raid")
    assert (raid.anniversary_number, raid.marked_on) == (59, dt.date(2027, 1, 21))  # not the 58th, in 2026
    minutes = one(a.nearest_before, "agreed-minutes-signed")
    assert (minutes.anniversary_number, minutes.marked_on) == (72, dt.date(2026, 11, 17))
    text = flat(to_text(a))
    assert "59th anniversary in 2027" in text and "58th" not in text


def test_from_january_the_last_november_anniversary_was_last_years(answers: Answers) -> None:
    a = answers.today(None, now=at(2026, 1, 1))
    minutes = one(a.nearest_before, "agreed-minutes-signed")
    assert (minutes.anniversary_number, minutes.marked_on) == (71, dt.date(2025, 11, 17))  # not the 72nd
    raid = one(a.nearest_after, "blue-house-raid")
    assert (raid.anniversary_number, raid.marked_on) == (58, dt.date(2026, 1, 21))
    assert "71st anniversary in 2025" in flat(to_text(a))


@pytest.mark.parametrize(
    ("asked", "before", "after"),
    [
        # both sides of the boundary, a digest with a day in spring and one in autumn only
        ("2026-12-31", ("autumn", dt.date(2026, 10, 10), 26), ("spring", dt.date(2027, 4, 4), 27)),
        ("2027-01-01", ("autumn", dt.date(2026, 10, 10), 26), ("spring", dt.date(2027, 4, 4), 27)),
        ("2027-06-01", ("spring", dt.date(2027, 4, 4), 27), ("autumn", dt.date(2027, 10, 10), 27)),
    ],
)
def test_nearest_days_on_both_sides_of_the_year_boundary(
    answers: Answers, asked: str, before: tuple[str, dt.date, int], after: tuple[str, dt.date, int]
) -> None:
    special = Answers(digest_with(answers.digest, {"spring": "2000-04-04", "autumn": "2000-10-10"}))
    a = special.today(asked, now=at(2026, 12, 4))
    for side, (eid, on, number) in ((a.nearest_before, before), (a.nearest_after, after)):
        assert [(e.id, e.marked_on, e.anniversary_number) for e in side] == [(eid, on, number)]


def test_leap_day_event_on_both_sides_of_the_year_boundary(answers: Answers) -> None:
    special = Answers(digest_with(answers.digest, {"leap": "1952-02-29", "summer": "1952-07-27"}))
    # to a common year: marked on February 28, and said so
    a = special.today("2026-12-31", now=at(2026, 12, 4))
    leap = one(a.nearest_after, "leap")
    assert (leap.marked_on, leap.anniversary_number) == (dt.date(2027, 2, 28), 75)
    assert leap.note and "February 28" in leap.note
    # to a leap year: on the day
    b = special.today("2027-12-31", now=at(2026, 12, 4))
    leap = one(b.nearest_after, "leap")
    assert (leap.marked_on, leap.anniversary_number, leap.note) == (dt.date(2028, 2, 29), 76, None)
    # after it, in a common year: it was marked on the 28th
    c = special.today("2026-03-05", now=at(2026, 12, 4))
    assert one(c.nearest_before, "leap").marked_on == dt.date(2026, 2, 28)
    # the day itself, and the 28th of a common year, show it; its card from that day too
    assert one(special.today("2028-02-29").events, "leap").anniversary_number == 76
    assert one(special.today("2026-02-28").events, "leap").marked_on == dt.date(2026, 2, 28)
    card = special.event("leap@2026-02-28", now=at(2026, 12, 4))
    assert card.event is not None and card.event.anniversary_number == 74
    assert special.event("leap", now=at(2027, 3, 1)).event.marked_on == dt.date(2028, 2, 29)  # type: ignore[union-attr]


def test_dates_helpers() -> None:
    assert marked_on(2, 29, 2026) == dt.date(2026, 2, 28) and marked_on(2, 29, 2028) == dt.date(2028, 2, 29)
    assert anniversary_number(PartialDate.parse("1953-07-27"), 2026) == 73
    assert anniversary_number(PartialDate.parse("1953-07"), 2026) is None  # an anniversary is of a day
    assert anniversary_number(PartialDate.parse("2026-07-27"), 2026) is None
    assert anniversary_number(PartialDate.parse("2023-07-27"), 2026, "70th anniversary of the armistice") is None
    assert names_an_anniversary("Anniversaries marked in Seoul") and not names_an_anniversary("Armistice signed")


def test_the_preview_of_a_post_is_the_next_one(answers: Answers) -> None:
    today = dt.date(2026, 12, 4)
    assert post_day(1, 21, None, today) == dt.date(2027, 1, 21)
    assert post_day(12, 4, None, today) == today
    assert post_day(11, 17, None, today) == dt.date(2027, 11, 17)
    assert post_day(2, 29, None, today) == dt.date(2027, 2, 28)  # marked on the 28th in a common year
    assert post_day(1, 21, 2026, today) == dt.date(2026, 1, 21)


# ---------------------------------------------------------------- wording


def test_a_day_that_is_not_today_gets_no_post_wording(answers: Answers) -> None:
    a = answers.today("06-25", now=at(2026, 12, 4))
    war = one(a.events, "korean-war-begins")
    assert war.anniversary_number == 76 and war.anniversary is None and not a.is_today
    for shown in (flat(to_text(a)), json.dumps(render(a).pages)):
        assert "Today marks" not in shown and "Today is" not in shown and "76th anniversary" in shown
    assert "anniversary today" not in to_text(a)
    assert all(e["anniversary"] is None for e in to_json(a)["events"])  # type: ignore[typeddict-item]
    card = answers.event("korean-war-begins@2026-06-25", now=at(2026, 12, 4))
    assert card.event is not None and card.event.anniversary is None and not card.is_today
    assert "Today marks" not in to_text(card) and "76th anniversary on June 25, 2026" in flat(to_text(card))


def test_the_day_itself_gets_the_post_wording_on_the_card(answers: Answers) -> None:
    a = answers.today(None, now=at(2026, 6, 25))
    assert a.is_today and answers.today("2026-06-25", now=at(2026, 6, 25)).is_today
    war = one(a.events, "korean-war-begins")
    assert war.anniversary and "Today marks the 76th anniversary" in war.anniversary
    assert "76th anniversary today" in flat(to_text(a))
    card = answers.event("korean-war-begins", now=at(2026, 6, 25))
    assert card.is_today and "Today marks the 76th anniversary" in flat(to_text(card))
    assert "Today marks the 76th anniversary" in json.dumps(render(card).pages, ensure_ascii=False)
    assert not answers.today("2027-06-25", now=at(2026, 6, 25)).is_today


def test_an_entry_that_is_itself_an_anniversary_gets_no_second_count(answers: Answers) -> None:
    a = answers.today("07-27", now=at(2026, 12, 4))
    assert one(a.events, "armistice-70th-anniversary").anniversary_number is None
    assert one(a.events, "armistice-signed").anniversary_number == 73
    shown = flat(to_text(a)) + json.dumps(render(a).pages, ensure_ascii=False)
    assert "70th anniversary of the Korean Armistice Agreement" in shown
    assert not re.search(r"\b3rd anniversary", shown)
    assert "anniversary of the Korean Armistice Agreement (" not in shown


def test_the_card_shows_the_next_anniversary_and_every_source(answers: Answers) -> None:
    card = answers.event("blue-house-raid", now=at(2026, 12, 4))
    assert card.event is not None and (card.event.anniversary_number, card.event.marked_on) == (
        59,
        dt.date(2027, 1, 21),
    )
    r = render(card)
    assert not limit_violations(r)
    text = json.dumps(r.pages, ensure_ascii=False)
    assert "59th anniversary on January 21, 2027" in text
    assert all(s.quote[:40] in text for s in card.event.sources)
    dulles = answers.event("dulles-arrives-seoul", now=at(2026, 12, 4))
    assert dulles.event is not None and dulles.event.anniversary_number is None
    assert "During 1953" in to_text(dulles) and "less than two weeks" in flat(to_text(dulles))  # its date note
    missing = answers.event("no-such-event")
    assert not missing.found and not limit_violations(render(missing))
    assert to_json(missing) == {"query": "no-such-event", "found": False, "is_today": False, "event": None}
    with pytest.raises(InvalidInput) as err:
        answers.event("armistice-signed@02-30")
    assert "February has no day 30" in err.value.message


# ---------------------------------------------------------------- timeline


def test_year_and_month_only_events_come_after_the_dated_ones(answers: Answers) -> None:
    ids = [e.id for e in answers.timeline("1953", "1953").events]
    dated = ["pow-release", "armistice-signed", "mdt-signed"]
    assert ids[:3] == dated and set(ids[3:]) == {"eisenhower-enters-office", "dulles-arrives-seoul"}
    july = answers.timeline("2023-07", "2023-07").events  # the day, that month's undated two, that year's
    assert july[0].id == "armistice-70th-anniversary"
    assert {e.id for e in july[1:3]} == {"yoon-considers-ukraine-weapons-2023", "washington-peace-rally-2023"}
    assert july[3:] and all(e.date.month is None for e in july[3:])
    a = answers.timeline("1950", "1954")
    text = to_text(a)
    assert text.index("October 1, 1953") < text.index("During 1953†: Secretary of State Dulles")  # † worked out
    assert text.index("During 1953") < text.index("November 17, 1954")
    assert "**During 1953†** · Secretary of State Dulles" in json.dumps(render(a).pages, ensure_ascii=False)
    events = to_json(a)["events"]  # type: ignore[typeddict-item]
    assert one_json(events, "dulles-arrives-seoul")["when"] == "during 1953"
    assert one_json(events, "mdt-signed")["when"] == "October 1, 1953"
    assert (
        one_json(to_json(answers.timeline("2023-07", "2023-07"))["events"], "washington-peace-rally-2023")[  # type: ignore[typeddict-item]
            "when"
        ]
        == "in July 2023"
    )
    assert "In July 2023†: Peace advocates" in to_text(answers.timeline("2023-07", "2023-07"))  # worked out


def one_json(events: list[dict[str, object]], event_id: str) -> dict[str, object]:
    return next(e for e in events if e["id"] == event_id)


# ---------------------------------------------------------------- the compact first message


def visible(embed: EmbedJson) -> str:
    """What Discord shows of an embed, in reading order: title, description, fields, footer."""
    parts = [embed.get("title", ""), embed.get("description", "")]
    for f in embed.get("fields", []):
        parts += [f["name"], f["value"]]
    parts.append(embed.get("footer", {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def key_line(a: TodayAnswer) -> str:
    """The answer's key line: the day's first event (its year and the start of its title), or what an empty
    day says."""
    if a.events:
        first = a.events[0]
        return f"**{first.date.year}{'†' if first.date_note else ''}** · {first.title[:40]}"
    return f"The digest has no event on {dt.date(2028, a.month, a.day):%B} {a.day}."


def every_day() -> list[dt.date]:
    day, out = dt.date(2028, 1, 1), []  # a leap year: all 366
    while day.year == 2028:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def test_every_day_of_the_year_fits_the_first_message_budget(answers: Answers) -> None:
    assert len(every_day()) == 366
    checked = 0
    for day in every_day():
        asked = answers.today(f"{day:%m-%d}", now=at(2026, 12, 4))
        itself = answers.today(None, now=at(day.year, day.month, day.day))
        assert itself.is_today and (itself.month, itself.day) == (day.month, day.day)
        for a in (asked, itself):
            r = render(a)
            assert not limit_violations(r), (day, limit_violations(r))
            first = r.pages[0][0]
            shown = visible(first)
            assert len(shown) <= 1500, (day, len(shown))
            assert key_line(a) in shown[:300], (day, shown[:300])
            assert r.page_count == 1, day
            assert all(len(link.label) <= 40 for link in r.links), day  # a phone's width
            checked += 1
    assert checked == 732


def test_the_compact_day_has_one_line_items_and_the_card_in_the_menu(answers: Answers) -> None:
    a = answers.today("07-27", now=at(2026, 12, 4))
    r = render(a)
    description = r.pages[0][0]["description"]
    assert description.startswith(
        "**1953** · Korean Armistice Agreement signed, halting the fighting of the Korean War · 73rd anniversary\n> “"
    )
    assert "— *" in description.splitlines()[1]  # one quote, with its source
    assert r.pages[0][0]["fields"][0]["name"] == "Also in July, day not recorded"
    targets = [(link.command, link.argument) for link in r.links]
    assert ("event", "armistice-signed@2026-07-27") in targets and ("event", "washington-peace-rally-2023") in targets
    empty = render(answers.today("12-04", now=at(2026, 12, 4)))
    assert empty.pages[0][0]["description"].startswith("The digest has no event on December 4.")
    assert "Nothing" not in visible(empty.pages[0][0]) and "happened" not in visible(empty.pages[0][0])
    assert [(link.command, link.argument) for link in empty.links] == [
        ("today", "2026-11-17"),
        ("today", "2027-01-21"),
    ]


def test_a_crowded_day_shows_five_items_and_lists_the_rest_in_the_menu(answers: Answers) -> None:
    crowded = Answers(digest_with(answers.digest, {f"day-{i}": f"{1950 + i}-07-27" for i in range(9)}))
    a = crowded.today("07-27", now=at(2026, 12, 4))
    r = render(a)
    description = r.pages[0][0]["description"]
    assert len(re.findall(r"^\*\*\d{4}\*\* · ", description, re.MULTILINE)) == 5
    assert "…and 4 more in the menu below." in description
    assert len([link for link in r.links if link.command == "event"]) == 9
    text = to_text(a)
    assert len(re.findall(r"^• \d{4} · ", text, re.MULTILINE)) == 5 and "…and 4 more" in text
    packed = Answers(digest_with(answers.digest, {f"day-{i}": f"{1900 + i}-07-27" for i in range(30)}))
    r = render(packed.today("07-27", now=at(2026, 12, 4)))
    assert "…and 25 more in the digest." in r.pages[0][0]["description"]  # not all of them fit in a menu
    assert len(r.links) == 25 and not limit_violations(r)


def test_a_quote_that_is_itself_a_quotation_is_not_wrapped_twice(answers: Answers) -> None:
    digest = digest_with(answers.digest, {"rally": "2023-07-27"})
    ev = digest.events["rally"]
    cite = ev.citations[0].model_copy(update={"quote": "“70 years is enough!”"})
    digest.events["rally"] = ev.model_copy(update={"citations": [cite]})
    a = Answers(digest).today("07-27", now=at(2026, 12, 4))
    for shown in (render(a).pages[0][0]["description"], to_text(a)):
        assert "“70 years is enough!” — " in shown and "““" not in shown and "””" not in shown
    plain = answers.today("07-27", now=at(2026, 12, 4))
    assert "> “The US, PRC, and DPRK" in render(plain).pages[0][0]["description"]


# ---------------------------------------------------------------- the terminal


def test_ask_today_is_the_same_compact_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "today", "--date", "2026-07-27"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("On this day in history: July 27\n\n• 1953 · Korean Armistice Agreement signed")
    assert "[armistice-signed]" in out and "alliance-bot ask event ID" in out
    assert "Today is" not in out and not re.search(r"\b3rd anniversary", out)
    assert len(out.splitlines()) <= 18  # with the line that explains a worked-out date (†)
    assert main(["ask", "event", "armistice-signed@2026-07-27", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["found"] and card["event"]["anniversary_number"] == 73
    assert card["event"]["anniversary_date"] == "2026-07-27" and card["event"]["when"] == "July 27, 1953"
    assert main(["ask", "event", "armistice-signed@13-45"]) == 2  # one line on standard error
    assert "alliance-bot: " in capsys.readouterr().err
    assert main(["ask", "today", "--date", "01-02", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "is_today" in data and {"anniversary_number", "anniversary_date", "when", "date_note"} <= set(
        data["nearest"][0]
    )


def test_a_worked_out_date_is_marked_in_every_list_and_explained(answers: Answers) -> None:
    """An event whose date the document does not state (it has a date note) carries † wherever it is listed,
    and the list says what † means; its card gives the note."""
    from alliance_bot.present.days import WORKED_OUT_NOTE

    timeline = answers.timeline("1953", "1953")
    dulles = next(e for e in timeline.events if e.id == "dulles-arrives-seoul")
    plain = next(e for e in timeline.events if e.id == "mdt-signed")
    assert dulles.date_note and not plain.date_note
    text = to_text(timeline)
    assert "During 1953†: Secretary of State Dulles" in text and "October 1, 1953: US–ROK" in text
    assert " ".join(WORKED_OUT_NOTE.split()) in " ".join(text.split())
    embed = json.dumps(render(timeline).pages, ensure_ascii=False)
    assert "**During 1953†** · Secretary of State Dulles" in embed and "A date worked out" in embed
    treaty = json.dumps(render(answers.treaty("mdt")).pages, ensure_ascii=False)
    assert "during 1953† · Secretary of State Dulles" in treaty and "A date worked out" in treaty
    card = to_text(answers.event("dulles-arrives-seoul"))
    assert dulles.date_note.split()[0] in card  # the note itself, on the card
    # a list with no worked-out date says nothing about †
    assert "†" not in to_text(answers.timeline("1968", "1968"))
