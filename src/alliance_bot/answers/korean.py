"""Questions in Korean (#18), searched over the same cited entries: a Korean word becomes the English words it
means here (주한미군 -> "us troops in korea", 몇 -> "how many", 정전협정 -> "armistice agreement"), which the
English analysis then takes as it takes any question: synonyms, stems, intents ("how many" wants an amount),
weights. The entries stay in the documents' English; nothing is machine-translated.

Korean attaches particles to words (주한미군은, 정전협정을, 한국전쟁의): a word the table does not have is tried
without its particle, then split into words the table has (한미상호방위조약 -> 한미 + 상호방위조약). Words of
asking and endings of verbs (무엇, 있나요, 했습니까) say nothing about the subject and are dropped. A Korean word
that is none of these stays as typed: a word the digest cannot know, so that, as in English, a question
about something the digest does not have gets "nothing" rather than a loose match.

The table is data (vocabulary_ko.py); this module only reads it.
"""

from __future__ import annotations

from functools import lru_cache

from alliance_bot.answers.vocabulary_ko import KOREAN, KOREAN_ENDINGS, KOREAN_PARTICLES, KOREAN_STOPWORDS

_PARTICLES = sorted(KOREAN_PARTICLES, key=len, reverse=True)
_ENDINGS = tuple(sorted(KOREAN_ENDINGS, key=len, reverse=True))
_LONGEST = max(map(len, KOREAN))
_EN: dict[str, tuple[str, ...]] = {k: tuple(v.split()) for k, v in KOREAN.items()}


def is_hangul(word: str) -> bool:
    return "\uac00" <= word[0] <= "\ud7a3"


@lru_cache(maxsize=65_536)
def korean_word(word: str) -> tuple[str, ...]:
    """The English words a Korean word stands for here; () for a word of asking or a verb ending; the word itself
    when the table does not know it."""
    if word in _EN:
        return _EN[word]
    if word in KOREAN_STOPWORDS:
        return ()
    for particle in _PARTICLES:  # 주한미군은 -> 주한미군
        if len(word) > len(particle) and word.endswith(particle):
            base = word[: -len(particle)]
            if base in _EN:
                return _EN[base]
            if base in KOREAN_STOPWORDS:
                return ()
    split = _split(word)
    if split is not None:
        return split
    if word.endswith(_ENDINGS):  # 있나요, 했습니까, 무엇인가: a predicate, not a subject
        return ()
    return (word,)


def _split(word: str) -> tuple[str, ...] | None:
    """A compound of words the table has, longest first from the left, a particle allowed at the end."""
    out: list[str] = []
    i = 0
    while i < len(word):
        for size in range(min(_LONGEST, len(word) - i), 0, -1):
            part = word[i : i + size]
            if part in _EN and (size > 1 or i + size == len(word)):
                out.extend(_EN[part])
                i += size
                break
        else:
            rest = word[i:]
            if out and (rest in KOREAN_PARTICLES or rest in KOREAN_STOPWORDS or rest.endswith(_ENDINGS)):
                return tuple(out)
            return None
    return tuple(out) if out else None
