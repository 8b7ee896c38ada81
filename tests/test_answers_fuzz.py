"""Property-based: arbitrary text to every question never raises and always renders within Discord's limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.service import Answers
from alliance_bot.digest.loader import load_digest
from alliance_bot.present.embeds import render
from alliance_bot.present.jsonout import to_json
from alliance_bot.present.limits import limit_violations
from alliance_bot.present.text import to_text

CONTENT = Path(__file__).resolve().parents[1] / "content"
ANSWERS = Answers(load_digest(CONTENT).digest)

hostile = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.sampled_from(
        [
            '"',
            "'",
            "-",
            "*",
            "AND",
            "OR NOT",
            "NEAR(",
            "a NEAR(b",
            "::",
            "^",
            "~",
            "\\",
            "%",
            "_",
            "@everyone",
            "<@&123456789>",
            "<@!1>",
            "**bold**",
            "`code`",
            "||spoiler||",
            "Z̴̡̧a̷l̸g̵o̶",
            "\x00\x01\x1b[31m",
            "\u202e\u200b",
            "07-27",
            "02-29",
            "2024-02-29",
            "9999-12-31",
            "0000-01-01",
        ]
    ),
    st.text(min_size=1000, max_size=6000).map(lambda s: s * 1),
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(answer: object) -> None:
    rendered = render(answer)
    assert limit_violations(rendered) == []
    assert rendered.pages and rendered.pages[0]
    to_json(answer)
    assert to_text(answer)


@SETTINGS
@given(hostile)
def test_fact_any_text(text: str) -> None:
    answer = ANSWERS.fact(text)
    for r in answer.results:
        assert r.id and r.text and r.sources and r.kind in {"fact", "event", "treaty", "source"}
    _check(answer)


@SETTINGS
@given(hostile)
def test_treaty_any_text(text: str) -> None:
    answer = ANSWERS.treaty(text)
    assert all(t.id in ANSWERS.digest.treaties for t in answer.results)
    _check(answer)


@SETTINGS
@given(hostile)
def test_viewpoints_any_text(text: str) -> None:
    _check(ANSWERS.viewpoints(text))


@SETTINGS
@given(hostile)
def test_source_any_text(text: str) -> None:
    _check(ANSWERS.source(text))


@SETTINGS
@given(hostile)
def test_today_any_text_is_an_answer_or_a_clear_error(text: str) -> None:
    try:
        answer = ANSWERS.today(text)
    except InvalidInput as exc:
        assert 0 < len(exc.message) <= 200
        return
    _check(answer)


@SETTINGS
@given(hostile, hostile, hostile)
def test_timeline_any_text(start: str, end: str, tag: str) -> None:
    try:
        answer = ANSWERS.timeline(start, end, tag)
    except InvalidInput as exc:
        assert 0 < len(exc.message) <= 200
        return
    _check(answer)


@SETTINGS
@given(st.sampled_from(["treaty", "viewpoints", "source", "today", "fact", "tag"]), hostile)
def test_autocomplete_any_text(option: str, text: str) -> None:
    choices = ANSWERS.autocomplete(option, text)
    assert len(choices) <= 25
    for c in choices:
        assert 1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100


@pytest.mark.parametrize("text", ["@everyone", "<@&123456789012345678>", "<@1>"])
def test_user_text_never_becomes_a_mention(text: str) -> None:
    for answer in (ANSWERS.fact(text), ANSWERS.treaty(text), ANSWERS.viewpoints(text), ANSWERS.source(text)):
        for page in render(answer).pages:
            for embed in page:
                blob = str(embed)
                assert "@everyone" not in blob and "<@&" not in blob and "<@1>" not in blob
