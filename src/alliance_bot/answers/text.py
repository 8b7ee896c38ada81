"""Turning text (documents and what people type) into search terms.

The same analysis runs on the digest and on queries, so both sides meet:
- Unicode folded (accents, curly quotes, dashes), lowercased;
- the vocabulary of this field mapped to one term each (U.S./US/American/
  Washington → `us`; ROK/South Korea/Seoul → `rok`; OPCON/operational control
  → `opcon`; …), longest phrase first;
- numbers kept whole (`28,500` → `28500`, `$13.4B` → `dollar 13.4 billion`);
- English stemming (Porter2, from snowballstemmer) and a small stop list.

Nothing here raises on any input: arbitrary Unicode, search syntax (`AND`,
`NEAR(`, `*`, quotes) and very long strings are just text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain, pairwise
from typing import Protocol

import snowballstemmer  # type: ignore[import-untyped]  # it ships no type information: typed as _Stemmer below

from alliance_bot.answers.korean import is_hangul, korean_word
from alliance_bot.answers.vocabulary import (
    DATE_INTENT,
    IRREGULAR_VERBS,
    NUMBER_INTENT,
    NUMBER_WORDS,
    PERSON_INTENT,
    PERSON_MARKERS,
    PLACE_INTENT,
    PLACE_MARKERS,
    REASON_INTENT,
    REASON_MARKERS,
    STOPWORDS,
    SYNONYMS,
)

MAX_QUERY_CHARS = 500  # people type questions; anything longer is cut before analysis


_ASKS_WHEN = re.compile(r"\bwhen\b|\b(?:what|which) (?:year|date|day)\b")
_ASKS_AMOUNT = re.compile(r"\bhow (?:many|much)\b|\bnumber of\b")
_ASKS_MEANING = re.compile(r"\b(?:stands?|short) for\b|\bwhat (?:does|do|is) .+ mean\b|\bmeaning of\b")
_MEANING_WORDS = frozenset({"stand", "short", "mean", "meaning"})  # their stems too: stand, short, mean
_GENERIC = frozenset({"number", "count", "figur", "figure"})  # say "a figure is wanted", match nothing useful
# first word of each phrase of two or more words -> those phrases' lengths, longest first
# (one-word synonyms need no look-ahead: they are part of a word's own analysis, `_single_word_terms`)
_PHRASES_BY_FIRST: dict[str, list[int]] = {}
for _phrase in SYNONYMS:
    _words = _phrase.split()
    if len(_words) > 1:
        _PHRASES_BY_FIRST.setdefault(_words[0], []).append(len(_words))
for _sizes in _PHRASES_BY_FIRST.values():
    _sizes.sort(reverse=True)
# the first two words of every phrase of two or more: only where two such words stand can a phrase begin
_PHRASE_STARTS = frozenset(tuple(p.split()[:2]) for p in SYNONYMS if " " in p)


class _Stemmer(Protocol):
    """What is used of a snowballstemmer stemmer (PyStemmer's C one, when installed)."""

    def stemWord(self, word: str) -> str: ...


_stemmer: _Stemmer = snowballstemmer.stemmer("english")

# Dashes and apostrophes unified: found with one regex scan (str.translate with a table looks up
# every character, and these are a few characters in long texts).
_FOLD_PUNCTUATION = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
_FOLD_PUNCTUATION.update(dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`", "'"))
_FOLD_PUNCTUATION_CHARS = re.compile("[" + "".join(_FOLD_PUNCTUATION) + "]")
_JAMO = re.compile("[\u1100-\u11ff]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_DIGIT_COMMA = re.compile(r"\d,")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)(b|bn|m|k)")
_MAGNITUDE = {"b": "billion", "bn": "billion", "m": "million", "k": "thousand"}
_ORDINAL = re.compile(r"(\d+)(s|st|nd|rd|th)")
_WORD = re.compile(
    r"[a-z]+|[0-9]+(?:\.[0-9]+)?[a-z]*|\$|[\uac00-\ud7a3]+"
)  # "kal858" is "kal 858"; "1950s", "13.4b" stay whole


def fold(text: str) -> str:
    """Lowercase, strip accents and control characters, unify dashes and apostrophes."""
    text = text[: MAX_QUERY_CHARS * 20]
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = _FOLD_PUNCTUATION_CHARS.sub(_unify_punctuation, text)
        if _JAMO.search(text):  # NFKD took Hangul syllables apart: put them together again
            text = unicodedata.normalize("NFC", text)
    return text.lower()


def _unify_punctuation(match: re.Match[str]) -> str:
    return _FOLD_PUNCTUATION[match.group(0)]


def _drop_thousands_separators(match: re.Match[str]) -> str:
    return match.group(0).replace(",", "")


def raw_words(text: str) -> list[str]:
    text = fold(text)
    # 28,500 -> 28500 (thousands separators), keep decimals; only a comma right after a digit can go
    if "," in text and _DIGIT_COMMA.search(text):
        text = _NUMBER.sub(_drop_thousands_separators, text)
    # u.s. / r.o.k. / h.r. -> u s / r o k / h r (phrases in SYNONYMS)
    words = _WORD.findall(text)
    if text.isascii():
        return words
    # a Korean word: the English words it means here (answers/korean.py)
    return [e for w in words for e in (korean_word(w) if is_hangul(w) else (w,))]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word.isdigit() or len(word) <= 3:
        return word
    return _stemmer.stemWord(word)


def _single_word_terms(w: str, keep_stopwords: bool) -> tuple[str, ...]:
    """The terms of one word that starts no longer phrase: its synonym, number, stem, or nothing."""
    if w == "$":
        return ("dollar",)
    canon = SYNONYMS.get(w)
    if canon is not None:
        return tuple(canon.split())
    if w in NUMBER_WORDS:
        return (NUMBER_WORDS[w],)
    if not keep_stopwords and w in STOPWORDS:
        return ()
    base = IRREGULAR_VERBS.get(w)
    if base is not None:
        return (stem(base),)
    if w[0].isdigit():
        # 13.4b / 2.3b -> 13.4 billion
        m = _AMOUNT.fullmatch(w)
        if m:
            return (m.group(1), _MAGNITUDE[m.group(2)])
        # 1950s / 25th / 2nd -> 1950 / 25 / 2
        m = _ORDINAL.fullmatch(w)
        if m:
            return (m.group(1),)
    return (stem(w),)


# A word's own terms depend on the word alone, so they are remembered: the digest's texts repeat
# the same few thousand words, and analysing them once each is most of the index build.
# Bounded, because queries bring arbitrary words: when full, a fresh memo replaces it (never
# emptied in place, so that a call in another thread, a reload's, keeps the one it holds).
# One memo without and one with stop words.
_WORD_TERMS_MAX = 200_000
_WORD_TERMS: list[dict[str, tuple[str, ...]]] = [{}, {}]


def analyse(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Text -> search terms, in order. Stable and total: never raises, never returns None."""
    return analyse_words(raw_words(text), keep_stopwords=keep_stopwords)


def analyse_words(words: list[str], *, keep_stopwords: bool = False) -> list[str]:
    """`analyse` for text already split by `raw_words`: phrases first (longest first), then word by word.

    A word's own terms come from the memo; only where two words could begin a phrase (a pair from
    _PHRASE_STARTS) is there a phrase to try, so the runs of words in between are mapped with
    `chain(map(...))`, without a Python-level step per word: the index build analyses about a
    million words at a hundred times the shipped digest.
    """
    memo = _WORD_TERMS[keep_stopwords]
    missing = set(words).difference(memo)
    if missing:
        if len(memo) + len(missing) > _WORD_TERMS_MAX:
            memo = _WORD_TERMS[keep_stopwords] = {}
            missing = set(words)
        for w in missing:
            memo[w] = _single_word_terms(w, keep_stopwords)
    terms_of = memo.__getitem__
    heads = [i for i, pair in enumerate(pairwise(words)) if pair in _PHRASE_STARTS]
    if not heads:
        return list(chain.from_iterable(map(terms_of, words)))
    out: list[str] = []
    n = len(words)
    i = 0  # the words before i are analysed
    for head in heads:
        if head < i:
            continue  # inside a phrase already taken
        out.extend(chain.from_iterable(map(terms_of, words[i:head])))
        for size in _PHRASES_BY_FIRST[words[head]]:
            if size > n - head:
                continue
            canon = SYNONYMS.get(" ".join(words[head : head + size]))
            if canon is not None:
                out.extend(canon.split())
                i = head + size
                break
        else:
            out.extend(memo[words[head]])
            i = head + 1
    out.extend(chain.from_iterable(map(terms_of, words[i:])))
    return out


def query_terms(text: str) -> tuple[list[str], set[str]]:
    """Terms of a query and the intents it expresses ('date', 'when', 'number', 'amount', 'person', 'place',
    'reason', 'meaning')."""
    words = raw_words(text[:MAX_QUERY_CHARS])
    folded_words = set(words)
    intents = set()
    if folded_words & DATE_INTENT:
        intents.add("date")
        if _ASKS_WHEN.search(" ".join(words)):
            intents.add("when")  # "when", "what year": only a date answers
    if folded_words & NUMBER_INTENT:
        intents.add("number")
        if _ASKS_AMOUNT.search(" ".join(words)):
            intents.add("amount")  # "how many", "how much", "number of": only an amount answers
    if folded_words & PERSON_INTENT:
        intents.add("person")
    if folded_words & PLACE_INTENT:
        intents.add("place")
    if folded_words & REASON_INTENT:
        intents.add("reason")
    generic = _GENERIC
    if _ASKS_MEANING.search(" ".join(words)):  # "what does OPCON stand for": the name is the question
        intents.add("meaning")
        generic = _GENERIC | _MEANING_WORDS
    terms = [t for t in analyse_words(words) if t not in DATE_INTENT and t not in generic]
    return terms, intents


def normalise_name(text: str) -> str:
    """A name or alias reduced for exact comparison: `U.S.-ROK Mutual Defence Treaty` == `us rok mdt`."""
    return " ".join(analyse(text, keep_stopwords=True))


# A year, or a month's name in any case. The year first: most texts with a date have one. For the
# months, searching the lowercased text is the same as searching case-insensitively, and twice as
# fast, unless the text holds one of the four non-ASCII letters that re.IGNORECASE also takes for
# ASCII ones (the `re` documentation: İ ı ſ K); lowercasing changes no other character into ASCII.
_YEAR_LIKE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_MONTHS = r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b"
_MONTH_LIKE = re.compile(_MONTHS, re.IGNORECASE)
_MONTH_LOWERCASE = re.compile(_MONTHS)
_IGNORECASE_SPECIAL = re.compile("[\u0130\u0131\u017f\u212a]")
_NUMBER_LIKE = re.compile(r"\d")


def has_date(text: str) -> bool:
    if _YEAR_LIKE.search(text):
        return True
    if text.isascii() or not _IGNORECASE_SPECIAL.search(text):
        return bool(_MONTH_LOWERCASE.search(text.lower()))
    return bool(_MONTH_LIKE.search(text))


def has_number(text: str) -> bool:
    return bool(_NUMBER_LIKE.search(text))


# What an entry gives, for the intents that are not dates or figures (a person, a place, a reason): the terms of
# the words that show it (vocabulary.py), looked up among an entry's analysed terms when the index is built.
GIVES_TERMS: dict[str, frozenset[str]] = {
    kind: frozenset(t for w in words for t in analyse(w))
    for kind, words in (("person", PERSON_MARKERS), ("place", PLACE_MARKERS), ("reason", REASON_MARKERS))
}
GIVES_KINDS = tuple(GIVES_TERMS)
