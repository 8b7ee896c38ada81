"""PostgreSQL against SQLite, and posts due at one minute across processes (issue #20).

    .venv/bin/python bench/shards_bench.py [--servers 100000] [--processes 4] [--rows 50000] [--claims 5000]

Starts its own PostgreSQL (tests/pgserver.py: a temporary server on 127.0.0.1, fsync on, as in production
settings except `synchronous_commit`), then measures in the same run:
- usage-log rows per second (UsageLog batches of 1,000, as the bot's writer makes them) on PostgreSQL and SQLite;
- ledger claims per second (AnniversaryStore.claim, one post per call, as the scheduler claims) on both;
- `--servers` servers all due at 09:00 Asia/Seoul, their anniversary schedules in one PostgreSQL database, and
  `--processes` OS processes, one shard each, each running the real Scheduler on its shard's servers (as `run
  --shard-ids` does; every post claimed in the shared ledger) with a deliverer that records each send: the time
  until every post is made, the duplicates (sends beyond one per server: must be 0) and the servers missed (must
  be 0).
Prints one JSON line of figures; never fails on a target.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

NOW = dt.datetime(2026, 7, 27, 0, 0, 5, tzinfo=dt.UTC)  # 09:00:05 in Seoul


async def usage_rate(target: str | Path, rows: int) -> float:
    from alliance_bot.storage.backends import open_database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    db = await open_database(target)
    usage = UsageLog(db, interval=3600, max_queue=rows + 1)
    start = time.perf_counter()
    for i in range(0, rows, 1000):
        for j in range(i, min(i + 1000, rows)):
            usage.record(
                UsageRecord(time.time(), "command", "fact", '{"query": "q"}', "answered", 3.0, j, 2, "h", "en")
            )
        await usage.flush()
    elapsed = time.perf_counter() - start
    await usage.close()
    await db.close()
    return rows / elapsed


async def claim_rate(target: str | Path, claims: int) -> float:
    from alliance_bot.anniversaries.ledger import AnniversaryStore
    from alliance_bot.storage.backends import open_database

    db = await open_database(target, lock=False)
    store = AnniversaryStore(db)
    day = dt.date(2026, 7, 27)
    start = time.perf_counter()
    for g in range(claims):
        await store.claim(f"guild:{g}", g, day, ["armistice-signed"], "n", time.time())
    elapsed = time.perf_counter() - start
    await db.close()
    return claims / elapsed


def _worker(url: str, out: str, concurrency: int, shard: int, count: int) -> None:
    asyncio.run(_work(url, out, concurrency, shard, count))


async def _work(url: str, out: str, concurrency: int, shard: int, count: int) -> None:
    from alliance_bot.anniversaries.ledger import AnniversaryStore
    from alliance_bot.anniversaries.scheduler import Scheduler
    from alliance_bot.library import ContentStore
    from alliance_bot.shards import Shards
    from alliance_bot.storage.backends import open_database

    library = ContentStore(ROOT / "content")
    assert library.load().ok
    db = await open_database(url, lock=False)
    sent: list[int] = []

    async def deliver(schedule, payload, nonce):  # type: ignore[no-untyped-def]
        sent.append(schedule.guild_id)
        return str(schedule.guild_id)

    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    owns = Shards(count, (shard,)).owns  # as `run --shard-count N --shard-ids I` schedules its own shard's servers
    sched = Scheduler(
        AnniversaryStore(db), library, deliver, clock=lambda: NOW, sleep=no_sleep, concurrency=concurrency, owns=owns
    )
    await sched.startup()
    await sched.tick()
    await sched.drain()
    await db.close()
    Path(out).write_text(json.dumps(sent))  # noqa: ASYNC240 - the worker has nothing else to do


async def fill_servers(url: str, servers: int) -> None:
    from alliance_bot.storage.backends import open_database

    db = await open_database(url)
    rows = [(g << 22 | g, g, "09:00", "Asia/Seoul") for g in range(1, servers + 1)]  # snowflake-like: shards spread
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO anniversary_settings (guild_id, channel_id, post_time, timezone, enabled, updated_at) "
            "VALUES (?, ?, ?, ?, 1, 0)",
            rows,
        )
    await db.close()


async def ledger_counts(url: str) -> dict[str, int]:
    from alliance_bot.storage.backends import open_database

    db = await open_database(url)
    rows = await db.fetchall("SELECT status, count(DISTINCT guild_id) FROM anniversary_posts GROUP BY status")
    await db.close()
    return {str(r[0]): int(r[1]) for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--claims", type=int, default=5_000)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    from pgserver import running_server

    figures: dict[str, object] = {}
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures["usage_rows_per_s"] = {
            "postgresql": round(asyncio.run(usage_rate(server.create_database("usage"), args.rows))),
            "sqlite": round(asyncio.run(usage_rate(folder / "usage.db", args.rows))),
        }
        figures["claims_per_s"] = {
            "postgresql": round(asyncio.run(claim_rate(server.create_database("claims"), args.claims))),
            "sqlite": round(asyncio.run(claim_rate(folder / "claims.db", args.claims))),
        }
        url = server.create_database("due")
        asyncio.run(fill_servers(url, args.servers))
        outs = [str(folder / f"sent-{i}.json") for i in range(args.processes)]
        ctx = mp.get_context("spawn")
        procs = [
            ctx.Process(target=_worker, args=(url, o, args.concurrency, i, args.processes)) for i, o in enumerate(outs)
        ]
        start = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - start
        sends: list[int] = []
        per_process = []
        for o in outs:
            got = json.loads(Path(o).read_text()) if Path(o).exists() else []
            per_process.append(len(got))
            sends.extend(got)
        counts = asyncio.run(ledger_counts(url))
        figures["due_at_one_minute"] = {
            "servers": args.servers,
            "processes": args.processes,
            "seconds_to_post_all": round(elapsed, 1),  # includes each process's start (import, content load)
            "sends_per_process": per_process,
            "duplicates": len(sends) - len(set(sends)),
            "missed": args.servers - len(set(sends)),
            "ledger_sent": counts.get("sent", 0),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
