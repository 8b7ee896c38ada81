"""The anniversary scheduler: each server's posts at its local time, exactly once, never silently lost.

- Started once per process (from the bot's setup, never from on_ready); one
  failure in a tick or a post is logged and never ends the loop.
- Indexed by next due time: a heap of (instant, server); a tick pops what is
  due, so its work does not grow with the number of servers. The loop sleeps
  until the earliest due post (at most a minute), or until woken by a settings
  change or a content reload.
- Each post claims its rows in the ledger before sending (see
  anniversaries/ledger.py for what a crash between claim and send does).
- A server whose stored time zone does not load (see zones.py) is paused, alone: the
  others are indexed as usual; the log says so once, `/anniversaries show` says why.
- A post whose time passed while the bot was down is made when it comes back,
  within the grace period; later than that it is recorded as skipped.
- A failed send is retried where that can help (5xx, 429, network, Discord
  down while the bot runs) with backoff for as long as the grace period lasts; missing permissions and deleted channels
  are recorded at once; a gone webhook is disabled. One server's failure never
  holds up another's post: at most `concurrency` sends are in flight, and a
  post waiting for its next retry holds no sending slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from alliance_bot.anniversaries.ledger import AnniversaryStore, Recovered, ServerSchedule, make_nonce
from alliance_bot.anniversaries.rules import Due, anniversary_days, due_between, items_on, next_due
from alliance_bot.anniversaries.webhook import DeliveryError, mask
from alliance_bot.answers.zones import ZoneError, load_zone
from alliance_bot.library import ContentStore
from alliance_bot.present.embed_anniversaries import AnniversaryPost, render_anniversary_post

log = logging.getLogger(__name__)

LAST_TICK_META = "anniversaries_last_tick"
MAX_SLEEP = 60.0
LOOKBACK = dt.timedelta(days=31)  # how far back downtime is examined for skipped posts
RETRY_DELAYS = (30.0, 120.0, 300.0, 900.0)  # then every 15 minutes while the grace period lasts


class Deliverer(Protocol):
    async def __call__(self, schedule: ServerSchedule, payload: AnniversaryPost, nonce: str | None) -> str | None: ...


Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(order=True)
class _Entry:
    at: dt.datetime
    guild_id: int
    day: dt.date
    generation: int


class Scheduler:
    def __init__(
        self,
        store: AnniversaryStore,
        library: ContentStore,
        deliver: Deliverer,
        *,
        grace: dt.timedelta = dt.timedelta(hours=3),
        clock: Clock = utc_now,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        concurrency: int = 8,
        owns: Callable[[int | None], bool] | None = None,
    ) -> None:
        self.store = store
        self.owns = owns  # shards.Shards.owns: whose dead claims this process may settle (None: every one)
        self.library = library
        self.deliver = deliver
        self.grace = grace
        self.clock = clock
        self.sleep = sleep
        self._heap: list[_Entry] = []
        self._schedules: dict[int, ServerSchedule] = {}
        self._generation: dict[int, int] = {}
        self._paused: dict[int, str] = {}  # guild -> why its posts are paused (a time zone that does not load)
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._started = False
        self.ticks = 0

    # ------------------------------------------------------------ index

    def _days(self) -> list[tuple[int, int]]:
        return anniversary_days(self.library.current.digest)

    def _zone(self, schedule: ServerSchedule) -> ZoneInfo | None:
        """The server's zone, or None: its posts are paused, said once in the log and in `paused()`."""
        gid = schedule.guild_id
        try:
            zone = load_zone(schedule.timezone)
        except ZoneError as exc:
            end = "" if exc.message.endswith(("?", ".")) else "."
            reason = f"{exc.message}{end} Set a time zone with /anniversaries set."
            if self._paused.get(gid) != reason:
                log.warning("anniversary posts for guild %s paused: its time zone does not load: %s", gid, exc.message)
            self._paused[gid] = reason
            return None
        self._paused.pop(gid, None)
        return zone

    def paused(self, guild_id: int) -> str | None:
        """Why this server's posts are paused although they are on; None when they are not."""
        return self._paused.get(guild_id)

    def _push_next(self, schedule: ServerSchedule, after: dt.datetime) -> None:
        gen = self._generation.get(schedule.guild_id, 0) + 1
        self._generation[schedule.guild_id] = gen
        zone = self._zone(schedule)
        if zone is None:
            self._schedules.pop(schedule.guild_id, None)
            return
        self._schedules[schedule.guild_id] = schedule
        due = next_due(self._days(), schedule.post_time, zone, after)
        if due is not None:
            heapq.heappush(self._heap, _Entry(due.at, schedule.guild_id, due.day, gen))

    def update(self, schedule: ServerSchedule | None, guild_id: int | None = None) -> None:
        """A server's settings changed (or were switched off: `schedule` None)."""
        gid = schedule.guild_id if schedule else guild_id
        if gid is None:
            return
        if schedule is None or not schedule.enabled:
            self._generation[gid] = self._generation.get(gid, 0) + 1  # invalidates its heap entry
            self._schedules.pop(gid, None)
            self._paused.pop(gid, None)
        else:
            self._push_next(schedule, self.clock())
        self._wake.set()

    async def rebuild(self) -> None:
        """(Re)index every enabled server; also after a content reload changed the anniversaries."""
        schedules = [s for s in await self.store.all_enabled() if self.owns is None or self.owns(s.guild_id)]
        self._heap.clear()
        self._schedules.clear()
        for gid in set(self._paused) - {s.guild_id for s in schedules}:
            del self._paused[gid]
        since = self.clock() - self.grace  # posts due within the grace period are still to be made
        for s in schedules:
            self._push_next(s, since)
        self._wake.set()

    def next_due_at(self) -> dt.datetime | None:
        while self._heap and self._heap[0].generation != self._generation.get(self._heap[0].guild_id):
            heapq.heappop(self._heap)
        return self._heap[0].at if self._heap else None

    def upcoming(self, guild_id: int, count: int = 3) -> list[Due]:
        s = self._schedules.get(guild_id)
        zone = self._zone(s) if s is not None else None
        if s is None or zone is None:
            return []
        out: list[Due] = []
        cursor = self.clock()
        for _ in range(count):
            due = next_due(self._days(), s.post_time, zone, cursor)
            if due is None:
                break
            out.append(due)
            cursor = due.at
        return out

    # ------------------------------------------------------------ lifecycle

    async def startup(self) -> None:
        """Once per process: settle claims left by a dead process, record what downtime skipped, index."""
        now = self.clock()
        for rec in await self.store.recover(now.timestamp(), owns=self.owns):
            self._spawn(self._resend(rec), f"anniversary-resend-{rec.target}")
        await self._record_downtime(now)
        await self.rebuild()

    async def adopt(self, owns: Callable[[int | None], bool], newly: Callable[[int | None], bool]) -> None:
        """Serve the servers `owns` says from now on (shards.py: this process's shards, and those of a process
        whose beat stopped); the claims a dead process left for the servers `newly` adopted are settled as after a
        restart (the same nonce again while recent, else `unknown`)."""
        self.owns = owns
        for rec in await self.store.recover(self.clock().timestamp(), owns=newly):
            self._spawn(self._resend(rec), f"anniversary-resend-{rec.target}")
        await self.rebuild()

    async def _record_downtime(self, now: dt.datetime) -> None:
        raw = await self.store.db.get_meta(LAST_TICK_META)
        if raw is None:
            return
        try:
            last = dt.datetime.fromisoformat(raw)
        except ValueError:
            return
        start = max(last, now - LOOKBACK)
        end = now - self.grace
        if end <= start:
            return
        digest = self.library.current.digest
        days = self._days()
        for s in await self.store.all_enabled():
            if self.owns is not None and not self.owns(s.guild_id):
                continue  # another process's shard: its own start records its downtime
            zone = self._zone(s)
            if zone is None:
                continue  # paused: nothing is due for it
            for due in due_between(days, s.post_time, zone, start, end):
                ids = [i.event.id for i in items_on(digest, due.day)]
                n = await self.store.skip(
                    s.target,
                    s.guild_id,
                    due.day,
                    ids,
                    f"the bot was offline from {start:%Y-%m-%d %H:%M} UTC past the {self._grace_text()} grace period",
                    now.timestamp(),
                )
                if n:
                    log.warning(
                        "anniversary post for guild %s on %s skipped: missed by more than the grace period",
                        s.guild_id,
                        due.day,
                    )

    def _grace_text(self) -> str:
        hours = self.grace.total_seconds() / 3600
        return f"{hours:g}-hour"

    async def run_forever(self, before_first_tick: Callable[[], Awaitable[object]] | None = None) -> None:
        if self._started:
            raise RuntimeError("the scheduler is already running")
        self._started = True
        while True:
            try:
                if before_first_tick is not None:
                    await before_first_tick()
                await self.startup()
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("anniversary scheduler: start-up failed; retrying in a minute")
                await self.sleep(MAX_SLEEP)
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("anniversary scheduler: a tick failed; the loop goes on")
            await self._wait()

    async def _wait(self) -> None:
        nxt = self.next_due_at()
        delay = MAX_SLEEP
        if nxt is not None:
            delay = min(MAX_SLEEP, max(0.0, (nxt - self.clock()).total_seconds()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def close(self) -> None:
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return task

    async def drain(self) -> None:
        """Wait for the posts in flight (tests, shutdown)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    # ------------------------------------------------------------ ticks

    async def tick(self) -> int:
        """Start every post that is due now; returns how many were started."""
        now = self.clock()
        self.ticks += 1
        started = 0
        while True:
            nxt = self.next_due_at()
            if nxt is None or nxt > now:
                break
            entry = heapq.heappop(self._heap)
            schedule = self._schedules.get(entry.guild_id)
            if schedule is None:
                continue
            self._push_next(schedule, entry.at)  # the following post, so a slow send never blocks the index
            self._spawn(self._post(schedule, entry.day, entry.at), f"anniversary-{entry.guild_id}-{entry.day}")
            started += 1
        await self.store.db.set_meta(LAST_TICK_META, now.isoformat())
        return started

    async def _post(self, schedule: ServerSchedule, day: dt.date, due_at: dt.datetime) -> None:
        try:
            await self._post_inner(schedule, day, due_at)
        except asyncio.CancelledError:
            raise
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("anniversary post for guild %s on %s failed [error_id=%s]", schedule.guild_id, day, error_id)

    async def _post_inner(self, schedule: ServerSchedule, day: dt.date, due_at: dt.datetime) -> None:
        digest = self.library.current.digest
        items = items_on(digest, day)
        if not items:
            return
        ids = [i.event.id for i in items]
        now = self.clock()
        target = schedule.target
        if now - due_at > self.grace:
            await self.store.skip(
                target,
                schedule.guild_id,
                day,
                ids,
                f"due {due_at:%Y-%m-%d %H:%M} UTC, more than the {self._grace_text()} grace period ago",
                now.timestamp(),
            )
            return
        nonce = make_nonce(target, day, ids) if not schedule.webhook_url else None
        won = await self.store.claim(target, schedule.guild_id, day, ids, nonce, now.timestamp())
        if not won:
            return  # posted (or being posted) by another loop, process or cron job
        items = [i for i in items if i.event.id in won]
        payload = render_anniversary_post(items, day, schedule.role_id)
        await self._deliver(schedule, target, day, won, payload, nonce, due_at)

    async def _deliver(
        self,
        schedule: ServerSchedule,
        target: str,
        day: dt.date,
        ids: list[str],
        payload: AnniversaryPost,
        nonce: str | None,
        due_at: dt.datetime,
    ) -> None:
        attempt = 0
        while True:
            try:
                # a sending slot for this attempt only: a post waiting for its retry holds none
                async with self._semaphore:
                    message_id = await self.deliver(schedule, payload, nonce)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, DeliveryError):
                    error_id = secrets.token_hex(4)
                    log.error(
                        "anniversary post for guild %s on %s: unexpected error [error_id=%s]",
                        schedule.guild_id,
                        day,
                        error_id,
                        exc_info=exc,
                    )
                    exc = DeliveryError(f"unexpected error (error id {error_id})", permanent=True)
                await self.store.attempted(target, day, ids, exc.reason)
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                retry_at = self.clock() + dt.timedelta(seconds=delay)
                if exc.permanent or retry_at - due_at > self.grace:
                    await self.store.fail(target, day, ids, exc.reason, self.clock().timestamp())
                    log.warning("anniversary post for guild %s on %s failed: %s", schedule.guild_id, day, exc.reason)
                    if exc.disable:
                        await self.store.disable(schedule.guild_id, exc.reason)
                        self.update(None, schedule.guild_id)
                        log.warning(
                            "anniversary posts for guild %s disabled (webhook %s gone)",
                            schedule.guild_id,
                            mask(schedule.webhook_url),
                        )
                    return
                log.info("anniversary post for guild %s on %s: %s; retrying", schedule.guild_id, day, exc.reason)
                await self.sleep(delay)
                attempt += 1
                continue
            await self.store.complete(target, day, ids, message_id, self.clock().timestamp())
            log.info("anniversary post for guild %s on %s sent (%d events)", schedule.guild_id, day, len(ids))
            return

    async def _resend(self, rec: Recovered) -> None:
        """Finish a post a dead process had claimed moments before dying; the nonce prevents a duplicate."""
        schedule = self._schedules.get(rec.guild_id or 0) or await self.store.get(rec.guild_id or 0)
        if schedule is None or schedule.target != rec.target:
            await self.store.fail(
                rec.target,
                rec.day,
                rec.event_ids,
                "settings changed before the post was completed",
                self.clock().timestamp(),
            )
            return
        items = [i for i in items_on(self.library.current.digest, rec.day) if i.event.id in rec.event_ids]
        payload = render_anniversary_post(items, rec.day, schedule.role_id)
        await self._deliver(schedule, rec.target, rec.day, rec.event_ids, payload, rec.nonce, self.clock())
