"""Which shards this process runs, and which servers they hold (Discord: shard = (guild_id >> 22) % count).

`alliance-bot run --shard-count 4 --shard-ids 0-1` runs shards 0 and 1 of 4 in this process (discord.py's
AutoShardedBot); another process runs 2-3, both on one PostgreSQL database. Discord sends each server's
interactions to the shard that holds it, so commands are answered by the process owning the server.

Anniversary posts: each process schedules the servers of its own shards, and every post is claimed in the shared
ledger first (`INSERT … ON CONFLICT DO NOTHING` on (destination, day, event)), so even two processes scheduling
one server make one post. Each process writes a beat per shard into `meta` (`shard-beat:<count>:<id>`) every
BEAT_INTERVAL; a shard whose beat is older than TAKEOVER_AFTER (its process died, or never started) is adopted
by the other processes: they schedule its servers too (the claim picks one of them) and settle the claims its
dead process left (the same nonce again while recent, else `unknown`), so a process left dead leaves no server
out. When its beat comes back, the shard is given back. A claim is settled only by a process that owns or
adopted its server's shard: never by one that merely started while the owner is alive and sending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

BEAT_INTERVAL = 15.0  # seconds
TAKEOVER_AFTER = 90.0  # seconds without a shard's beat before other processes take its posts


class ShardError(ValueError):
    """A shard option that cannot be used; the message says why."""


def shard_of(guild_id: int, shard_count: int) -> int:
    return (int(guild_id) >> 22) % shard_count


def parse_shard_ids(text: str, shard_count: int) -> tuple[int, ...]:
    """`0-3`, `0,2`, `1` -> the shard ids, each below `shard_count`."""
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ShardError(f"--shard-ids: {part!r} is not a shard id or a range such as 0-3") from None
        if first > last:
            raise ShardError(f"--shard-ids: the range {part} runs backwards")
        ids.extend(range(first, last + 1))
    if not ids:
        raise ShardError("--shard-ids: no shard given (for example 0-3, or 0,2)")
    bad = [i for i in ids if not 0 <= i < shard_count]
    if bad:
        raise ShardError(
            f"--shard-ids: shard {bad[0]} does not exist with --shard-count {shard_count} (0 to {shard_count - 1})"
        )
    if len(set(ids)) != len(ids):
        raise ShardError("--shard-ids: a shard is given twice")
    return tuple(sorted(ids))


@dataclass(frozen=True)
class Shards:
    """The shards of this process; `count` None: not sharded (one connection holds every server)."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @classmethod
    def from_options(cls, count: int | None, ids: str | None) -> Shards:
        if count is None:
            if ids is not None:
                raise ShardError("--shard-ids needs --shard-count (the total over every process)")
            return cls()
        if count < 1:
            raise ShardError("--shard-count must be at least 1")
        return cls(count, parse_shard_ids(ids, count) if ids is not None else tuple(range(count)))

    @property
    def sharded(self) -> bool:
        return self.count is not None

    @property
    def all_here(self) -> bool:
        return self.count is None or self.ids == tuple(range(self.count))

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process holds `guild_id`'s shard (a claim with no server, cron's, belongs to shard 0)."""
        if self.count is None or self.ids is None:
            return True
        return shard_of(guild_id or 0, self.count) in self.ids

    def describe(self) -> str:
        if self.count is None:
            return "not sharded"
        return f"shards {','.join(map(str, self.ids or ()))} of {self.count}"


def _owner(count: int, shards: set[int]) -> Callable[[int | None], bool]:
    return lambda guild_id: shard_of(guild_id or 0, count) in shards


async def liveness_loop(
    db: Any,
    shards: Shards,
    scheduler: Any,
    *,
    interval: float = BEAT_INTERVAL,
    takeover_after: float = TAKEOVER_AFTER,
    clock: Callable[[], float] = time.time,
) -> None:
    """Beat for this process's shards; adopt the shards whose beat stopped, give them back when it returns."""
    if shards.count is None or shards.all_here:
        return
    count, own = shards.count, set(shards.ids or ())
    started = clock()
    adopted: set[int] = set()
    while True:
        try:
            now = clock()
            for i in own:
                await db.set_meta(f"shard-beat:{count}:{i}", repr(now))
            rows = await db.fetchall("SELECT key, value FROM meta WHERE key LIKE ?", (f"shard-beat:{count}:%",))
            beats = {int(str(k).rsplit(":", 1)[1]): float(v) for k, v in rows}
            dead = {i for i in range(count) if i not in own and now - max(beats.get(i, 0.0), started) > takeover_after}
            if dead != adopted:
                newly = dead - adopted
                if newly:
                    log.warning("shards %s have no live process: taking their anniversary posts", sorted(newly))
                if adopted - dead:
                    log.info("shards %s are back: their posts are theirs again", sorted(adopted - dead))
                adopted = dead
                await scheduler.adopt(_owner(count, own | adopted), _owner(count, newly))
        except asyncio.CancelledError:
            raise
        except Exception:  # never let the loop die: the next beat tries again
            log.exception("shard liveness check failed; trying again")
        await asyncio.sleep(interval)
