"""Usage logs: every interaction, queued in memory and written to SQLite in batches.

RoboDanny's pattern with its gaps closed: `record()` only appends to a bounded
buffer (no I/O on the interaction path); a background task swaps the buffer
out and writes it in one transaction every second; rows go back to the buffer
when the write fails (disk full, database locked or read-only) and the problem
is logged once, not per row, until writing works again. `close()` flushes.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import sqlite3
import statistics
import time
from collections import deque
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING, Any, Callable

from alliance_bot.logsetup import scrub
if TYPE_CHECKING:  # the stores are handed an open Database; db.py runs their data migrations
    from alliance_bot.storage.db import Database

log = logging.getLogger(__name__)

OUTCOMES = ("answered", "nothing_found", "invalid_input", "refused", "error")


@dataclass(frozen=True)
class UsageRecord:
    ts: float
    kind: str
    command: str
    options: str | None
    outcome: str
    latency_ms: float | None
    guild_id: int | None
    channel_id: int | None
    user_hash: str | None
    locale: str | None
    error_id: str | None = None


_COLUMNS = [f.name for f in fields(UsageRecord)]
_INSERT = f"INSERT INTO usage ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"


def hash_user(key: bytes, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:20]


def options_json(options: dict[str, Any] | None, limit: int = 500) -> str | None:
    """JSON of the options, at most `limit` characters. Secret options are masked before (discord_ui.bot.
    without_secrets); behind that, a token or webhook URL typed into any option is scrubbed as in the logs."""
    if not options:
        return None
    text = scrub(json.dumps(options, ensure_ascii=False, sort_keys=True, default=str))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SECRET_OPTIONS = (("anniversaries set", "webhook"),)  # the options declared secret when migration 4 was written
_OPTION_VALUE = r'"{name}": "(?:[^"\\]|\\.)*("|$)'


async def scrub_stored_options(conn: Any) -> None:
    """Migration 4: the usage rows stored before secret options were masked: masked now, and scrubbed."""
    import re

    async with conn.execute("SELECT id, command, options FROM usage WHERE options LIKE '%webhook%'") as cur:
        rows = list(await cur.fetchall())
    for row_id, command, options in rows:
        text = options
        for secret_command, name in _SECRET_OPTIONS:
            if command == secret_command:
                # JSON written by options_json; a truncated one is not valid JSON any more, so by its text
                text = re.sub(_OPTION_VALUE.format(name=re.escape(name)),
                              lambda m: f'"{name}": "[secret]{m.group(1)}', text)
        text = scrub(text)
        if text != options:
            await conn.execute("UPDATE usage SET options = ? WHERE id = ?", (text, row_id))


class UsageLog:
    def __init__(self, db: Database, *, max_queue: int = 50_000, interval: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.max_queue = max_queue
        self.interval = interval
        self.clock = clock
        self._buffer: deque[UsageRecord] = deque()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing: str | None = None
        self.dropped = 0
        self.written = 0

    # -- the interaction path: no I/O
    def record(self, rec: UsageRecord) -> None:
        if len(self._buffer) >= self.max_queue:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                log.warning("usage log queue full (%d rows): %d rows dropped so far", self.max_queue, self.dropped)
            return
        self._buffer.append(rec)
        if len(self._buffer) >= 1000:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    @property
    def failing(self) -> str | None:
        """Why writing fails right now, or None."""
        return self._failing

    # -- background writing
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="usage-log-writer")

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # never let the writer die; flush() already logged
                log.exception("usage log writer: unexpected error")

    async def flush(self) -> int:
        """Write everything buffered; on failure keep the rows for the next try. Returns rows written."""
        async with self._lock:
            if not self._buffer:
                return 0
            batch = list(self._buffer)
            self._buffer.clear()
            try:
                async with self.db.transaction() as conn:
                    await conn.executemany(_INSERT, [astuple(r) for r in batch])
            except (sqlite3.Error, OSError) as exc:
                # put the rows back in front, within the bound
                room = max(self.max_queue - len(self._buffer), 0)
                keep = batch[-room:] if room < len(batch) else batch
                self.dropped += len(batch) - len(keep)
                self._buffer.extendleft(reversed(keep))
                reason = f"{type(exc).__name__}: {exc}"
                if self._failing is None:
                    log.error("usage logging paused, rows kept in memory (%d pending): %s", len(self._buffer), reason)
                self._failing = reason
                return 0
            if self._failing is not None:
                log.warning("usage logging resumed; %d rows written", len(batch))
                self._failing = None
            self.written += len(batch)
            return len(batch)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()

    async def prune(self, retention_days: int) -> int:
        cutoff = self.clock() - retention_days * 86400
        async with self._lock:
            return await self.db.execute("DELETE FROM usage WHERE ts < ?", (cutoff,))


# -- reading: summaries for moderators


@dataclass(frozen=True)
class CommandStats:
    command: str
    count: int
    errors: int
    nothing_found: int
    median_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True)
class UsageSummary:
    days: int
    total: int
    errors: int
    refused: int
    invalid: int
    nothing_found: int
    median_ms: float | None
    p95_ms: float | None
    per_command: list[CommandStats]
    per_day: list[tuple[str, int]]
    missing: list[tuple[str, str, int]]  # (command, query, times) that found nothing

    @property
    def error_rate(self) -> float:
        return self.errors / self.total if self.total else 0.0


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def summarise(db: Database, days: int, *, now: float | None = None, guild_id: int | None = None) -> UsageSummary:
    now = time.time() if now is None else now
    since = now - days * 86400
    where = "ts >= ? AND kind != 'autocomplete'"
    params: list[Any] = [since]
    if guild_id is not None:
        where += " AND guild_id = ?"
        params.append(guild_id)
    rows = await db.fetchall(f"SELECT command, outcome, latency_ms, ts, options FROM usage WHERE {where}", params)
    total = len(rows)
    by_command: dict[str, list[tuple[str, float | None]]] = {}
    per_day: dict[str, int] = {}
    missing: dict[tuple[str, str], int] = {}
    latencies: list[float] = []
    for command, outcome, latency, ts, options in rows:
        by_command.setdefault(command, []).append((outcome, latency))
        day = dt.datetime.fromtimestamp(ts, dt.timezone.utc).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
        if latency is not None:
            latencies.append(latency)
        if outcome == "nothing_found":
            query = _main_option(options)
            missing[(command, query)] = missing.get((command, query), 0) + 1
    per_command = []
    for command, items in sorted(by_command.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lat = sorted(x for _, x in items if x is not None)
        per_command.append(CommandStats(
            command, len(items), sum(1 for o, _ in items if o == "error"),
            sum(1 for o, _ in items if o == "nothing_found"),
            statistics.median(lat) if lat else None, _percentile(lat, 95)))
    outcomes = [o for items in by_command.values() for o, _ in items]
    return UsageSummary(
        days=days, total=total, errors=outcomes.count("error"), refused=outcomes.count("refused"),
        invalid=outcomes.count("invalid_input"), nothing_found=outcomes.count("nothing_found"),
        median_ms=statistics.median(latencies) if latencies else None, p95_ms=_percentile(sorted(latencies), 95),
        per_command=per_command, per_day=sorted(per_day.items()),
        missing=sorted(((c, q, n) for (c, q), n in missing.items()), key=lambda x: (-x[2], x[0], x[1]))[:25],
    )


def _main_option(options: str | None) -> str:
    if not options:
        return ""
    try:
        data = json.loads(options)
    except ValueError:
        return options[:100]
    if isinstance(data, dict) and data:
        return " ".join(str(v) for v in data.values())[:100]
    return str(data)[:100]


async def export_csv(db: Database, days: int, *, now: float | None = None) -> str:
    now = time.time() if now is None else now
    rows = await db.fetchall(f"SELECT {', '.join(_COLUMNS)} FROM usage WHERE ts >= ? ORDER BY ts",
                             (now - days * 86400,))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", *_COLUMNS[1:]])
    for row in rows:
        writer.writerow([dt.datetime.fromtimestamp(row[0], dt.timezone.utc).isoformat(timespec="seconds"), *row[1:]])
    return out.getvalue()
