"""The Discord layer under load, through the real discord.py client and the tests' fake Discord (loopback);
prints figures, never fails on a target.

    .venv/bin/python bench/discord_load.py [--commands 6000] [--bursts 2500,4000]

- memory: N commands (a third with page buttons, a third with a link menu), 100 at a time; then the bot's
  pending tasks, live Interaction and View objects, page-store entries, discord.py's stored views, and the
  process's resident memory (the fake's own records are pruned as it goes, so the growth is the bot's);
- expiry: 200 answers with buttons and a 1-second page timeout; how many messages still have buttons after it;
- bursts: K commands sent within milliseconds; answered, shed as late (not attempted), callback attempts,
  404s, double acknowledgements, logged tracebacks, usage rows, and the answer latency (median, p99).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.tracebacks = 0
        self.warnings = 0
        self.errors = 0
        self.messages: list[str] = []
        self.kinds: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.tracebacks += 1
            self.kinds[type(record.exc_info[1]).__name__] = self.kinds.get(type(record.exc_info[1]).__name__, 0) + 1
        if record.levelno == logging.WARNING:
            self.warnings += 1
        if record.levelno >= logging.ERROR:
            self.errors += 1
        if record.levelno >= logging.WARNING and len(self.messages) < 5:
            self.messages.append(record.getMessage()[:160])


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bot_tasks() -> int:
    n = 0
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and ("/alliance_bot/" in code.co_filename or "/discord/" in code.co_filename):
            n += 1
    return n


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kind))


@contextlib.asynccontextmanager
async def running_bot() -> AsyncIterator[tuple[Any, Any, Any, Any]]:
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
                usage = UsageLog(db, max_queue=100_000)
                usage.start()
                bot = AllianceBot(store=store, db=db, usage=usage, hash_key=b"k", guild_ready_timeout=0.05)
                disable_identify_delay(bot)
                task = asyncio.create_task(bot.start("MTA.fake.token"))
                await fake.wait_for_ready(1)
                await bot.wait_until_ready()
                await bot.tree.sync()
                fake.clear()
                try:
                    yield fake, bot, usage, db
                finally:
                    await bot.close()
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(task, 10)
                    await usage.close()
                    await db.close()


COMMANDS = [
    ("source", {"source": "detrani-2025"}),
    ("treaty", {"name": "mdt"}),
    ("fact", {"query": "how many us troops are in korea"}),
]


async def memory(n: int) -> None:
    import discord

    async with running_bot() as (fake, bot, usage, _db):
        gc.collect()
        before = rss_mb(), bot_tasks(), live(discord.Interaction)
        t = time.perf_counter()
        for start in range(0, n, 100):
            payloads = [fake.command(*COMMANDS[i % 3]) for i in range(start, min(n, start + 100))]
            await asyncio.gather(*(fake.send_interaction(p) for p in payloads))
            for p in payloads:
                await fake.wait_for_callback(p, timeout=30)
            fake.clear()  # the fake's own records: keep them from counting as the bot's memory
            fake.interactions.clear()
            fake.messages.clear()
            for session in fake._sessions.values():
                session.events.clear()  # kept for RESUME replay
        elapsed = time.perf_counter() - t
        await usage.flush()
        gc.collect()
        views = len(bot._connection._view_store.persistent_views)
        print(f"memory: {n} commands in {elapsed:.1f} s")
        print(f"  bot tasks pending      {before[1]:>6} -> {bot_tasks()}")
        print(f"  live Interactions      {before[2]:>6} -> {live(discord.Interaction)}")
        print(f"  live Views             {'':>6}    {live(discord.ui.View)} (in discord.py's view store: {views})")
        print(f"  page-store entries     {'':>6}    {len(bot.pages._entries)} (cap {bot.pages.max_entries})")
        print(f"  resident memory (MB)   {before[0]:>6.0f} -> {rss_mb():.0f}")


async def expiry() -> None:
    async with running_bot() as (fake, bot, _usage, _db):
        bot.pages.timeout = 1.0
        payloads = [fake.command(*COMMANDS[i % 2]) for i in range(200)]
        await asyncio.gather(*(fake.send_interaction(p) for p in payloads))
        for p in payloads:
            await fake.wait_for_callback(p, timeout=30)
        await asyncio.sleep(3.0)
        with_buttons = sum(1 for p in payloads if (fake.original_message(p) or {}).get("components"))
        edits = sum(1 for r in fake.requests if r.method == "PATCH" and "/webhooks/" in r.path and r.ok)
        print(
            f"expiry: 200 answers with buttons, timeout 1 s; 2 s after expiry {with_buttons} still have buttons, "
            f"{edits} edits removed them"
        )


async def burst(k: int) -> None:
    async with running_bot() as (fake, _bot, usage, db):
        counter = Counter()
        logging.getLogger().addHandler(counter)
        logging.getLogger().setLevel(logging.INFO)
        for name in ("discord", "aiohttp"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            payloads = [fake.command("fact", {"query": "how many us troops are in korea"}) for _ in range(k)]
            t = time.perf_counter()
            await asyncio.gather(*(fake.send_interaction(p) for p in payloads))
            sent_ms = (time.perf_counter() - t) * 1000
            deadline = time.monotonic() + 60
            rows = 0
            while time.monotonic() < deadline:
                await usage.flush()
                rows = await db.scalar("SELECT count(*) FROM usage")
                if rows >= k:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # late error replies, if any
            callbacks = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/callback")]
            answered = {r.path for r in callbacks if r.ok}
            created = {str(p["id"]): fake.interactions[int(p["id"])].created for p in payloads}
            latency = sorted((r.time - created[r.path.split("/")[2]]) * 1000 for r in callbacks if r.ok)
            not_found = sum(1 for r in callbacks if r.status == 404)
            double = sum(1 for r in callbacks if r.status == 400 and (r.response or {}).get("code") == 40060)
            outcomes = dict(await db.fetchall("SELECT outcome, count(*) FROM usage GROUP BY outcome"))
            p50 = statistics.median(latency) if latency else float("nan")
            p99 = latency[min(len(latency) - 1, int(0.99 * (len(latency) - 1)))] if latency else float("nan")
            print(
                f"burst of {k} (sent in {sent_ms:.0f} ms): answered {len(answered)}, callback attempts "
                f"{len(callbacks)}, 404s {not_found}, double acks {double}, usage rows {rows} {outcomes}, "
                f"latency median {p50:.0f} ms p99 {p99:.0f} ms; log: {counter.tracebacks} tracebacks, "
                f"{counter.warnings} warnings, {counter.errors} errors {counter.kinds or ''}"
            )
            for m in counter.messages[:3]:
                print(f"    e.g. {m}")
        finally:
            logging.getLogger().removeHandler(counter)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commands", type=int, default=6000)
    ap.add_argument("--bursts", default="2500,4000")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: memory,expiry,bursts")
    args = ap.parse_args()
    import alliance_bot

    print(f"alliance_bot from {Path(alliance_bot.__file__).parent}")
    skip = set(args.skip.split(","))
    if "memory" not in skip:
        await memory(args.commands)
    if "expiry" not in skip:
        await expiry()
    if "bursts" not in skip:
        for k in (int(x) for x in args.bursts.split(",") if x):
            await burst(k)


if __name__ == "__main__":
    asyncio.run(main())
