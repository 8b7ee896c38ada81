"""Usage logs: every interaction, queued in memory and written to SQLite in batches.

RoboDanny's pattern with its gaps closed: `record()` only appends to a bounded
buffer (no I/O on the interaction path); a background task swaps the buffer
out and writes it in one transaction every second; rows go back to the buffer
when the write fails (disk full, database locked or read-only) and the problem
is logged once, not per row, until writing works again; nothing is written
into a database file deleted or replaced under the bot. `close()` flushes,
trying again within a budget, and counts (and logs) what it could not write.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import astuple, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from alliance_bot.logsetup import scrub
from alliance_bot.storage.votes import UNHELPFUL_LIMIT, UNHELPFUL_SQL, Unhelpful, question_hash

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
                masked = f'"{name}": "[secret]'
                text = re.sub(_OPTION_VALUE.format(name=re.escape(name)), lambda m: masked + m.group(1), text)  # noqa: B023 - used at once
        text = scrub(text)
        if text != options:
            await conn.execute("UPDATE usage SET options = ? WHERE id = ?", (text, row_id))


SHUTDOWN_BUDGET = 4.0  # seconds of retrying at shutdown; with the 10 s for Discord, within compose's 15 s grace


class UsageLog:
    def __init__(
        self, db: Database, *, max_queue: int = 50_000, interval: float = 1.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.max_queue = max_queue
        self.interval = interval
        self.clock = clock
        self._buffer: deque[UsageRecord] = deque()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing: str | None = None
        self.dropped = 0  # rows refused because the queue was full
        self.written = 0
        self.unwritten = 0  # rows still not written when close() gave up: lost, and reported

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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
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
            problem = self.db.file_problem()
            if problem is not None:  # never into a deleted or replaced file: the rows would vanish with it
                self._pause(f"{problem}; the rows are kept in memory, none is written into the old file")
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
                self._pause(f"{type(exc).__name__}: {exc}")
                return 0
            if self._failing is not None:
                log.warning("usage logging resumed; %d rows written", len(batch))
                self._failing = None
            self.written += len(batch)
            return len(batch)

    def _pause(self, reason: str) -> None:
        if self._failing is None:
            log.error("usage logging paused, rows kept in memory (%d pending): %s", len(self._buffer), reason)
        self._failing = reason

    def status(self) -> dict[str, Any]:
        """For the heartbeat (`alliance-bot health`)."""
        return {
            "pending": len(self._buffer),
            "failing": self._failing and self._failing[:1500],
            "written": self.written,
            "dropped": self.dropped,
            "unwritten": self.unwritten,
        }

    async def close(self, budget: float = SHUTDOWN_BUDGET) -> None:
        """Stop the writer and write what is buffered, trying again for up to `budget` seconds; what is still
        not written then is counted in `unwritten` and logged, never reported as flushed."""
        if self._task is not None:
            # never cancel the writer in the middle of a write: flush() holds the lock while the rows it took out
            # of the buffer are on their way to the database, and a cancelled write would lose them uncounted
            async with self._lock:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        deadline = time.monotonic() + budget
        await self.flush()
        if self._buffer:
            log.warning(
                "usage log: %d rows not written yet at shutdown (%s); trying again for up to %.0f s",
                len(self._buffer),
                self._failing,
                budget,
            )
        while self._buffer and time.monotonic() < deadline:
            await asyncio.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
            await self.flush()
        if self._buffer:
            self.unwritten += len(self._buffer)
            log.error("usage log: %d rows could not be written and are lost (%s)", len(self._buffer), self._failing)
            self._buffer.clear()

    async def prune(self, retention_days: int) -> int:
        """Usage rows older than the retention, and the votes last changed before it (storage/votes.py), in
        one transaction; returns the usage rows removed."""
        from alliance_bot.storage import votes

        cutoff = self.clock() - retention_days * 86400
        async with self._lock, self.db.transaction() as conn:
            cur = await conn.execute("DELETE FROM usage WHERE ts < ?", (cutoff,))
            removed = int(cur.rowcount)
            await votes.prune(conn, cutoff)
            return removed


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
    unhelpful: list[Unhelpful] = field(default_factory=list)  # answers voted 👎 more than 👍, most often first
    components: list[tuple[str, int]] = field(default_factory=list)  # clicks (pages, menus, votes), by what
    # (day, command, count, nothing found) of slash commands, by day then command: the usage chart's bars
    per_day_command: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.total if self.total else 0.0


STATS_TIME_LIMIT = 60.0  # seconds: past this a summary is stopped (a deferred reply may take 15 minutes)
_EPOCH = dt.date(1970, 1, 1)


class StatsTooSlow(Exception):
    """A summary was stopped at its time limit; the message says what to do."""

    def __init__(self, days: int, limit: float) -> None:
        super().__init__(
            f"the statistics of the last {days} days took longer than {limit:.0f} s and were stopped; "
            f"ask for fewer days"
        )


def _median(n: int, at: dict[int, float]) -> float | None:
    """`statistics.median` of n sorted values, of which `at` holds those at the indices that matter."""
    if not n:
        return None
    return at[n // 2] if n % 2 else (at[n // 2 - 1] + at[n // 2]) / 2


def _p95(n: int, at: dict[int, float]) -> float | None:
    """`statistics.quantiles(values, n=100, method="inclusive")[94]` (the value itself when there is one)."""
    if not n:
        return None
    if n == 1:
        return at[0]
    j, delta = divmod(95 * (n - 1), 100)
    return (at[j] * (100 - delta) + at[j + 1] * delta) / 100


# The indices (0-based, in latency order, within a group of n latencies) that the median and p95 read.
_RANKS = "(i IN ((n - 1) / 2, n / 2, 95 * (n - 1) / 100, 95 * (n - 1) / 100 + 1))"


async def summarise(
    db: Database,
    days: int,
    *,
    now: float | None = None,
    guild_id: int | None = None,
    time_limit: float = STATS_TIME_LIMIT,
) -> UsageSummary:
    """Counts, latency percentiles, days and what was not found, aggregated by SQLite, never row by row.

    Runs on a read-only connection of its own (`Database.reader`): one snapshot, off the event loop, never in
    front of the bot's writes, stopped past `time_limit`. Memory does not grow with the rows: groups are a few
    (commands, days, the 25 most asked queries), and the percentiles are read off SQLite's sort (which spills
    to a temporary file) at the few ranks they need. The same numbers as the row-by-row computation of before
    (tests/stats_reference.py).
    """
    now = time.time() if now is None else now
    where = "ts >= ? AND kind != 'autocomplete'"
    params: list[Any] = [now - days * 86400]
    if guild_id is not None:
        where += " AND guild_id = ?"
        params.append(guild_id)
    if db.dialect == "postgresql":
        import asyncpg

        try:
            by_day, ranked, overall, missing, unhelpful = await _queries_pg(
                db, where, params, guild_id is not None, time_limit
            )
        except asyncpg.QueryCanceledError:
            raise StatsTooSlow(days, time_limit) from None
        counts, per_day = _sum_by_day(by_day)
        return _summary(days, by_day, counts, per_day, ranked, overall, missing, unhelpful)
    try:
        async with db.reader(time_limit) as conn:
            await conn.create_function("main_option", 1, _main_option, deterministic=True)

            async def rows(sql: str, extra: tuple[Any, ...] = ()) -> list[Any]:
                async with conn.execute(sql, (*params, *extra)) as cur:
                    return list(await cur.fetchall())

            # one scan, grouped by day (in UTC, as datetime.fromtimestamp(ts, utc) rounds it: to the microsecond),
            # command and kind: the chart's bars as they are, the per-command counts and the days' totals summed
            by_day = await rows(
                f"SELECT CAST(round(ts * 1000000) AS INTEGER) / 86400000000 AS d, command, kind = 'command', "
                f"count(*), count(latency_ms), sum(outcome = 'error'), sum(outcome = 'nothing_found'), "
                f"sum(outcome = 'refused'), sum(outcome = 'invalid_input') FROM usage WHERE {where} "
                f"GROUP BY d, command, kind = 'command' ORDER BY d, command"
            )
            counts, per_day = _sum_by_day(by_day)
            ranked = await rows(
                f"SELECT command, n, i, v FROM (SELECT command, latency_ms AS v, "
                f"row_number() OVER (PARTITION BY command ORDER BY latency_ms) - 1 AS i "
                f"FROM usage WHERE {where} AND kind = 'command' AND latency_ms IS NOT NULL) "
                f"JOIN (SELECT key AS command, value AS n FROM json_each(?)) USING (command) WHERE {_RANKS}",
                (json.dumps({c[0]: c[2] for c in counts if c[7]}),),
            )
            n_all = sum(c[2] for c in counts)
            overall = await rows(
                f"SELECT i, v FROM (SELECT latency_ms AS v, row_number() OVER (ORDER BY latency_ms) - 1 AS i "
                f"FROM usage WHERE {where} AND latency_ms IS NOT NULL), (SELECT ? AS n) WHERE {_RANKS}",
                (n_all,),
            )
            missing = await rows(
                f"SELECT command, main_option(options) AS q, count(*) AS times FROM usage "
                f"WHERE {where} AND kind = 'command' AND outcome = 'nothing_found' GROUP BY command, q "
                f"ORDER BY times DESC, command, q LIMIT 25"
            )
            unhelpful = await _unhelpful(conn, params, guild_id is not None)
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_INTERRUPT":
            raise StatsTooSlow(days, time_limit) from None
        raise
    return _summary(days, by_day, counts, per_day, ranked, overall, missing, unhelpful)


def _sum_by_day(by_day: list[Any]) -> tuple[list[Any], list[tuple[int, int]]]:
    """From the rows grouped by day, command and kind: the per-command counts (command, count, with latency,
    errors, nothing found, refused, invalid, is a command) and the days' totals."""
    summed: dict[tuple[str, Any], list[int]] = {}
    day_totals: dict[int, int] = {}
    for d, command, is_command, *numbers in by_day:
        day_totals[d] = day_totals.get(d, 0) + numbers[0]
        into = summed.setdefault((command, bool(is_command)), [0] * len(numbers))
        for k, n in enumerate(numbers):
            into[k] += int(n)
    counts: list[Any] = [(command, *numbers, is_command) for (command, is_command), numbers in summed.items()]
    return counts, sorted(day_totals.items())


def _summary(
    days: int,
    by_day: list[Any],
    counts: list[Any],
    per_day: list[Any],
    ranked: list[Any],
    overall: list[Any],
    missing: list[Any],
    unhelpful: list[Unhelpful],
) -> UsageSummary:
    n_all = sum(c[2] for c in counts)
    at: dict[str, dict[int, float]] = {}
    for command, _n, i, v in ranked:
        at.setdefault(command, {})[i] = v
    at_all = dict(overall)
    per_command = [
        CommandStats(
            command, count, errors, nothing, _median(n_lat, at.get(command, {})), _p95(n_lat, at.get(command, {}))
        )
        for command, count, n_lat, errors, nothing, _r, _i, is_command in sorted(counts, key=lambda c: (-c[1], c[0]))
        if is_command
    ]
    components = [(c[0], c[1]) for c in sorted(counts, key=lambda c: (-c[1], c[0])) if not c[7]]
    return UsageSummary(
        days=days,
        total=sum(c[1] for c in counts),
        errors=sum(c[3] for c in counts),
        refused=sum(c[5] for c in counts),
        invalid=sum(c[6] for c in counts),
        nothing_found=sum(c[4] for c in counts),
        median_ms=_median(n_all, at_all),
        p95_ms=_p95(n_all, at_all),
        per_command=per_command,
        per_day=[((_EPOCH + dt.timedelta(days=d)).isoformat(), n) for d, n in per_day],
        missing=[(c, q, n) for c, q, n in missing],
        unhelpful=unhelpful,
        components=components,
        per_day_command=[
            ((_EPOCH + dt.timedelta(days=d)).isoformat(), command, n, nothing)
            for d, command, is_command, n, _latency, _errors, nothing, _refused, _invalid in by_day
            if is_command
        ],
    )


async def _queries_pg(
    db: Database, where: str, params: list[Any], by_guild: bool, time_limit: float
) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Unhelpful]]:
    """The queries of `summarise` in PostgreSQL's words: the same numbers (the percentiles read at the same
    ranks); what SQLite does with a Python function inside SQL (the main option of a row, a question's hash) is
    done here on the few distinct (command, options) groups the server returns."""
    async with db.reader(time_limit) as conn:

        async def rows(sql: str, extra: tuple[Any, ...] = ()) -> list[Any]:
            async with conn.execute(sql, (*params, *extra)) as cur:
                return list(await cur.fetchall())

        sums = ", ".join(
            f"sum(CASE WHEN outcome = '{o}' THEN 1 ELSE 0 END)"
            for o in ("error", "nothing_found", "refused", "invalid_input")
        )
        # one scan, grouped by day (rounded to the microsecond, as SQLite's), command and kind, as on SQLite
        by_day = [
            tuple(r)
            for r in await rows(
                f"SELECT CAST(floor(ts * 1000000 + 0.5) AS BIGINT) / 86400000000 AS d, command, "
                f"kind = 'command', count(*), count(latency_ms), {sums} FROM usage WHERE {where} "
                f"GROUP BY d, command, kind = 'command' ORDER BY d, command"
            )
        ]
        counts, _ = _sum_by_day(by_day)
        ranked = await rows(
            f"SELECT command, n, i, v FROM (SELECT command, latency_ms AS v, "
            f"row_number() OVER (PARTITION BY command ORDER BY latency_ms) - 1 AS i "
            f"FROM usage WHERE {where} AND kind = 'command' AND latency_ms IS NOT NULL) AS r "
            f"JOIN (SELECT key AS command, CAST(value AS BIGINT) AS n FROM json_each_text(CAST(? AS json))) AS c "
            f"USING (command) WHERE {_RANKS}",
            (json.dumps({c[0]: c[2] for c in counts if c[7]}),),
        )
        n_all = sum(c[2] for c in counts)
        overall = await rows(
            f"SELECT i, v FROM (SELECT latency_ms AS v, row_number() OVER (ORDER BY latency_ms) - 1 AS i "
            f"FROM usage WHERE {where} AND latency_ms IS NOT NULL) AS r, (SELECT CAST(? AS BIGINT) AS n) AS c "
            f"WHERE {_RANKS}",
            (n_all,),
        )
        grouped = await rows(
            f"SELECT command, options, count(*) FROM usage "
            f"WHERE {where} AND kind = 'command' AND outcome = 'nothing_found' GROUP BY command, options"
        )
        by_query: dict[tuple[str, str], int] = {}
        for command, options, times in grouped:
            key = (command, _main_option(options))
            by_query[key] = by_query.get(key, 0) + int(times)
        missing = [(c, q, n) for (c, q), n in sorted(by_query.items(), key=lambda x: (-x[1], x[0][0], x[0][1]))][:25]
        unhelpful = await _unhelpful_pg(conn, params, by_guild)
    return by_day, [tuple(r) for r in ranked], [tuple(r) for r in overall], missing, unhelpful


async def _unhelpful_pg(conn: Any, params: list[Any], by_guild: bool) -> list[Unhelpful]:
    """`_unhelpful` for PostgreSQL: the question each answer was last asked as, by hashing in Python the
    distinct options of the window's answered questions (with the time each was last asked)."""
    where = "updated_at >= ?" + (" AND guild_id = ?" if by_guild else "")
    async with conn.execute(UNHELPFUL_SQL.format(where=where, limit=UNHELPFUL_LIMIT), tuple(params)) as cur:
        found = list(await cur.fetchall())
    if not found:
        return []
    commands = sorted({row[0] for row in found})
    hashes = {row[3] for row in found}
    usage_where = (
        f"ts >= ? AND kind = 'command' AND outcome = 'answered' AND command IN ({', '.join('?' for _ in commands)})"
    )
    usage_params: list[Any] = [params[0], *commands]
    if by_guild:
        usage_where += " AND guild_id = ?"
        usage_params.append(params[1])
    async with conn.execute(
        f"SELECT command, options, max(ts) FROM usage WHERE {usage_where} GROUP BY command, options", usage_params
    ) as cur:
        latest: dict[tuple[str, str], tuple[float, str | None]] = {}
        for command, options, ts in await cur.fetchall():
            h = _question_hash(options)
            if h in hashes and ((command, h) not in latest or ts > latest[(command, h)][0]):
                latest[(command, h)] = (ts, options)
    out = []
    for command, entry_kind, entry_id, qhash, down, up in found:
        hit = latest.get((command, qhash))
        question = None if hit is None else _main_option(hit[1], limit=200)
        out.append(Unhelpful(command, entry_kind, entry_id, qhash, int(down), int(up), question))
    return out


async def _unhelpful(conn: Any, params: list[Any], by_guild: bool) -> list[Unhelpful]:
    """The answers voted unhelpful in the window (storage/votes.py), each with the question as last asked,
    when the usage log still has it. `params`: the window's start, then the server when `by_guild`."""
    where = "updated_at >= ?" + (" AND guild_id = ?" if by_guild else "")
    async with conn.execute(UNHELPFUL_SQL.format(where=where, limit=UNHELPFUL_LIMIT), tuple(params)) as cur:
        found = list(await cur.fetchall())
    if not found:
        return []
    await conn.create_function("question_hash", 1, _question_hash, deterministic=True)
    # the question each was last asked as: one pass over the answered questions of the window's voted commands
    commands = sorted({row[0] for row in found})
    hashes = sorted({row[3] for row in found})
    usage_where = (
        f"ts >= ? AND kind = 'command' AND outcome = 'answered' AND command IN ({', '.join('?' for _ in commands)})"
    )
    usage_params: list[Any] = [params[0], *commands]
    if by_guild:
        usage_where += " AND guild_id = ?"
        usage_params.append(params[1])
    sql = (
        "SELECT command, h, options FROM (SELECT command, h, options, "
        "row_number() OVER (PARTITION BY command, h ORDER BY ts DESC) AS latest FROM "
        f"(SELECT command, question_hash(options) AS h, options, ts FROM usage WHERE {usage_where}) AS asked "
        f"WHERE h IN ({', '.join('?' for _ in hashes)})) AS ranked WHERE latest = 1"
    )
    async with conn.execute(sql, (*usage_params, *hashes)) as cur:
        asked = {(command, h): options for command, h, options in await cur.fetchall()}
    out = []
    for command, entry_kind, entry_id, qhash, down, up in found:
        options = asked.get((command, qhash), _NOT_LOGGED)
        question = None if options is _NOT_LOGGED else _main_option(options, limit=200)
        out.append(Unhelpful(command, entry_kind, entry_id, qhash, int(down), int(up), question))
    return out


_NOT_LOGGED = object()


def _question_hash(options: str | None) -> str:
    return question_hash(_main_option(options, limit=None))


def _main_option(options: str | None, limit: int | None = 100) -> str:
    if not options:
        return ""
    try:
        data = json.loads(options)
    except ValueError:
        return options[:limit]
    if isinstance(data, dict):  # {} (no option) is "", shown as "with no option", never as "{}"
        return " ".join(str(v) for v in data.values())[:limit]
    return str(data)[:limit]


async def export_csv(db: Database, days: int, *, now: float | None = None) -> str:
    now = time.time() if now is None else now
    rows = await db.fetchall(
        f"SELECT {', '.join(_COLUMNS)} FROM usage WHERE ts >= ? ORDER BY ts", (now - days * 86400,)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", *_COLUMNS[1:]])
    for row in rows:
        writer.writerow([dt.datetime.fromtimestamp(row[0], dt.UTC).isoformat(timespec="seconds"), *row[1:]])
    return out.getvalue()
