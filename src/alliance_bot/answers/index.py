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
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from alliance_bot.answers.text import (
    MONTHS,
    NUMBER_WORDS,
    STOPWORDS,
    SYNONYMS,
    raw_words,
    analyse,
    has_date,
    stem,
    has_number,
    query_terms,
)


@dataclass(frozen=True)
class SearchDoc:
    key: str
    kind: str
    fields: dict[str, str]
    payload: object = None  # what the caller wants back (an entry)


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    matched: tuple[str, ...] = ()
    coverage: float = 0.0  # idf-weighted share of the query's terms this document matches


@dataclass
class _Prepared:
    bigrams: set[tuple[str, str]] = field(default_factory=set)
    has_date: bool = False
    has_number: bool = False


class SearchIndex:
    def __init__(
        self,
        docs: list[SearchDoc],
        weights: dict[str, float],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        fuzzy: bool = True,
        synonyms: bool = True,
    ) -> None:
        self.docs = docs
        self.weights = weights
        self.k1 = k1
        self.fuzzy = fuzzy
        self.synonyms = synonyms
        n = len(docs)
        field_terms: list[dict[str, list[str]]] = []
        surface: Counter[str] = Counter()
        total_len: Counter[str] = Counter()
        for doc in docs:
            per_field = {}
            for name, text in doc.fields.items():
                if name not in weights or not text:
                    continue
                terms = self._analyse(text)
                per_field[name] = terms
                surface.update(raw_words(text))
                total_len[name] += len(terms)
            field_terms.append(per_field)
        avg = {name: (total_len[name] / n if n else 0.0) or 1.0 for name in weights}

        postings: dict[str, dict[int, float]] = defaultdict(dict)
        self._prepared: list[_Prepared] = []
        for i, (doc, per_field) in enumerate(zip(docs, field_terms)):
            tf_tilde: Counter[str] = Counter()
            prepared = _Prepared()
            for name, terms in per_field.items():
                norm = (1 - b) + b * (len(terms) / avg[name])
                counts = Counter(terms)
                for term, count in counts.items():
                    tf_tilde[term] += weights[name] * count / norm
                prepared.bigrams.update(zip(terms, terms[1:]))
            text = " ".join(doc.fields.values())
            prepared.has_date = has_date(text)
            prepared.has_number = has_number(text)
            self._prepared.append(prepared)
            for term, value in tf_tilde.items():
                postings[term][i] = value
        self._postings = dict(postings)
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()}
        self._vocab = list(self._postings)
        # typo correction works on the words people type, before synonyms and stemming
        if synonyms:
            for phrase in SYNONYMS:
                surface.update({w: 0 for w in phrase.split()})
            surface.update({w: 0 for w in NUMBER_WORDS})
            surface.update({w: 0 for w in MONTHS})
        self._surface = surface
        self._surface_words = [w for w in surface if len(w) >= 3 and not w.isdigit()]

    def _analyse(self, text: str) -> list[str]:
        return analyse(text) if self.synonyms else _plain_terms(text)

    @property
    def vocabulary(self) -> list[str]:
        return self._vocab

    def correct(self, query: str) -> tuple[str, dict[str, str]]:
        """Replace words that are not in the corpus by the closest ones that are (typos)."""
        words = raw_words(query)
        fixes: dict[str, str] = {}
        for w in set(words):
            if (w in self._surface or w in STOPWORDS or not 4 <= len(w) <= 30 or not w.isalpha()
                    or stem(w) in self._postings):
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

    def search(self, query: str, *, limit: int = 10, kinds: set[str] | None = None,
               min_ratio: float = 0.0, min_coverage: float = 0.0) -> list[Hit]:
        if self.fuzzy:
            query, _ = self.correct(query)
        if self.synonyms:
            terms, intents = query_terms(query)
        else:
            terms, intents = _plain_terms(query), set()
        expanded = [(t, 1.0, pos) for pos, t in enumerate(terms) if t in self._postings]
        if not expanded:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, set[int]] = defaultdict(set)
        matched_terms: dict[int, set[str]] = defaultdict(set)
        k1 = self.k1
        seen_pairs: set[tuple[str, int]] = set()
        for term, weight, pos in expanded:
            if (term, pos) in seen_pairs:
                continue
            seen_pairs.add((term, pos))
            idf = self._idf[term]
            for doc_i, tf in self._postings[term].items():
                scores[doc_i] += weight * idf * tf / (k1 + tf)
                matched[doc_i].add(pos)
                matched_terms[doc_i].add(term)
        # idf of each query position (the best of its expansions)
        pos_idf: dict[int, float] = {}
        for term, weight, pos in expanded:
            pos_idf[pos] = max(pos_idf.get(pos, 0.0), self._idf[term] * weight)
        all_idf = sum(pos_idf.values()) + sum(1.0 for p in range(len(terms)) if p not in pos_idf)
        by_pos: dict[int, list[str]] = defaultdict(list)
        for term, _, pos in expanded:
            by_pos[pos].append(term)
        results: list[Hit] = []
        for doc_i, score in scores.items():
            doc = self.docs[doc_i]
            if kinds is not None and doc.kind not in kinds:
                continue
            prepared = self._prepared[doc_i]
            coverage = sum(pos_idf[p] for p in matched[doc_i]) / all_idf if all_idf else 0.0
            if coverage < min_coverage:
                continue
            bonus = 0.0
            for p in range(len(terms) - 1):
                if any((a, c) in prepared.bigrams for a in by_pos.get(p, ()) for c in by_pos.get(p + 1, ())):
                    bonus += 0.5 * min(pos_idf.get(p, 0.0), pos_idf.get(p + 1, 0.0))
            score = (score + bonus) * (0.3 + 0.7 * coverage)
            if "date" in intents and prepared.has_date:
                score *= 1.35
            if "number" in intents and prepared.has_number:
                score *= 1.2
            results.append(Hit(doc, score, tuple(sorted(matched_terms[doc_i])), coverage))
        results.sort(key=lambda h: (-h.score, h.doc.key))
        if results and min_ratio > 0:
            floor = results[0].score * min_ratio
            results = [h for h in results if h.score >= floor]
        return results[:limit]


def _plain_terms(text: str) -> list[str]:
    """The baseline's analysis: lowercase words and stems, stop words dropped, no synonyms, no typo help."""
    return [stem(w) for w in raw_words(text) if w not in STOPWORDS and w != "$"]
