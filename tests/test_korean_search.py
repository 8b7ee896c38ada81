"""Questions in Korean find the same cited entries as the same questions in English (#18): a Korean word means
the English words the table gives it (answers/vocabulary_ko.py), particles and verb endings aside; a Korean
subject the digest does not have gets "nothing", as in English."""

from __future__ import annotations

import unicodedata

import pytest

from alliance_bot.answers.korean import korean_word
from alliance_bot.answers.service import Answers
from alliance_bot.answers.text import fold, query_terms, raw_words
from alliance_bot.digest.loader import load_digest
from conftest import CONTENT


@pytest.fixture(scope="module")
def answers() -> Answers:
    result = load_digest(CONTENT)
    assert result.digest is not None
    return Answers(result.digest)


def test_hangul_survives_folding() -> None:
    """Folding strips accents through NFKD, which takes Hangul syllables apart into jamo: they are put back."""
    assert fold("정전협정") == "정전협정"
    assert fold(unicodedata.normalize("NFD", "정전협정")) == "정전협정"  # typed decomposed, as some keyboards do
    assert fold("Café 정전") == "cafe 정전"


@pytest.mark.parametrize("form", ["주한미군", "주한미군은", "주한미군이", "주한미군을", "주한미군의", "주한미군에서는"])
def test_a_particle_does_not_change_the_word(form: str) -> None:
    assert korean_word(form) == ("us", "troops", "in", "korea")


def test_words_of_asking_and_verb_endings_are_not_the_subject() -> None:
    assert query_terms("주한미군 몇 명")[1] >= {"number", "amount"}
    assert query_terms("한미상호방위조약은 언제 체결되었나요")[1] >= {"when"}
    assert raw_words("무엇인가요 있나요 했습니까") == []
    assert raw_words("한미상호방위조약") == raw_words("한미 상호방위조약")  # a compound of known words


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("주한미군 몇 명", "how many us troops are in korea"),
        ("한국전쟁 미군 전사자", "korean war american killed in action"),
        ("정전협정 날짜", "date of the armistice agreement"),
        ("사드 배치", "thaad deployment"),
        ("청와대 습격", "blue house raid"),
        ("천안함", "cheonan"),
    ],
)
def test_a_korean_question_finds_what_the_english_one_finds(answers: Answers, korean: str, english: str) -> None:
    ko, en = answers.fact(korean), answers.fact(english)
    assert en.answered and ko.answered
    assert {r.id for r in ko.results if r.match == "answer"} == {r.id for r in en.results if r.match == "answer"}


@pytest.mark.parametrize(
    ("lookup", "korean", "expected"),
    [
        ("treaty", "정전협정", "korean-armistice-1953"),
        ("treaty", "한미상호방위조약", "mutual-defense-treaty-1953"),
        ("viewpoints", "방위비", "cost-sharing"),
        ("viewpoints", "전작권", "wartime-opcon"),
    ],
)
def test_treaties_and_topics_by_their_korean_names(answers: Answers, lookup: str, korean: str, expected: str) -> None:
    a = getattr(answers, lookup)(korean)
    assert a.answered and a.results[0].id == expected


@pytest.mark.parametrize("korean", ["세월호 참사", "김치 만드는 법", "캐나다 주둔 미군 몇 명"])
def test_a_subject_the_digest_does_not_have_is_nothing(answers: Answers, korean: str) -> None:
    a = answers.fact(korean)
    assert not a.answered and all(r.match == "related" for r in a.results)


def test_korean_autocomplete_offers_the_english_names(answers: Answers) -> None:
    assert [c.value for c in answers.autocomplete("treaty", "정전")][:1] == ["korean-armistice-1953"]
    assert [c.value for c in answers.autocomplete("viewpoints", "방위비")][:1] == ["cost-sharing"]
