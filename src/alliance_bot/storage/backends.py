"""Which storage the ALLIANCE_BOT_DB setting names: a SQLite file (db.py, the default) or PostgreSQL (pg.py)."""

from __future__ import annotations

from pathlib import Path

from alliance_bot.storage.db import Database


def is_postgres(target: object) -> bool:
    """Whether `target` (the ALLIANCE_BOT_DB setting) names a PostgreSQL database rather than a SQLite file."""
    from alliance_bot.storage.pgurl import is_postgres_url

    return is_postgres_url(target)


async def open_database(target: Path | str, *, lock: bool = True, migrate: bool = True) -> Database:
    """The database the setting names: a SQLite file (the default), or `postgresql://…` (storage/pg.py)."""
    if is_postgres(target):
        from alliance_bot.storage.pg import PgDatabase

        return await PgDatabase.open(str(target), lock=lock, migrate=migrate)
    return await Database.open(Path(target), lock=lock, migrate=migrate)


async def open_database_readonly(target: Path | str) -> Database:
    if is_postgres(target):
        from alliance_bot.storage.pg import PgDatabase

        return await PgDatabase.open_readonly(str(target))
    return await Database.open_readonly(Path(target))
