"""Whether an entry answers what was asked, for `treaty`, `viewpoints` and `source` (#15).

The fact lookup judges its best entry by the share of the question's weight it covers (answers/fact.py,
`SearchIndex.support`). These lookups do the same, word by word (`Judgement.support`):

- Each word of the query (after typo correction) weighs what it tells apart among the entries *as typed*:
  its idf in an index of the entries without the field's synonyms (`Judge.plain`, `SearchIndex.term_weight`),
  or the weight of the rarest word when no entry uses it, the strongest sign that the question is about
  something else. As typed, because a synonym can make a distinctive word common: "Washington" is `us` in
  prose ("Seoul and Washington agreed"), which nearly every entry has, but the Washington Declaration is not
  a declaration about the US.
- An entry covers a word in full when one of its names (its labels: a treaty's name, aliases, kind and date;
  a topic's title and keywords; a source's author, outlet, title and kind) has it, and `CONTENT_CREDIT` of it
  when only the rest of its text does: a word in a summary is weaker evidence than a word in a name. An
  entry's detail (a topic's position summaries: long, so left out of what words weigh, or every word would
  be common) covers a word for `DETAIL_CREDIT` of it.
- The field's vocabulary (SYNONYMS: its phrases, "mutual defense pact" is `mdt`, and its words, "truce" is
  `armistic`) stands in for a word, but counts only as far as the synonym itself tells entries apart: at most
  its own weight among the entries' names (or texts). "Truce" is the armistice, whose name alone has
  `armistic`; "Washington" stands in for `us`, which most names have, so it counts for next to nothing.
- A word reached only through a typo correction counts `NAME_CORRECTION_CREDIT` of its weight; corrections
  are made only toward the words of names (`Judge`).

Names (`treaty`, `source`) answer at `ANSWER_SUPPORT`: most of what is asked, by weight, must be there, so
that one of two distinctive words (half the weight) never answers, and a common word left over ("korea",
"agreement", a few percent of the weight) does not stop an answer. Every word of a name tells it apart (the
Washington, Status or Camp of a name), so none is weighed by how common it is in English.

Questions in prose (`viewpoints`: "should Seoul pay more for US troops?") are judged as the fact lookup
judges its questions (`Judge(prose=True)`): each word also weighs how specific it is in English
(`specificity`: "should", "fair", "pay" say little), a word with a synonym weighs no more than the synonym
does ("Seoul" is South Korea, which every topic is about), and an entry answers at the fact lookup's threshold
(`PROSE_SUPPORT`) provided that what it covers weighs at least `PROSE_WEIGHT` of the rarest weight, the
fact lookup's minimum weight relative to its own rarest (1.0 of 4.9): a question of common words only does
not get whatever mentions them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from alliance_bot.answers.fact import ANSWER_SUPPORT as FACT_ANSWER_SUPPORT
from alliance_bot.answers.index import SearchDoc, SearchIndex, TextAnalysis, specificity
from alliance_bot.answers.text import MAX_QUERY_CHARS, analyse, analyse_words, raw_words, stem
from alliance_bot.answers.vocabulary import PLACE_WORDS, STOPWORDS, SYNONYMS

ANSWER_SUPPORT = 0.75  # the share of the query's weight an entry must cover to answer it
CONTENT_CREDIT = 0.6  # a word only in an entry's text, not in its names, counts this much of its weight
DETAIL_CREDIT = 0.4  # ...and one only in its detail (a topic's position summaries), this much
# A word from a typo correction counts this much: a guess, but a better one than the fact lookup's
# (CORRECTED_CREDIT), since it is made only toward the words of names, where a typed name's typos are.
NAME_CORRECTION_CREDIT = 0.8
PROSE_SUPPORT = FACT_ANSWER_SUPPORT  # questions in prose: the fact lookup's threshold (see above)
PROSE_WEIGHT = 0.2  # ...and what an answer covers weighs at least this share of the rarest weight
RELATED_RESULTS = 3  # when nothing answers: at most this many related entries (or did-you-mean names)
RELATED_SUPPORT = 0.2  # ...each covering at least this share of the query ("korea" alone relates nothing)

_Payload = TypeVar("_Payload")

_LONGEST_PHRASE = max(len(phrase.split()) for phrase in SYNONYMS)


class _Weighs(Protocol):
    """What the judge reads of a lookup's index with synonyms (a `SearchIndex`): what its terms weigh."""

    def term_weight(self, term: str) -> tuple[float, bool]: ...


@dataclass(frozen=True)
class JudgedEntry(Generic[_Payload]):
    """An entry as the judge sees it: its names (labels) and the rest of its text (content)."""

    key: str
    kind: str
    labels: tuple[str, ...]
    content: tuple[str, ...]
    payload: _Payload
    # more of its text, which covers a query's words as its content does but is left out of what words weigh:
    # long texts (a topic's position summaries) would make every word common
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Terms:
    label: frozenset[str]  # the names' words as typed (stemmed)
    text: frozenset[str]  # every word as typed: names and content
    label_canonical: frozenset[str]  # the names' terms with the field's synonyms
    text_canonical: frozenset[str]  # every term with the field's synonyms (used for questions in prose)
    detail: frozenset[str] = frozenset()  # the detail's words as typed, and its terms with the synonyms
    detail_canonical: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Word:
    term: str  # as typed, stemmed: the plain index's term
    weight: float
    credit: float  # 1, or NAME_CORRECTION_CREDIT for a word from a typo correction
    stand_ins: tuple[tuple[frozenset[str], float, float], ...]  # the field's terms for it, their weight in
    # names and in all the text


@dataclass(frozen=True)
class Judgement(Generic[_Payload]):
    """One query's words and weights, to measure entries against (`support`)."""

    query: str  # as corrected
    words: tuple[_Word, ...]
    judge: Judge[_Payload] = field(repr=False)

    @property
    def total(self) -> float:
        return sum(w.weight for w in self.words)

    def support(self, key: str) -> float:
        """The share of the query's weight the entry `key` covers (0 for a query of no content words)."""
        total = self.total
        if total <= 0 or key not in self.judge.entries:
            return 0.0
        terms = self.judge.terms(key)
        got = 0.0
        for w in self.words:
            if w.term in terms.label:
                best = w.weight
            elif w.term in terms.text:
                best = w.weight * CONTENT_CREDIT
            else:
                best = w.weight * DETAIL_CREDIT if w.term in terms.detail else 0.0
            for alt, in_names, in_text in w.stand_ins:  # a synonym counts as far as it tells entries apart
                if alt <= terms.label_canonical:
                    best = max(best, min(w.weight, in_names))
                elif alt <= terms.text_canonical:
                    best = max(best, min(w.weight, in_text) * CONTENT_CREDIT)
                elif alt <= terms.detail_canonical:
                    best = max(best, min(w.weight, in_text) * DETAIL_CREDIT)
            got += best * w.credit
        return got / total

    def answers(self, key: str) -> bool:
        support = self.support(key)
        if self.judge.prose:
            return support >= PROSE_SUPPORT and support * self.total >= PROSE_WEIGHT * self.judge.rarest
        return support >= ANSWER_SUPPORT


class Judge(Generic[_Payload]):
    """The entries of one lookup, with two indexes of their words as typed: `names` (their labels, with typo
    correction) and `plain` (all their text, without: the query it gets is already corrected), both also a
    view for ranking; `names_canonical`, their names with the field's synonyms, and `synonyms`, the lookup's
    own index, for what a synonym weighs; and, made on first use per entry, the terms of names and texts.

    Typos are corrected only toward a word of some entry's name: a name is what people mistype here, and a
    correction toward any word of the texts turns real words into other ones ("status" of forces into
    "states", which most treaties' texts have)."""

    def __init__(
        self,
        entries: Sequence[JudgedEntry[_Payload]],
        synonyms: _Weighs,
        *,
        analysis: TextAnalysis | None = None,
        label_weight: float = 3.0,
        content_weight: float = 1.0,
        prose: bool = False,
    ) -> None:
        self.prose = prose
        self.synonyms = synonyms  # the lookup's index with the field's synonyms: what its terms weigh
        self.entries = {e.key: e for e in entries}
        names_docs = [SearchDoc(e.key, e.kind, {"labels": " · ".join(e.labels)}, e.payload) for e in entries]
        self.names: SearchIndex[_Payload] = SearchIndex(
            names_docs,
            {"labels": 1.0},
            synonyms=False,
            analysis=analysis,
        )
        # the names with the field's synonyms, for what a synonym weighs in names ("armistic" is in one
        # treaty's names, though in many treaties' texts; `us` is in most names)
        self.names_canonical: SearchIndex[_Payload] = SearchIndex(
            names_docs, {"labels": 1.0}, fuzzy=False, analysis=analysis
        )
        self.plain: SearchIndex[_Payload] = SearchIndex(
            [
                SearchDoc(e.key, e.kind, {"labels": " · ".join(e.labels), "content": " · ".join(e.content)}, e.payload)
                for e in entries
            ],
            {"labels": label_weight, "content": content_weight},
            fuzzy=False,
            synonyms=False,
            analysis=analysis,
        )
        self._terms: dict[str, _Terms] = {}
        self.rarest = self.plain.term_weight(" ")[0]  # a term no entry has (none has a space): the rarest weight

    def terms(self, key: str) -> _Terms:
        found = self._terms.get(key)
        if found is None:
            e = self.entries[key]
            label = frozenset(_plain_terms(e.labels))
            label_canonical = frozenset(t for x in e.labels for t in analyse(x))
            found = self._terms[key] = _Terms(
                label,
                label | frozenset(_plain_terms(e.content)),
                label_canonical,
                label_canonical | frozenset(t for x in e.content for t in analyse(x)),
                frozenset(_plain_terms(e.detail)),
                frozenset(t for x in e.detail for t in analyse(x)),
            )
        return found

    def _canonical(self, terms: frozenset[str]) -> frozenset[str]:
        """The field's terms as the entries have them: a canonical term that stemming changes and that some
        text has as a plain word is stemmed there ("kyiv" is `ukraine`, the texts' "Ukraine" is `ukrain`)."""
        return frozenset(t if self.synonyms.term_weight(t)[1] else stem(t) for t in terms)

    def judge(self, query: str) -> Judgement[_Payload]:
        """The query's content words as typed (after typo correction), their weights and stand-ins."""
        query = query[:MAX_QUERY_CHARS]
        corrected, fixes = self.names.correct(query)
        typed = {stem(w) for w in raw_words(query) if w not in fixes}
        words = raw_words(corrected)
        phrase_of = _phrases(words)
        found: dict[str, _Word] = {}
        for i, w in enumerate(words):
            if w in STOPWORDS or w == "$":
                continue
            term = stem(w)
            weight = self.plain.term_weight(term)[0]
            if self.prose:
                weight *= specificity(w)
            stand_in = self._canonical(phrase_of.get(i) or frozenset(analyse_words([w])))
            in_names = max((self.names_canonical.term_weight(t)[0] for t in stand_in), default=0.0)
            in_text = max((self.synonyms.term_weight(t)[0] for t in stand_in), default=0.0)
            if self.prose and stand_in and stand_in != {term}:  # in prose a word means what the field means by it
                weight = min(weight, in_text * specificity(w))
            elif stand_in and w in PLACE_WORDS:  # "America", "Korean" in a name mean the country, no more
                weight = min(weight, in_names)
            before = found.get(term)
            alts = before.stand_ins if before else ()
            if stand_in and stand_in not in (alt for alt, _, _ in alts):
                alts = (*alts, (stand_in, in_names, in_text))
            credit = 1.0 if term in typed else NAME_CORRECTION_CREDIT
            if before:
                weight, credit = min(weight, before.weight), max(credit, before.credit)
            found[term] = _Word(term, weight, credit, alts)
        return Judgement(corrected, tuple(found.values()), self)


def candidate_scores(
    searches: Iterable[tuple[SearchIndex[Any], str]], *, min_coverage: float = 0.0
) -> defaultdict[str, float]:
    """Each entry's best score over several views of the entries (index, query), every view's scores taken
    relative to its own best (1.0), so that views with different scales can be compared."""
    scores: defaultdict[str, float] = defaultdict(float)
    for index, typed in searches:
        hits = index.search(typed, limit=10, min_coverage=min_coverage)
        top = hits[0].score if hits else 0.0
        for hit in hits:
            scores[hit.doc.key] = max(scores[hit.doc.key], hit.score / top if top else 0.0)
    return scores


def _plain_terms(texts: Iterable[str]) -> list[str]:
    """Words as typed, stemmed, stop words dropped: what the plain index makes of a text."""
    return [stem(w) for t in texts for w in raw_words(t) if w not in STOPWORDS and w != "$"]


def _phrases(words: list[str]) -> dict[int, frozenset[str]]:
    """The positions of the words inside one of the field's phrases of two or more words, each with the
    phrase's canonical terms; longest phrase first, left to right, as the analysis takes them."""
    out: dict[int, frozenset[str]] = {}
    n = len(words)
    i = 0
    while i < n - 1:
        for size in range(min(_LONGEST_PHRASE, n - i), 1, -1):
            canonical = SYNONYMS.get(" ".join(words[i : i + size]))
            if canonical is not None:
                terms = frozenset(canonical.split())
                for j in range(i, i + size):
                    out[j] = terms
                i += size
                break
        else:
            i += 1
    return out
