"""Pictures already drawn, by what they show: a second ask of the same picture costs a dictionary look-up.

A timeline's key is the content version, its range and tag as asked, the language and the day it is drawn
for (the coming anniversaries change with it); a usage chart's, the server and the numbers it shows. Bounded
by count and bytes, least recently used first out. Used from one thread (the event loop's): the renders run
elsewhere and their results are put here by the loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Hashable

from alliance_bot.answers.model import TimelineAnswer
from alliance_bot.present.pictures import Picture
from alliance_bot.present.pictures.labels import labels_for
from alliance_bot.present.text import Usage

MAX_ENTRIES = 256
MAX_BYTES = 48 * 1024 * 1024


def timeline_key(version: str, a: TimelineAnswer, locale: str | None, today: dt.date) -> Hashable:
    return ("timeline", version, a.start, a.end, a.tag, labels_for(locale).lang, today.isoformat())


def usage_key(guild_id: int | None, s: Usage, locale: str | None) -> Hashable:
    shown = repr(
        (
            s.days,
            s.total,
            s.errors,
            s.median_ms,
            s.p95_ms,
            [(c.command, c.count, c.errors, c.nothing_found, c.median_ms, c.p95_ms) for c in s.per_command],
            list(s.per_day),
            list(s.per_day_command),
        )
    )
    return ("usage", guild_id, labels_for(locale).lang, hashlib.sha256(shown.encode()).hexdigest())


class PictureCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Picture] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> Picture | None:
        picture = self._entries.get(key)
        if picture is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return picture

    def put(self, key: Hashable, picture: Picture) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.png)
        if len(picture.png) > self.max_bytes:
            return
        self._entries[key] = picture
        self._bytes += len(picture.png)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.png)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
