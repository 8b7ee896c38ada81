"""A small BM25F search index with the field's synonyms and typo tolerance.

Documents have named fields (a fact's statement, its keywords, its quotes…),
each with a weight. Scores are BM25F: per-field term frequencies, normalised
by field length, weighted and summed before saturation. On top of it:
- typo tolerance: a query term missing from the vocabulary is replaced by the
  closest vocabulary terms (Levenshtein distance 1, or 2 for long words), at a
  lower weight;
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
from rapidfuzz.distance import Levenshtein

from alliance_bot.answers.text import analyse, has_date, has_number, query_terms


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
        total_len: Counter[str] = Counter()
        for doc in docs:
            per_field = {}
            for name, text in doc.fields.items():
                if name not in weights or not text:
                    continue
                terms = self._analyse(text)
                per_field[name] = terms
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

    def _analyse(self, text: str) -> list[str]:
        return analyse(text) if self.synonyms else _plain_terms(text)

    @property
    def vocabulary(self) -> list[str]:
        return self._vocab

    def expand(self, terms: list[str]) -> list[tuple[str, float, int]]:
        """Query terms -> (vocabulary term, weight, position); unknown terms corrected when close enough."""
        out: list[tuple[str, float, int]] = []
        for pos, term in enumerate(terms):
            if term in self._postings:
                out.append((term, 1.0, pos))
                continue
            if not self.fuzzy or len(term) < 4 or term.replace(".", "").isdigit():
                continue
            max_dist = 1 if len(term) <= 6 else 2
            found = process.extract(term, self._vocab, scorer=Levenshtein.distance,
                                    score_cutoff=max_dist, limit=5)
            if not found:
                continue
            best = min(d for _, d, _ in found)
            for cand, dist, _ in found:
                if dist == best:
                    out.append((cand, 0.8 if dist == 1 else 0.6, pos))
        return out

    def search(self, query: str, *, limit: int = 10, kinds: set[str] | None = None,
               min_ratio: float = 0.0) -> list[Hit]:
        if self.synonyms:
            terms, intents = query_terms(query)
        else:
            terms, intents = _plain_terms(query), set()
        if not terms:
            return []
        expanded = self.expand(terms)
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
            bonus = 0.0
            for p in range(len(terms) - 1):
                if any((a, c) in prepared.bigrams for a in by_pos.get(p, ()) for c in by_pos.get(p + 1, ())):
                    bonus += 0.5 * min(pos_idf.get(p, 0.0), pos_idf.get(p + 1, 0.0))
            score = (score + bonus) * (0.3 + 0.7 * coverage)
            if "date" in intents and prepared.has_date:
                score *= 1.15
            if "number" in intents and prepared.has_number:
                score *= 1.15
            results.append(Hit(doc, score, tuple(sorted(matched_terms[doc_i]))))
        results.sort(key=lambda h: (-h.score, h.doc.key))
        if results and min_ratio > 0:
            floor = results[0].score * min_ratio
            results = [h for h in results if h.score >= floor]
        return results[:limit]


def _plain_terms(text: str) -> list[str]:
    """The baseline's analysis: lowercase words and stems, stop words dropped, no synonyms, no typo help."""
    from alliance_bot.answers.text import STOPWORDS, _raw_words, stem

    return [stem(w) for w in _raw_words(text) if w not in STOPWORDS and w != "$"]
