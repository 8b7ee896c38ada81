"""The faster answers core gives the answers the straightforward code gave.

The search index, the text analysis, the YAML reader and the autocomplete scan were rewritten
for speed (numpy postings, memoised analysis, libyaml events, a word index of the choices).
These tests hold each against a reference: the plain per-document / per-word / per-node
implementation it replaced, kept here in a few lines, or the reader's outcomes recorded from it.
"""

from __future__ import annotations

import datetime
import gc
import math
import random
import re
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from alliance_bot.answers import text
from alliance_bot.answers.fact import FACT_WEIGHTS
from alliance_bot.answers.index import _TERM_BITS, SearchDoc, SearchIndex, TextAnalysis
from alliance_bot.answers.service import Answers
from alliance_bot.answers.text import (
    analyse,
    fold,
    has_date,
    query_terms,
    raw_words,
    stem,
)
from alliance_bot.answers.vocabulary import IRREGULAR_VERBS, NUMBER_WORDS, STOPWORDS, SYNONYMS
from alliance_bot.digest.loader import gc_paused, load_digest
from alliance_bot.digest.yamlread import YamlProblem, read_yaml

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
EVAL = Path(__file__).parents[2] / "shared" / "eval" / "dev_questions.yaml"
HOLDOUT = ROOT / "bench" / "holdout_questions.yaml"


# ---------------------------------------------------------------- references: the code before


def reference_analyse(text_: str, *, keep_stopwords: bool = False) -> list[str]:
    """The word-by-word loop `analyse` was."""
    phrases: dict[str, list[int]] = {}
    for phrase in SYNONYMS:
        phrases.setdefault(phrase.split()[0], []).append(len(phrase.split()))
    words = raw_words(text_)
    out: list[str] = []
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        if w == "$":
            out.append("dollar")
            i += 1
            continue
        for size in sorted(phrases.get(w, ()), reverse=True):
            canon = SYNONYMS.get(" ".join(words[i : i + size])) if size <= n - i else None
            if canon is not None:
                out.extend(canon.split())
                i += size
                break
        else:
            i += 1
            if w in NUMBER_WORDS:
                out.append(NUMBER_WORDS[w])
            elif keep_stopwords or w not in STOPWORDS:
                amount = re.fullmatch(r"(\d+(?:\.\d+)?)(b|bn|m|k)", w) if w[0].isdigit() else None
                ordinal = re.fullmatch(r"(\d+)(s|st|nd|rd|th)", w) if w[0].isdigit() else None
                if amount:
                    out += [
                        amount.group(1),
                        {"b": "billion", "bn": "billion", "m": "million", "k": "thousand"}[amount.group(2)],
                    ]
                elif ordinal:
                    out.append(ordinal.group(1))
                else:
                    out.append(stem(IRREGULAR_VERBS.get(w, w)))
    return out


def reference_has_date(text_: str) -> bool:
    return bool(
        re.search(
            r"\b(1[0-9]{3}|20[0-9]{2})\b|\b(january|february|march|april|may|june|july|august|"
            r"september|october|november|december)\b",
            text_,
            re.IGNORECASE,
        )
    )


class ReferenceIndex:
    """The per-document BM25F loop SearchIndex was (its typo correction is shared, not re-implemented)."""

    def __init__(
        self, index: SearchIndex, docs: list[SearchDoc], weights: dict[str, float], *, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.index, self.docs, self.k1 = index, docs, k1
        analyse_ = reference_analyse if index.synonyms else plain_terms
        n = len(docs)
        field_terms, total_len = [], Counter()
        for doc in docs:
            per_field = {name: analyse_(t) for name, t in doc.fields.items() if name in weights and t}
            for name, terms in per_field.items():
                total_len[name] += len(terms)
            field_terms.append(per_field)
        avg = {name: (total_len[name] / n if n else 0.0) or 1.0 for name in weights}
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        self.bigrams: list[set[tuple[str, str]]] = []
        self.flags: list[tuple[bool, bool]] = []
        self.gives: list[set[str]] = []  # what each document gives: a person, a place, a reason
        for i, (doc, per_field) in enumerate(zip(docs, field_terms, strict=True)):
            tf: Counter[str] = Counter()
            bigrams: set[tuple[str, str]] = set()
            for name, terms in per_field.items():
                norm = (1 - b) + b * (len(terms) / avg[name])
                for term, count in Counter(terms).items():
                    tf[term] += weights[name] * count / norm
                bigrams.update(pairwise(terms))
            joined = " ".join(doc.fields.values())
            self.bigrams.append(bigrams)
            self.flags.append((reference_has_date(joined), bool(re.search(r"\d", joined))))
            terms_here = {t for terms in per_field.values() for t in terms}
            self.gives.append({k for k, markers in text.GIVES_TERMS.items() if markers & terms_here})
            for term, value in tf.items():
                self.postings[term][i] = value
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        kinds: set[str] | None = None,
        min_ratio: float = 0.0,
        min_coverage: float = 0.0,
    ) -> list[tuple[str, float, tuple[str, ...], float]]:
        if self.index.fuzzy:
            query, _ = self.index.correct(query)
        if self.index.synonyms:
            words = raw_words(query[: text.MAX_QUERY_CHARS])
            intents = {"date"} if set(words) & text.DATE_INTENT else set()
            intents |= {"number"} if set(words) & text.NUMBER_INTENT else set()
            intents |= {"person"} if set(words) & {"who", "whom", "whose"} else set()
            intents |= {"place"} if "where" in words else set()
            intents |= {"reason"} if set(words) & {"why", "reason", "reasons"} else set()
            generic = {"number", "count", "figur", "figure"}
            if re.search(r"\b(?:stands?|short) for\b|\bwhat (?:does|do|is) .+ mean\b|\bmeaning of\b", " ".join(words)):
                generic |= {"stand", "short", "mean", "meaning"}
            terms = [
                t
                for t in reference_analyse(query[: text.MAX_QUERY_CHARS])
                if t not in text.DATE_INTENT and t not in generic
            ]
        else:
            terms, intents = plain_terms(query), set()
        expanded = [(t, pos) for pos, t in enumerate(terms) if t in self.postings]
        if not expanded:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, set[int]] = defaultdict(set)
        matched_terms: dict[int, set[str]] = defaultdict(set)
        for term, pos in expanded:
            for doc_i, tf in self.postings[term].items():
                scores[doc_i] += self.idf[term] * tf / (self.k1 + tf)
                matched[doc_i].add(pos)
                matched_terms[doc_i].add(term)
        pos_idf = {pos: self.idf[term] for term, pos in expanded}
        all_idf = sum(pos_idf.values()) + sum(1.0 for p in range(len(terms)) if p not in pos_idf)
        results = []
        for doc_i, score in scores.items():
            doc = self.docs[doc_i]
            if kinds is not None and doc.kind not in kinds:
                continue
            coverage = sum(pos_idf[p] for p in sorted(matched[doc_i])) / all_idf
            if coverage < min_coverage:
                continue
            bonus = 0.0
            for p in range(len(terms) - 1):
                if p in pos_idf and p + 1 in pos_idf and (terms[p], terms[p + 1]) in self.bigrams[doc_i]:
                    bonus += 0.5 * min(pos_idf[p], pos_idf[p + 1])
            score = (score + bonus) * (0.3 + 0.7 * coverage)
            if "date" in intents and self.flags[doc_i][0]:
                score *= 1.35
            if "number" in intents and self.flags[doc_i][1]:
                score *= 1.2
            for _kind in intents & self.gives[doc_i] - {"date", "number"}:
                score *= 1.2
            results.append((doc.key, score, tuple(sorted(matched_terms[doc_i])), coverage))
        results.sort(key=lambda h: (-h[1], h[0]))
        if results and min_ratio > 0:
            results = [h for h in results if h[1] >= results[0][1] * min_ratio]
        return results[:limit]


def plain_terms(text_: str) -> list[str]:
    return [stem(w) for w in raw_words(text_) if w not in STOPWORDS and w != "$"]


def reference_choices(items: list[tuple[str, str, str]], current: str) -> list[int]:
    """The substring scan autocomplete was (without its typo fallback, which is new)."""
    needle = fold(current[:100]).strip()
    words = needle.split()
    starts, contains = [], []
    for i, (key, _, _) in enumerate(items):
        if all(w in key for w in words):
            (starts if key.startswith(words[0]) or f" {words[0]}" in key else contains).append(i)
            if len(starts) >= 25:
                break
    return (starts + contains)[:25]


# ---------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def answers() -> Answers:
    result = load_digest(CONTENT)
    assert result.ok, result.problems
    return Answers(result.digest)


def questions() -> list[str]:
    found = []
    for path in (EVAL, HOLDOUT):
        if path.exists():
            found += [q["q"] for q in yaml.safe_load(path.read_text(encoding="utf-8")).get("facts", [])]
    return found


def queries(answers: Answers) -> list[str]:
    """Every fact statement, event title, treaty name and alias, the evaluation questions, typos, noise."""
    d = answers.digest
    found = [f.statement for f in d.facts.values()] + [e.title for e in d.events.values()]
    found += [n for t in d.treaties.values() for n in (t.name, *t.aliases)] + questions()
    found += [
        "how many us troops are in korea",
        "armistise date",
        "mutal defense tready",
        "korea",
        "the",
        "",
        "when did the war start",
        "korea korea korea",
        "us rok us rok",
        'AND OR NEAR( * "x"',
        "x" * 3000,
        "é ñ ü — ’ “ ”",
        "$5 billion 28,500 1950s 25th",
        "how much was paid in 2019 and 2020",
        "what does OPCON stand for",
        "who kept the peace, and why; where did they fight",
    ]
    rng = random.Random(7)
    vocab = sorted({w for f in d.facts.values() for w in f.statement.lower().split()})
    for _ in range(300):
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 7))]
        if rng.random() < 0.3:  # a typo
            w = rng.randrange(len(words))
            if len(words[w]) > 4:
                j = rng.randrange(1, len(words[w]) - 1)
                words[w] = words[w][:j] + words[w][j + 1] + words[w][j] + words[w][j + 2 :]
        found.append(" ".join(words))
    return found


def long_query(answers: Answers) -> str:
    """A question of more distinct terms than the index tracks as bits per document (_TERM_BITS)."""
    words = sorted(
        {
            w
            for f in answers.digest.facts.values()
            for w in raw_words(f.statement)
            if 3 <= len(w) <= 5 and w.isalpha() and w not in STOPWORDS
        }
    )
    return " ".join(words[:110])


def assert_same_hits(index: SearchIndex, reference: ReferenceIndex, query: str, **params: object) -> None:
    got = [(h.doc.key, h.score, h.matched, h.coverage) for h in index.search(query, **params)]  # type: ignore[arg-type]
    expected = reference.search(query, **params)  # type: ignore[arg-type]
    assert [h[0] for h in got] == [h[0] for h in expected], query
    for (_, score, matched, coverage), (_, score_, matched_, coverage_) in zip(got, expected, strict=True):
        assert score == pytest.approx(score_, rel=1e-12) and coverage == pytest.approx(coverage_, rel=1e-12)
        assert matched == matched_


# ---------------------------------------------------------------- search


def test_analysis_matches_the_word_loop(answers: Answers) -> None:
    d = answers.digest
    texts = [
        v
        for coll in (d.events, d.facts, d.treaties, d.viewpoints, d.sources)
        for e in coll.values()
        for v in e.model_dump().values()
        if isinstance(v, str)
    ]
    texts += list(d.source_texts.values()) + queries(answers)
    rng = random.Random(3)
    alphabet = "`ΣİıſK abc uskorea$.,-–'’1234567890 northsouthunitedstatesofamerica é\u0301ñ\n\t"
    words = [*SYNONYMS, *NUMBER_WORDS, *IRREGULAR_VERBS, "28,500", "$13.4b", "1950s", "25th", "u.s.", "1,,2", "a1,b"]
    for _ in range(3000):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
        texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))))
    for t in texts:
        assert analyse(t) == reference_analyse(t), t
        assert analyse(t, keep_stopwords=True) == reference_analyse(t, keep_stopwords=True), t
        assert has_date(t) == reference_has_date(t), t
    assert query_terms("when did the number of troops peak")[1] == {"date", "when", "number", "amount"}
    for t in ("aprİl 3", "In JULY", "auguſt", "maY", "xmay", "İmay", "Σmarch", "the 1953 war", "ＭＡＹ", "may"):
        assert has_date(t) == reference_has_date(t), t


def test_analysis_with_a_small_word_memo(monkeypatch: pytest.MonkeyPatch, answers: Answers) -> None:
    monkeypatch.setattr(text, "_WORD_TERMS_MAX", 40)  # it fills up and starts again, often
    for t in queries(answers)[:300]:
        assert analyse(t) == reference_analyse(t), t


def test_fact_index_ranks_as_the_reference(answers: Answers) -> None:
    docs = answers._fact_docs()
    index = SearchIndex(docs, FACT_WEIGHTS)
    reference = ReferenceIndex(index, docs, FACT_WEIGHTS)
    for query in queries(answers):
        # as Answers.fact asks, and plainer
        assert_same_hits(index, reference, query, limit=16, min_ratio=0.2, min_coverage=0.3)
        assert_same_hits(index, reference, query, limit=5)
    for query in questions()[:20]:
        assert_same_hits(index, reference, query, limit=10, kinds={"fact", "treaty"})
        assert_same_hits(index, reference, query, limit=1000)
    long = long_query(answers)
    assert len({t for t in query_terms(long)[0] if t in index.vocabulary}) > _TERM_BITS
    assert_same_hits(index, reference, long, limit=16)


def test_other_indexes_rank_as_the_reference(answers: Answers) -> None:
    for index, params in (
        (answers._treaty_index, {"limit": 10, "min_coverage": 0.5}),
        (answers._viewpoint_index, {"limit": 3, "min_ratio": 0.5}),
        (answers._source_index, {"limit": 3, "min_ratio": 0.8, "min_coverage": 0.5}),
    ):
        reference = ReferenceIndex(index, index.docs, index.weights)
        for query in queries(answers)[::3]:
            assert_same_hits(index, reference, query, **params)
    # the search-quality baseline: no synonyms, no typo correction
    docs = [
        SearchDoc(f"{sid}:{i}", "sentence", {"text": s})
        for sid, t in answers.digest.source_texts.items()
        for i, s in enumerate(re.split(r"(?<=[.!?])\s+|\n+", t))
        if s.strip()
    ]
    index = SearchIndex(docs, {"text": 1.0}, fuzzy=False, synonyms=False)
    reference = ReferenceIndex(index, docs, {"text": 1.0})
    for query in questions():
        assert_same_hits(index, reference, query, limit=3)


def test_many_copies_rank_as_the_reference(tmp_path: Path) -> None:
    """A synthetic digest (bench/synth.py): near-duplicate documents, repeated texts, ties."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import synth
    finally:
        sys.path.pop(0)
    result = load_digest(synth.make(tmp_path / "big", times=4))
    assert result.ok, result.problems[:3]
    answers = Answers(result.digest)
    docs = answers._fact_docs()
    shared = TextAnalysis()
    index = SearchIndex(docs, FACT_WEIGHTS, analysis=shared)
    reference = ReferenceIndex(index, docs, FACT_WEIGHTS)
    for query in [*questions()[:40], "korea", "us troops", "armistice 1953", "variant 3"]:
        assert_same_hits(index, reference, query, limit=16, min_ratio=0.2, min_coverage=0.3)


# ---------------------------------------------------------------- autocomplete


def test_autocomplete_finds_what_the_scan_found(answers: Answers) -> None:
    rng = random.Random(5)
    for option, choices in answers._choices.items():
        typed = [
            "k",
            "ko",
            "kor",
            "korea",
            "mutual def",
            "us tro",
            "armist",
            "jul",
            "07",
            "1953",
            "e",
            "ea",
            "ty",
            "the",
            "war 1950",
            "cost",
            "KOR",
            "Mut",
            "seoul",
            " e ",
            "s k",
            "-",
            "(",
            "x" * 150,
        ]
        for _, name, _value in choices.items[:40]:
            words = fold(name).split()
            typed.append(rng.choice(words)[: rng.randint(1, 6)])
            typed.append(" ".join(rng.sample(words, min(2, len(words)))))
        for current in typed:
            expected = reference_choices(choices.items, current)
            if expected:
                got = [(c.name, c.value) for c in answers.autocomplete(option, current)]
                assert got == [choices.items[i][1:] for i in expected], (option, current)


def test_autocomplete_typos(answers: Answers) -> None:
    assert "mutual-defense-treaty-1953" in [c.value for c in answers.autocomplete("treaty", "mutal")]
    assert "mutual-defense-treaty-1953" in [c.value for c in answers.autocomplete("treaty", "mutal defens")]
    nuclear = answers.autocomplete("fact", "nuclaer")
    key_of = {(name, value): key for key, name, value in answers._choices["fact"].items}
    assert nuclear and all("nuclear" in key_of[(c.name, c.value)] for c in nuclear)
    assert answers.autocomplete("fact", "zzqx") == []
    assert answers.autocomplete("nosuch", "korea") == []
    for option in answers._choices:
        for current in ("deterrance", "nuclaer weapns", "x" * 150, "ö", "\u0301"):
            choices = answers.autocomplete(option, current)
            assert len(choices) <= 25 and all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)


# ---------------------------------------------------------------- answers


def test_treaty_query_of_only_combining_marks(answers: Answers) -> None:
    assert answers.treaty("\u0301").results == ()  # it used to raise IndexError


def test_views_are_made_once(answers: Answers) -> None:
    first = answers.today("07-27", now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    again = answers.today("07-27", now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    assert first == again and all(a is b for a, b in zip(first.events, again.events, strict=True))
    other = answers.today("2031-07-27")
    assert [e.years_ago for e in other.events] == [e.years_ago + 5 for e in first.events]


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()


# ---------------------------------------------------------------- YAML reading


# Outcomes recorded from the reader that composed PyYAML's node tree and walked it.
GOLDEN = [
    ("", ("ok", None, {}, {})),
    ("# only a comment\n", ("ok", None, {}, {})),
    ("---\n", ("ok", None, {(): 2}, {})),
    ("a: 1\n", ("ok", {"a": 1}, {(): 1, ("a",): 1}, {("a",): "1"})),
    ("- a\n- b\n", ("ok", ["a", "b"], {(): 1, (0,): 1, (1,): 2}, {})),
    (
        "a: &x [1]\nb: *x\n",
        ("problem", "anchors and aliases (&name / *name) are not allowed in content files: write the value out", 1),
    ),
    (
        "a: &x 1\nb: *x\n",
        ("problem", "anchors and aliases (&name / *name) are not allowed in content files: write the value out", 1),
    ),
    ("&k a: 1\nb: *k\n", ("ok", {"a": 1, "b": "a"}, {(): 1, ("a",): 1, ("b",): 2}, {("a",): "1"})),
    ("&k a: 1\n*k : 2\n", ("problem", "duplicate key 'a' in the same mapping (the first would be silently lost)", 1)),
    (
        "&k a: 1\nb: *k\nc: *k\n",
        ("problem", "anchors and aliases (&name / *name) are not allowed in content files: write the value out", 1),
    ),
    ("a: *nope\n", ("problem", "YAML syntax error: found undefined alias", 1)),
    (
        "a: &x 1\nb: &x 2\n",
        ("problem", "YAML syntax error: found duplicate anchor; first occurrence, second occurrence", 2),
    ),
    (
        "a: &x [*x]\n",
        ("problem", "anchors and aliases (&name / *name) are not allowed in content files: write the value out", 1),
    ),
    (
        "a: 1\n---\nb: 2\n",
        ("problem", "YAML syntax error: expected a single document in the stream, but found another document", 2),
    ),
    ("%YAML 1.1\n---\na: 1\n", ("ok", {"a": 1}, {(): 3, ("a",): 3}, {("a",): "1"})),
    ("a: !!str 12\n", ("ok", {"a": "12"}, {(): 1, ("a",): 1}, {})),
    ("a: !!int '12'\n", ("ok", {"a": "12"}, {(): 1, ("a",): 1}, {})),
    (
        "a: !!python/object:os.system {}\n",
        ("problem", "the tag 'tag:yaml.org,2002:python/object:os.system' is not allowed in content files", 1),
    ),
    ("a: !!omap [a: 1]\n", ("problem", "the tag 'tag:yaml.org,2002:omap' is not allowed in content files", 1)),
    ("a: !!map [1]\n", ("problem", "the tag 'tag:yaml.org,2002:map' is not allowed on a list", 1)),
    ("a: !!seq {b: 1}\n", ("problem", "the tag 'tag:yaml.org,2002:seq' is not allowed on a mapping", 1)),
    ("<<: {a: 1}\n", ("problem", "keys must be plain words (no lists, mappings or << merges as keys)", 1)),
    ("'<<': 1\n", ("ok", {"<<": 1}, {(): 1, ("<<",): 1}, {("<<",): "1"})),
    ("? [a]\n: 1\n", ("problem", "keys must be plain words (no lists, mappings or << merges as keys)", 1)),
    ("a: 1\na: 2\n", ("problem", "duplicate key 'a' in the same mapping (the first would be silently lost)", 2)),
    (
        "x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        ("problem", "structure nested too deeply (limit 24 levels)", 1),
    ),
    (
        "x: [[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]\n",
        (
            "ok",
            {"x": [[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]},
            {
                (): 1,
                ("x",): 1,
                ("x", 0): 1,
                ("x", 0, 0): 1,
                ("x", 0, 0, 0): 1,
                ("x", 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
                ("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): 1,
            },
            {("x", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0): "1"},
        ),
    ),
    (
        "d: 1953-07-27\ne: 1953-02-30\nf: no\ng: On\nh: 3.10\ni: 1953\nj: ~\nk: null\nl:\no: 0x1F\n",
        (
            "ok",
            {
                "d": datetime.date(1953, 7, 27),
                "e": "1953-02-30",
                "f": False,
                "g": True,
                "h": 3.1,
                "i": 1953,
                "j": None,
                "k": None,
                "l": None,
                "o": 31,
            },
            {
                (): 1,
                ("d",): 1,
                ("e",): 2,
                ("f",): 3,
                ("g",): 4,
                ("h",): 5,
                ("i",): 6,
                ("j",): 7,
                ("k",): 8,
                ("l",): 9,
                ("o",): 10,
            },
            {
                ("d",): "1953-07-27",
                ("e",): "1953-02-30",
                ("f",): "no",
                ("g",): "On",
                ("h",): "3.10",
                ("i",): "1953",
                ("j",): "~",
                ("k",): "null",
                ("o",): "0x1F",
            },
        ),
    ),
    (
        "a: |\n  block\n  text\nb: >\n  folded\n  text\n",
        ("ok", {"a": "block\ntext\n", "b": "folded text\n"}, {(): 1, ("a",): 1, ("b",): 4}, {}),
    ),
    ("a: 'single'\nb: \"double\"\n", ("ok", {"a": "single", "b": "double"}, {(): 1, ("a",): 1, ("b",): 2}, {})),
    (
        "[1, 2, {a: b}]\n",
        ("ok", [1, 2, {"a": "b"}], {(): 1, (0,): 1, (1,): 1, (2,): 1, (2, "a"): 1}, {(0,): "1", (1,): "2"}),
    ),
    ("a: ! 12\nb: ! foo\n", ("ok", {"a": 12, "b": "foo"}, {(): 1, ("a",): 1, ("b",): 2}, {("a",): "12"})),
    ("!!seq [1]\n", ("ok", [1], {(): 1, (0,): 1}, {(0,): "1"})),
    (
        "a: b: c\n",
        (
            "problem",
            "YAML syntax error: mapping values are not allowed in this context"
            " (check the indentation of this line against the one above)",
            1,
        ),
    ),
    ("a:\n  - b\n   - c\n", ("ok", {"a": ["b - c"]}, {(): 1, ("a",): 1, ("a", 0): 2}, {})),
    ("\ufeffa: 1\n", ("ok", {"a": 1}, {(): 1, ("a",): 1}, {("a",): "1"})),
    (
        "a: &x b\nc: [*x, *x]\n",
        ("problem", "anchors and aliases (&name / *name) are not allowed in content files: write the value out", 1),
    ),
    (
        "- &x a\n- *x\n",
        ("problem", "anchors and aliases (&name / *name) are not allowed in content files: write the value out", 1),
    ),
    ("&r a: *r\n", ("ok", {"a": "a"}, {(): 1, ("a",): 1}, {})),
    (
        "events:\n  - [1, 2]\n  - {id: x, tags: [a, yes]}\n",
        (
            "ok",
            {"events": [[1, 2], {"id": "x", "tags": ["a", True]}]},
            {
                (): 1,
                ("events",): 1,
                ("events", 0): 2,
                ("events", 0, 0): 2,
                ("events", 0, 1): 2,
                ("events", 1): 3,
                ("events", 1, "id"): 3,
                ("events", 1, "tags"): 3,
                ("events", 1, "tags", 0): 3,
                ("events", 1, "tags", 1): 3,
            },
            {("events", 0, 0): "1", ("events", 0, 1): "2", ("events", 1, "tags", 1): "yes"},
        ),
    ),
    (
        "a: `x`\n",
        (
            "problem",
            "YAML syntax error: while scanning for the next token, found character that cannot start any token",
            1,
        ),
    ),
    (
        "1: a\ntrue: b\n~: c\n",
        ("ok", {"1": "a", "true": "b", "~": "c"}, {(): 1, ("1",): 1, ("true",): 2, ("~",): 3}, {}),
    ),
    ("a: !!binary aGVsbG8=\n", ("problem", "the tag 'tag:yaml.org,2002:binary' is not allowed in content files", 1)),
    (
        "a: 2001-12-14t21:59:43.10-05:00\n",
        (
            "ok",
            {
                "a": datetime.datetime(
                    2001,
                    12,
                    14,
                    21,
                    59,
                    43,
                    100000,
                    tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=68400)),
                )
            },
            {(): 1, ("a",): 1},
            {("a",): "2001-12-14t21:59:43.10-05:00"},
        ),
    ),
    (
        "k: [a, b, [c, d]]\nm: {x: {y: z}}\n",
        (
            "ok",
            {"k": ["a", "b", ["c", "d"]], "m": {"x": {"y": "z"}}},
            {
                (): 1,
                ("k",): 1,
                ("k", 0): 1,
                ("k", 1): 1,
                ("k", 2): 1,
                ("k", 2, 0): 1,
                ("k", 2, 1): 1,
                ("m",): 2,
                ("m", "x"): 2,
                ("m", "x", "y"): 2,
            },
            {},
        ),
    ),
]


@pytest.mark.parametrize(("source", "expected"), GOLDEN)
def test_yaml_reader_gives_what_the_node_walk_gave(source: str, expected: tuple) -> None:
    try:
        located = read_yaml(source.encode())
        got: tuple = ("ok", located.data, located.lines, located.coerced)
    except YamlProblem as exc:
        got = ("problem", exc.message, exc.line)
    assert got == expected


def test_yaml_reader_on_the_content_files() -> None:
    for path in sorted(CONTENT.glob("*.yaml")):
        raw = path.read_bytes()
        located = read_yaml(raw)
        assert located.data == yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for kind, items in located.data.items():
            for i, item in enumerate(items):
                line = located.line_of((kind, i))
                assert raw.decode().splitlines()[line - 1].lstrip().startswith("-"), (path, i, line)
                for key in item:
                    assert f"{key}:" in raw.decode().splitlines()[located.line_of((kind, i, key)) - 1]
