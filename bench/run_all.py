"""Every benchmark in one run; prints a table of figures (never fails on a target).

    .venv/bin/python bench/run_all.py [--quick]

- core answer times (today, treaty, fact, viewpoints, autocomplete): median and p99, on the shipped
  digest and on a synthetic one 100 times larger (bench/synth.py);
- interaction round trip through the real discord.py client and the tests' fake Discord on loopback,
  from the INTERACTION_CREATE frame sent to the callback request received, with usage logging on;
- start-up (process start to ready to answer) and peak resident memory, shipped and 100x: a first
  start (no content cache yet), a restart, a restart after one file changed, and with the cache off;
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

FACT_QUERIES = [
    "how many us troops are in korea",
    "armistise date",
    "cheonan",
    "korean war american deaths",
    "KORUS trade 2024",
    "operational control peacetime",
    "thaad location",
    "five billion dollar demand",
    "who wrote the essay",
    "mutual defense treaty signing date",
]
TREATY_QUERIES = [
    "mdt",
    "mutual defence treaty",
    "korus",
    "1953 treaty",
    "armistace",
    "sma",
    "taft katsura",
    "thearmistice",
    "burden charing",
]
TOPIC_QUERIES = ["cost sharing", "peace agreement", "opcon", "japan", "troops"]
DAYS = ["07-27", "06-25", "10-01", "01-02", "March 1", "27 July"]
PREFIXES = ["", "m", "mut", "kor", "armi", "19", "zz", "cost", "jul"]


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
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


def startup_and_memory(content: Path, cache_dir: Path | None) -> tuple[float, float]:
    """Wall time of a fresh process that starts as `alliance-bot run` does (import, load, validate, index,
    content cache `cache_dir`, none if None) and answers once; and its peak RSS in MB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec
    probe = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from alliance_bot.digest.cache import ContentCache\n"
        "from alliance_bot.library import ContentStore\n"
        "cache = ContentCache(Path(sys.argv[2])) if sys.argv[2] else None\n"
        "s = ContentStore(sys.argv[1], cache=cache); r = s.load(freeze=True); assert r.ok, r.problems[:3]\n"
        "s.answers.fact('troops')\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(json.dumps({'rss_mb': int(hwm) / 1024}))\n"
    )
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, str(content), str(cache_dir or "")], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - t
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])["rss_mb"]


def startup_cases(content: Path, runs: int, scratch: Path) -> dict[str, tuple[float, float, float]]:
    """Per case, median and worst start-up (s) and peak RSS (MB) over `runs` fresh processes:
    - first start: no cache yet (it is written);
    - restart: every file in the cache (the usual case);
    - one file edited: the largest file changed since the cache was written;
    - no cache: the cache turned off (ALLIANCE_BOT_CACHE_DIR=off)."""
    import shutil

    copy = scratch / f"content-{content.name}"
    shutil.copytree(content, copy)
    cache = scratch / f"cache-{content.name}"
    largest = max(copy.rglob("*.yaml"), key=lambda p: p.stat().st_size)
    original = largest.read_bytes()
    samples: dict[str, list[tuple[float, float]]] = {
        "first start": [],
        "restart": [],
        "one file edited": [],
        "no cache": [],
    }
    for i in range(runs):
        shutil.rmtree(cache, ignore_errors=True)
        samples["first start"].append(startup_and_memory(copy, cache))
        samples["restart"].append(startup_and_memory(copy, cache))
        largest.write_bytes(b"# edit %d\n" % i + original)  # new bytes: its cache entry no longer applies
        samples["one file edited"].append(startup_and_memory(copy, cache))
        largest.write_bytes(original)
        samples["no cache"].append(startup_and_memory(copy, None))
    return {
        case: (statistics.median(t for t, _ in pairs), max(t for t, _ in pairs), max(m for _, m in pairs))
        for case, pairs in samples.items()
    }


async def round_trip(n: int) -> tuple[float, float]:
    import shutil

    from alliance_bot.discord_ui.bot import AllianceBot
    from alliance_bot.library import ContentStore
    from alliance_bot.storage.db import Database
    from alliance_bot.storage.usage import UsageLog
    from fakediscord import FakeDiscord, disable_identify_delay

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
                await bot.wait_until_ready()
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
            usage.record(
                UsageRecord(
                    time.time(),
                    "command",
                    "fact",
                    '{"query": "troops"}',
                    "answered",
                    1.5,
                    1,
                    2,
                    "0123456789abcdef0123",
                    "en-US",
                )
            )
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
        print(f"{'digest':<9}{'case':<17}{'median s':>9}{'worst s':>9}{'peak RSS MB':>13}")
        for label, content, runs in (
            ("shipped", ROOT / "content", 2 if args.quick else 5),
            ("100x", big, 1 if args.quick else 3),
        ):
            for case, (med, worst, rss) in startup_cases(content, runs, Path(tmp)).items():
                print(f"{label:<9}{case:<17}{med:>9.2f}{worst:>9.2f}{rss:>13.0f}")
    print("\n== interaction round trip (fake Discord on loopback, usage logging on) ==")
    med, p99 = asyncio.run(round_trip(100 if args.quick else 500))
    print(f"median {med:.2f} ms, p99 {p99:.2f} ms")
    print("\n== usage logging (SQLite, WAL, batched) ==")
    rate, pending, interval = asyncio.run(usage_throughput(50_000 if args.quick else 200_000))
    print(
        f"{rate:,.0f} rows/s sustained; at most {pending:,} rows buffered at once; "
        f"a kill loses at most the rows of the last {interval:.0f} s (one flush interval)"
    )
    print("\n== search quality ==")
    import search_quality

    search_quality.main([])  # every question set, tuning and held-out parts apart
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
