"""Anniversary settings per server, and the post ledger.

The ledger's primary key (target, day, event) is what makes a post happen at
most once: a sender first *claims* the rows of a post in one transaction
(INSERT, which only one claimer can win), sends, then marks them sent. Two
loops, two processes or a cron job racing for the same post: one claim wins,
the others find the rows taken and send nothing.

When the process dies between the claim and the send's completion, the rows
stay `claimed`. On the next start, `recover()` decides, deliberately:
- claimed less than NONCE_WINDOW ago, on a channel: send again with the same
  nonce; Discord's `enforce_nonce` returns the first message if it was created,
  so this cannot make a second post;
- older, or through a webhook (no nonce there): mark `unknown` and do not send.
  A missed post is better than a duplicate; `/anniversaries show` lists it so a
  moderator can post by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the stores are handed an open Database; db.py runs their data migrations
    import sqlite3

    import aiosqlite

    from alliance_bot.storage.db import Database

NONCE_WINDOW = 120.0  # seconds; Discord checks nonces for "the past few minutes"


@dataclass(frozen=True)
class ServerSchedule:
    guild_id: int
    post_time: dt.time
    timezone: str
    channel_id: int | None = None
    webhook_url: str | None = None
    role_id: int | None = None
    enabled: bool = True
    disabled_reason: str | None = None

    @property
    def target(self) -> str:
        return target_for(self.guild_id, self.webhook_url)


def target_for(guild_id: int | None, webhook_url: str | None) -> str:
    """The ledger's destination: `guild:<id>` for channel posts, `webhook:<id>:<token fingerprint>` for webhooks
    (see delivery.webhook.destination_key: the same for the bot and cron, unreachable without the token)."""
    if webhook_url:
        from alliance_bot.anniversaries.webhook import destination_key

        return f"webhook:{destination_key(webhook_url)}"
    return f"guild:{guild_id}"


async def rekey_webhook_posts(conn: aiosqlite.Connection) -> None:
    """Migration 3: rows of the earlier key `webhook:<id>` (no token, so any server could claim them) move to the
    key of the server that made them, when it still has a webhook with that id; rows no server can be matched to
    (cron's, or a webhook since replaced) keep the old key, which nothing claims again: history only. Errors that
    quoted a webhook's reply body lose the body."""
    from alliance_bot.anniversaries.webhook import webhook_id

    async with conn.execute(
        "SELECT DISTINCT p.target, p.guild_id, s.webhook_url FROM anniversary_posts p "
        "JOIN anniversary_settings s ON s.guild_id = p.guild_id "
        "WHERE p.target LIKE 'webhook:%' AND p.target NOT LIKE 'webhook:%:%' AND s.webhook_url IS NOT NULL"
    ) as cur:
        found = list(await cur.fetchall())
    for old, guild_id, url in found:
        if old == f"webhook:{webhook_id(url)}":
            await conn.execute(
                "UPDATE anniversary_posts SET target = ? WHERE target = ? AND guild_id = ?",
                (target_for(guild_id, url), old, guild_id),
            )
    # (portable: no instr() on PostgreSQL) the error up to the status's closing parenthesis
    async with conn.execute(
        "SELECT target, day, event_id, error FROM anniversary_posts "
        "WHERE error LIKE 'the webhook refused the post (%): %'"
    ) as cur:
        quoted = list(await cur.fetchall())
    for target, day, event_id, error in quoted:
        await conn.execute(
            "UPDATE anniversary_posts SET error = ? WHERE target = ? AND day = ? AND event_id = ?",
            (error[: error.index("):") + 1], target, day, event_id),
        )


def make_nonce(target: str, day: dt.date, event_ids: list[str]) -> str:
    raw = f"{target}|{day.isoformat()}|{','.join(sorted(event_ids))}"
    return hashlib.sha256(raw.encode()).hexdigest()[:25]  # Discord nonces: at most 25 characters


@dataclass(frozen=True)
class LedgerRow:
    target: str
    day: str
    event_id: str
    status: str
    attempts: int
    claimed_at: float | None
    done_at: float | None
    message_id: str | None
    error: str | None


@dataclass(frozen=True)
class Recovered:
    target: str
    guild_id: int | None
    day: dt.date
    event_ids: list[str]
    nonce: str | None


class AnniversaryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ settings

    async def get(self, guild_id: int) -> ServerSchedule | None:
        rows = await self.db.fetchall(
            "SELECT guild_id, post_time, timezone, channel_id, webhook_url, role_id, enabled, disabled_reason "
            "FROM anniversary_settings WHERE guild_id = ?",
            (guild_id,),
        )
        return _schedule(rows[0]) if rows else None

    async def all_enabled(self) -> list[ServerSchedule]:
        rows = await self.db.fetchall(
            "SELECT guild_id, post_time, timezone, channel_id, webhook_url, role_id, enabled, disabled_reason "
            "FROM anniversary_settings WHERE enabled = 1"
        )
        return [_schedule(r) for r in rows]

    async def save(self, s: ServerSchedule) -> None:
        await self.db.execute(
            "INSERT INTO anniversary_settings (guild_id, channel_id, webhook_url, post_time, timezone, role_id, "
            "enabled, disabled_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
            "webhook_url = excluded.webhook_url, post_time = excluded.post_time, timezone = excluded.timezone, "
            "role_id = excluded.role_id, enabled = excluded.enabled, disabled_reason = excluded.disabled_reason, "
            "updated_at = excluded.updated_at",
            (
                s.guild_id,
                s.channel_id,
                s.webhook_url,
                s.post_time.strftime("%H:%M"),
                s.timezone,
                s.role_id,
                int(s.enabled),
                s.disabled_reason,
                time.time(),
            ),
        )

    async def disable(self, guild_id: int, reason: str | None) -> None:
        await self.db.execute(
            "UPDATE anniversary_settings SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE guild_id = ?",
            (reason, time.time(), guild_id),
        )

    # ------------------------------------------------------------ ledger

    async def claim(
        self,
        target: str,
        guild_id: int | None,
        day: dt.date,
        event_ids: list[str],
        nonce: str | None,
        now: float,
        *,
        retry_failed: bool = False,
    ) -> list[str]:
        """Claim the rows of a post; returns the event ids this caller won (possibly none).

        With `retry_failed`, rows whose earlier send failed may be claimed again (a person retrying by hand);
        rows that were sent, skipped, unknown or are being sent never are."""
        won: list[str] = []
        async with self.db.transaction() as conn:
            for event_id in event_ids:
                cur = await conn.execute(
                    "INSERT INTO anniversary_posts (target, day, event_id, guild_id, status, attempts, "
                    "nonce, claimed_at) VALUES (?, ?, ?, ?, 'claimed', 0, ?, ?) ON CONFLICT DO NOTHING",
                    (target, day.isoformat(), event_id, guild_id, nonce, now),
                )
                if cur.rowcount == 0 and retry_failed:
                    cur = await conn.execute(
                        "UPDATE anniversary_posts SET status = 'claimed', claimed_at = ?, nonce = ? "
                        "WHERE target = ? AND day = ? AND event_id = ? AND status = 'failed'",
                        (now, nonce, target, day.isoformat(), event_id),
                    )
                if cur.rowcount == 1:
                    won.append(event_id)
        return won

    async def _update(
        self, target: str, day: dt.date, event_ids: list[str], sql: str, params: tuple[object, ...]
    ) -> None:
        marks = ", ".join("?" for _ in event_ids)
        await self.db.execute(
            f"UPDATE anniversary_posts SET {sql} WHERE target = ? AND day = ? AND event_id IN ({marks})",
            (*params, target, day.isoformat(), *event_ids),
        )

    async def attempted(self, target: str, day: dt.date, event_ids: list[str], error: str | None) -> None:
        await self._update(target, day, event_ids, "attempts = attempts + 1, error = ?", (error,))

    async def complete(
        self, target: str, day: dt.date, event_ids: list[str], message_id: str | None, now: float
    ) -> None:
        await self._update(
            target, day, event_ids, "status = 'sent', done_at = ?, message_id = ?, error = NULL", (now, message_id)
        )

    async def fail(self, target: str, day: dt.date, event_ids: list[str], error: str, now: float) -> None:
        await self._update(target, day, event_ids, "status = 'failed', done_at = ?, error = ?", (now, error))

    async def skip(
        self, target: str, guild_id: int | None, day: dt.date, event_ids: list[str], reason: str, now: float
    ) -> int:
        """Record posts that will not be made (missed beyond the grace period); never overwrites a claim."""
        count = 0
        async with self.db.transaction() as conn:
            for event_id in event_ids:
                cur = await conn.execute(
                    "INSERT INTO anniversary_posts (target, day, event_id, guild_id, status, done_at, "
                    "error) VALUES (?, ?, ?, ?, 'skipped', ?, ?) ON CONFLICT DO NOTHING",
                    (target, day.isoformat(), event_id, guild_id, now, reason),
                )
                count += cur.rowcount
        return count

    async def recover(
        self, now: float, window: float = NONCE_WINDOW, *, owns: Callable[[int | None], bool] | None = None
    ) -> list[Recovered]:
        """After a restart: claims left by a dead process (see the module's docstring). With `owns` (shards.py),
        only the claims of the servers this process's shards hold: another process's may still be on their way."""
        rows = await self.db.fetchall(
            "SELECT target, guild_id, day, event_id, nonce, claimed_at FROM anniversary_posts "
            "WHERE status = 'claimed' ORDER BY target, day, event_id"
        )
        groups: dict[tuple[str, str], list[sqlite3.Row]] = {}
        for r in rows:
            if owns is not None and not owns(r[1]):
                continue
            groups.setdefault((r[0], r[2]), []).append(r)
        resend: list[Recovered] = []
        for (target, day), members in groups.items():
            ids = [m[3] for m in members]
            nonce = members[0][4]
            recent = all(m[5] is not None and now - m[5] < window for m in members)
            if recent and nonce and target.startswith("guild:"):
                resend.append(Recovered(target, members[0][1], dt.date.fromisoformat(day), ids, nonce))
            else:
                await self._update(
                    target,
                    dt.date.fromisoformat(day),
                    ids,
                    "status = 'unknown', done_at = ?, error = ?",
                    (now, "the bot stopped while sending; this post may not have been made"),
                )
        return resend

    async def recent(self, guild_id: int, limit: int = 10, *, target: str | None = None) -> list[LedgerRow]:
        """The server's last posts; with `target` (its destination now) also the rows of that destination that
        another claimer made (cron, on the same webhook), so that a server sees why it did not post itself."""
        rows = await self.db.fetchall(
            "SELECT target, day, event_id, status, attempts, claimed_at, done_at, message_id, error "
            "FROM anniversary_posts WHERE guild_id = ? OR target = ? ORDER BY day DESC, event_id LIMIT ?",
            (guild_id, target, limit),
        )
        return [LedgerRow(*r) for r in rows]

    async def status_of(self, target: str, day: dt.date) -> dict[str, str]:
        rows = await self.db.fetchall(
            "SELECT event_id, status FROM anniversary_posts WHERE target = ? AND day = ?", (target, day.isoformat())
        )
        return {r[0]: r[1] for r in rows}


def _schedule(r: sqlite3.Row) -> ServerSchedule:
    hh, mm = str(r[1]).split(":")
    return ServerSchedule(
        guild_id=r[0],
        post_time=dt.time(int(hh), int(mm)),
        timezone=r[2],
        channel_id=r[3],
        webhook_url=r[4],
        role_id=r[5],
        enabled=bool(r[6]),
        disabled_reason=r[7],
    )
