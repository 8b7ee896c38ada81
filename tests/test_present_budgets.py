"""Reading budgets (issue #16), checked on what every reader command sends for the shipped content: the first
message of /fact, /today and /treaty holds at most 1,500 visible characters with the answer's key line in its
first 300; no inline field holds over 300 characters; every quote is wrapped in quotation marks once; and the
answer leads, with one block-quoted citation, the others behind the Sources button."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from alliance_bot.answers.model import Answer, FactAnswer, TodayAnswer, TreatyAnswer
from alliance_bot.answers.service import Answers
from alliance_bot.digest.loader import load_digest
from alliance_bot.present.embeds import render
from alliance_bot.present.limits import (
    FIRST_MESSAGE_BUDGET,
    INLINE_VALUE_MAX,
    KEY_LINE_WITHIN,
    OPTION_LABEL_PHONE,
    Rendered,
    limit_violations,
    visible_text,
)
from alliance_bot.present.text import to_text
from conftest import CONTENT

DIGEST = load_digest(CONTENT).digest
assert DIGEST is not None
ANSWERS = Answers(DIGEST)
ON = dt.date(2026, 12, 4)

FACT_QUESTIONS = [
    "how many us troops are in korea",
    "korean war american deaths",
    "when was the armistice signed",
    "who pays for us troops",
    "cheonan",
]


def _days() -> Iterator[str]:
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        yield f"{day.month:02d}-{day.day:02d}"
        day += dt.timedelta(days=1)


def answers_of(command: str) -> list[Answer]:
    """Every answer of one reader command on the shipped content."""
    a = ANSWERS
    if command == "fact":
        return [a.fact(q) for q in FACT_QUESTIONS] + [a.fact(f.statement) for f in DIGEST.facts.values()]
    if command == "today":
        return [a.today(d) for d in _days()]
    if command == "treaty":
        return [a.treaty(t) for t in DIGEST.treaties] + [a.treaty(""), a.treaty("1953"), a.treaty("mdt")]
    if command == "viewpoints":
        return [a.viewpoints(v, on=ON) for v in DIGEST.viewpoints] + [a.viewpoints("", on=ON), a.viewpoints("us")]
    if command == "timeline":
        return [a.timeline(), a.timeline("1950", "1954"), a.timeline(tag="armistice")]
    assert command == "source"
    return [a.source(s) for s in DIGEST.sources] + [a.source(""), a.source("news-report")]


def key_line(answer: Answer) -> str:
    """What the first message must say first: the fact's statement (or the event's or treaty's name), the
    treaty's name, the first event of the day."""
    if isinstance(answer, FactAnswer):
        r = answer.results[0]
        return (r.title if r.kind != "fact" and r.title else r.text)[:200]
    if isinstance(answer, TreatyAnswer):
        return answer.results[0].name  # the treaty, or the first candidate
    assert isinstance(answer, TodayAnswer)
    return answer.events[0].title if answer.events else ""


@pytest.mark.parametrize("command", ["fact", "treaty", "today"])
def test_first_message_budget(command: str) -> None:
    checked = 0
    for answer in answers_of(command):
        if not answer.found:
            continue
        first = render(answer).pages[0]
        text = visible_text(first)
        assert len(text) <= FIRST_MESSAGE_BUDGET, (command, getattr(answer, "query", ""), len(text))
        key = key_line(answer)
        assert key and key in text[:KEY_LINE_WITHIN], (command, key, text[:KEY_LINE_WITHIN])
        checked += 1
    assert checked >= (5 if command == "today" else 16)  # today: the days with events (every day: test_today_compact)


READERS = ["today", "fact", "treaty", "viewpoints", "timeline", "source"]


def _all_pages(r: Rendered) -> Iterator[dict]:
    for page in (*r.pages, *r.sources):
        yield from page


@pytest.mark.parametrize("command", READERS)
def test_no_long_inline_field_and_every_limit_kept(command: str) -> None:
    for answer in answers_of(command):
        r = render(answer)
        assert limit_violations(r) == []
        for e in _all_pages(r):
            for f in e.get("fields", []):
                assert not f["inline"] or len(f["value"]) <= INLINE_VALUE_MAX, (command, f["name"])
                assert "(cont.)" not in f["name"]
        # menu labels fit a phone's width (the rest in the option's description)
        assert all(len(x.label) <= OPTION_LABEL_PHONE for x in r.links), [x.label for x in r.links]


@pytest.mark.parametrize("command", READERS)
def test_quotes_are_wrapped_once(command: str) -> None:
    for answer in answers_of(command):
        r = render(answer)
        blob = " ".join(visible_text(p) for p in (*r.pages, *r.sources)) + to_text(answer)
        assert not re.search(r"““|“\"", blob), command  # (a quote may end with an inner quotation's mark)


def test_a_quote_that_is_a_quotation_is_not_wrapped_again() -> None:
    a = ANSWERS.fact("armistice-70-years-2023 70 years is enough")
    quotes = [s.quote for r in a.results for s in r.sources]
    assert "“70 years is enough!”" in quotes  # the shipped quote is itself a quotation
    r = render(a)
    shown = " ".join(visible_text(p) for p in (*r.pages, *r.sources)) + to_text(a)
    assert "“70 years is enough!”" in shown and "““70" not in shown


def test_fact_leads_with_its_statement_and_one_quote() -> None:
    a = ANSWERS.fact("how many us troops are in korea")
    r = render(a)
    e = r.pages[0][0]
    top = a.results[0]
    assert e["title"] == top.text and "28,500" in e["title"]  # the answer, not the query echoed back
    description = e["description"]
    assert description.startswith(f"> “{top.sources[0].quote}” — DeTrani 2025")
    assert description.count("\n> ") == 0  # one citation on the answer; the others under Sources
    assert "It’s Time To Recalibrate" not in visible_text(r.pages[0])  # no full title inline
    assert not any(f["name"].startswith(("1.", "Fact")) for f in e.get("fields", []))
    related = [f for f in e.get("fields", []) if f["name"].startswith("Related")]
    assert related and related[0]["name"] == "Related (not the answer)"
    panel = " ".join(visible_text(p) for p in r.sources)
    for s in top.sources:
        assert s.quote in panel and s.title in panel


def test_differing_figures_both_lead() -> None:
    a = ANSWERS.fact("korean war american deaths")
    first = visible_text(render(a).pages[0])
    assert "37,000" in first and "33,629" in first and "different figures" in first
    text = to_text(a)
    assert text.index("37,000") < text.index("33,629") < text.index("Related (not the answer):")


def test_an_unanswered_fact_shows_only_related_entries() -> None:
    a = ANSWERS.fact("qqqzzz xxyyq moon landing")
    r = render(a)
    e = r.pages[0][0]
    assert e["title"] == "Nothing found" and not r.sources
    assert all(f["name"].startswith("Related") for f in e.get("fields", []))


def test_treaty_first_page() -> None:
    a = ANSWERS.treaty("mdt")
    r = render(a)
    e = r.pages[0][0]
    inline = [f["name"] for f in e["fields"] if f["inline"]]
    assert inline == ["Date", "Parties", "Status"]
    aliases = next(f["value"] for f in e["fields"] if f["name"] == "Also known as")
    assert aliases.count(",") == 2 and aliases.endswith("and 1 more")
    assert e["description"].count("\n> “") == 1
    assert r.menu == "Open a debate or an event…"
    assert {x.emoji for x in r.links} == {"⚖️", "📅"} and all(x.description for x in r.links)
    events = [x for x in r.links if x.command == "event"]
    assert [x.argument for x in events][:3] == ["rhee-takes-office", "pow-release", "mdt-signed"]


def test_viewpoint_markers_stay_with_their_position_whatever_the_order() -> None:
    seen: dict[str, set[str]] = {}
    for day in range(6):
        a = ANSWERS.viewpoints("armistice-or-peace", on=ON + dt.timedelta(days=day))
        for f in render(a).pages[0][0]["fields"]:
            marker, label = f["name"].split(" ", 1)
            seen.setdefault(label, set()).add(marker)
    assert len(seen) == 3 and all(len(m) == 1 for m in seen.values())
    assert len({next(iter(m)) for m in seen.values()}) == 3
    e = render(ANSWERS.viewpoints("armistice-or-peace", on=ON)).pages[0][0]
    assert "changes daily" in e["footer"]["text"] and "side by side" not in e["footer"]["text"]


def test_several_topics_say_so_and_each_page_is_titled_with_its_topic() -> None:
    a = ANSWERS.viewpoints("alliance", on=ON)
    assert a.answered and len(a.results) >= 2
    r = render(a)
    titles = [p[0]["title"] for p in r.pages]
    assert titles == [v.topic for v in a.results]
    assert r.pages[0][0]["description"].startswith(f"*Topic 1 of {len(a.results)} matching")
    footers = [p[0]["footer"]["text"] for p in r.pages]
    assert footers[0].startswith(f"Page 1/{len(r.pages)} · ") and footers[-1].startswith(f"Page {len(r.pages)}/")


def test_source_first_page_is_the_document_and_what_the_digest_takes() -> None:
    a = ANSWERS.source("detrani-2025")
    s = a.results[0]
    r = render(a)
    first = r.pages[0][0]
    text = visible_text(r.pages[0])
    entries = len({(c.kind, c.id) for c in s.cited_by})
    assert f"{entries} entries cite it, with {len(s.cited_by)} quotes" in text and entries < len(s.cited_by)
    assert "“" not in text.split("What the digest takes from it")[1]  # the quotes are on the next pages
    assert {f["name"] for f in first["fields"] if f["inline"]} == {"Author", "Outlet", "Published", "Kind"}
    assert [x.command for x in r.links] == ["quotes"] * len(r.links) and r.links[0].label.endswith("facts")
    assert all("“" in visible_text(p) for p in r.pages[1:])
    one = ANSWERS.source("moon-end-of-war-2020").results[0]
    kinds = {c.kind for c in one.cited_by}
    assert kinds  # and a count of one says "entry", never "1 entries"
    texts = " ".join(visible_text(p) for src in DIGEST.sources for p in render(ANSWERS.source(src)).pages)
    texts += " ".join(to_text(ANSWERS.source(src)) for src in DIGEST.sources)
    assert not re.search(r"(?<![\d,])1 (entries|quotes|facts|events|treaties|debates)\b", texts)
    assert re.search(r"(?<![\d,])1 (entry|quote|fact|event|treaty|debate)\b", texts)  # the singular is used


def test_pages_have_no_continued_field_names() -> None:
    a = ANSWERS.source("oh-alliance-history")
    pages = render(a).pages
    assert len(pages) > 3
    for page in pages:
        names = [f["name"] for e in page for f in e.get("fields", [])]
        named = [n for n in names if n != "\u200b"]
        assert len(named) == len(set(named)) and not any("(cont.)" in n for n in names)
    assert any(f["name"] == "\u200b" for p in pages for e in p for f in e.get("fields", []))  # a long list goes on
    assert len({p[0]["title"] for p in pages}) == 1  # every page titled with the document, no "(continued)"
