"""`alliance-bot content propose|proposals|apply|cancel|history|rollback`: the operators' side of content changes,
on the same records as the moderators' /content commands (every server's proposals and changes are visible here).

The database is opened without the bot's process lock (SQLite lets the two write in turn), so these work while the
bot runs; a change applied here is served by the running bot after `/content reload` or `kill -HUP`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliance_bot.library import ContentStore
    from alliance_bot.settings import Settings
    from alliance_bot.updates.service import ContentUpdates

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def add_parsers(content_sub: Any, handler: Callable[[argparse.Namespace], int]) -> None:
    """The actions, each run by `handler` (cli.py's: it loads the settings and the content, then calls `run`)."""

    def by(p: argparse.ArgumentParser) -> None:
        p.add_argument("--by", help="your name, as the history and the git commit show it (default: $USER)")

    propose = content_sub.add_parser("propose", help="check a content file or a zip of the folder; store a proposal")
    propose.add_argument("file", help="a .yaml/.yml/.txt file or a .zip of the content folder")
    propose.add_argument("--note", help="what the change does")
    by(propose)
    propose.set_defaults(func=handler, action="propose")

    proposals = content_sub.add_parser("proposals", help="the open content proposals (every server's)")
    proposals.add_argument("--json", action="store_true")
    proposals.set_defaults(func=handler, action="proposals")

    apply = content_sub.add_parser("apply", help="apply a proposal: write the files atomically, keep the old ones")
    apply.add_argument("id", type=int)
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    by(apply)
    apply.set_defaults(func=handler, action="apply")

    cancel = content_sub.add_parser("cancel", help="close an open proposal without applying it")
    cancel.add_argument("id", type=int)
    by(cancel)
    cancel.set_defaults(func=handler, action="cancel")

    history = content_sub.add_parser("history", help="the applied content changes, newest first")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=handler, action="history")

    rollback = content_sub.add_parser("rollback", help="undo an applied change (checked, then confirmed)")
    rollback.add_argument("id", type=int)
    rollback.add_argument("--note")
    rollback.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    by(rollback)
    rollback.set_defaults(func=handler, action="rollback")


def _name(args: argparse.Namespace) -> str:
    if getattr(args, "by", None):
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _confirm(args: argparse.Namespace, question: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print("alliance-bot: not a terminal, so nothing was applied: add --yes to apply", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


async def run(args: argparse.Namespace, settings: Settings, store: ContentStore) -> int:
    from alliance_bot.storage.db import Database, DatabaseError
    from alliance_bot.updates.service import ContentUpdates, Refused

    try:
        db = await Database.open(settings.db, lock=False)
    except DatabaseError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        updates = ContentUpdates(store, db)
        try:
            return await _action(args, updates)
        except Refused as exc:
            print(f"alliance-bot: {exc.title}: {exc.message}", file=sys.stderr)
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return EXIT_PROBLEMS
    finally:
        await db.close()


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _action(args: argparse.Namespace, updates: ContentUpdates) -> int:
    from alliance_bot.present.embed_moderation import review_text
    from alliance_bot.updates.bundle import UploadRefused
    from alliance_bot.updates.workspace import Review

    if args.action == "propose":
        path = Path(args.file)
        try:
            data = await asyncio.to_thread(_read_upload, path)
            proposed = await updates.propose_upload(
                guild_id=None, author_id=None, author_name=_name(args), note=args.note, filename=path.name, data=data
            )
        except OSError as exc:
            print(f"alliance-bot: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        except UploadRefused as exc:
            print(f"alliance-bot: {path.name}: {exc}; nothing was stored", file=sys.stderr)
            return EXIT_PROBLEMS
        print(f"proposal #{proposed.proposal_id} stored; nothing has changed yet\n")
        print(review_text(proposed.review), end="")
        print(f"\napply it: alliance-bot content apply {proposed.proposal_id}")
        return EXIT_OK
    if args.action == "proposals":
        rows = await updates.open_proposals(None)
        if args.json:
            print(json.dumps([_proposal_json(p) for p in rows], ensure_ascii=False, indent=2))
            return EXIT_OK
        if not rows:
            print("no open proposal")
        for p in rows:
            files = ", ".join(str(f) for f in p.review.get("files", []))
            where = "command line" if p.guild_id == 0 else f"server {p.guild_id}"
            print(f"#{p.id}  {_when(p.created_at)}  {p.kind} by {p.author_name} ({where}): {p.note}  [{files}]")
        return EXIT_OK
    if args.action == "history":
        changes, _ = await updates.history(None, args.limit)
        if args.json:
            print(json.dumps([_change_json(c) for c in changes], ensure_ascii=False, indent=2))
            return EXIT_OK
        if not changes:
            print("no change applied yet")
        for c in changes:
            extra = f", rolls back #{c.rollback_of}" if c.rollback_of else ""
            git = (
                f", git {c.git_commit[:10]}"
                if c.git_commit
                else (f", git failed: {c.git_error}" if c.git_error else "")
            )
            print(
                f"#{c.id}  {_when(c.applied_at)}  by {c.applied_by}: {c.note} ({c.summary}{extra}{git})  "
                f"[{', '.join(c.files_after)}]"
            )
        return EXIT_OK
    if args.action == "cancel":
        await updates.cancel(args.id, None, _name(args))
        print(f"proposal #{args.id} cancelled; nothing changed")
        return EXIT_OK
    if args.action == "rollback":
        proposed = await updates.propose_rollback(
            args.id, guild_id=None, author_id=None, author_name=_name(args), note=args.note
        )
        pid = proposed.proposal_id
        print(f"proposal #{pid} rolls back change #{args.id}:\n")
        print(review_text(proposed.review), end="")
    else:
        pid = args.id
        p = await updates.proposal(pid, None)
        updates.check_may_apply(p, None, require_other=False)
        print(f"proposal #{p.id} by {p.author_name}: {p.note}\n")
        print(review_text(Review.from_json(p.review)), end="")
    if not _confirm(args, f"\napply proposal #{pid}?"):
        print(f"not applied; proposal #{pid} stays open")
        return EXIT_PROBLEMS
    applied = await updates.apply(pid, guild_id=None, by_id=None, by_name=_name(args))
    print(f"change #{applied.change_id} applied: {applied.review.summary()}")
    if applied.git_commit:
        print(f"git commit {applied.git_commit[:12]}")
    elif applied.git_error:
        print(f"the change is applied, but the git commit failed: {applied.git_error}", file=sys.stderr)
    print("the running bot serves it after `/content reload` or `kill -HUP <pid>`")
    return EXIT_OK


def _read_upload(path: Path) -> bytes:
    from alliance_bot.updates.bundle import MAX_UPLOAD_BYTES

    with path.open("rb") as f:
        return f.read(MAX_UPLOAD_BYTES + 1)  # one byte more: read_upload says it is too large


def _proposal_json(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "guild_id": p.guild_id,
        "author": p.author_name,
        "note": p.note,
        "kind": p.kind,
        "created_at": p.created_at,
        "status": p.status,
        "files": p.review.get("files", []),
    }


def _change_json(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "guild_id": c.guild_id,
        "proposal_id": c.proposal_id,
        "applied_by": c.applied_by,
        "note": c.note,
        "applied_at": c.applied_at,
        "summary": c.summary,
        "files": list(c.files_after),
        "rollback_of": c.rollback_of,
        "git_commit": c.git_commit,
        "git_error": c.git_error,
    }
