"""The usage summary as it was computed before it moved into SQL (#13.6): every row loaded into Python.

Kept only as the reference the SQL version must agree with (tests/test_storage.py) and as the "before" of
bench/stats_bench.py. Never used by the bot.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from alliance_bot.storage.usage import CommandStats, UsageSummary, _main_option


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def summarise_reference(
    db: Any, days: int, *, now: float | None = None, guild_id: int | None = None
) -> UsageSummary:
    now = time.time() if now is None else now
    since = now - days * 86400
    where = "ts >= ? AND kind != 'autocomplete'"
    params: list[Any] = [since]
    if guild_id is not None:
        where += " AND guild_id = ?"
        params.append(guild_id)
    rows = await db.fetchall(f"SELECT command, outcome, latency_ms, ts, options, kind FROM usage WHERE {where}", params)
    total = len(rows)
    by_command: dict[str, list[tuple[str, float | None]]] = {}
    per_day: dict[str, int] = {}
    missing: dict[tuple[str, str], int] = {}
    latencies: list[float] = []
    clicks: dict[str, int] = {}
    by_day_command: dict[tuple[str, str], list[int]] = {}
    outcomes = []
    for command, outcome, latency, ts, options, kind in rows:
        outcomes.append(outcome)
        if kind == "command":  # only commands are listed per command; clicks on components are counted apart
            by_command.setdefault(command, []).append((outcome, latency))
        else:
            clicks[command] = clicks.get(command, 0) + 1
        day = dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
        if kind == "command":
            counts = by_day_command.setdefault((day, command), [0, 0])
            counts[0] += 1
            counts[1] += outcome == "nothing_found"
        if latency is not None:
            latencies.append(latency)
        if outcome == "nothing_found" and kind == "command":
            query = _main_option(options)
            missing[(command, query)] = missing.get((command, query), 0) + 1
    per_command = []
    for command, items in sorted(by_command.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lat = sorted(x for _, x in items if x is not None)
        per_command.append(
            CommandStats(
                command,
                len(items),
                sum(1 for o, _ in items if o == "error"),
                sum(1 for o, _ in items if o == "nothing_found"),
                statistics.median(lat) if lat else None,
                _percentile(lat, 95),
            )
        )
    return UsageSummary(
        days=days,
        total=total,
        errors=outcomes.count("error"),
        refused=outcomes.count("refused"),
        invalid=outcomes.count("invalid_input"),
        nothing_found=outcomes.count("nothing_found"),
        median_ms=statistics.median(latencies) if latencies else None,
        p95_ms=_percentile(sorted(latencies), 95),
        per_command=per_command,
        per_day=sorted(per_day.items()),
        missing=sorted(((c, q, n) for (c, q), n in missing.items()), key=lambda x: (-x[2], x[0], x[1]))[:25],
        components=sorted(clicks.items(), key=lambda kv: (-kv[1], kv[0])),
        per_day_command=[(d, c, n, nothing) for (d, c), (n, nothing) in sorted(by_day_command.items())],
    )
