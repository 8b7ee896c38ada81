"""Content changes made from Discord or the command line (migration 7): proposals, the history of applied changes
(who, when, note, the files before and after), and each server's choices (where the change note goes, whether
another moderator must apply).

Ids are numbers the moderators type (`/content apply 3`): the code gives them (the largest + 1, inside the write
transaction), so the SQL stays portable (no AUTOINCREMENT, no SERIAL). Files are kept as JSON text
`{path: text}` (content files and source texts are UTF-8; `null` is a file that does not exist). A proposal or a
change belongs to the server it was made in (0: the command line); each server sees only its own.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliance_bot.storage.db import Database

Files = dict[str, str | None]  # relative path inside the content folder -> text, or None: absent / removed
CLI_GUILD = 0

_PROPOSAL_COLUMNS = (
    "id, guild_id, author_id, author_name, note, kind, created_at, base_version, status, files, review, "
    "change_id, closed_at, closed_by"
)
_CHANGE_COLUMNS = (
    "id, guild_id, proposal_id, applied_by_id, applied_by, note, applied_at, status, version_before, "
    "version_after, files_before, files_after, summary, rollback_of, git_commit, git_error"
)


@dataclass(frozen=True)
class Proposal:
    id: int
    guild_id: int
    author_id: int | None
    author_name: str
    note: str
    kind: str  # upload | rollback
    created_at: float
    base_version: str
    status: str  # open | applying | applied | stale | cancelled
    files: Files
    review: dict[str, Any]
    change_id: int | None
    closed_at: float | None
    closed_by: str | None

    @classmethod
    def from_row(cls, row: Any) -> Proposal:
        return cls(
            int(row[0]),
            int(row[1]),
            None if row[2] is None else int(row[2]),
            str(row[3]),
            str(row[4]),
            str(row[5]),
            float(row[6]),
            str(row[7]),
            str(row[8]),
            json.loads(row[9]),
            json.loads(row[10]),
            None if row[11] is None else int(row[11]),
            None if row[12] is None else float(row[12]),
            None if row[13] is None else str(row[13]),
        )


@dataclass(frozen=True)
class Change:
    id: int
    guild_id: int
    proposal_id: int
    applied_by_id: int | None
    applied_by: str
    note: str
    applied_at: float
    status: str  # writing | applied | undone
    version_before: str
    version_after: str
    files_before: Files
    files_after: Files
    summary: str
    rollback_of: int | None
    git_commit: str | None
    git_error: str | None

    @classmethod
    def from_row(cls, row: Any) -> Change:
        return cls(
            int(row[0]),
            int(row[1]),
            int(row[2]),
            None if row[3] is None else int(row[3]),
            str(row[4]),
            str(row[5]),
            float(row[6]),
            str(row[7]),
            str(row[8]),
            str(row[9]),
            json.loads(row[10]),
            json.loads(row[11]),
            str(row[12]),
            None if row[13] is None else int(row[13]),
            None if row[14] is None else str(row[14]),
            None if row[15] is None else str(row[15]),
        )


async def add_proposal(
    db: Database,
    *,
    guild_id: int | None,
    author_id: int | None,
    author_name: str,
    note: str,
    kind: str,
    base_version: str,
    files: Files,
    review: dict[str, Any],
    now: float | None = None,
) -> int:
    async with db.transaction() as conn:
        await _serialise_ids(db, conn, "content_proposals")
        async with conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM content_proposals") as cur:
            row = await cur.fetchone()
        new_id = int(row[0]) if row else 1
        await conn.execute(
            "INSERT INTO content_proposals (id, guild_id, author_id, author_name, note, kind, created_at, "
            "base_version, status, files, review) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (
                new_id,
                guild_id or CLI_GUILD,
                author_id,
                author_name,
                note,
                kind,
                time.time() if now is None else now,
                base_version,
                json.dumps(files, ensure_ascii=True),
                json.dumps(review, ensure_ascii=True),
            ),
        )
    return new_id


async def proposal(db: Database, proposal_id: int, guild_id: int | None) -> Proposal | None:
    """The proposal `proposal_id` of this server (`guild_id` None: any, for the command line)."""
    if guild_id is None:
        rows = await db.fetchall(f"SELECT {_PROPOSAL_COLUMNS} FROM content_proposals WHERE id = ?", (proposal_id,))
    else:
        rows = await db.fetchall(
            f"SELECT {_PROPOSAL_COLUMNS} FROM content_proposals WHERE id = ? AND guild_id = ?",
            (proposal_id, guild_id),
        )
    return Proposal.from_row(rows[0]) if rows else None


async def open_proposals(db: Database, guild_id: int | None, limit: int = 25) -> list[Proposal]:
    """The open proposals, newest first, without their files (`files` is empty: a listing or an autocomplete
    never reads megabytes of YAML); `proposal()` gives one in full."""
    where, params = ("status = 'open'", ()) if guild_id is None else ("status = 'open' AND guild_id = ?", (guild_id,))
    columns = _PROPOSAL_COLUMNS.replace(" files,", " '{}' AS files,")
    rows = await db.fetchall(
        f"SELECT {columns} FROM content_proposals WHERE {where} ORDER BY id DESC LIMIT {int(limit)}", params
    )
    return [Proposal.from_row(r) for r in rows]


async def count_open(db: Database, guild_id: int | None) -> int:
    return int(
        await db.scalar(
            "SELECT COUNT(*) FROM content_proposals WHERE status = 'open' AND guild_id = ?", (guild_id or CLI_GUILD,)
        )
        or 0
    )


async def claim(db: Database, proposal_id: int) -> bool:
    """open -> applying; False when someone else got there first (two applies at once: one wins)."""
    return (
        await db.execute(
            "UPDATE content_proposals SET status = 'applying' WHERE id = ? AND status = 'open'", (proposal_id,)
        )
        == 1
    )


async def close(
    db: Database, proposal_id: int, status: str, *, by: str, change_id: int | None = None, now: float | None = None
) -> None:
    """A proposal's end: applied, stale, cancelled; or back to open (an apply that failed before writing)."""
    if status == "open":
        await db.execute("UPDATE content_proposals SET status = 'open' WHERE id = ?", (proposal_id,))
        return
    await db.execute(
        "UPDATE content_proposals SET status = ?, change_id = ?, closed_at = ?, closed_by = ? WHERE id = ?",
        (status, change_id, time.time() if now is None else now, by, proposal_id),
    )


async def start_change(
    db: Database,
    *,
    guild_id: int | None,
    proposal_id: int,
    applied_by_id: int | None,
    applied_by: str,
    note: str,
    version_before: str,
    version_after: str,
    files_before: Files,
    files_after: Files,
    summary: str,
    rollback_of: int | None = None,
    now: float | None = None,
) -> int:
    """The journal row of a change about to be written (status `writing`): committed before any file is touched,
    so that a crash midway is finished from it (`in_progress`)."""
    async with db.transaction() as conn:
        await _serialise_ids(db, conn, "content_changes")
        async with conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM content_changes") as cur:
            row = await cur.fetchone()
        new_id = int(row[0]) if row else 1
        await conn.execute(
            "INSERT INTO content_changes (id, guild_id, proposal_id, applied_by_id, applied_by, note, applied_at, "
            "status, version_before, version_after, files_before, files_after, summary, rollback_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'writing', ?, ?, ?, ?, ?, ?)",
            (
                new_id,
                guild_id or CLI_GUILD,
                proposal_id,
                applied_by_id,
                applied_by,
                note,
                time.time() if now is None else now,
                version_before,
                version_after,
                json.dumps(files_before, ensure_ascii=True),
                json.dumps(files_after, ensure_ascii=True),
                summary,
                rollback_of,
            ),
        )
    return new_id


async def finish_change(db: Database, change_id: int, status: str) -> None:
    await db.execute("UPDATE content_changes SET status = ? WHERE id = ?", (status, change_id))


async def set_git(db: Database, change_id: int, commit: str | None, error: str | None) -> None:
    await db.execute(
        "UPDATE content_changes SET git_commit = ?, git_error = ? WHERE id = ?", (commit, error, change_id)
    )


async def change(db: Database, change_id: int, guild_id: int | None) -> Change | None:
    if guild_id is None:
        rows = await db.fetchall(f"SELECT {_CHANGE_COLUMNS} FROM content_changes WHERE id = ?", (change_id,))
    else:
        rows = await db.fetchall(
            f"SELECT {_CHANGE_COLUMNS} FROM content_changes WHERE id = ? AND guild_id = ?", (change_id, guild_id)
        )
    return Change.from_row(rows[0]) if rows else None


async def history(db: Database, guild_id: int | None, limit: int = 20) -> list[Change]:
    """The applied changes, newest first (`guild_id` None: every server's and the command line's)."""
    where, params = (
        ("status = 'applied'", ()) if guild_id is None else ("status = 'applied' AND guild_id = ?", (guild_id,))
    )
    rows = await db.fetchall(
        f"SELECT {_CHANGE_COLUMNS} FROM content_changes WHERE {where} ORDER BY id DESC LIMIT {int(limit)}", params
    )
    return [Change.from_row(r) for r in rows]


async def changes_elsewhere(db: Database, guild_id: int) -> int:
    """How many applied changes were made outside this server (other servers, the command line)."""
    return int(
        await db.scalar("SELECT COUNT(*) FROM content_changes WHERE status = 'applied' AND guild_id <> ?", (guild_id,))
        or 0
    )


async def applied_since(db: Database, when: float) -> list[Change]:
    """Every applied change after `when`, oldest first (to name the one a stale proposal conflicts with)."""
    rows = await db.fetchall(
        f"SELECT {_CHANGE_COLUMNS} FROM content_changes WHERE status = 'applied' AND applied_at >= ? ORDER BY id",
        (when,),
    )
    return [Change.from_row(r) for r in rows]


async def in_progress(db: Database) -> list[Change]:
    rows = await db.fetchall(f"SELECT {_CHANGE_COLUMNS} FROM content_changes WHERE status = 'writing' ORDER BY id")
    return [Change.from_row(r) for r in rows]


@dataclass(frozen=True)
class ContentSettings:
    announce_channel: int | None = None
    require_other: bool = False


async def settings(db: Database, guild_id: int) -> ContentSettings:
    rows = await db.fetchall(
        "SELECT announce_channel, require_other FROM content_settings WHERE guild_id = ?", (guild_id,)
    )
    if not rows:
        return ContentSettings()
    channel, other = rows[0]
    return ContentSettings(None if channel is None else int(channel), bool(other))


async def save_settings(db: Database, guild_id: int, value: ContentSettings) -> None:
    await db.execute(
        "INSERT INTO content_settings (guild_id, announce_channel, require_other, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET announce_channel = excluded.announce_channel, "
        "require_other = excluded.require_other, updated_at = excluded.updated_at",
        (guild_id, value.announce_channel, 1 if value.require_other else 0, time.time()),
    )


async def _serialise_ids(db: Database, conn: Any, table: str) -> None:
    """Ids are the next after the highest, read and written in one transaction: SQLite's write transaction
    (BEGIN IMMEDIATE) already lets one writer at a time; on PostgreSQL two processes would read the same
    highest id, so the table is locked against other writers until the transaction ends."""
    if db.dialect == "postgresql":
        await conn.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
