"""The content being served, swapped atomically on reload.

A reload reads and validates every file (in a worker thread, off the event
loop), builds the answer indexes, and only then replaces the current library
in one assignment. When anything is invalid, the last good content keeps
serving and the problems are kept for `/content status`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from alliance_bot.answers.service import Answers
from alliance_bot.digest.cache import ContentCache
from alliance_bot.digest.loader import Diff, Digest, Problem, diff_digests, load_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Library:
    digest: Digest
    answers: Answers
    loaded_at: float


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    diff: Diff | None = None
    seconds: float = 0.0


class ContentStore:
    def __init__(self, root: Path, *, timezone: str = "Asia/Seoul", cache: ContentCache | None = None) -> None:
        self.root = Path(root)
        self.timezone = timezone
        self.cache = cache
        self._current: Library | None = None
        self._lock = asyncio.Lock()
        self.last_failure: tuple[float, list[Problem]] | None = None
        self.listeners: list[Callable[[], Awaitable[Any]]] = []  # called after a reload swapped new content in

    @property
    def current(self) -> Library:
        if self._current is None:
            raise RuntimeError("no content loaded")
        return self._current

    @property
    def answers(self) -> Answers:
        return self.current.answers

    def _build(self, *, freeze: bool = False) -> tuple[Library | None, list[Problem]]:
        result = load_digest(self.root, self.cache)
        if not result.ok or result.digest is None:
            return None, result.problems
        library = Library(result.digest, Answers(result.digest, timezone=self.timezone), time.time())
        # Reading and indexing pause the cyclic garbage collector (digest.loader.gc_paused). Its next
        # runs would re-examine every new object, a pause of up to half a second at a hundred times
        # the shipped digest, on whichever request came first. So either those objects are frozen
        # (gc.freeze: kept out of every collection; for the first load of a process, when they are
        # nearly all the objects there are), or one collection now, off the request path, does that
        # work once. A reload first unfreezes: what the first load froze, and the old content with
        # it, is then collectable again.
        if freeze:
            gc.freeze()
        else:
            gc.unfreeze()
            gc.collect()
        return library, []

    def load(self, *, freeze: bool = False) -> ReloadResult:
        """Synchronous first load (at start-up, before the event loop serves anything).

        `freeze=True` is for the first load of a serving process (see _build); tests and tools
        that load many times keep the default.
        """
        start = time.perf_counter()
        library, problems = self._build(freeze=freeze)
        return self._install(library, problems, time.perf_counter() - start)

    async def reload(self) -> ReloadResult:
        async with self._lock:  # two reloads at once would race to install
            start = time.perf_counter()
            try:
                library, problems = await asyncio.to_thread(self._build)
            except Exception as exc:  # a bug or an OS error mid-read: keep serving
                library, problems = None, [Problem(str(self.root), None, "", f"reload failed: {exc!r}")]
            result = self._install(library, problems, time.perf_counter() - start)
        if result.ok:
            for listener in self.listeners:
                try:
                    await listener()
                except Exception:
                    log.exception("a content-reload listener failed")
        return result

    def _install(self, library: Library | None, problems: list[Problem], seconds: float) -> ReloadResult:
        if library is None:
            self.last_failure = (time.time(), problems)
            return ReloadResult(False, problems, None, seconds)
        diff = diff_digests(self._current.digest if self._current else None, library.digest)
        self._current = library
        self.last_failure = None
        return ReloadResult(True, [], diff, seconds)
