"""PostgreSQL storage, behind the interface of `db.Database`: for several bot processes (shards) on one store.

`ALLIANCE_BOT_DB=postgresql://user:password@host:5432/dbname` selects it (`db.open_database`). The stores
(usage.py, votes.py, ledger.py) write their SQL once, with `?` placeholders and portable SQL; this module turns
`?` into asyncpg's `$n` and runs it on a pool. The same migrations (migrations.py) run at start, under an advisory
lock so that processes starting together migrate once; the schema version is kept in the `schema_version` table
(SQLite's is `PRAGMA user_version`). There is no lock file: many processes share the database by design.

Errors of the server or the network (down, wrong password, a dropped connection) are raised as `ServerError`, a
DatabaseError that is also an OSError, so every caller that keeps rows on a failing write (the usage log, votes)
does so for PostgreSQL too. No message ever shows the password (`mask_url`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from alliance_bot.storage.db import Database, DatabaseError
from alliance_bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION, statements_for
from alliance_bot.storage.pgurl import check_url, mask_url

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds
MIGRATION_LOCK = 0x616C6C79  # pg_advisory_xact_lock key: one process migrates at a time


class ServerError(DatabaseError, OSError):
    """PostgreSQL or the network refused or failed a statement; the message says which, without secrets."""


def _describe(url: str, exc: BaseException) -> str:
    where = mask_url(url)
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return (
            f"PostgreSQL at {where} refused the password (or the user does not exist): "
            "check the URL's user and password"
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"PostgreSQL at {where}: the database does not exist; create it (createdb) or fix the URL"
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return f"PostgreSQL at {where} refused the connection ({exc}): check pg_hba.conf and the user"
    if isinstance(exc, (OSError, asyncio.TimeoutError, TimeoutError)):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return f"cannot reach PostgreSQL at {where} ({reason}): is the server running, and are the host and port right?"
    if isinstance(exc, asyncpg.PostgresError):
        return f"PostgreSQL at {where}: {type(exc).__name__}: {exc}"
    return f"PostgreSQL at {where}: {type(exc).__name__}: {exc}"


_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")


def to_pg(sql: str) -> str:
    """`?` placeholders (outside string literals) as `$1, $2, …`."""
    n = 0

    def number(m: re.Match[str]) -> str:
        nonlocal n
        if m.group(0) != "?":
            return m.group(0)
        n += 1
        return f"${n}"

    return _PLACEHOLDER.sub(number, sql)


def _returns_rows(sql: str) -> bool:
    words = sql.split(None, 1)
    return bool(words) and (words[0].upper() in ("SELECT", "WITH", "VALUES") or " RETURNING " in sql.upper())


def _rowcount(status: str) -> int:
    # "INSERT 0 1", "UPDATE 3", "DELETE 0"
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class Cursor:
    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Any]:
        return list(self._rows)


class _Pending:
    """What `Connection.execute` returns: awaitable (`cur = await conn.execute(…)`) and an async context manager
    (`async with conn.execute(…) as cur`), as aiosqlite's is."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._cursor: Cursor | None = None

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


class Connection:
    """One pooled asyncpg connection, speaking as much of aiosqlite's Connection as the stores use."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.pool.PoolConnectionProxy[Any], url: str) -> None:
        self.raw = conn
        self._url = url

    def execute(self, sql: str, params: Iterable[Any] = ()) -> _Pending:
        return _Pending(lambda: self._execute(sql, tuple(params)))

    async def _execute(self, sql: str, params: tuple[Any, ...]) -> Cursor:
        text = to_pg(sql)
        try:
            if _returns_rows(sql):
                rows = await self.raw.fetch(text, *params)
                return Cursor(list(rows), len(rows))
            status = await self.raw.execute(text, *params)
        except asyncpg.QueryCanceledError:
            raise
        except _ERRORS as exc:
            raise ServerError(_describe(self._url, exc)) from exc
        return Cursor([], _rowcount(status))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self.raw.executemany(to_pg(sql), rows)
        except _ERRORS as exc:
            raise ServerError(_describe(self._url, exc)) from exc


class PgDatabase(Database):
    """The PostgreSQL twin of `db.Database`: the same methods, for the same callers (a subclass only so that
    every annotation naming Database takes it; it overrides every method and shares no state)."""

    dialect = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool[Any], *, readonly: bool = False) -> None:
        self.url = url
        self.path = mask_url(url)  # type: ignore[assignment]  # what messages name; never the password
        self.pool = pool
        self.readonly = readonly
        self.identity = None

    @classmethod
    async def open(
        cls, path: Path | str, *, lock: bool = True, migrate: bool = True, readonly: bool = False
    ) -> PgDatabase:
        url = str(path)
        del lock  # the lock file is SQLite's: on PostgreSQL many processes share the database by design
        problem = check_url(url)
        if problem:
            raise DatabaseError(problem)
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=10, timeout=CONNECT_TIMEOUT, command_timeout=60, statement_cache_size=200
            )
        except _ERRORS as exc:
            raise DatabaseError(_describe(url, exc)) from None
        except ValueError as exc:  # asyncpg's own reading of the URL
            raise DatabaseError(f"the database URL {mask_url(url)} cannot be used: {exc}") from None
        db = cls(url, pool, readonly=readonly)
        try:
            if migrate and not readonly:
                await db.migrate()
            else:
                await db.check_version()
        except BaseException:
            await db.close()
            raise
        return db

    @classmethod
    async def open_readonly(cls, path: Path | str) -> PgDatabase:
        return await cls.open(path, migrate=False, readonly=True)

    def file_problem(self) -> str | None:
        return None  # no file under the bot to be deleted or replaced

    async def _version(self, conn: asyncpg.pool.PoolConnectionProxy[Any]) -> int:
        exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))

    async def check_version(self) -> int:
        try:
            async with self.pool.acquire() as conn:
                version = await self._version(conn)
        except _ERRORS as exc:
            raise ServerError(_describe(self.url, exc)) from None
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} has schema version {version}, newer than this alliance-bot understands "
                f"({SCHEMA_VERSION}): upgrade alliance-bot, or restore a backup made by this version"
            )
        return version

    async def migrate(self) -> None:
        try:
            async with self.pool.acquire() as raw:
                # every step in its own transaction, each under the advisory lock, the version re-read inside it
                while True:
                    async with raw.transaction():
                        await raw.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                        await raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                        version = await self._version(raw)
                        if version > SCHEMA_VERSION:
                            break
                        if version == SCHEMA_VERSION:
                            break
                        number = version + 1
                        conn = Connection(raw, self.url)
                        for statement in statements_for(MIGRATIONS[number - 1], "postgresql"):
                            if callable(statement):
                                await statement(conn)
                            else:
                                await conn.execute(statement)
                        await raw.execute("DELETE FROM schema_version")
                        await raw.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
                    log.info("database %s migrated to schema version %d", self.path, number)
        except DatabaseError:
            raise
        except _ERRORS as exc:
            raise ServerError(_describe(self.url, exc)) from None
        await self.check_version()

    async def quick_check(self, time_limit: float = 0.0) -> None:
        return None  # PostgreSQL checks its own pages (data checksums, amcheck): nothing to do at start

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        try:
            raw = await self.pool.acquire()
        except _ERRORS as exc:
            raise ServerError(_describe(self.url, exc)) from None
        try:
            tr = raw.transaction()
            try:
                await tr.start()
            except _ERRORS as exc:
                raise ServerError(_describe(self.url, exc)) from None
            try:
                yield Connection(raw, self.url)
            except BaseException:
                try:
                    await tr.rollback()
                except _ERRORS:
                    log.warning("rollback failed", exc_info=True)
                raise
            try:
                await tr.commit()
            except _ERRORS as exc:
                raise ServerError(_describe(self.url, exc)) from None
        finally:
            await self.pool.release(raw)

    @asynccontextmanager
    async def reader(self, time_limit: float | None = None) -> AsyncIterator[Connection]:
        """One read-only snapshot (REPEATABLE READ); past `time_limit` the statement is cancelled
        (asyncpg.QueryCanceledError)."""
        try:
            raw = await self.pool.acquire()
        except _ERRORS as exc:
            raise ServerError(_describe(self.url, exc)) from None
        try:
            async with raw.transaction(isolation="repeatable_read", readonly=True):
                if time_limit is not None:
                    await raw.execute(f"SET LOCAL statement_timeout = {max(int(time_limit * 1000), 1)}")
                yield Connection(raw, self.url)
        finally:
            await self.pool.release(raw)

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows = await self.fetchall(sql, params)
        return rows[0][0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        try:
            return list(await self.pool.fetch(to_pg(sql), *tuple(params)))
        except _ERRORS as exc:
            raise ServerError(_describe(self.url, exc)) from exc

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            return _rowcount(await self.pool.execute(to_pg(sql), *tuple(params)))
        except _ERRORS as exc:
            raise ServerError(_describe(self.url, exc)) from exc

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), timeout=5)
        except (TimeoutError, *_ERRORS):
            self.pool.terminate()
