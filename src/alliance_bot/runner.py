"""Running the bot: explicit lifetimes, opened in one place and closed on the way out.

Content is loaded and validated before connecting; the database is opened with
its lock (one process per database); the usage-log writer and the daily
retention prune start once per process, never from on_ready. SIGTERM and SIGINT
close the bot, flush the usage log and close the database; SIGHUP reloads the
content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from typing import TYPE_CHECKING, Any

from alliance_bot.library import ContentStore
from alliance_bot.settings import Settings
from alliance_bot.shards import Shards
from alliance_bot.storage.backends import open_database
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog

if TYPE_CHECKING:
    import httpx

    from alliance_bot.discord_ui.bot import AllianceBot

log = logging.getLogger(__name__)

HASH_KEY_META = "user_hash_key"


async def user_hash_key(settings: Settings, db: Database) -> bytes:
    if settings.hash_key is not None:
        return settings.hash_key.get_secret_value().encode()
    stored = await db.get_meta(HASH_KEY_META)
    if stored is None:
        # processes starting together on one PostgreSQL database: the first key written is everyone's
        await db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (HASH_KEY_META, secrets.token_hex(32)),
        )
        stored = await db.get_meta(HASH_KEY_META) or ""
        log.info("generated a key for hashing user ids (kept in the database)")
    return stored.encode()


async def retention_loop(usage: UsageLog, days: int, interval: float = 86400.0) -> None:
    while True:
        try:
            removed = await usage.prune(days)
            if removed:
                log.info("usage log retention: removed %d rows older than %d days", removed, days)
        except Exception:
            log.exception("usage log retention failed; will try again")
        await asyncio.sleep(interval)


def build_bot(
    settings: Settings,
    store: ContentStore,
    db: Database,
    usage: UsageLog | None,
    hash_key: bytes,
    http: httpx.AsyncClient | None,
    *,
    schedule: bool = True,
    shards: Shards | None = None,
    **client_options: Any,
) -> AllianceBot:
    """The bot with all its cogs; `schedule=False` registers the commands without starting the scheduler (sync)."""
    import datetime as dt

    from alliance_bot.anniversaries.ledger import AnniversaryStore
    from alliance_bot.anniversaries.scheduler import Scheduler
    from alliance_bot.anniversaries.webhook import WebhookSender
    from alliance_bot.discord_ui.bot import AllianceBot
    from alliance_bot.discord_ui.cogs.anniversaries import AnniversariesCog, make_deliverer
    from alliance_bot.updates.service import ContentUpdates

    bot_class: type[AllianceBot] = AllianceBot
    if shards is not None and shards.sharded:
        from alliance_bot.discord_ui.bot import ShardedAllianceBot

        bot_class = ShardedAllianceBot
        client_options.update(shard_count=shards.count, shard_ids=list(shards.ids or ()))
    bot = bot_class(
        store=store,
        db=db,
        usage=usage,
        hash_key=hash_key,
        moderator_role=settings.moderator_role,
        updates=ContentUpdates(store, db),
        downloads=http,
        **client_options,
    )
    ann_store = AnniversaryStore(db)
    scheduler = Scheduler(
        ann_store,
        store,
        make_deliverer(bot, WebhookSender(http) if http is not None else None),
        grace=dt.timedelta(hours=settings.anniversary_grace_hours),
        owns=shards.owns if shards is not None and shards.sharded else None,
    )
    bot.extra_cogs.append(
        AnniversariesCog(bot, ann_store, scheduler, default_timezone=settings.timezone, start_scheduler=schedule)
    )
    return bot


async def run_bot(
    settings: Settings, token: str, *, store: ContentStore, shards: Shards | None = None, **bot_kwargs: Any
) -> int:
    import httpx

    db = await open_database(settings.db)
    if shards is not None and shards.sharded:
        log.info("running %s on %s", shards.describe(), settings.db_display)
    usage = UsageLog(db)
    tasks: list[asyncio.Task[Any]] = []
    http = httpx.AsyncClient(headers={"User-Agent": "alliance-bot (anniversary posts)"})
    try:
        key = await user_hash_key(settings, db)
        usage.start()
        tasks.append(asyncio.create_task(retention_loop(usage, settings.retention_days), name="retention"))
        bot = build_bot(settings, store, db, usage, key, http, shards=shards, **bot_kwargs)
        if shards is not None and shards.sharded and not shards.all_here:
            from alliance_bot.discord_ui.cogs.anniversaries import AnniversariesCog
            from alliance_bot.shards import liveness_loop

            cog = next(c for c in bot.extra_cogs if isinstance(c, AnniversariesCog))
            tasks.append(
                asyncio.create_task(
                    liveness_loop(
                        db,
                        shards,
                        cog.scheduler,
                        interval=settings.shard_beat_seconds,
                        takeover_after=settings.shard_takeover_seconds,
                    ),
                    name="shard-liveness",
                )
            )
        from alliance_bot.ops import heartbeat_loop

        tasks.append(
            asyncio.create_task(
                heartbeat_loop(
                    db,
                    lambda: bot.is_ready() and bot.gateway_connected,
                    lambda: bot.latency,
                    usage=usage,
                    path=settings.heartbeat_file,
                    shards=shards.describe() if shards is not None else None,
                ),
                name="heartbeat",
            )
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def reload_from_signal() -> None:
            async def go() -> None:
                result = await store.reload()
                d = result.diff
                if result.ok and d is not None:
                    log.info(
                        "content reloaded (SIGHUP): %d added, %d changed, %d removed",
                        len(d.added),
                        len(d.changed),
                        len(d.removed),
                    )
                else:
                    log.error(
                        "content reload (SIGHUP) refused, still serving the last good content: %s",
                        "; ".join(str(p) for p in result.problems[:20]),
                    )

            tasks.append(asyncio.create_task(go(), name="sighup-reload"))

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, reload_from_signal)
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="stop-signal")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                stopper.cancel()
                runner.result()  # raises LoginFailure etc.
            else:
                log.info("shutting down")
                await bot.close()
                await asyncio.wait_for(runner, timeout=10)
        return 0
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(RuntimeError, ValueError):
                asyncio.get_running_loop().remove_signal_handler(sig)
        for task in tasks:
            task.cancel()
        await http.aclose()
        await usage.close()
        await db.close()
        if usage.unwritten or usage.dropped:
            log.error(
                "stopped; usage log NOT flushed: %d rows written, %d could not be written (%s), %d dropped "
                "(queue full): those rows are lost",
                usage.written,
                usage.unwritten,
                usage.failing,
                usage.dropped,
            )
        else:
            log.info("stopped; usage log flushed (%d rows written, %d dropped)", usage.written, usage.dropped)


def offline_demo(store: ContentStore, out: Any = sys.stdout) -> None:
    from alliance_bot.present.text import to_text

    lib = store.current
    out.write("No DISCORD_TOKEN set, so the bot is not connecting to Discord. Here is what it serves:\n\n")
    out.write(f"Content: {lib.digest.summary_line()} (version {lib.digest.version}), all valid.\n\n")
    out.write(to_text(lib.answers.today()))
    out.write("\n" + to_text(lib.answers.fact("how many us troops are in korea")))
    out.write(
        "\nAsk anything offline: alliance-bot ask today|treaty|fact|viewpoints|timeline|source …\n"
        "To go online: set DISCORD_TOKEN (see README, “Running it on Discord”), "
        "run `alliance-bot sync`, then `alliance-bot run`.\n"
    )
