"""The content being served, swapped atomically on reload.

A reload reads and validates every file (in a thread of its own, off the event
loop), builds the answer indexes, and only then replaces the current library
in one assignment. When anything is invalid, the last good content keeps
serving and the problems are kept for `/content status`. A reload that takes
longer than `reload_timeout` gives up (its result, if it ever comes, is not
used), so the reload lock is never held for ever; until that load ends, a new
reload says so instead of starting another.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from alliance_bot.answers.service import Answers
from alliance_bot.digest.cache import ContentCache
from alliance_bot.digest.files import shown
from alliance_bot.digest.loader import load_digest
from alliance_bot.digest.result import Diff, Digest, Problem, diff_digests

log = logging.getLogger(__name__)

RELOAD_TIMEOUT = 120.0  # seconds; a hundred times the shipped digest loads in about ten
T = TypeVar("T")


def in_own_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """`fn()` in a daemon thread of its own: one that never ends (a hung disk) holds no worker of
    the shared pool, and does not keep the process from exiting as a pool thread would."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def set_result(value: T) -> None:
        if not future.done():
            future.set_result(value)

    def set_exception(exc: BaseException) -> None:
        if not future.done():
            future.set_exception(exc)

    def work() -> None:
        try:
            value = fn()
        except BaseException as exc:  # handed to the awaiting task
            settle = partial(set_exception, exc)
        else:
            settle = partial(set_result, value)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle)

    threading.Thread(target=work, name="content-reload", daemon=True).start()
    return future


@dataclass(frozen=True)
class Library:
    digest: Digest
    answers: Answers
    loaded_at: float


_Built = tuple[Library | None, list[Problem]]  # what a build gives: the library, or the problems


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    diff: Diff | None = None
    seconds: float = 0.0


class ContentStore:
    def __init__(
        self,
        root: Path,
        *,
        timezone: str = "Asia/Seoul",
        cache: ContentCache | None = None,
        reload_timeout: float = RELOAD_TIMEOUT,
    ) -> None:
        self.root = Path(root)
        self.timezone = timezone
        self.cache = cache
        self.reload_timeout = reload_timeout
        self._current: Library | None = None
        self._lock = asyncio.Lock()
        self._building: asyncio.Future[_Built] | None = None  # the last reload's build, until it ends
        self.last_failure: tuple[float, list[Problem]] | None = None
        self.listeners: list[Callable[[], Awaitable[object]]] = []  # called after a reload swapped new content in

    @property
    def current(self) -> Library:
        if self._current is None:
            raise RuntimeError("no content loaded")
        return self._current

    @property
    def loaded(self) -> bool:
        return self._current is not None

    @property
    def answers(self) -> Answers:
        return self.current.answers

    def _build(self, *, freeze: bool = False) -> _Built:
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
            limit = f"{self.reload_timeout:g} seconds"
            if self._building is not None and not self._building.done():
                library, problems = (
                    None,
                    [
                        Problem(
                            shown(self.root),
                            None,
                            "",
                            (
                                f"the previous reload is still reading the content (it took longer than {limit}); "
                                "try again later, or restart the bot if it never ends"
                            ),
                        )
                    ],
                )
            else:
                build = self._building = in_own_thread(self._build)
                try:
                    library, problems = await asyncio.wait_for(asyncio.shield(build), self.reload_timeout)
                except TimeoutError:
                    library, problems = (
                        None,
                        [
                            Problem(
                                shown(self.root),
                                None,
                                "",
                                (
                                    f"reading the content took longer than {limit} (a file on a slow or hung disk?); "
                                    "still serving the last good content"
                                ),
                            )
                        ],
                    )
                    build.add_done_callback(partial(self._late, began=start))
                except Exception as exc:  # a bug or an OS error mid-read: keep serving
                    library, problems = None, [Problem(shown(self.root), None, "", f"reload failed: {exc!r}")]
            result = self._install(library, problems, time.perf_counter() - start)
        if result.ok:
            for listener in self.listeners:
                try:
                    await listener()
                except Exception:
                    log.exception("a content-reload listener failed")
        return result

    def _late(self, build: asyncio.Future[_Built], began: float) -> None:
        """A build the reload gave up on has ended: its result is not used (a newer reload may be installed)."""
        error = build.exception() if not build.cancelled() else None
        log.warning(
            "a content reload that gave up after %g s ended after %.1f s%s; its result was not used",
            self.reload_timeout,
            time.perf_counter() - began,
            f" with {error!r}" if error else "",
        )

    def _install(self, library: Library | None, problems: list[Problem], seconds: float) -> ReloadResult:
        if library is None:
            self.last_failure = (time.time(), problems)
            return ReloadResult(False, problems, None, seconds)
        diff = diff_digests(self._current.digest if self._current else None, library.digest)
        self._current = library
        self.last_failure = None
        return ReloadResult(True, [], diff, seconds)
