"""Which shards this process runs, and which servers they hold (Discord: shard = (guild_id >> 22) % count).

`alliance-bot run --shard-count 4 --shard-ids 0-1` runs shards 0 and 1 of 4 in this process (discord.py's
AutoShardedBot); another process runs 2-3, both on one PostgreSQL database. Discord sends each server's
interactions to the shard that holds it, so commands are answered by the process owning the server. Anniversary
posts are due work any process may take: every process schedules every server, and the shared ledger's claim
(`INSERT … ON CONFLICT DO NOTHING` on (destination, day, event)) lets exactly one make each post, so a process that
dies leaves no server out. Claims a process left behind when it died are settled only by the process that owns
their servers' shards (`owns`), when it starts again: never by a process that is alive and may still be sending.
"""

from __future__ import annotations

from dataclasses import dataclass


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
