"""`alliance-bot db migrate --to postgresql://…`: copy a SQLite database into PostgreSQL, idempotent and verified.

Every table of the schema is copied row by row in primary-key order, in batches, each batch with `INSERT … ON
CONFLICT DO NOTHING`, so running it again adds nothing twice (and a copy stopped half-way is finished by the next
run). Then each table is verified: the rows of the SQLite file, and the same keys' rows in PostgreSQL, must have
the same count and the same SHA-256 over their values; rows PostgreSQL holds besides (written by bots that already
run on it) are counted apart, never changed. The SQLite file is opened with its process lock: the bot must be
stopped, so that nothing is written into it during the copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliance_bot.storage.db import Database, DatabaseError
from alliance_bot.storage.migrations import SCHEMA_VERSION

# table -> its primary key, in the order the copy makes them (settings before the rows that refer to servers)
TABLES: dict[str, tuple[str, ...]] = {
    "meta": ("key",),
    "guild_settings": ("guild_id",),
    "anniversary_settings": ("guild_id",),
    "anniversary_posts": ("target", "day", "event_id"),
    "votes": ("guild_id", "answer_key", "user_hash"),
    "usage": ("id",),
    "content_proposals": ("id",),  # the moderators' content changes (#21): proposals, history, settings
    "content_changes": ("id",),
    "content_settings": ("guild_id",),
}
BATCH = 5000


@dataclass(frozen=True)
class TableCopy:
    table: str
    source_rows: int
    copied: int  # rows new in PostgreSQL in this run
    extra: int  # rows PostgreSQL holds besides the file's
    checksum: str  # of the file's rows, equal to that of the same keys in PostgreSQL
    verified: bool


def _digest(rows: list[tuple[Any, ...]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(tuple(_normal(v) for v in row)).encode())
    return h.hexdigest()[:16]


def _normal(value: Any) -> Any:
    return float(value) if isinstance(value, float) else value


async def copy_to_postgres(source: Database, target: Database) -> list[TableCopy]:
    """Copy every table of `source` (SQLite, at this code's schema version) into `target` (PostgreSQL)."""
    if source.dialect != "sqlite" or target.dialect != "postgresql":
        raise DatabaseError("db migrate copies a SQLite file into PostgreSQL")
    if await source.check_version() != SCHEMA_VERSION:
        raise DatabaseError(f"{source.path} is not at schema version {SCHEMA_VERSION}: start the bot on it once")
    hash_key = await source.get_meta("user_hash_key")
    theirs = await target.get_meta("user_hash_key")
    if hash_key and theirs and hash_key != theirs:
        raise DatabaseError(
            "the PostgreSQL database already has another user-hash key (bots ran on it before the copy): the file's "
            "hashed user ids would not match its own; copy into an empty database, or set ALLIANCE_BOT_HASH_KEY"
        )
    out = []
    for table, key in TABLES.items():
        columns = [str(r[1]) for r in await source.fetchall(f"PRAGMA table_info({table})")]
        order = ", ".join(key)
        rows = [tuple(r) for r in await source.fetchall(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")]
        before = int(await target.scalar(f"SELECT count(*) FROM {table}"))
        insert = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(key)}) DO NOTHING"
        )
        for start in range(0, len(rows), BATCH):
            async with target.transaction() as conn:
                await conn.executemany(insert, rows[start : start + BATCH])
        if table == "usage":  # the identity goes on after the copied ids
            await target.execute(
                "SELECT setval(pg_get_serial_sequence('usage', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM usage), "
                "false)"
            )
        after = int(await target.scalar(f"SELECT count(*) FROM {table}"))
        theirs_rows = [
            tuple(r) for r in await target.fetchall(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
        ]
        idx = [columns.index(k) for k in key]
        keys = {tuple(r[i] for i in idx) for r in rows}
        same_keys = [r for r in theirs_rows if tuple(r[i] for i in idx) in keys]
        # the same order on both sides: the file's order of the keys (collations may differ)
        position = {tuple(r[i] for i in idx): n for n, r in enumerate(rows)}
        same_keys.sort(key=lambda r: position[tuple(r[i] for i in idx)])
        mine = _digest(rows)
        verified = len(same_keys) == len(rows) and _digest(same_keys) == mine
        out.append(TableCopy(table, len(rows), after - before, after - len(same_keys), mine, verified))
    return out


async def migrate_file(path: Path, url: str) -> list[TableCopy]:
    from alliance_bot.storage.pg import PgDatabase

    source = await Database.open(path, lock=True)  # migrated to this code's version; refused while a bot runs
    try:
        target = await PgDatabase.open(url)
        try:
            return await copy_to_postgres(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
