"""Answer or say so (#15) for the lookups by name: `treaty`, `viewpoints`, `source` each decide whether they
have an answer, and when they have none say "the digest has nothing on …" with at most three did-you-mean
names or related entries, never shown as the answer. Each case by its kind, on the shipped content (and on a
copy whose references are swapped, for centrality); the example questions are this file's own."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_bot.answers.model import SourceAnswer, TreatyAnswer, ViewpointsAnswer
from alliance_bot.answers.service import Answers
from alliance_bot.answers.text import analyse, raw_words, stem
from alliance_bot.answers.vocabulary import STOPWORDS
from alliance_bot.digest.loader import load_digest
from alliance_bot.digest.result import Digest
from alliance_bot.present.embeds import render
from alliance_bot.present.jsonout import to_json
from alliance_bot.present.limits import limit_violations
from alliance_bot.present.text import to_text
from conftest import BotEnv, eventually

CONTENT = Path(__file__).resolve().parents[1] / "content"
MDT = "mutual-defense-treaty-1953"
DIGEST = load_digest(CONTENT).digest
ANSWERS = Answers(DIGEST)

NameAnswer = TreatyAnswer | ViewpointsAnswer | SourceAnswer


def ids(answer: NameAnswer) -> list[str]:
    return [r.id for r in answer.results]


def assert_says_nothing(answer: NameAnswer) -> None:
    """Not answered, shown as such everywhere: at most three suggestions, none labelled or shown as the answer."""
    assert not answer.answered and not answer.found
    assert len(answer.results) <= 3
    data = to_json(answer)
    assert data["answered"] is False
    assert all(r["match"] == "related" for r in data["results"])
    text = to_text(answer)
    assert text.startswith(f"The digest has nothing on “{answer.query[:100]}”.")
    page = render(answer).pages[0][0]
    assert "The digest has nothing on" in page.get("description", "")
    assert page["title"] in {"No treaty found", "No topic found", "No source found"}
    if answer.results:
        labels = [f["name"] for f in page.get("fields", [])]
        assert labels and all(label.startswith(("Did you mean", "Related")) for label in labels)
        assert "Did you mean" in text or "Related" in text


# ---------------------------------------------------------------- treaty


def test_every_name_and_alias_is_answered_with_its_treaty() -> None:
    for tr in DIGEST.treaties.values():
        for label in (tr.name, *tr.aliases, tr.id):
            a = ANSWERS.treaty(label)
            assert a.answered and a.found, label
            assert tr.id in ids(a), (label, ids(a))
            if not a.ambiguous:
                assert ids(a)[0] == tr.id, (label, ids(a))


def test_every_name_missing_a_letter_is_still_answered() -> None:
    missed = []
    for tr in DIGEST.treaties.values():
        for label in (tr.name, *tr.aliases):
            if len(label) < 8:
                continue
            for i in range(len(label)):
                typed = label[:i] + label[i + 1 :]
                a = ANSWERS.treaty(typed)
                if not a.answered or tr.id not in ids(a):
                    missed.append((typed, tr.id))
    assert not missed, missed[:10]


@pytest.mark.parametrize(
    "query",
    [
        "zorbulan non-aggression accord",  # made up
        "treaty of quentaria",
        "geneva conventions",  # real, but nowhere in the documents
        "aukus pact",
        "north atlantic treaty organization",
        "southeast asia collective defense treaty",
    ],
)
def test_an_unknown_subject_is_nothing(query: str) -> None:
    judge = ANSWERS._treaty_judge
    unknown = [w for w in judge.judge(query).words if w.term not in judge.plain.vocabulary]
    assert unknown, "the case is of its kind: a word no treaty's text uses"
    assert_says_nothing(ANSWERS.treaty(query))


def _kinds_and_foreign_words() -> list[tuple[str, str]]:
    """Per kind of treaty the digest has (declaration, bill, armistice…), a proper name that the texts of
    other treaties use but no treaty of that kind and no treaty's name does: "<Name> <kind>" names an
    instrument the digest does not have, as "Washington declaration" does."""
    judge = ANSWERS._treaty_judge
    names = set().union(*(judge.terms(t).label for t in DIGEST.treaties))
    canonical = set().union(*(judge.terms(t).label_canonical for t in DIGEST.treaties))
    cases = []
    for kind in sorted({t.kind for t in DIGEST.treaties.values()}):
        of_kind = set().union(*(judge.terms(t.id).text for t in DIGEST.treaties.values() if t.kind == kind))
        words = sorted(
            {
                w
                for t in DIGEST.treaties.values()
                if t.kind != kind
                for w in re.findall(r"\b[A-Z][a-z]{4,}\b", t.summary)
                if w.lower() not in STOPWORDS
                and stem(w.lower()) not in names | of_kind
                and not set(analyse(w)) <= canonical  # nor a synonym of a word of names ("Japanese")
            }
        )
        cases += [(kind, w) for w in words[:3]]
    return cases


@pytest.mark.parametrize(("kind", "word"), _kinds_and_foreign_words())
def test_a_name_that_is_not_a_treaty_here_gets_did_you_mean(kind: str, word: str) -> None:
    a = ANSWERS.treaty(f"{word} {kind}")
    assert_says_nothing(a)
    of_kind = [t.id for t in DIGEST.treaties.values() if t.kind == kind]
    suggested = [t.kind for t in a.results]
    if kind in suggested:  # the treaties of the kind named come first
        assert suggested[: suggested.count(kind)] == [kind] * suggested.count(kind)
    if len(of_kind) == 1:  # a kind word as rare as a name: its one treaty is suggested
        assert ids(a)[0] == of_kind[0], (word, kind, ids(a))


def test_did_you_mean_is_shown_as_such() -> None:
    a = ANSWERS.treaty("Wellington declaration")  # neither a treaty here nor a word of the documents
    assert_says_nothing(a)
    assert ids(a)[0] == "end-of-war-declaration"  # the one declaration the digest has, first
    assert "Did you mean:" in to_text(a)
    page = render(a).pages[0][0]
    assert page["title"] == "No treaty found"
    assert [f["name"] for f in page["fields"]] == ["Did you mean"]
    assert [link.argument for link in render(a).links] == ids(a)


def _swap_references(digest: Digest, one: str, other: str) -> Digest:
    """The digest with what refers to `one` referring to `other` and the reverse: facts, viewpoints, events."""

    def swap(refs: list[str]) -> list[str]:
        return [other if r == one else one if r == other else r for r in refs]

    treaties = dict(digest.treaties)
    a, b = treaties[one], treaties[other]
    treaties[one] = a.model_copy(update={"related_events": b.related_events, "citations": b.citations})
    treaties[other] = b.model_copy(update={"related_events": a.related_events, "citations": a.citations})
    return dataclasses.replace(
        digest,
        treaties=treaties,
        facts={k: f.model_copy(update={"related": swap(f.related)}) for k, f in digest.facts.items()},
        viewpoints={k: v.model_copy(update={"related": swap(v.related)}) for k, v in digest.viewpoints.items()},
    )


@pytest.mark.parametrize(
    ("query", "central", "other"),
    [
        ("mutual defense", MDT, "dprk-china-treaty"),  # the words of three treaties' names
        ("north korean treaty", "russia-dprk-treaty", "dprk-china-treaty"),  # of two
    ],
)
def test_between_equal_names_the_more_central_treaty_wins(query: str, central: str, other: str) -> None:
    a = ANSWERS.treaty(query)
    assert a.answered and len(a.results) >= 2 and other in ids(a)
    centrality = ANSWERS._treaty_centrality
    assert ids(a)[0] == max(ids(a), key=centrality.__getitem__) == central
    assert not a.ambiguous, "far more central: the answer, the others shown as also matching"
    assert "Also matching" in to_text(a)
    matches = [r["match"] for r in to_json(a)["results"]]
    assert matches == ["answer"] + ["related"] * (len(a.results) - 1)
    # the same names, the references swapped: the other treaty is now the better guess
    swapped = Answers(_swap_references(DIGEST, central, other))
    b = swapped.treaty(query)
    assert b.answered and ids(b)[0] == other, ids(b)


def test_centrality_breaks_ties_only() -> None:
    """A name only one treaty has ("defence", as one of its aliases spells it) beats centrality."""
    swapped = Answers(_swap_references(DIGEST, MDT, "dprk-china-treaty"))
    assert swapped._treaty_centrality["dprk-china-treaty"] > swapped._treaty_centrality[MDT]
    a = swapped.treaty("mutual defence")
    assert a.answered and ids(a) == [MDT]


def test_candidates_of_about_equal_centrality_stay_a_choice() -> None:
    a = ANSWERS.treaty("1953")  # the armistice and the MDT: both central
    assert a.answered and a.ambiguous
    assert {"korean-armistice-1953", MDT} <= set(ids(a))
    assert [r["match"] for r in to_json(a)["results"]] == ["answer"] * len(a.results)


def test_the_listing_has_every_treaty() -> None:
    a = ANSWERS.treaty("")
    assert a.answered and a.found and a.ambiguous
    assert sorted(ids(a)) == sorted(DIGEST.treaties)
    assert MDT in ids(a)
    text = to_text(a)
    assert "US–ROK Mutual Defense Treaty" in text
    assert "US–ROK Mutual Defense Treaty" in " ".join(f["value"] for f in render(a).pages[0][0]["fields"])


def test_a_kind_word_alone_lists_the_most_central_first() -> None:
    a = ANSWERS.treaty("treaties")
    assert a.answered and a.ambiguous and ids(a)[0] == MDT


def test_a_synonym_counts_as_far_as_it_tells_treaties_apart() -> None:
    # "truce" is in no treaty's text: the field's vocabulary (`armistic`, in one treaty's names) stands in for it
    assert ids(ANSWERS.treaty("a truce")) == ["korean-armistice-1953"]
    # "Seoul" is `rok`, in most names: as typed, the texts have it, but no declaration's
    a = ANSWERS.treaty("seoul declaration")
    assert_says_nothing(a)
    assert ids(a)[0] == "end-of-war-declaration"


def test_a_country_in_a_name_means_the_country_and_no_more() -> None:
    """A country ("America", "Korean") in a treaty's description weighs what the country tells treaties apart (little:
    most names have the US or Korea), so the rest of the description decides; a capital keeps its full weight,
    as it names declarations ("washington declaration" is none the digest has)."""
    assert ids(ANSWERS.treaty("korea america treaty 1882")) == ["joseon-us-treaty-1882"]
    a = ANSWERS.treaty("american korean treaty")  # several treaties cover it all: the most central first
    assert a.answered and ids(a)[0] == MDT
    assert_says_nothing(ANSWERS.treaty("washington declaration"))


def test_words_weigh_as_typed() -> None:
    plain = ANSWERS._treaty_judge.plain
    rarest, known = plain.term_weight("zorbulan")
    assert not known and rarest >= max(plain.term_weight(t)[0] for t in ("mutual", "treati", "armistic"))
    assert plain.term_weight("treati")[0] < plain.term_weight("mutual")[0]  # in more treaties' names


# ---------------------------------------------------------------- viewpoints


def test_every_topic_by_id_and_by_title_is_answered() -> None:
    for vp in DIGEST.viewpoints.values():
        for query in (vp.id, vp.topic):
            a = ANSWERS.viewpoints(query)
            assert a.answered and a.found and ids(a)[0] == vp.id, (query, ids(a))


def test_every_keyword_finds_its_topic() -> None:
    for vp in DIGEST.viewpoints.values():
        for keyword in vp.keywords:
            a = ANSWERS.viewpoints(keyword)
            assert a.answered and vp.id in ids(a), (keyword, ids(a))


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("should south korea pay more for american soldiers", "cost-sharing"),  # a synonym: troops
        ("should korea send arms to kyiv", "ukraine-and-global-role"),  # a synonym: Ukraine
        ("why does an american general command korean forces in war", "wartime-opcon"),
        ("is the alliance a partnership of equals", "patron-client-or-partnership"),
        ("who should pay for usfk", "cost-sharing"),  # USFK: US forces in Korea, as the texts write it
        ("should we engage kim jong un diplomatically", "dialogue-with-north-korea"),  # in a position's summary
    ],
)
def test_a_question_in_prose_finds_its_topic(query: str, topic: str) -> None:
    a = ANSWERS.viewpoints(query)
    assert a.answered and ids(a)[0] == topic, ids(a)


@pytest.mark.parametrize(
    "query",
    [
        "bluefin tuna quotas",
        "climate treaty emissions",
        "k-pop soft power",
        "zorbulan elections",
        "should south korea build its own atomic bomb",  # near the debates on deterrence, but not one of them
        "should korea raise the minimum wage",
    ],
)
def test_a_topic_the_digest_does_not_debate_is_nothing(query: str) -> None:
    assert_says_nothing(ANSWERS.viewpoints(query))


def test_related_topics_are_labelled_related() -> None:
    a = ANSWERS.viewpoints("nuclear weapons of their own for seoul")
    assert_says_nothing(a)
    assert a.results, "something related (a topic on nuclear matters)"
    assert "Related topics (they do not answer it):" in to_text(a)
    assert render(a).pages[0][0]["fields"][0]["name"].startswith("Related topics")


def test_a_treaty_named_gives_the_topics_on_it() -> None:
    a = ANSWERS.viewpoints("ROK-US Mutual Defense Treaty")  # an alias: no topic answers, the topics on it do
    assert a.answered and set(ids(a)) == {vp.id for vp in ANSWERS._treaty_viewpoints[MDT]}


def test_the_words_for_what_a_topic_is_weigh_nothing() -> None:
    a = ANSWERS.viewpoints("arguments about wartime operational control")
    assert a.answered and ids(a)[0] == "wartime-opcon"
    listing = ANSWERS.viewpoints("the debates")  # nothing but them: every topic
    assert listing.listing and listing.answered and len(listing.results) == len(DIGEST.viewpoints)
    assert listing.query == "the debates"


def test_the_topic_listing() -> None:
    a = ANSWERS.viewpoints("")
    assert a.listing and a.answered and a.found and len(a.results) == len(DIGEST.viewpoints)


# ---------------------------------------------------------------- source


def test_every_source_by_id_author_outlet_and_title_is_answered() -> None:
    for s in DIGEST.sources.values():
        for query in filter(None, (s.id, s.author, s.outlet, s.title)):
            a = ANSWERS.source(query)
            assert a.answered and a.found and s.id in ids(a), (query, ids(a))


@pytest.mark.parametrize("query", ["the guardian", "le monde editorial", "zorbulan gazette"])
def test_a_source_the_digest_does_not_have_is_nothing(query: str) -> None:
    assert_says_nothing(ANSWERS.source(query))


def test_related_sources_are_labelled_related() -> None:
    a = ANSWERS.source("washington examiner")  # another Washington paper
    assert_says_nothing(a)
    assert ids(a) == ["detrani-2025"]
    assert "Related sources (they do not answer it):" in to_text(a)


def test_the_source_listing() -> None:
    a = ANSWERS.source("")
    assert a.listing and a.answered and a.found and len(a.results) == len(DIGEST.sources)


# ---------------------------------------------------------------- properties


def _digest_words() -> list[str]:
    words: set[str] = set()
    for tr in DIGEST.treaties.values():
        words.update(raw_words(" ".join([tr.name, *tr.aliases, tr.summary])))
    for vp in DIGEST.viewpoints.values():
        words.update(raw_words(" ".join([vp.topic, vp.question, *vp.keywords])))
    for s in DIGEST.sources.values():
        words.update(raw_words(" ".join(filter(None, [s.title, s.author, s.outlet, s.kind]))))
    return sorted(words)


# queries made of the digest's own words (which reach every path: exact, near-equal, answered, related), of
# words it lacks, and arbitrary text
queries = st.one_of(
    st.lists(
        st.sampled_from([*_digest_words(), "zorbulan", "geneva", "quorvex", "declaration", "1965"]), max_size=6
    ).map(" ".join),
    st.text(max_size=120),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["treaty", "viewpoints", "source"]), queries)
def test_not_answered_never_comes_with_an_answer(lookup: str, query: str) -> None:
    answer: NameAnswer = getattr(ANSWERS, lookup)(query)
    data = to_json(answer)
    matches = [r["match"] for r in data["results"]]
    assert data["answered"] is answer.answered
    assert answer.found == (answer.answered and bool(answer.results))
    if not answer.answered:
        assert "answer" not in matches and len(answer.results) <= 3
        if isinstance(answer, TreatyAnswer) and answer.results:
            assert answer.ambiguous, "no reader of the older JSON takes a did-you-mean name for the answer"
        assert to_text(answer).startswith("The digest has nothing on")
    else:
        assert matches[:1] in ([], ["answer"])
    rendered = render(answer)
    assert limit_violations(rendered) == []
    assert rendered.pages and rendered.pages[0]


# ---------------------------------------------------------------- through the fake Discord


async def test_unanswered_lookups_are_the_to_do_list(bot_env: BotEnv) -> None:
    """Through the real client and the fake Discord: an unanswered lookup says so, and its usage row is
    `nothing_found` (what `/stats` lists as the digest's gaps) even when it offers suggestions."""
    asked = [
        ("treaty", {"name": "Wellington declaration"}, "No treaty found", "Did you mean"),
        ("treaty", {"name": "zorbulan accord"}, "No treaty found", None),
        ("viewpoints", {"topic": "nuclear weapons of their own for seoul"}, "No topic found", "Related topics"),
        ("source", {"source": "washington examiner"}, "No source found", "Related sources"),
        ("treaty", {"name": "mutual defense"}, "US–ROK Mutual Defense Treaty", "Also matching"),
        ("viewpoints", {"topic": "war games"}, "Joint military exercises and shows of force", None),
        ("source", {"source": "daniel oh"}, "US-Korea Military Alliance", None),
    ]
    for command, options, title, field in asked:
        cb = await bot_env.ask(command, options)
        e = cb["data"]["embeds"][0]
        assert e["title"] == title, (command, options, e["title"])
        if title.startswith("No "):
            assert e["description"].startswith("The digest has nothing on “")
        if field:
            assert any(f["name"].startswith(field) for f in e.get("fields", [])), [f["name"] for f in e["fields"]]
    rows = await bot_env.usage_rows(len(asked))
    assert [(r[1], r[3]) for r in rows] == [
        ("treaty", "nothing_found"),
        ("treaty", "nothing_found"),
        ("viewpoints", "nothing_found"),
        ("source", "nothing_found"),
        ("treaty", "answered"),
        ("viewpoints", "answered"),
        ("source", "answered"),
    ]


async def test_a_did_you_mean_name_opens_the_treaty(bot_env: BotEnv) -> None:
    fake = bot_env.fake
    payload = await fake.send_interaction(fake.command("treaty", {"name": "Wellington declaration"}))
    await fake.wait_for_callback(payload)
    message = await eventually(lambda: fake.original_message(payload), what="the answer message")
    menu = next(c for row in message["components"] for c in row["components"] if c["type"] == 3)
    option = menu["options"][0]
    click = await fake.send_interaction(
        fake.component(menu["custom_id"], message_id=message["id"], component_type=3, values=[option["value"]])
    )
    cb = await fake.wait_for_callback(click)
    assert cb["data"]["embeds"][0]["title"] == "Proposed declaration formally ending the Korean War"
    rows = await bot_env.usage_rows(2)
    assert [(r[1], r[3]) for r in rows] == [("treaty", "nothing_found"), ("link treaty", "answered")]
