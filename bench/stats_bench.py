"""`/stats days:90` on a large usage log: time, memory, and how long the bot's event loop and its writes wait.

    .venv/bin/python bench/stats_bench.py [--rows 1000000] [--guilds 1] [--reference]

Fills a database with `--rows` usage rows over 90 days (13 commands, the outcomes in realistic shares, one in
ten asking for something the digest lacks), then, in a fresh process, runs the summary `/stats days:90`
makes while a task ticks every 5 ms (the longest gap is how long the event loop was blocked) and another
writes a usage row every 20 ms through the bot's shared connection (the longest write is how long a command's
row waited behind the statistics). `--reference` runs the computation from before #13.6 (every row loaded
into Python: tests/stats_reference.py) instead. Prints one line of figures; never fails on a target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    "fact",
    "today",
    "treaty",
    "viewpoints",
    "timeline",
    "source",
    "help",
    "about",
    "stats",
    "anniversaries set",
    "anniversaries show",
    "content reload",
    "content status",
]
KINDS = ["command"] * 16 + ["autocomplete"] * 3 + ["component"]
OUTCOMES = ["answered"] * 80 + ["nothing_found"] * 10 + ["invalid_input"] * 5 + ["refused"] * 3 + ["error"] * 2


def fill(path: Path, rows: int, guilds: int, now: float) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from alliance_bot.storage.db import Database

    async def migrate() -> None:
        db = await Database.open(path, lock=False)
        await db.close()

    asyncio.run(migrate())
    rng = random.Random(13)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    batch = []
    for _i in range(rows):
        outcome = rng.choice(OUTCOMES)
        options = json.dumps({"query": f"question {rng.randrange(20_000)}"}) if rng.random() < 0.7 else None
        batch.append(
            (
                now - rng.random() * 90 * 86400,
                rng.choice(KINDS),
                rng.choice(COMMANDS),
                options,
                outcome,
                rng.lognormvariate(3, 1),
                1 + rng.randrange(guilds),
                2,
                "0123456789abcdef0123",
                "en-US",
            )
        )
        if len(batch) == 50_000:
            con.executemany(
                "INSERT INTO usage (ts, kind, command, options, outcome, latency_ms, guild_id, "
                "channel_id, user_hash, locale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch.clear()
    if batch:
        con.executemany(
            "INSERT INTO usage (ts, kind, command, options, outcome, latency_ms, guild_id, "
            "channel_id, user_hash, locale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    con.execute("COMMIT")
    con.close()


PROBE = r"""
import asyncio, gc, json, sys, time
sys.path[:0] = [sys.argv[3] + "/src", sys.argv[3] + "/tests"]
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog, UsageRecord

def status(key):
    return int([l for l in open("/proc/self/status") if l.startswith(key)][0].split()[1]) / 1024

async def main():
    if sys.argv[2] == "reference":
        from stats_reference import summarise_reference as summarise
    else:
        from alliance_bot.storage.usage import summarise
    db = await Database.open(sys.argv[1], lock=False)
    usage = UsageLog(db, interval=3600)
    gc.collect()
    rss0 = status("VmRSS")
    gaps, writes, done = [0.0], [0.0], asyncio.Event()

    async def ticker():
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            gaps.append(time.perf_counter() - t - 0.005)

    async def writer():
        while not done.is_set():
            usage.record(UsageRecord(time.time(), "command", "fact", None, "answered", 1.0, 1, 2, "h", "en-US"))
            t = time.perf_counter()
            await usage.flush()
            writes.append(time.perf_counter() - t)
            await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(ticker()), asyncio.create_task(writer())]
    await asyncio.sleep(0.1)
    t = time.perf_counter()
    summary = await summarise(db, 90, guild_id=1)
    elapsed = time.perf_counter() - t
    await asyncio.sleep(0.1)
    done.set()
    await asyncio.gather(*tasks)
    await db.close()
    gc.collect()
    print(json.dumps({"seconds": elapsed, "peak_mb": status("VmHWM") - rss0, "kept_mb": status("VmRSS") - rss0,
                      "loop_blocked_s": max(gaps), "longest_write_s": max(writes), "total": summary.total,
                      "p95": summary.p95_ms}))

asyncio.run(main())
"""


def measure(path: Path, variant: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), variant, str(ROOT)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: int, variant: str, m: dict) -> str:
    return (
        f"/stats days:90 at {rows:,} rows ({variant}): {m['seconds']:.2f} s, peak memory +{m['peak_mb']:.0f} MB "
        f"(+{m['kept_mb']:.0f} MB kept after), event loop blocked at most {m['loop_blocked_s'] * 1000:.0f} ms, "
        f"a usage write waited at most {m['longest_write_s'] * 1000:.0f} ms; {m['total']:,} interactions counted"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--guilds", type=int, default=1, help="servers the rows are spread over (/stats shows one)")
    parser.add_argument("--reference", action="store_true", help="also run the computation from before #13.6")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bot.db"
        t = time.perf_counter()
        fill(path, args.rows, args.guilds, time.time())
        print(f"filled {args.rows:,} rows in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        variants = (["reference"] if args.reference else []) + ["sql"]
        for variant in variants:
            print(report(args.rows, variant, measure(path, variant)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
