"""`fact` answers or says so (#15): by the kind of question, not by particular strings.

The questions here are written for these tests; the measured sets are in bench/ (search_quality.py).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_bot.answers.service import Answers
from alliance_bot.cli import main
from alliance_bot.digest.loader import load_digest
from alliance_bot.present.embeds import render
from alliance_bot.present.limits import limit_violations
from conftest import CONTENT, BotEnv


@pytest.fixture(scope="module")
def answers() -> Answers:
    result = load_digest(CONTENT)
    assert result.digest is not None
    return Answers(result.digest)


@pytest.mark.parametrize(
    "question",
    [
        "sewol ferry disaster",  # a subject no document mentions
        "pyeongchang winter olympics 2018",  # near the domain, and shares a year with entries
        "best pizza in chicago",  # nothing to do with the alliance
        "how many tanks does north korea have",  # a figure the documents never give
    ],
)
def test_a_question_the_digest_cannot_answer_gets_nothing_and_at_most_three_related(
    answers: Answers, question: str
) -> None:
    a = answers.fact(question)
    assert not a.answered and not a.found
    assert len(a.results) <= 3
    assert all(r.match == "related" for r in a.results)
    assert not any(r.differs for r in a.results)  # no "sources differ" banner on what does not answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("when was the armistice signed", "1953"),
        ("american deaths in the korean war", "37,000"),
        ("thaad battery where", "Seongju"),
    ],
)
def test_a_question_the_digest_answers_has_the_answer_first(answers: Answers, question: str, expected: str) -> None:
    a = answers.fact(question)
    assert a.answered and a.found
    assert a.results[0].match == "answer" and expected in a.results[0].text
    # the answer first, related entries after, never the other way round
    matches = [r.match for r in a.results]
    assert matches == sorted(matches)  # "answer" < "related"


def test_disagreeing_figures_are_shown_together_only_when_they_answer(answers: Answers) -> None:
    deaths = answers.fact("american deaths in the korean war")
    assert [r.differs for r in deaths.results if r.match == "answer"].count(True) >= 2
    troops = answers.fact("how many us troops are in korea")
    assert troops.answered and "28,500" in troops.results[0].text
    assert not any(r.differs for r in troops.results if r.match == "related")


def test_a_how_many_question_is_not_answered_by_an_entry_without_an_amount(answers: Answers) -> None:
    # the entry on the June Democratic Struggle matches the subject, but it gives a year, not a number of people
    question = "how many people took part in the june democratic struggle"
    index = answers._fact_index
    best = index.search(question, limit=1)[0]
    assert index.support(index.profile(question), best.matched) >= 0.6  # the words alone would have answered
    a = answers.fact(question)
    assert not a.answered
    assert a.results[0].match == "related" and "June Democratic Struggle" in a.results[0].text


def test_json_says_answered_and_labels_every_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "fact", "sewol ferry disaster", "--json"]) == 0
    nothing = json.loads(capsys.readouterr().out)
    assert nothing["answered"] is False and all(r["match"] == "related" for r in nothing["results"])
    assert main(["ask", "fact", "when was the armistice signed", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["answered"] is True and found["results"][0]["match"] == "answer"
    assert {"id", "kind", "text", "title", "group", "differs", "sources", "match"} <= set(found["results"][0])


def test_text_says_the_digest_has_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ask", "fact", "pyeongchang winter olympics 2018"])
    out = capsys.readouterr().out
    assert out.startswith("The digest has nothing on “pyeongchang winter olympics 2018”.")
    assert "Related entries (they do not answer it)" in out or "Try other words" in out


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_unanswered_never_carries_an_answer_and_every_answer_renders(answers: Answers, question: str) -> None:
    a = answers.fact(question)
    if not a.answered:
        assert all(r.match == "related" for r in a.results) and len(a.results) <= 3
    else:
        assert a.results and a.results[0].match == "answer"
    assert not limit_violations(render(a))


async def test_through_discord_an_unanswered_question_is_on_the_moderators_to_do_list(bot_env: BotEnv) -> None:
    cb = await bot_env.ask("fact", {"query": "sewol ferry disaster"})
    embed = cb["data"]["embeds"][0]
    assert "The digest has nothing on “sewol ferry disaster”" in embed["description"]
    cb = await bot_env.ask("fact", {"query": "when was the armistice signed"})
    assert "1953" in str(cb["data"]["embeds"][0])
    rows = await bot_env.usage_rows(2)
    assert [(r[1], r[3]) for r in rows] == [("fact", "nothing_found"), ("fact", "answered")]


def test_a_canonical_term_that_is_a_word_analyses_to_itself() -> None:
    """The synonyms map phrases to canonical terms, which must be what the texts' own words analyse to:
    a canonical "ukraine" (where texts' "Ukraine" stems to "ukrain") would make "Ukrainian" miss them."""
    from wordfreq import zipf_frequency

    from alliance_bot.answers.text import analyse
    from alliance_bot.answers.vocabulary import SYNONYMS

    words = {t for canon in SYNONYMS.values() for t in canon.split() if zipf_frequency(t, "en", wordlist="small") > 0}
    assert words, "the check must see the canonical terms that are English words"
    assert [w for w in sorted(words) if analyse(w) != [w]] == []


def test_a_real_word_is_not_corrected_into_another(answers: Answers) -> None:
    """Typo correction is for typos: a common English word the digest never uses ("sites", "soviets") stays
    as typed and counts as unknown, instead of becoming a digest word that means something else."""
    index = answers._fact_index
    for typed in ("sites", "soviets", "planted"):
        assert typed not in index.correct(f"military {typed}")[1]
        assert index.profile(f"military {typed}").unknown
    assert index.correct("the armistace")[1] == {"armistace": "armistice"}


@pytest.mark.parametrize(
    ("asked", "answer"),
    [
        ("how many us troops are stationed in japan", None),  # the troops in Korea are not those in Japan
        ("when did the us sign a mutual defense treaty with north korea", None),  # with South Korea
        ("how many us troops are in korea", "usfk-troop-number"),  # the alliance's own countries: everywhere
    ],
)
def test_a_country_asked_about_must_be_the_answers(answers: Answers, asked: str, answer: str | None) -> None:
    a = answers.fact(asked)
    if answer is None:
        assert not a.answered and all(r.match == "related" for r in a.results), [r.id for r in a.results]
    else:
        assert a.answered and a.results[0].id == answer


def test_irregular_past_forms_are_their_verbs() -> None:
    from alliance_bot.answers.text import analyse

    assert analyse("kept fought withdrew") == analyse("keep fight withdraw")
    assert analyse("won") == ["won"]  # the currency, not "win"


def test_letters_then_digits_are_two_words() -> None:
    from alliance_bot.answers.text import raw_words

    assert raw_words("KAL858") == raw_words("KAL 858") == ["kal", "858"]
    assert raw_words("1950s 13.4b 25th") == ["1950s", "13.4b", "25th"]  # a number's own suffix stays


def test_only_how_many_and_how_much_need_an_amount(answers: Answers) -> None:
    """An amount answers "how many"; "size" asks for a measure, which a comparison gives."""
    a = answers.fact("korean peninsula size")
    assert a.answered and a.results[0].id == "korean-peninsula-size"  # "roughly the size of Idaho"
    assert not answers.fact("how many sailors died at the 1882 treaty signing").answered


def test_what_an_abbreviation_stands_for_is_asked_by_its_name(answers: Answers) -> None:
    a = answers.fact("what does OPCON stand for")
    assert a.answered and "operational control" in a.results[0].text.lower()


def test_when_is_answered_by_a_date(answers: Answers) -> None:
    """A date answers "when" and "what year": an entry on the subject that gives none does not answer them."""
    assert not answers.fact("what year was thaad deployed in seongju").answered  # the documents give no year
    a = answers.fact("when was the mutual defense treaty signed")
    assert a.answered and "1953" in a.results[0].text


def test_a_fact_picked_from_autocomplete_is_answered_with_that_entry(answers: Answers) -> None:
    """Autocomplete sends the entry's id (a statement cut to 100 characters would be searched as a question);
    the lookup answers with that entry, the facts that answer it differently beside it, the rest related."""
    long_ones = [f for f in answers.digest.facts.values() if len(f.statement) > 100]
    assert long_ones
    for f in long_ones[:10]:
        words = " ".join(f.statement.split()[:3])
        picked = next(c for c in answers.autocomplete("fact", words) if c.name.startswith(f.statement[:50]))
        assert picked.value == f.id and "…" not in picked.value
        a = answers.fact(picked.value)
        assert a.answered and a.results[0].id == f.id and a.results[0].text == f.statement
        assert [r.match for r in a.results if r.match == "answer"] == ["answer"] * (
            1 + len([o for o in answers._groups.get(f.group or "", []) if o.id != f.id])
        )
