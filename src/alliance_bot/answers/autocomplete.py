"""Autocomplete: the choices of each option (treaty, viewpoints, source, today, fact, tag), indexed by
their words (`ChoiceIndex`) so that a keystroke is answered in a few milliseconds, and the up to 25
suggestions for what has been typed so far, typos included. `build_choices` and `autocomplete` are
functions of the `Answers` facade (answers/service.py), which they take as `self`.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections import defaultdict
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from alliance_bot.answers.common import treaties_by_date
from alliance_bot.answers.model import Choice
from alliance_bot.answers.text import fold, raw_words
from alliance_bot.digest.dates import MONTH_NAMES

if TYPE_CHECKING:
    from alliance_bot.answers.service import Answers


MAX_CHOICES = 25
_HANGUL = re.compile("[\uac00-\ud7a3]")
CHOICE_MAX = 100


def _clip(text: str, limit: int = CHOICE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ChoiceIndex:
    """One autocomplete option's choices, with an index of their words.

    A keystroke must be answered in a few milliseconds; testing every choice's text for the typed
    words cost ~15 ms at a hundred times the shipped digest (18,000 fact choices). So the
    whitespace-separated tokens of all choices are indexed (token -> choices, and token -> choices
    where it begins the text or follows a space): a typed word, which never contains whitespace, is
    in a choice exactly when it is inside one of the choice's tokens, so looking the word up among the
    few thousand distinct tokens, then mapping those to choices, gives exactly the scan's answer.
    """

    _SHORT_CACHE = 512  # masks remembered for words of one or two letters, the ones in thousands of tokens

    def __init__(self, items: list[tuple[str, str, str]]) -> None:
        self.items = items
        keys = [item[0] for item in items]
        self._n = len(keys)
        tokens_of: list[set[str]] = []
        starting_of: list[set[str]] = []
        for key in keys:
            tokens = set(map(sys.intern, key.split()))  # interned: the same few thousand words, many times
            tokens_of.append(tokens)
            if key.isprintable():  # no whitespace but spaces: every token begins the text or follows a space
                starting_of.append(tokens)
            else:  # the token at the start of each space-separated part
                starting_of.append(
                    {sys.intern(part.split(None, 1)[0]) for part in key.split(" ") if part and not part[0].isspace()}
                )
        self._vocab = vocab = sorted(set().union(*tokens_of)) if tokens_of else []
        number = {t: i for i, t in enumerate(vocab)}
        self._ptr, self._token_keys = _csr(tokens_of, number, len(vocab))
        if all(a is b for a, b in zip(tokens_of, starting_of, strict=True)):  # the usual case: the same index twice
            self._start_ptr, self._start_keys = self._ptr, self._token_keys
        else:
            self._start_ptr, self._start_keys = _csr(starting_of, number, len(vocab))
        # every token once, one per line, to find the tokens containing a word with one C-level search
        self._blob = "\n".join(vocab)
        self._offsets = np.cumsum([0] + [len(t) + 1 for t in vocab[:-1]]) if vocab else np.zeros(0, dtype=np.int64)
        self._short: dict[str, np.ndarray] = {}
        # for typos: the words (runs of letters) inside the tokens, sorted, and the tokens holding each
        pieces: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(vocab):
            for piece in set(_LETTERS.findall(t)):
                pieces[piece].append(i)
        self._pieces = sorted(pieces)
        self._piece_tokens = [np.array(pieces[w], dtype=np.int64) for w in self._pieces]

    def _keys_of(self, token_ids: np.ndarray) -> np.ndarray:
        """The choices (positions, with repeats) holding any of the tokens: their CSR ranges, concatenated."""
        first, last = self._ptr[token_ids], self._ptr[token_ids + 1]
        lengths = last - first
        total = int(lengths.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        return self._token_keys[np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(total)]

    def _tokens_containing(self, word: str) -> np.ndarray:
        positions = [m.start() for m in re.finditer(re.escape(word), self._blob)]
        return np.unique(np.searchsorted(self._offsets, positions, side="right") - 1)

    def _containing(self, word: str) -> np.ndarray:
        """Mask of the choices whose text contains `word` (read-only: it may be shared)."""
        mask = self._short.get(word)
        if mask is None:
            mask = np.zeros(self._n, dtype=bool)
            mask[self._keys_of(self._tokens_containing(word))] = True
            if len(word) <= 2 and len(self._short) < self._SHORT_CACHE:
                self._short[word] = mask
        return mask

    def _prefix_range(self, prefix: str, sorted_words: list[str]) -> tuple[int, int]:
        lo = bisect_left(sorted_words, prefix)
        if ord(prefix[-1]) < 0x10FFFF:
            return lo, bisect_left(sorted_words, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)
        hi = lo
        while hi < len(sorted_words) and sorted_words[hi].startswith(prefix):
            hi += 1
        return lo, hi

    def containing(self, words: list[str], limit: int) -> list[int]:
        """Choices holding every word; those where the first word begins the text or follows a space first.

        The same as scanning the choices in order, filing each match under "starts" or "contains",
        stopping at `limit` starts, and taking the first `limit` of starts then contains.
        """
        match: np.ndarray | None = None
        for word in sorted(words, key=len, reverse=True):  # the longest word is usually the rarest
            mask = self._containing(word)
            match = mask.copy() if match is None else match & mask
            if not match.any():
                return []
        assert match is not None
        lo, hi = self._prefix_range(words[0], self._vocab)
        begins = np.zeros(self._n, dtype=bool)
        begins[self._start_keys[self._start_ptr[lo] : self._start_ptr[hi]]] = True
        starts: list[int] = np.flatnonzero(match & begins)[:limit].tolist()  # tolist() is typed Any
        if len(starts) == limit:
            return starts
        contains: list[int] = np.flatnonzero(match & ~begins)[: limit - len(starts)].tolist()
        return starts + contains

    def closest(self, words: list[str], limit: int) -> list[int]:
        """For a typo: choices ranked by how many of the typed letters they match, word by word.

        A typed word counts in full where a choice contains it. Otherwise a word of 4 to 30 letters
        (as in SearchIndex.correct) matches a word of a choice that begins with the same letter and is
        one edit away, two for words over six letters, a swapped pair counting as one; whole, or in
        its first letters (the word may be half typed). It then counts its length less the edits.
        A choice must match at least 70% of the typed letters; the best come first, then the
        choices' order.
        """
        matched = np.zeros(self._n, dtype=np.int64)
        for word in words:
            best = np.where(self._containing(word), len(word), 0)
            if 4 <= len(word) <= 30 and word.isalpha():
                max_edits = 1 if len(word) <= 6 else 2
                lo, hi = self._prefix_range(word[0], self._pieces)
                candidates = self._pieces[lo:hi]
                edits = np.full(len(candidates), max_edits + 1)
                for size in (None, len(word) - 1, len(word), len(word) + 1):  # whole, or its first letters
                    shown = candidates if size is None else [c[:size] for c in candidates]
                    if shown:
                        found = process.cdist([word], shown, scorer=OSA.distance, score_cutoff=max_edits)[0]
                        edits = np.minimum(edits, found)
                for j in np.flatnonzero(edits <= max_edits).tolist():
                    chosen = self._keys_of(self._piece_tokens[lo + j])
                    np.maximum.at(best, chosen, len(word) - int(edits[j]))
            matched += best
        typed = sum(len(w) for w in words)
        good = np.flatnonzero(matched * 10 >= typed * 7)
        if not len(good):
            return []
        order = np.lexsort((good, -matched[good]))
        ranked: list[int] = good[order[:limit]].tolist()  # tolist() is typed Any
        return ranked


def _csr(token_sets: list[set[str]], number: dict[str, int], n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """token -> the positions of the sets holding it, as one array of positions sliced by `ptr`."""
    lengths = [len(t) for t in token_sets]
    token_ids = np.fromiter(
        map(number.__getitem__, chain.from_iterable(token_sets)), dtype=np.int64, count=sum(lengths)
    )
    positions = np.repeat(np.arange(len(token_sets), dtype=np.int64), lengths)
    order = np.lexsort((positions, token_ids))
    ptr = np.searchsorted(token_ids[order], np.arange(n_tokens + 1))
    return ptr, positions[order]


_LETTERS = re.compile(r"[^\W\d_]+")


def build_choices(self: Answers) -> dict[str, list[tuple[str, str, str]]]:
    """Per option: (search key, name shown, value sent back), in the order shown for empty input."""
    d = self.digest

    def entry(name: str, value: str, *extra: str) -> tuple[str, str, str]:
        key = fold(" ".join((name, value, *extra)))
        return (key, _clip(name), value[:CHOICE_MAX])

    treaty = [
        entry(t.name + (f" ({t.date.year})" if t.date else ""), t.id, *t.searched_names())
        for t in treaties_by_date(self)
    ]
    viewpoints = [
        entry(v.topic, v.id, v.question, *v.keywords) for v in sorted(d.viewpoints.values(), key=lambda v: v.topic)
    ]
    sources = [entry(f"{s.author or s.outlet or 'Unsigned'}: {s.title}", s.id, s.kind) for s in d.sources.values()]
    days = []
    for m, dd in self._days:
        titles = "; ".join(e.title for e in self._events_by_day[(m, dd)])
        days.append(
            entry(f"{MONTH_NAMES[m - 1]} {dd}: {titles}", f"{m:02d}-{dd:02d}", f"{MONTH_NAMES[m - 1][:3]} {dd}")
        )
    facts = []
    # the value sent back is the entry's id, which the fact lookup answers with that entry (a statement cut to
    # Discord's 100 characters would be searched for as a question)
    for fa in d.facts.values():
        facts.append(entry(fa.statement, fa.id, *fa.keywords))
    for ev in self._timeline:
        facts.append(entry(f"{ev.title} ({ev.date.human()})", ev.id, *ev.tags))
    tags = sorted({t for ev in self._timeline for t in ev.tags})
    return {
        "treaty": treaty,
        "viewpoints": viewpoints,
        "source": sources,
        "today": days,
        "fact": facts,
        "tag": [entry(t, t) for t in tags],
    }


def autocomplete(self: Answers, option: str, current: str) -> list[Choice]:
    """Up to 25 suggestions for a partial input; each name and value at most 100 characters.

    The choices containing every typed word (anywhere, in any order), those where the first word
    begins a word first, in the order of the choices; when none does (a typo), the choices whose
    words are closest to the typed ones (ChoiceIndex.closest).
    """
    choices = self._choices.get(option)
    if choices is None:
        return []
    needle = fold(current[:CHOICE_MAX]).strip()
    if not needle:
        return [Choice(name, value) for _, name, value in choices.items[:MAX_CHOICES]]
    words = needle.split()
    if not needle.isascii():  # a Korean word: the English words it means here (answers/korean.py)
        words = [e for w in words for e in (raw_words(w) if _HANGUL.search(w) else [w])]
        if not words:  # words of asking only ("무엇인가요"): as for empty input
            return [Choice(name, value) for _, name, value in choices.items[:MAX_CHOICES]]
    picked = choices.containing(words, MAX_CHOICES) or choices.closest(words, MAX_CHOICES)
    return [Choice(name, value) for _, name, value in (choices.items[i] for i in picked)]
