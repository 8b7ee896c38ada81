"""The `alliance-bot` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from alliance_bot.library import ContentStore
    from alliance_bot.settings import Settings

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _cmd_content_check(args: argparse.Namespace) -> int:
    from alliance_bot.digest.files import shown
    from alliance_bot.digest.loader import load_digest
    from alliance_bot.settings import configured_cache, default_content_dir

    root = Path(args.dir) if args.dir else default_content_dir()
    result = load_digest(root, configured_cache())
    if result.ok:
        assert result.digest is not None
        print(f"{shown(root)}: ok: {result.digest.summary_line()}")
        return EXIT_OK
    for problem in result.problems:
        print(problem.opened_from(root.parent))
    n = len(result.problems)
    sys.stdout.flush()  # the problems before the summary, also when both go to one terminal or file
    print(f"{shown(root)}: {n} problem{'s' if n != 1 else ''} found; fix them and check again", file=sys.stderr)
    return EXIT_PROBLEMS


def _cmd_content_schema(args: argparse.Namespace) -> int:
    from alliance_bot.digest.model import content_json_schema

    text = content_json_schema()
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_content_update(args: argparse.Namespace) -> int:
    import asyncio

    from alliance_bot.updates.commands import run

    settings = _settings()
    return asyncio.run(run(args, settings, _load_store(settings)))


def _settings() -> Settings:
    """The settings, or exit with one line naming the setting."""
    from alliance_bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _load_store(settings: Settings, *, serving: bool = False) -> ContentStore:
    """The content, loaded and checked, or exit listing the problems."""
    from alliance_bot.library import ContentStore

    store = ContentStore(settings.content_dir, timezone=settings.timezone, cache=settings.content_cache())
    result = store.load(freeze=serving)
    if not result.ok:
        from alliance_bot.digest.files import shown

        for problem in result.problems:
            print(problem.opened_from(settings.content_dir.parent), file=sys.stderr)
        print(
            f"alliance-bot: the content in {shown(settings.content_dir)} has {len(result.problems)} problem(s); "
            f"fix them (alliance-bot content check {shown(settings.content_dir)}) and start again",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_PROBLEMS)
    return store


def _cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import sqlite3

    from alliance_bot.logsetup import setup_logging
    from alliance_bot.runner import offline_demo, run_bot
    from alliance_bot.settings import SettingsError
    from alliance_bot.shards import ShardError, Shards
    from alliance_bot.storage.db import DatabaseError, describe_error

    settings = _settings()
    try:
        shards = Shards.from_options(args.shard_count, args.shard_ids)
    except ShardError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if shards.sharded and not shards.all_here and not settings.is_postgres:
        print(
            "alliance-bot: --shard-ids with only some of the shards means several processes, and they need one "
            "shared database: set ALLIANCE_BOT_DB to a postgresql:// URL (SQLite is one process per file)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    setup_logging(settings.log_level, settings.log_format)
    if Path(settings.db).is_file():
        asyncio.run(_finish_content_changes(settings))
    store = _load_store(settings, serving=True)
    if settings.token is None and not args.require_token:
        offline_demo(store)
        return EXIT_OK
    try:
        token = settings.require_token()
    except SettingsError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(run_bot(settings, token, store=store, shards=shards))
    except DatabaseError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except sqlite3.Error as exc:  # a damaged page the start-up check did not reach, read later
        print(f"alliance-bot: {describe_error(settings.db_display, exc)}", file=sys.stderr)
        return EXIT_PROBLEMS
    except Exception as exc:
        from alliance_bot.discord_ui.sync import login_problem

        problem = login_problem(exc)
        if problem is None:
            raise
        print(f"alliance-bot: {problem}", file=sys.stderr)
        return EXIT_USAGE


async def _finish_content_changes(settings: Settings) -> None:
    """A content change a crash left half-written is finished before the content is loaded (updates/service.py)."""
    import logging

    from alliance_bot.storage.db import Database, DatabaseError
    from alliance_bot.updates.service import finish_interrupted

    try:
        db = await Database.open(settings.db, lock=False, migrate=False)
    except DatabaseError:
        return  # said when the bot opens it
    try:
        if await db.check_version() >= 7:  # the journal is migration 7
            await finish_interrupted(db, Path(settings.content_dir))
    except Exception:  # a start must not fail here: the load says what is wrong with the files
        logging.getLogger("alliance_bot").exception("could not finish the content changes a crash interrupted")
    finally:
        await db.close()


def _cmd_sync(args: argparse.Namespace) -> int:
    import asyncio

    from alliance_bot.logsetup import setup_logging
    from alliance_bot.settings import SettingsError

    settings = _settings()
    setup_logging(settings.log_level, settings.log_format)
    store = _load_store(settings)
    try:
        token = settings.require_token()
    except SettingsError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from alliance_bot.discord_ui.sync import sync_commands

    guild = args.guild if args.guild is not None else (settings.dev_guild if args.dev else None)
    return asyncio.run(sync_commands(settings, token, store, guild, force=args.force))


def _cmd_stats(args: argparse.Namespace) -> int:
    import asyncio

    settings = _settings()
    return asyncio.run(_stats(settings, args))


async def _stats(settings: Settings, args: argparse.Namespace) -> int:
    from alliance_bot.present.text import stats_json, stats_text
    from alliance_bot.storage.backends import open_database_readonly
    from alliance_bot.storage.db import DatabaseError
    from alliance_bot.storage.usage import StatsTooSlow, export_csv, summarise

    if not settings.is_postgres and not Path(settings.db).exists():  # noqa: ASYNC240 - the CLI's own loop, before anything runs on it
        print(
            f"alliance-bot: no usage yet: there is no database at {settings.db}. The bot creates it the first time "
            "it runs connected to Discord (`alliance-bot run` with DISCORD_TOKEN set) and logs every interaction "
            "there; if the bot already runs elsewhere, point ALLIANCE_BOT_DB at its database",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    try:
        db = await open_database_readonly(settings.db)
    except DatabaseError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        if args.stats_action == "export":
            sys.stdout.write(await export_csv(db, args.days))
            return EXIT_OK
        try:
            summary = await summarise(db, args.days)
        except StatsTooSlow as exc:
            print(f"alliance-bot: {exc} (--days)", file=sys.stderr)
            return EXIT_PROBLEMS
        if args.json:
            from alliance_bot.termio import write_json

            write_json(stats_json(summary))
        else:
            sys.stdout.write(stats_text(summary))
        if args.chart:
            from alliance_bot.ask import write_picture
            from alliance_bot.present.pictures.charts import render_usage_png

            return write_picture(render_usage_png(summary), Path(args.chart))
        return EXIT_OK
    finally:
        await db.close()


def _cmd_anniversaries_post(args: argparse.Namespace) -> int:
    import asyncio

    settings = _settings()
    store = _load_store(settings)
    return asyncio.run(post_anniversaries(settings, store, args.webhook, args.date, dry_run=args.dry_run))


async def post_anniversaries(
    settings: Settings,
    store: ContentStore,
    webhook: str,
    date: str | None,
    *,
    dry_run: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """The day's anniversary post through a webhook, for cron: the same ledger as the bot, so never twice.

    `transport` (an httpx transport) is for tests only: a function argument, never a setting or an option."""
    import datetime as dt
    import time

    import httpx

    from alliance_bot.anniversaries.ledger import AnniversaryStore, target_for
    from alliance_bot.anniversaries.rules import items_on
    from alliance_bot.anniversaries.webhook import (
        DeliveryError,
        InvalidWebhook,
        WebhookSender,
        mask,
        validate_webhook_url,
    )
    from alliance_bot.answers.errors import InvalidInput
    from alliance_bot.answers.userdates import parse_day
    from alliance_bot.answers.zones import load_zone
    from alliance_bot.present.embed_anniversaries import render_anniversary_post
    from alliance_bot.storage.backends import open_database
    from alliance_bot.storage.db import DatabaseError

    try:
        url = validate_webhook_url(webhook)
    except InvalidWebhook as exc:
        print(f"alliance-bot: --webhook: {exc}", file=sys.stderr)
        return EXIT_USAGE
    today = dt.datetime.now(dt.UTC).astimezone(load_zone(settings.timezone)).date()
    if date:
        try:
            q = parse_day(date)
        except InvalidInput as exc:
            print(f"alliance-bot: --date: {exc.message}", file=sys.stderr)
            return EXIT_USAGE
        try:
            day = dt.date(q.year or today.year, q.month, q.day)
        except ValueError:
            print(f"alliance-bot: --date: {q.year or today.year} has no February 29", file=sys.stderr)
            return EXIT_USAGE
    else:
        day = today
    items = items_on(store.current.digest, day)
    if not items:
        print(f"no anniversary on {day:%B} {day.day}: nothing to post")
        return EXIT_OK
    payload = render_anniversary_post(items, day)
    if dry_run:
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    try:
        db = await open_database(settings.db, lock=False)
    except DatabaseError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        ledger = AnniversaryStore(db)
        target = target_for(None, url)
        ids = [i.event.id for i in items]
        won = await ledger.claim(target, None, day, ids, None, time.time(), retry_failed=True)
        if not won:
            states = sorted(set((await ledger.status_of(target, day)).values()))
            print(f"nothing sent: the post to {mask(url)} for {day} is already {', '.join(states)}")
            return EXIT_OK
        try:
            payload = render_anniversary_post([i for i in items if i.event.id in won], day)
            async with httpx.AsyncClient(headers={"User-Agent": "alliance-bot (cron)"}, transport=transport) as client:
                result = await WebhookSender(client).send(url, payload)
        except Exception as exc:
            reason = exc.reason if isinstance(exc, DeliveryError) else f"unexpected error ({type(exc).__name__})"
            await ledger.fail(target, day, won, reason, time.time())
            print(f"alliance-bot: posting to {mask(url)} failed: {reason}", file=sys.stderr)
            return EXIT_PROBLEMS
        await ledger.complete(target, day, won, result.message_id, time.time())
        print(f"posted {len(won)} anniversar{'y' if len(won) == 1 else 'ies'} for {day} to {mask(url)}")
        return EXIT_OK
    finally:
        await db.close()


def _cmd_doctor(args: argparse.Namespace) -> int:
    from alliance_bot.ops import doctor

    checks = doctor(offline_ok=args.offline)
    for check in checks:
        print(check.line())
    failed = [c for c in checks if not c.ok]
    warned = [c for c in checks if c.ok and c.warn]
    passed = len(checks) - len(failed) - len(warned)
    summary = f"{passed}/{len(checks)} checks passed"
    if warned:
        summary += f", {len(warned)} warning{'s' if len(warned) != 1 else ''} (see the warn lines)"
    print(summary + ("" if not failed else "; fix the FAIL lines"))
    return EXIT_PROBLEMS if failed else EXIT_OK


def _cmd_health(args: argparse.Namespace) -> int:
    from alliance_bot.ops import health

    settings = _settings()
    ok, message = health(
        Path(settings.db) if not settings.is_postgres else None, args.max_age, heartbeat=settings.heartbeat_file
    )
    print(message, file=sys.stdout if ok else sys.stderr)
    return EXIT_OK if ok else EXIT_PROBLEMS


def _cmd_db_backup(args: argparse.Namespace) -> int:
    from alliance_bot.ops import backup

    settings = _settings()
    try:
        if settings.is_postgres:
            from alliance_bot.ops import backup_postgres

            version = backup_postgres(str(settings.db), Path(args.path))
        else:
            version, _ = backup(Path(settings.db), Path(args.path))
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"alliance-bot: backup failed: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except Exception as exc:  # sqlite3 errors
        print(f"alliance-bot: backup failed: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"backed up {settings.db_display} to {args.path} (schema version {version}, integrity ok)")
    return EXIT_OK


def _cmd_db_migrate(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from alliance_bot.storage.db import DatabaseError
    from alliance_bot.storage.move import migrate_file
    from alliance_bot.storage.pgurl import check_url, is_postgres_url, mask_url

    settings = _settings()
    source = Path(args.source) if args.source else None
    if source is None:
        if settings.is_postgres:
            print(
                "alliance-bot: ALLIANCE_BOT_DB is already PostgreSQL: give the SQLite file with --from", file=sys.stderr
            )
            return EXIT_USAGE
        source = Path(settings.db)
    problem = None if is_postgres_url(args.to) else "--to must be a postgresql:// URL"
    problem = problem or check_url(args.to)
    if problem:
        print(f"alliance-bot: --to: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if not source.is_file():
        print(f"alliance-bot: there is no SQLite database at {source} to copy", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        copies = asyncio.run(migrate_file(source, args.to))
    except DatabaseError as exc:
        print(f"alliance-bot: db migrate: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    ok = all(c.verified for c in copies)
    if args.json:
        print(json.dumps({"from": str(source), "to": mask_url(args.to), "verified": ok,
                          "tables": [c.__dict__ for c in copies]}, indent=2))  # fmt: skip
    else:
        for c in copies:
            state = "verified" if c.verified else "DIFFERS"
            extra = f", {c.extra} more rows there already" if c.extra else ""
            print(f"{c.table}: {c.source_rows} rows, {c.copied} copied now{extra}, checksum {c.checksum}: {state}")
        print(
            f"copied {source} to {mask_url(args.to)}: "
            + ("every table verified (counts and checksums)" if ok else "verification FAILED")
        )
    if not ok:
        print(
            "alliance-bot: db migrate: some rows in PostgreSQL differ from the file's (changed there since an "
            "earlier copy?): the tables marked DIFFERS; nothing was overwritten",
            file=sys.stderr,
        )
    return EXIT_OK if ok else EXIT_PROBLEMS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alliance-bot",
        description="A Discord bot on the history and debates of the US–ROK alliance, and its offline tools.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    content = sub.add_parser("content", help="check the content files, write their JSON Schema, change them")
    content_sub = content.add_subparsers(dest="content_command", metavar="ACTION")
    content_sub.required = True
    check = content_sub.add_parser("check", help="validate every content file and report all problems")
    check.add_argument("dir", nargs="?", help="content folder (default: ./content or ALLIANCE_BOT_CONTENT_DIR)")
    check.set_defaults(func=_cmd_content_check)
    schema = content_sub.add_parser("schema", help="write a JSON Schema of the content files for YAML editors")
    schema.add_argument("-o", "--output", help="file to write (default: standard output)")
    schema.set_defaults(func=_cmd_content_schema)
    from alliance_bot.updates.commands import add_parsers as add_update_parsers

    add_update_parsers(content_sub, _cmd_content_update)  # propose, proposals, apply, cancel, history, rollback

    run = sub.add_parser("run", help="run the bot (without DISCORD_TOKEN: show the offline answers and exit)")
    run.add_argument("--require-token", action="store_true", help="fail instead of the offline demo without a token")
    run.add_argument(
        "--shard-count", type=int, default=None, metavar="N", help="the total number of shards over every process"
    )
    run.add_argument(
        "--shard-ids",
        default=None,
        metavar="IDS",
        help="the shards this process runs: 0-3, or 0,2 (needs --shard-count)",
    )
    run.set_defaults(func=_cmd_run)

    sync = sub.add_parser("sync", help="register the slash commands with Discord (skipped when unchanged)")
    sync.add_argument("--guild", type=int, metavar="ID", help="register in one server (instant) instead of globally")
    sync.add_argument("--dev", action="store_true", help="use ALLIANCE_BOT_DEV_GUILD as --guild")
    sync.add_argument("--force", action="store_true", help="send even when nothing changed")
    sync.set_defaults(func=_cmd_sync)

    stats = sub.add_parser("stats", help="usage statistics from the database")
    stats.add_argument("stats_action", nargs="?", choices=["export"], help="export: all rows as CSV")
    stats.add_argument("--days", type=int, default=7, help="how many days back (default 7)")
    stats.add_argument("--json", action="store_true", help="machine-readable summary")
    stats.add_argument(
        "--chart", metavar="PNG", help="also draw the usage charts (as /stats shows them) into this file"
    )
    stats.add_argument("--csv", action="store_true", help="with export: CSV (the only export format)")
    stats.set_defaults(func=_cmd_stats)

    doc = sub.add_parser("doctor", help="check settings, token, content, database, time zones; one line each")
    doc.add_argument("--offline", action="store_true", help="a missing token is a warning, not a failure")
    doc.set_defaults(func=_cmd_doctor)

    hl = sub.add_parser("health", help="exit 0 when the running bot's heartbeat is fresh (container health check)")
    hl.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
    hl.set_defaults(func=_cmd_health)

    dbp = sub.add_parser("db", help="database maintenance")
    db_sub = dbp.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    bk = db_sub.add_parser("backup", help="a consistent copy of the live database (safe while the bot runs)")
    bk.add_argument("path", help="where to write the copy")
    bk.set_defaults(func=_cmd_db_backup)
    mg = db_sub.add_parser(
        "migrate", help="copy a SQLite database into PostgreSQL (idempotent, verified); stop the bot first"
    )
    mg.add_argument("--to", required=True, metavar="URL", help="the PostgreSQL database: postgresql://USER:PW@HOST/DB")
    mg.add_argument(
        "--from", dest="source", default=None, metavar="PATH", help="the SQLite file (default: ALLIANCE_BOT_DB)"
    )
    mg.add_argument("--json", action="store_true", help="the report as JSON")
    mg.set_defaults(func=_cmd_db_migrate)

    ann = sub.add_parser("anniversaries", help="anniversary posts from the command line (for cron)")
    ann_sub = ann.add_subparsers(dest="ann_command", metavar="ACTION")
    ann_sub.required = True
    post = ann_sub.add_parser("post", help="make the day's anniversary post through a Discord webhook")
    post.add_argument("--webhook", required=True, metavar="URL", help="https://discord.com/api/webhooks/ID/TOKEN")
    post.add_argument("--date", help="the day (default: today in ALLIANCE_BOT_TIMEZONE)")
    post.add_argument("--dry-run", action="store_true", help="print the post as JSON; send and record nothing")
    post.set_defaults(func=_cmd_anniversaries_post)

    from alliance_bot.ask import add_ask_parser

    add_ask_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from alliance_bot.termio import safe_output

    safe_output()  # a strict or non-UTF-8 terminal gets escapes, never a UnicodeEncodeError
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `alliance-bot ... | head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
