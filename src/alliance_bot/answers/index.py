"""A small BM25F search index with the field's synonyms and typo tolerance.

Documents have named fields (a fact's statement, its keywords, its quotes…),
each with a weight. Scores are BM25F: per-field term frequencies, normalised
by field length, weighted and summed before saturation. On top of it:
- typo tolerance: a typed word missing from the corpus is replaced by the
  closest word that is there (1 edit, or 2 for long words, a swap counting as
  one; same first letter; never a word whose stem the corpus has),
  before synonyms and stemming, so "mutal defense tready" still becomes `mdt`;
- a bonus when two query terms stand next to each other in a document;
- idf-weighted coverage, so a document matching more of the question wins;
- a small boost for documents carrying a date or a figure when the question
  asks "when" or "how many".
Everything is precomputed at build time; a query touches only the postings of
its own terms.

Representation (why numpy): at a hundred times the shipped digest a common
term ("korea", "us") is in most of 20,000 documents, and a per-document Python
loop cost ~100 ms a query. So postings are arrays (CSR: one array of document
numbers and one of precomputed BM25 contributions, sliced per term), a query
accumulates scores, coverage and boosts into float arrays, and only the few
best documents become Python objects. The arithmetic is the same, operation
for operation, as the per-document loop it replaced, so rankings are identical
(tests/test_perf_equivalence.py compares them with a reference implementation).

Over 400 lines on purpose: building the arrays and querying them share one
representation, and keeping both together keeps the arithmetic checkable.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Generic, TypeVar, overload

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from alliance_bot.answers.text import (
    GIVES_KINDS,
    GIVES_TERMS,
    analyse,
    analyse_words,
    has_date,
    has_number,
    query_terms,
    raw_words,
    stem,
)
from alliance_bot.answers.vocabulary import MONTHS, NUMBER_WORDS, PLACE_WORDS, STOPWORDS, SYNONYMS

_Payload = TypeVar("_Payload")


@dataclass(frozen=True, init=False)
class SearchDoc(Generic[_Payload]):
    key: str
    kind: str
    fields: dict[str, str]
    payload: _Payload  # what the caller wants back (an entry); None when not given

    @overload
    def __init__(self: SearchDoc[None], key: str, kind: str, fields: dict[str, str]) -> None: ...
    @overload
    def __init__(self, key: str, kind: str, fields: dict[str, str], payload: _Payload) -> None: ...

    def __init__(self, key: str, kind: str, fields: dict[str, str], payload: object = None) -> None:
        # what the generated __init__ of a frozen dataclass does
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "payload", payload)


@dataclass(frozen=True)
class Hit(Generic[_Payload]):
    doc: SearchDoc[_Payload]
    score: float
    matched: tuple[str, ...] = ()
    coverage: float = 0.0  # idf-weighted share of the query's terms this document matches


@dataclass(frozen=True)
class QueryProfile:
    """What a query asks for, as this index sees it: its distinct content terms (after typo correction,
    synonyms and stemming) with their weights, for judging whether a document answers it (`support`).

    A term the index has weighs its idf; a term it does not have weighs as much as the rarest term there
    is: a word the digest never uses is the strongest sign that the question is about something else."""

    terms: tuple[str, ...]
    weights: tuple[float, ...]
    unknown: frozenset[str]  # terms no document has
    corrected: frozenset[str]  # terms that come from a typo correction, not from what was typed
    intents: frozenset[str]
    # countries and places the query names that an answer must name too: all but those that most
    # documents name (the alliance's own two), which say nothing about which entry is meant
    places: frozenset[str] = frozenset()

    @property
    def total(self) -> float:
        return sum(self.weights)


def specificity(word: str) -> float:
    """How much a word says about a subject, from its frequency in English at large (wordfreq's Zipf scale:
    7 for "the", 2 for "inchon"): 1.0 for rare words and names, down to 0.15 for the commonest ("happened",
    "old", "people"), which say little whether or not the digest has them. Numbers count fully."""
    if not word.isalpha():
        return 1.0
    return min(1.0, max(0.15, (6.5 - _zipf(word)) / 3.0))


@lru_cache(maxsize=65_536)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency  # its word lists load on first use: off the import path of the CLI

    return float(zipf_frequency(word, "en", wordlist="small"))  # rare words: 0, as rare as any


# A word this common in English is a word, not a typo, even where the digest never uses it: "sites" is not
# "sides", "soviets" not "society". Left as typed, it counts as a word the digest does not know.
REAL_WORD_ZIPF = 3.0
CORRECTED_CREDIT = 0.6

_PLACE_TERMS = frozenset(
    t for words in PLACE_WORDS for t in analyse(words)
)  # a term reached only through a typo correction is a guess: part of its weight counts


class TextAnalysis:
    """Analysis of field texts, remembered per distinct text while indexes are built.

    The same text recurs across documents (a quote cited by several entries, tags, date
    strings) and across indexes (treaties are in the fact index and the treaty index);
    sharing one `TextAnalysis` between the indexes of one build analyses each text once.
    Terms are numbered here, once for all the indexes sharing it, so that a text's terms are
    kept as an array of numbers. Drop it after the build: it holds every text's words.
    """

    def __init__(self) -> None:
        self.term_ids: dict[str, int] = {}
        self.terms: list[str] = []
        self._analysed: dict[tuple[bool, str], tuple[list[str], np.ndarray]] = {}
        self._dated: dict[str, bool] = {}
        self._numbered: dict[str, bool] = {}

    def prepare(self, texts: list[str], synonyms: bool) -> None:
        """Analyse the texts not seen yet; their terms are numbered together, in order of appearance."""
        todo = [t for t in dict.fromkeys(texts) if (synonyms, t) not in self._analysed]
        if not todo:
            return
        # words interned: a million of them at 100x, a few thousand distinct (kept for the surface counts)
        word_lists = [list(map(sys.intern, raw_words(t))) for t in todo]
        analyse = analyse_words if synonyms else _plain_words
        term_lists = [analyse(words) for words in word_lists]
        ids = self.term_ids
        for term in dict.fromkeys(chain.from_iterable(term_lists)):  # numbered in order of first appearance
            if term not in ids:
                ids[term] = len(self.terms)
                self.terms.append(term)
        lengths = [len(terms) for terms in term_lists]
        flat = np.fromiter(map(ids.__getitem__, chain.from_iterable(term_lists)), dtype=np.int64, count=sum(lengths))
        for text, words, term_ids in zip(todo, word_lists, np.split(flat, np.cumsum(lengths)[:-1]), strict=True):
            self._analysed[(synonyms, text)] = (words, term_ids)

    def has_date(self, text: str) -> bool:
        found = self._dated.get(text)
        if found is None:
            found = self._dated[text] = has_date(text)
        return found

    def has_number(self, text: str) -> bool:
        found = self._numbered.get(text)
        if found is None:
            found = self._numbered[text] = has_number(text)
        return found

    def words_and_term_ids(self, text: str, synonyms: bool) -> tuple[list[str], np.ndarray]:
        found = self._analysed.get((synonyms, text))
        if found is None:
            self.prepare([text], synonyms)
            found = self._analysed[(synonyms, text)]
        return found


class SearchIndex(Generic[_Payload]):
    def __init__(
        self,
        docs: list[SearchDoc[_Payload]],
        weights: dict[str, float],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        fuzzy: bool = True,
        synonyms: bool = True,
        analysis: TextAnalysis | None = None,
    ) -> None:
        self.docs = docs
        self.weights = weights
        self.k1 = k1
        self.fuzzy = fuzzy
        self.synonyms = synonyms
        analysis = analysis if analysis is not None else TextAnalysis()
        n = len(docs)
        self._n = n
        self._keys = [doc.key for doc in docs]

        # 1. analyse every field (each distinct text once)
        analysis.prepare(
            [text for doc in docs for name, text in doc.fields.items() if name in weights and text], synonyms
        )
        total_len: Counter[str] = Counter()
        field_ids: list[np.ndarray] = []  # term numbers of every field, one field after another
        field_doc: list[int] = []  # per field: its document
        field_name: list[str] = []
        field_len: list[int] = []
        texts: Counter[str] = Counter()  # how often each distinct text is a field (first-seen order)
        has_date_doc = np.zeros(n, dtype=bool)
        has_number_doc = np.zeros(n, dtype=bool)
        gives_doc = {kind: np.zeros(n, dtype=bool) for kind in GIVES_KINDS}  # a person, a place, a reason
        for i, doc in enumerate(docs):
            # has_date/has_number of the joined fields == of any one field: a match never spans the
            # space joining two fields, which is a word boundary as the ends of a field are
            has_date_doc[i] = any(map(analysis.has_date, doc.fields.values()))
            has_number_doc[i] = any(map(analysis.has_number, doc.fields.values()))
            for name, text in doc.fields.items():
                if name not in weights or not text:
                    continue
                ids = analysis.words_and_term_ids(text, synonyms)[1]
                texts[text] += 1
                total_len[name] += len(ids)
                field_ids.append(ids)
                field_doc.append(i)
                field_name.append(name)
                field_len.append(len(ids))
        self._has_date = has_date_doc
        self._has_number = has_number_doc
        self._gives = gives_doc
        # term numbers are shared with the other indexes of the build: n_terms bounds them all
        n_terms = max(len(analysis.terms), 1)
        avg = {name: (total_len[name] / n if n else 0.0) or 1.0 for name in weights}

        # 2. BM25F term frequencies: per field weight * count / length norm, summed over the fields
        # of a document in field order (np.add.at adds in array order, as the loop over fields did)
        occ = np.concatenate(field_ids) if field_ids else np.zeros(0, dtype=np.int64)
        lengths = np.array(field_len, dtype=np.int64)
        docs_of_field = np.array(field_doc, dtype=np.int64)
        field_of_occ = np.repeat(np.arange(len(field_len), dtype=np.int64), lengths)
        # what each document gives (a person, a place, a reason): one of the marker terms among its terms
        for kind in GIVES_KINDS:
            marker = [analysis.term_ids[t] for t in GIVES_TERMS[kind] if t in analysis.term_ids]
            if marker:
                gives_doc[kind][np.unique(docs_of_field[field_of_occ[np.isin(occ, marker)]])] = True
        per_field = np.sort(field_of_occ * n_terms + occ)  # (field, term) of every occurrence
        first = _run_starts(per_field)
        counts = np.diff(np.append(first, len(per_field)))
        per_field = per_field[first]
        f_idx = per_field // n_terms
        f_term = per_field % n_terms
        weight_of_field = np.array([weights[name] for name in field_name], dtype=np.float64)
        norm_of_field = (1 - b) + b * (lengths / np.array([avg[name] for name in field_name], dtype=np.float64))
        value = weight_of_field[f_idx] * counts / norm_of_field[f_idx]
        pair = docs_of_field[f_idx] * n_terms + f_term  # (document, term), in field order within a document
        order = np.argsort(pair, kind="stable")
        run = np.zeros(len(pair), dtype=np.int64)
        starts = _run_starts(pair[order])
        run[starts[1:]] = 1
        pair_of_value = np.empty(len(pair), dtype=np.int64)
        pair_of_value[order] = np.cumsum(run)
        pairs = pair[order][starts]
        tf = np.zeros(len(pairs), dtype=np.float64)
        np.add.at(tf, pair_of_value, value)
        del per_field, first, counts, f_idx, f_term, value, pair, order, run, starts, pair_of_value

        # 3. postings by term (CSR), idf, and each posting's BM25 contribution idf * tf / (k1 + tf)
        p_doc = pairs // n_terms
        p_term = pairs % n_terms
        order = np.argsort(p_term * max(n, 1) + p_doc)
        self._post_doc = p_doc[order]
        post_term = p_term[order]
        tf = tf[order]
        self._ptr: list[int] = np.searchsorted(post_term, np.arange(n_terms + 1)).tolist()  # tolist() is typed Any
        present: list[int] = np.flatnonzero(np.diff(np.array(self._ptr, dtype=np.int64))).tolist()
        terms = analysis.terms
        self._vocab = {terms[t]: t for t in present}
        # math.log, not np.log: the very same idf values as the reference loop
        idf = [0.0] * n_terms
        for t in present:
            d = self._ptr[t + 1] - self._ptr[t]
            idf[t] = math.log(1 + (n - d + 0.5) / (d + 0.5))
        self._idf = idf
        self._contrib = np.array(idf, dtype=np.float64)[post_term] * tf / (k1 + tf)

        # 4. adjacent term pairs per document, for the bigram bonus: sorted (pair code, document)
        same_field = field_of_occ[:-1] == field_of_occ[1:]
        code = occ[:-1][same_field] * n_terms + occ[1:][same_field]
        code_doc = docs_of_field[field_of_occ[:-1][same_field]]
        self._bigram_code, self._bigram_doc = _unique_pairs(code, code_doc, n)
        self._n_terms = n_terms

        kinds = sorted({doc.kind for doc in docs})
        self._kind_code = {kind: i for i, kind in enumerate(kinds)}
        self._doc_kind = np.array([self._kind_code[doc.kind] for doc in docs], dtype=np.int64)

        # typo correction works on the words people type, before synonyms and stemming; the counts
        # break ties. Counted per distinct text times its number of fields, in first-seen order.
        surface: Counter[str] = Counter()
        for text, times in texts.items():
            words = analysis.words_and_term_ids(text, synonyms)[0]
            if times == 1:
                surface.update(words)
            else:
                for word, count in Counter(words).items():
                    surface[word] += count * times
        if synonyms:
            for phrase in SYNONYMS:
                surface.update(dict.fromkeys(phrase.split(), 0))
            surface.update(dict.fromkeys(NUMBER_WORDS, 0))
            surface.update(dict.fromkeys(MONTHS, 0))
        self._surface = surface
        self._surface_words = [w for w in surface if len(w) >= 3 and not w.isdigit()]

    @property
    def vocabulary(self) -> list[str]:
        """The index's terms, in order of first analysis."""
        return sorted(self._vocab, key=self._vocab.__getitem__)

    def correct(self, query: str) -> tuple[str, dict[str, str]]:
        """Replace words that are not in the corpus by the closest ones that are (typos)."""
        words = raw_words(query)
        fixes: dict[str, str] = {}
        for w in set(words):
            if (
                w in self._surface
                or w in STOPWORDS
                or not 4 <= len(w) <= 30
                or not w.isalpha()
                or stem(w) in self._vocab
                or _zipf(w) >= REAL_WORD_ZIPF
            ):
                continue
            max_dist = 1 if len(w) <= 6 else 2
            # optimal string alignment: a swapped pair of letters ("ukriane") is one edit
            found = process.extract(w, self._surface_words, scorer=OSA.distance, score_cutoff=max_dist, limit=8)
            # people rarely mistype the first letter; a different first letter is another word ("sell"/"fell")
            found = [f for f in found if f[0][0] == w[0]]
            if found:
                best = min(d for _, d, _ in found)
                fixes[w] = max((c for c, d, _ in found if d == best), key=lambda c: (self._surface[c], c))
        if not fixes:
            return query, {}
        return " ".join(fixes.get(w, w) for w in words), fixes

    def profile(self, query: str) -> QueryProfile:
        """The query's content terms and their weights (see `QueryProfile`)."""
        fixes: dict[str, str] = {}
        if self.fuzzy:
            query, fixes = self.correct(query)
        if self.synonyms:
            terms, intents = query_terms(query)
        else:
            terms, intents = _plain_words(raw_words(query)), set()
        corrected: set[str] = set()
        if fixes:
            typed = set(query_terms(" ".join(w for w in raw_words(query) if w not in fixes.values()))[0])
            corrected = set(query_terms(" ".join(fixes.values()))[0]) - typed
        distinct = list(dict.fromkeys(terms))
        rarest = math.log(1 + (self._n - 1 + 0.5) / 1.5) if self._n else 1.0
        # how specific each term is in English at large: the rarest word typed that gives the term
        generality: dict[str, float] = {}
        for word in raw_words(query):
            for term in query_terms(word)[0] if self.synonyms else _plain_words([word]):
                generality[term] = min(generality.get(term, 1.0), specificity(word))
        weights = tuple(
            (self._idf[self._vocab[t]] if t in self._vocab else rarest) * generality.get(t, 1.0) for t in distinct
        )
        unknown = frozenset(t for t in distinct if t not in self._vocab)
        places = frozenset(t for t in distinct if t in _PLACE_TERMS and self._doc_frequency(t) <= self._n / 2)
        return QueryProfile(tuple(distinct), weights, unknown, frozenset(corrected), frozenset(intents), places)

    def _doc_frequency(self, term: str) -> int:
        tid = self._vocab.get(term)
        return 0 if tid is None else int(self._ptr[tid + 1] - self._ptr[tid])

    def term_weight(self, term: str) -> tuple[float, bool]:
        """A term's weight as `profile` starts from, before English frequency: its idf, or, for a term no
        document has, the idf of the rarest term there could be; and whether some document has it."""
        tid = self._vocab.get(term)
        if tid is not None:
            return self._idf[tid], True
        return (math.log(1 + (self._n - 1 + 0.5) / 1.5) if self._n else 1.0), False

    @staticmethod
    def support(profile: QueryProfile, matched: Iterable[str]) -> float:
        """The share of what the query asks (by weight) that a document with these matched terms covers,
        a term from a typo correction counting `CORRECTED_CREDIT` of its weight; 0 for an empty query."""
        total = profile.total
        if total <= 0:
            return 0.0
        have = set(matched)
        got = sum(
            w * (CORRECTED_CREDIT if t in profile.corrected else 1.0)
            for t, w in zip(profile.terms, profile.weights, strict=True)
            if t in have
        )
        return got / total

    def _postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._ptr[term_id], self._ptr[term_id + 1]
        return self._post_doc[lo:hi], self._contrib[lo:hi]

    def _bigram_docs(self, first: int, second: int) -> np.ndarray:
        code = first * self._n_terms + second
        lo, hi = np.searchsorted(self._bigram_code, [code, code + 1])
        return self._bigram_doc[lo:hi]

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        kinds: set[str] | None = None,
        min_ratio: float = 0.0,
        min_coverage: float = 0.0,
    ) -> list[Hit[_Payload]]:
        if self.fuzzy:
            query, _ = self.correct(query)
        if self.synonyms:
            terms, intents = query_terms(query)
        else:
            terms, intents = _plain_words(raw_words(query)), set()
        term_ids = [self._vocab.get(t) for t in terms]
        expanded = [(pos, tid) for pos, tid in enumerate(term_ids) if tid is not None]
        if not expanded or limit <= 0:
            return []
        n = self._n
        scores = np.zeros(n)
        covered = np.zeros(n)  # sum of the idf of the query positions a document matches
        # which of the query's distinct terms a document has, as bits (for Hit.matched)
        distinct = list(dict.fromkeys(tid for _, tid in expanded))
        bit_of = {tid: 1 << j for j, tid in enumerate(distinct[:_TERM_BITS])}
        has_terms = np.zeros(n, dtype=np.int64)
        # idf of each query position
        pos_idf: dict[int, float] = {}
        for pos, tid in expanded:
            docs, contrib = self._postings(tid)
            idf = self._idf[tid]
            scores[docs] += contrib
            covered[docs] += idf
            if tid in bit_of:
                has_terms[docs] |= bit_of[tid]
            pos_idf[pos] = idf
        all_idf = sum(pos_idf.values()) + sum(1.0 for p in range(len(terms)) if p not in pos_idf)
        coverage = covered / all_idf
        mask = covered > 0  # every idf is positive: a document matching any term has covered > 0
        if kinds is not None:
            wanted = [self._kind_code[k] for k in kinds if k in self._kind_code]
            mask &= np.isin(self._doc_kind, wanted)
        if min_coverage > 0:
            mask &= coverage >= min_coverage
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            return []
        # a bonus for two query terms standing next to each other, summed before it joins the score
        bonus = np.zeros(n)
        for p in range(len(terms) - 1):
            first, second = term_ids[p], term_ids[p + 1]
            if first is not None and second is not None:
                bonus[self._bigram_docs(first, second)] += 0.5 * min(pos_idf[p], pos_idf[p + 1])
        final = (scores + bonus) * (0.3 + 0.7 * coverage)
        if "date" in intents:
            final[self._has_date] *= 1.35
        if "number" in intents:
            final[self._has_number] *= 1.2
        for kind in GIVES_KINDS:
            if kind in intents:
                final[self._gives[kind]] *= INTENT_BOOST

        # the best `limit` by (score desc, key): everything scoring at least the limit-th best
        # (ties included), then an exact sort of those few
        values = final[candidates]
        if len(candidates) > limit:
            threshold = np.partition(values, len(values) - limit)[len(values) - limit]
            chosen = candidates[values >= threshold]
        else:
            chosen = candidates
        keys = self._keys
        final_list: list[float] | None = final.tolist() if len(chosen) > 64 else None  # tolist() is typed Any
        score_of = (lambda i: final_list[i]) if final_list is not None else (lambda i: float(final[i]))
        chosen_list: list[int] = chosen.tolist()
        ranked = sorted(chosen_list, key=lambda i: (-score_of(i), keys[i]))[:limit]
        if min_ratio > 0:
            floor = score_of(ranked[0]) * min_ratio
            ranked = [i for i in ranked if score_of(i) >= floor]

        # which query terms each returned document matched
        term_of = {tid: terms[term_ids.index(tid)] for tid in distinct}
        matched: list[set[str]] = []
        for i in ranked:
            bits = int(has_terms[i])
            matched.append({term_of[tid] for tid, bit in bit_of.items() if bits & bit})
        if len(distinct) > _TERM_BITS:  # a very long query: look the remaining terms up
            picked = np.array(ranked, dtype=np.int64)
            for tid in distinct[_TERM_BITS:]:
                docs, _ = self._postings(tid)
                where = np.minimum(np.searchsorted(docs, picked), len(docs) - 1)
                for j in np.flatnonzero(docs[where] == picked).tolist():
                    matched[j].add(term_of[tid])
        return [
            Hit(self.docs[i], score_of(i), tuple(sorted(m)), float(coverage[i]))
            for i, m in zip(ranked, matched, strict=True)
        ]


INTENT_BOOST = 1.2  # "who", "where", "why": an entry that gives a person, a place, a reason
_TERM_BITS = 62  # query terms tracked as bits of an int64 per document


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Positions where a sorted array's value changes (each run's first element)."""
    if not len(ordered):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


def _unique_pairs(first: np.ndarray, second: np.ndarray, second_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (first, second) pairs sorted by first then second; one int64 key when it fits."""
    size = max(second_size, 1)
    if len(first) and int(first.max()) < (2**62) // size:
        combined = np.sort(first * size + second)
        combined = combined[_run_starts(combined)]
        return combined // size, combined % size
    order = np.lexsort((second, first))
    first, second = first[order], second[order]
    keep = np.ones(len(first), dtype=bool)
    keep[1:] = (first[1:] != first[:-1]) | (second[1:] != second[:-1])
    return first[keep], second[keep]


def _plain_words(words: list[str]) -> list[str]:
    """The baseline's analysis: lowercase words and stems, stop words dropped, no synonyms, no typo help."""
    return [stem(w) for w in words if w not in STOPWORDS and w != "$"]


def _plain_terms(text: str) -> list[str]:
    return _plain_words(raw_words(text))
