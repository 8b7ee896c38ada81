"""Every benchmark in one run; prints a table of figures (never fails on a target).

    .venv/bin/python bench/run_all.py [--quick]

- core answer times (today, treaty, fact, viewpoints, autocomplete): median and p99, on the shipped
  digest and on a synthetic one 100 times larger (bench/synth.py);
- interaction round trip through the real discord.py client and the tests' fake Discord on loopback,
  from the INTERACTION_CREATE frame sent to the callback request received, with usage logging on;
- start-up (process start to ready to answer) and peak resident memory, shipped and 100x;
- usage-log throughput into SQLite (batched, WAL) and the rows at risk on a kill;
- search quality (top-1/top-3 of `fact`, with the BM25-over-sentences baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

FACT_QUERIES = ["how many us troops are in korea", "armistise date", "cheonan", "korean war american deaths",
                "KORUS trade 2024", "operational control peacetime", "thaad location", "five billion dollar demand",
                "who wrote the essay", "mutual defense treaty signing date"]
TREATY_QUERIES = ["mdt", "mutual defence treaty", "korus", "1953 treaty", "armistace", "sma", "taft katsura"]
TOPIC_QUERIES = ["cost sharing", "peace agreement", "opcon", "japan", "troops"]
DAYS = ["07-27", "06-25", "10-01", "01-02", "March 1", "27 July"]
PREFIXES = ["", "m", "mut", "kor", "armi", "19", "zz", "cost", "jul"]


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
    return statistics.median(samples), p99


def time_calls(fn: Callable[[str], object], inputs: list[str], n: int) -> tuple[float, float]:
    for q in inputs:  # warm caches the way a running bot's would be
        fn(q)
    samples = []
    for i in range(n):
        q = inputs[i % len(inputs)]
        t = time.perf_counter_ns()
        fn(q)
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return percentiles(samples)


def core_times(content: Path, n: int) -> dict[str, tuple[float, float]]:
    from alliance_bot.answers.service import Answers
    from alliance_bot.digest.loader import load_digest

    answers = Answers(load_digest(content).digest)
    return {
        "today": time_calls(answers.today, DAYS, n),
        "treaty": time_calls(answers.treaty, TREATY_QUERIES, n),
        "fact": time_calls(answers.fact, FACT_QUERIES, n),
        "viewpoints": time_calls(answers.viewpoints, TOPIC_QUERIES, n),
        "autocomplete": time_calls(lambda q: [answers.autocomplete(o, q) for o in ("treaty",)], PREFIXES, n),
        "autocomplete (fact)": time_calls(lambda q: answers.autocomplete("fact", q), PREFIXES, n),
    }


def startup_and_memory(content: Path, runs: int) -> tuple[float, float, float]:
    """Wall time of a fresh process that imports, loads, validates, indexes and answers once; its peak RSS."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec
    probe = ("import sys, json\n"
             "from alliance_bot.library import ContentStore\n"
             "s = ContentStore(sys.argv[1]); r = s.load(); assert r.ok, r.problems[:3]\n"
             "s.answers.fact('troops')\n"
             "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
             "print(json.dumps({'rss_mb': int(hwm) / 1024}))\n")
    times, rss = [], []
    for _ in range(runs):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", probe, str(content)], capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t)
        rss.append(json.loads(done.stdout.strip().splitlines()[-1])["rss_mb"])
    return statistics.median(times), max(times), max(rss)


async def round_trip(n: int) -> tuple[float, float]:
    import shutil

    from fakediscord import FakeDiscord, disable_identify_delay

    from alliance_bot.discord_ui.bot import AllianceBot
    from alliance_bot.library import ContentStore
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog

    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(ROOT / "content", content)
        store = ContentStore(content)
        store.load()
        async with FakeDiscord() as fake:
            with fake.patch_discord():
                db = await Database.open(Path(tmp) / "bot.db")
                usage = UsageLog(db)
                usage.start()
                bot = AllianceBot(store=store, db=db, usage=usage, hash_key=b"k", guild_ready_timeout=0.05)
                disable_identify_delay(bot)
                task = asyncio.create_task(bot.start("MTA.fake.token"))
                await fake.wait_for_ready(1)
                while not bot.is_ready():
                    await asyncio.sleep(0.01)
                await bot.tree.sync()
                samples = []
                commands = [("fact", {"query": q}) for q in FACT_QUERIES] + [("today", {"date": d}) for d in DAYS]
                for i in range(n + 20):
                    name, options = commands[i % len(commands)]
                    payload = fake.command(name, options)
                    t = time.perf_counter()
                    await fake.send_interaction(payload)
                    await fake.wait_for_callback(payload)
                    if i >= 20:  # warm-up
                        samples.append((time.perf_counter() - t) * 1000)
                await bot.close()
                await task
                await usage.close()
                rows = await db.scalar("SELECT count(*) FROM usage")
                await db.close()
                assert rows == n + 20, rows
    return percentiles(samples)


async def usage_throughput(total: int) -> tuple[float, int, float]:
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog, UsageRecord

    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bot.db")
        usage = UsageLog(db, max_queue=total + 1)  # the real interval: one flush a second
        usage.start()
        max_pending = 0
        t = time.perf_counter()
        for i in range(total):
            usage.record(UsageRecord(time.time(), "command", "fact", '{"query": "troops"}', "answered", 1.5, 1, 2,
                                     "0123456789abcdef0123", "en-US"))
            if i % 2000 == 0:
                max_pending = max(max_pending, usage.pending)
                await asyncio.sleep(0)
        while usage.pending:
            max_pending = max(max_pending, usage.pending)
            await asyncio.sleep(0.01)
        await usage.flush()
        elapsed = time.perf_counter() - t
        written = await db.scalar("SELECT count(*) FROM usage")
        await usage.close()
        await db.close()
    assert written == total
    return total / elapsed, max_pending, usage.interval


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke run")
    args = parser.parse_args()
    n = 300 if args.quick else 2000
    print(f"machine: {machine()}")
    import synth

    with tempfile.TemporaryDirectory() as tmp:
        big = synth.make(Path(tmp) / "big", 100)
        print("\n== core answer times (ms) ==")
        print(f"{'question':<22}{'shipped median':>16}{'p99':>9}{'100x median':>14}{'p99':>9}")
        shipped = core_times(ROOT / "content", n)
        large = core_times(big, max(200, n // 4))
        for name in shipped:
            s, b = shipped[name], large[name]
            print(f"{name:<22}{s[0]:>16.3f}{s[1]:>9.3f}{b[0]:>14.3f}{b[1]:>9.3f}")
        print("\n== start-up (process start to ready to answer) and peak memory ==")
        for label, content, runs in (("shipped", ROOT / "content", 5), ("100x", big, 2)):
            med, worst, rss = startup_and_memory(content, runs)
            print(f"{label:<10} start-up median {med:.2f} s (worst {worst:.2f} s), peak RSS {rss:.0f} MB")
    print("\n== interaction round trip (fake Discord on loopback, usage logging on) ==")
    med, p99 = asyncio.run(round_trip(100 if args.quick else 500))
    print(f"median {med:.2f} ms, p99 {p99:.2f} ms")
    print("\n== usage logging (SQLite, WAL, batched) ==")
    rate, pending, interval = asyncio.run(usage_throughput(50_000 if args.quick else 200_000))
    print(f"{rate:,.0f} rows/s sustained; at most {pending:,} rows buffered at once; "
          f"a kill loses at most the rows of the last {interval:.0f} s (one flush interval)")
    print("\n== search quality ==")
    import search_quality

    search_quality.main([])
    search_quality.main(["--questions", str(ROOT / "bench" / "holdout_questions.yaml")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
