"""Changing the content from Discord or the command line: propose, apply, roll back, with nothing lost.

An upload (or a rollback) becomes a *proposal*: the whole content set as it would be after the change is checked
in a temporary copy by the digest's own loader, and only a valid one is stored, with its review and the version
of the files it was made on. *Applying* it:

1. claims it in the database (open -> applying: of two applies at once, one wins, the other is told);
2. refuses it, naming the conflict, when the files changed since it was made (never merged);
3. checks the whole set again, then journals the change (the files before and after, status `writing`) before
   touching any file;
4. writes the files atomically (`workspace.write`) and reloads through `ContentStore.reload`, the path
   `/content reload` takes. A write or reload that fails puts the previous files back and reloads them; the
   previous content kept serving throughout (the store swaps only a fully valid library).
5. marks it applied, then commits it to git when the folder is a git work tree (a failed commit is reported,
   the change stays).

A crash between the writes and the reload leaves files that were checked as a whole; a crash in the middle of
the writes leaves a journal row in `writing`, which `recover` (at start, and before every apply) finishes by
writing the journalled files again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from alliance_bot.digest.result import Diff, Problem
from alliance_bot.library import ContentStore
from alliance_bot.storage import content_changes as records
from alliance_bot.storage.content_changes import Change, Files, Proposal
from alliance_bot.storage.db import Database
from alliance_bot.updates import workspace
from alliance_bot.updates.bundle import read_upload
from alliance_bot.updates.workspace import FolderProblem, Review

log = logging.getLogger(__name__)

NOTE_MAX = 300
MAX_OPEN = 50  # open proposals per server (each keeps the files it changes): a flood is refused, not stored
NAME_MAX = 100


class Refused(Exception):
    """A step that cannot be taken; `title` and the message (what to do next) are shown as they are."""

    def __init__(self, title: str, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class Proposed:
    proposal_id: int
    review: Review


@dataclass(frozen=True)
class Applied:
    change_id: int
    proposal: Proposal
    review: Review
    diff: Diff | None
    git_commit: str | None = None
    git_error: str | None = None
    notes: list[str] = field(default_factory=list)


def _hash(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


class ContentUpdates:
    def __init__(self, store: ContentStore, db: Database) -> None:
        self.store = store
        self.db = db
        self._apply_lock = asyncio.Lock()

    @property
    def root(self) -> Path:
        return self.store.root

    # ------------------------------------------------------------------ proposals

    async def propose_upload(
        self,
        *,
        guild_id: int | None,
        author_id: int | None,
        author_name: str,
        note: str | None,
        filename: str,
        data: bytes,
    ) -> Proposed:
        """Check an uploaded file (or zip) as the content would be after it; store it as a proposal when valid.
        Raises workspace's UploadRefused (a bad file) or Refused (problems: nothing is stored)."""
        upload = read_upload(filename, data)
        current = await self._snapshot()
        after = workspace.proposed(current, upload)
        return await self._propose(
            current,
            after,
            guild_id=guild_id,
            author_id=author_id,
            author_name=author_name,
            note=_clean(note, NOTE_MAX) or f"upload of {_clean(filename, 80)}",
            kind="upload",
            skipped=upload.skipped,
        )

    async def propose_rollback(
        self, change_id: int, *, guild_id: int | None, author_id: int | None, author_name: str, note: str | None
    ) -> Proposed:
        """A proposal that puts back the files of change `change_id` as they were before it."""
        change = await records.change(self.db, change_id, guild_id)
        if change is None:
            raise Refused(
                "No such change",
                f"There is no applied change #{change_id} in this server's history; see the history for the ids.",
            )
        if change.status != "applied":
            raise Refused("Not an applied change", f"Change #{change_id} was not applied (it is {change.status}).")
        current = await self._snapshot()
        moved = [p for p, text in change.files_after.items() if _hash(_text(current, p)) != _hash(text)]
        if moved:
            later = [
                c
                for c in await records.applied_since(self.db, change.applied_at)
                if c.id > change.id and set(c.files_after) & set(moved)
            ]
            who = "; ".join(f"change #{c.id} by {c.applied_by} ({c.note})" for c in later[:3])
            raise Refused(
                "Cannot roll back: changed since",
                f"{', '.join(moved[:5])} changed after change #{change_id}"
                + (f" ({who})" if who else " (edited outside the bot)")
                + ". Roll back the later change first, or upload the files you want.",
            )
        after = workspace.apply_files(current, change.files_before)
        note_text = _clean(note, NOTE_MAX) or f"roll back change #{change.id} ({change.note})"
        return await self._propose(
            current,
            after,
            guild_id=guild_id,
            author_id=author_id,
            author_name=author_name,
            note=note_text[:NOTE_MAX],
            kind="rollback",
            rollback_of=change.id,
        )

    async def _propose(
        self,
        current: dict[str, bytes],
        after: dict[str, bytes],
        *,
        guild_id: int | None,
        author_id: int | None,
        author_name: str,
        note: str,
        kind: str,
        skipped: list[str] | None = None,
        rollback_of: int | None = None,
    ) -> Proposed:
        if await records.count_open(self.db, guild_id) >= MAX_OPEN:
            raise Refused(
                "Too many open proposals",
                f"This server has {MAX_OPEN} open proposals; apply or cancel some first. Nothing was stored.",
            )
        before_files, after_files = workspace.changes(current, after)
        if not after_files:
            raise Refused("Nothing to change", "The files are the same as the content folder's; nothing is stored.")
        result = await asyncio.to_thread(workspace.check, self.root, after)
        if not result.ok or result.digest is None:
            raise Refused(
                "Upload not valid",
                "The content as it would be after this upload has problems, so nothing is stored. Fix them and "
                "upload again; `alliance-bot content check` shows the same list.",
                result.problems,
            )
        review = workspace.review(self.store.current.digest, result.digest, before_files, after_files, skipped)
        data = review.to_json()
        data["base"] = {p: _hash(t) for p, t in before_files.items()}
        if rollback_of is not None:
            data["rollback_of"] = rollback_of
        pid = await records.add_proposal(
            self.db,
            guild_id=guild_id,
            author_id=author_id,
            author_name=_clean(author_name, NAME_MAX),
            note=note,
            kind=kind,
            base_version=workspace.files_version(current),
            files=after_files,
            review=data,
        )
        log.info("content proposal #%d (%s) by %s: %s", pid, kind, author_name, review.summary())
        return Proposed(pid, review)

    async def proposal(self, proposal_id: int, guild_id: int | None) -> Proposal:
        p = await records.proposal(self.db, proposal_id, guild_id)
        if p is None:
            raise Refused(
                "No such proposal",
                f"There is no proposal #{proposal_id} in this server; the open ones are listed by the proposals "
                "command.",
            )
        return p

    async def open_proposals(self, guild_id: int | None) -> list[Proposal]:
        return await records.open_proposals(self.db, guild_id)

    async def history(self, guild_id: int | None, limit: int = 20) -> tuple[list[Change], int]:
        """The applied changes (newest first), and how many were made elsewhere (other servers, the CLI)."""
        rows = await records.history(self.db, guild_id, limit)
        elsewhere = await records.changes_elsewhere(self.db, guild_id) if guild_id is not None else 0
        return rows, elsewhere

    async def cancel(self, proposal_id: int, guild_id: int | None, by: str) -> Proposal:
        p = await self.proposal(proposal_id, guild_id)
        if p.status != "open":
            raise Refused("Not open", f"Proposal #{proposal_id} is {p.status}; only an open one can be cancelled.")
        await records.close(self.db, p.id, "cancelled", by=by)
        return p

    # ------------------------------------------------------------------ applying

    def check_may_apply(self, p: Proposal, by_id: int | None, *, require_other: bool) -> None:
        if p.status != "open":
            word = {"applying": "being applied right now", "stale": "out of date"}.get(p.status, p.status)
            raise Refused("Not open", f"Proposal #{p.id} is {word}; only an open proposal can be applied.")
        if require_other and by_id is not None and p.author_id == by_id:
            raise Refused(
                "Another moderator must apply it",
                f"This server requires a second moderator: proposal #{p.id} is yours, so another moderator applies it.",
            )

    async def apply(
        self, proposal_id: int, *, guild_id: int | None, by_id: int | None, by_name: str, require_other: bool = False
    ) -> Applied:
        p = await self.proposal(proposal_id, guild_id)
        self.check_may_apply(p, by_id, require_other=require_other)
        if not await records.claim(self.db, p.id):
            raise Refused(
                "Already being applied",
                f"Proposal #{p.id} was applied (or is being applied) by someone else just now; see the history.",
            )
        by = _clean(by_name, NAME_MAX)
        try:
            async with self._apply_lock:  # one change of the folder at a time in this process
                await self.recover()
                return await self._apply(p, by_id=by_id, by=by)
        finally:
            latest = await records.proposal(self.db, p.id, None)
            if latest is not None and latest.status == "applying":
                await records.close(self.db, p.id, "open", by=by)

    async def _apply(self, p: Proposal, *, by_id: int | None, by: str) -> Applied:
        current = await self._snapshot()
        version = workspace.files_version(current)
        review = Review.from_json(p.review)
        if version != p.base_version:
            await records.close(self.db, p.id, "stale", by=by)
            raise Refused("Proposal out of date", await self._conflict(p, current))
        after = workspace.apply_files(current, p.files)
        result = await asyncio.to_thread(workspace.check, self.root, after)
        if not result.ok:
            raise Refused(
                "Proposal no longer valid",
                f"Checked again, proposal #{p.id} has problems (the checker changed since?); nothing was changed.",
                result.problems,
            )
        before: Files = {path: _text(current, path) for path in p.files}
        rollback_of = p.review.get("rollback_of")
        change_id = await records.start_change(
            self.db,
            guild_id=p.guild_id,
            proposal_id=p.id,
            applied_by_id=by_id,
            applied_by=by,
            note=p.note,
            version_before=version,
            version_after=workspace.files_version(after),
            files_before=before,
            files_after=p.files,
            summary=review.summary(),
            rollback_of=int(rollback_of) if isinstance(rollback_of, int) else None,
        )
        try:
            await asyncio.to_thread(workspace.write, self.root, p.files)
            reloaded = await self.store.reload()
            if not reloaded.ok:
                raise Refused(
                    "Apply failed",
                    "The reload refused the written files, so the previous files were put back and are served.",
                    list(reloaded.problems),
                )
        except BaseException as exc:
            await self._put_back(change_id, before)
            if isinstance(exc, Refused):
                raise
            if isinstance(exc, Exception):
                raise Refused(
                    "Apply failed",
                    f"Writing the files failed ({type(exc).__name__}: {exc}); the previous files were put back "
                    "and the previous content is served. Nothing was lost: the proposal is still open.",
                ) from exc
            raise
        await records.finish_change(self.db, change_id, "applied")
        await records.close(self.db, p.id, "applied", by=by, change_id=change_id)
        log.info("content change #%d applied (proposal #%d by %s): %s", change_id, p.id, by, review.summary())
        commit, git_error = None, None
        try:
            commit = await workspace.git_commit(
                self.root,
                sorted(p.files),
                author=by,
                author_id=by_id,
                message=f"{p.note}\n\nContent change #{change_id} (proposal #{p.id} by {p.author_name}), "
                f"applied by {by} through alliance-bot.",
            )
        except (FolderProblem, OSError) as exc:
            git_error = str(exc)[:300]
            log.warning("content change #%d: %s", change_id, git_error)
        if commit or git_error:
            await records.set_git(self.db, change_id, commit, git_error)
        return Applied(change_id, p, review, reloaded.diff, commit, git_error)

    async def _put_back(self, change_id: int, before: Files) -> None:
        try:
            await asyncio.to_thread(workspace.write, self.root, before)
            await self.store.reload()
            await records.finish_change(self.db, change_id, "undone")
        except Exception:
            # the journal row stays `writing`: recover() finishes the change from it
            log.exception("content change #%d: putting the previous files back failed", change_id)

    async def _conflict(self, p: Proposal, current: dict[str, bytes]) -> str:
        base = p.review.get("base", {})
        moved = [path for path in p.files if base.get(path, "?") != _hash(_text(current, path))]
        later = [c for c in await records.applied_since(self.db, p.created_at) if set(c.files_after) & set(p.files)]
        who = "; ".join(f"change #{c.id} by {c.applied_by}: {c.note}" for c in later[:3])
        what = ", ".join(moved[:5]) if moved else "other content files"
        return (
            f"Proposal #{p.id} was made on an older version of the content: {what} changed since"
            + (f" ({who})" if who else " (edited outside the bot?)")
            + ". It was not applied and is closed; export the current files, make the change again and upload it."
        )

    async def recover(self) -> list[int]:
        """Finish every change a crash left half-written (journal rows in `writing`); reload if any was."""
        done = await finish_interrupted(self.db, self.root)
        if done and self.store.loaded:
            await self.store.reload()
        return done

    async def _snapshot(self) -> dict[str, bytes]:
        try:
            return await asyncio.to_thread(workspace.snapshot, self.root)
        except FolderProblem as exc:
            raise Refused("Content folder unreadable", str(exc)) from None


def _text(files: dict[str, bytes], path: str) -> str | None:
    data = files.get(path)
    return None if data is None else data.decode("utf-8", "replace")


async def finish_interrupted(db: Database, root: Path) -> list[int]:
    """Every change a crash left half-written (journal rows in `writing`), finished by writing its journalled files
    again (they were checked as a whole before the first write); the ids of those finished. At start, before the
    content is loaded (`alliance-bot run`), and before every apply."""
    done = []
    for change in await records.in_progress(db):
        try:
            await asyncio.to_thread(workspace.write, root, change.files_after)
        except (FolderProblem, OSError) as exc:
            log.error("content change #%d could not be finished after a crash: %s", change.id, exc)
            continue
        await records.finish_change(db, change.id, "applied")
        await records.close(db, change.proposal_id, "applied", by=change.applied_by, change_id=change.id)
        log.warning("content change #%d was interrupted (a crash?) and is now finished", change.id)
        done.append(change.id)
    return done
