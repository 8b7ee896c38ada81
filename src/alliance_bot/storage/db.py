"""The SQLite database: one aiosqlite connection, WAL, a busy timeout, migrations.

The schema version lives in `PRAGMA user_version`; each migration step
(`migrations.py`) runs in its own transaction. A database newer than this code is refused. A lock file
beside the database keeps a second bot process off it. The start checks the
pages (`PRAGMA quick_check`, time-bounded); every sqlite3 error met on opening
is told as what it is (`describe_error`: damaged, read-only folder, full disk …).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from alliance_bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION, statements_for

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
QUICK_CHECK_LIMIT = 10.0  # seconds: the integrity check at start stops there (a very large database)


async def _clear_progress_handler(conn: aiosqlite.Connection) -> None:
    # sqlite3 takes None to remove the handler; aiosqlite's annotation leaves None out
    await conn.set_progress_handler(None, 0)  # type: ignore[arg-type]


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what to do."""


def damaged_message(path: Path | str, detail: str) -> str:
    # quick_check's report, on one line: "*** in database main ***\nPage 6: …" -> "Page 6: …"
    detail = "; ".join(line.strip() for line in detail.splitlines() if line.strip() and not line.startswith("***"))
    return (
        f"the database {path} is damaged ({detail}): restore a backup (stop the bot, copy one made by "
        f"`alliance-bot db backup` over it) or move it aside to start a new one"
    )


def describe_error(path: Path | str, exc: BaseException) -> str:
    """What is really wrong with the database at `path`, from an sqlite3 error: one line saying what to do.

    Damage is told from permissions: a healthy database in a folder the user may not write is not "damaged"
    (WAL needs its -shm file beside the database, even to read)."""
    path = Path(path)
    name = getattr(exc, "sqlite_errorname", "") or ""
    folder = path.parent
    if name.startswith("SQLITE_CORRUPT"):
        return damaged_message(path, str(exc))
    if name.startswith("SQLITE_NOTADB"):
        return f"{path} is not a usable SQLite database ({exc}): restore a backup or move it away to start a new one"
    if name in ("SQLITE_READONLY_DIRECTORY", "SQLITE_READONLY_CANTINIT", "SQLITE_READONLY_CANTLOCK") or (
        name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"))
        and path.exists()
        and not os.access(folder, os.W_OK)
    ):
        return (
            f"the folder {folder} is not writable; SQLite in WAL mode needs to create {path}-shm there (even "
            f"to read): give the bot's user write access to {folder}"
        )
    if name.startswith("SQLITE_READONLY"):
        return f"{path} is read-only ({exc}): give the bot's user write access to it"
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        if path.exists() and not os.access(path, os.R_OK):
            return f"cannot read {path}: permission denied; give the bot's user read access to it"
        return f"cannot open the database {path} ({exc})"
    if name.startswith("SQLITE_FULL"):
        return f"the disk holding {path} is full ({exc}): free some space"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return f"{path} is locked by another program ({exc}); try again when it is done"
    if name.startswith("SQLITE_IOERR"):
        return f"cannot read or write {path} (an I/O error: {exc}); check the disk"
    return f"{path} cannot be used ({type(exc).__name__}: {exc})"


def sqlite_uri(path: Path | str, **params: str) -> str:
    """The `file:` URI of `path`, percent-encoded (a `#`, `?` or `%` in a name stays part of the name), with
    `params` (mode=ro …) as its query. Every connection is opened through this, never by pasting strings."""
    uri = Path(path).absolute().as_uri()
    return f"{uri}?{urllib.parse.urlencode(params)}" if params else uri


def connect_readonly(path: Path | str, timeout: float = 5.0) -> sqlite3.Connection:
    """A read-only connection (sqlite3, for the tools: doctor, health, backup); never creates a file."""
    return sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=timeout)


class Database:
    dialect = "sqlite"

    def __init__(self, path: Path, conn: aiosqlite.Connection, lock_fd: int | None, *, readonly: bool = False) -> None:
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self._lock_fd = lock_fd
        self.identity = _identity(path)  # the file opened: a file at the path that is not this one is a ghost
        # One connection is shared by every task: writes take turns, so that a statement of one task never
        # lands inside another task's open transaction.
        self.write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, lock: bool = True, migrate: bool = True) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the folder of {path}: {exc.strerror}") from None
        lock_fd = _acquire_lock(path) if lock and str(path) != ":memory:" else None
        try:
            target = str(path) if str(path) == ":memory:" else sqlite_uri(path)
            conn = await aiosqlite.connect(target, isolation_level=None, uri=True)
        except sqlite3.Error as exc:
            _release_lock(lock_fd)
            raise DatabaseError(describe_error(path, exc)) from None
        db = cls(path, conn, lock_fd)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = await db.scalar("PRAGMA journal_mode = WAL")
            if str(mode).lower() != "wal" and str(path) != ":memory:":
                log.warning("database %s: WAL mode not available (%s)", path, mode)
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            if migrate:
                await db.quick_check()
                await db.migrate()
            else:
                await db.check_version()
        except sqlite3.DatabaseError as exc:
            await db.close()
            raise DatabaseError(describe_error(path, exc)) from None
        except BaseException:
            await db.close()
            raise
        return db

    @classmethod
    async def open_readonly(cls, path: Path | str) -> Database:
        """For the tools that only read (`alliance-bot stats`): no lock, no migration, no write of any kind
        (not even the switch to WAL), and no file created."""
        path = Path(path)
        try:
            conn = await aiosqlite.connect(sqlite_uri(path, mode="ro"), uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(describe_error(path, exc)) from None
        db = cls(path, conn, None, readonly=True)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.check_version()
        except sqlite3.Error as exc:
            await db.close()
            raise DatabaseError(describe_error(path, exc)) from None
        except BaseException:
            await db.close()
            raise
        return db

    def file_problem(self) -> str | None:
        """None while the file at `path` is the one opened; otherwise what happened to it, and how to keep what
        the open (deleted) file still holds.

        SQLite keeps writing into a file deleted or replaced under it, and those writes vanish with the process.
        The usage log refuses to write then (its rows stay in memory, and are written if the file comes back)
        rather than reopening the path on its own: a new, empty file has no anniversary ledger (posts would go
        out twice), no server settings and no user-hash key, and a file put in place may be a restore not yet
        finished. The operator decides, with this message in the log and in `alliance-bot health`."""
        if self.identity is None:
            return None
        now = _identity(self.path)
        if now == self.identity:
            return None
        what = "deleted (or moved away)" if now is None else "replaced by another file"
        keep = _open_copy(self.identity)
        return (
            f"the database file {self.path} was {what} while the bot runs"
            + (f"; to keep its data, copy {keep} before stopping the bot" if keep else "")
            + "; restart the bot to use the file now at that path"
        )

    async def check_version(self) -> int:
        try:
            version = int(await self.scalar("PRAGMA user_version"))
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(describe_error(self.path, exc)) from None
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} has schema version {version}, newer than this alliance-bot understands "
                f"({SCHEMA_VERSION}): upgrade alliance-bot, or restore a backup made by this version"
            )
        return version

    async def quick_check(self, time_limit: float = QUICK_CHECK_LIMIT) -> None:
        """`PRAGMA quick_check(1)` at start, stopped after `time_limit` seconds: a damaged page is one clear
        DatabaseError now, not a traceback from some later statement that happens to read it."""
        if str(self.path) == ":memory:":
            return
        deadline = time.monotonic() + time_limit
        await self.conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        try:
            result = str(await self.scalar("PRAGMA quick_check(1)"))
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_INTERRUPT":
                raise
            log.warning(
                "database %s: the integrity check at start took over %.0f s and was stopped; run "
                "`alliance-bot doctor` for a full one",
                self.path,
                time_limit,
            )
            return
        finally:
            await _clear_progress_handler(self.conn)
        if result != "ok":
            raise DatabaseError(damaged_message(self.path, result))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error), with the write lock held."""
        async with self.write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                await self.conn.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk): roll back only what is open,
                # and never let the rollback hide the error that caused it
                if self.conn.in_transaction:
                    try:
                        await self.conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.warning("rollback failed", exc_info=True)
                raise

    @asynccontextmanager
    async def reader(self, time_limit: float | None = None) -> AsyncIterator[Any]:
        """A read-only connection of its own for a long read (the usage summary), one snapshot throughout.

        It has its own thread, so a long query holds up neither the event loop nor the statements queued on the
        shared connection (every write of the bot); in WAL mode it does not block them in SQLite either. Past
        `time_limit` seconds its statement is interrupted (sqlite3.OperationalError, SQLITE_INTERRUPT)."""
        if str(self.path) == ":memory:" or self.readonly:  # no second connection can see it / is needed
            conn, own = self.conn, False
        else:
            conn = await aiosqlite.connect(sqlite_uri(self.path, mode="ro"), uri=True, isolation_level=None)
            own = True
        snapshot = own or self.readonly  # a connection nothing else uses
        try:
            if own:
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if snapshot:
                await conn.execute("BEGIN")  # one snapshot for every query of the read
            if time_limit is not None:
                deadline = time.monotonic() + time_limit
                await conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
            yield conn
        finally:
            if own:
                await conn.close()
            else:
                if time_limit is not None:
                    await _clear_progress_handler(conn)
                if snapshot and conn.in_transaction:
                    await conn.execute("ROLLBACK")

    async def migrate(self) -> None:
        version = await self.check_version()
        for number in range(version + 1, SCHEMA_VERSION + 1):
            async with self.transaction() as conn:
                for statement in statements_for(MIGRATIONS[number - 1], "sqlite"):
                    if callable(statement):
                        await statement(conn)
                    else:
                        await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
            log.info("database %s migrated to schema version %d", self.path, number)

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        async with self.conn.execute(sql, tuple(params)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One write statement, committed on its own; returns the number of rows changed."""
        async with self.write_lock:
            cur = await self.conn.execute(sql, tuple(params))
            return cur.rowcount

    async def get_meta(self, key: str) -> str | None:
        value = await self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def close(self) -> None:
        try:
            await self.conn.close()
        finally:
            _release_lock(self._lock_fd)
            self._lock_fd = None


def _identity(path: Path) -> tuple[int, int] | None:
    if str(path) == ":memory:":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _open_copy(identity: tuple[int, int]) -> str | None:
    """The /proc path of this process's open descriptor of the file `identity`, readable while the bot runs."""
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                st = os.stat(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == identity:
                return f"/proc/{os.getpid()}/fd/{fd}"
    except OSError:
        pass
    return None


def _acquire_lock(path: Path) -> int:
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            other = os.read(fd, 32).decode(errors="replace").strip() or "?"
        finally:
            os.close(fd)
        raise DatabaseError(
            f"another alliance-bot process (pid {other}) is using {path}; run only one bot per database"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _release_lock(fd: int | None) -> None:
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


SYNC_META = "sync:{application}:{scope}"  # discord_ui/sync.py: the payload hash of the last sync, per scope


async def synced_guilds(db: Database, application_id: int) -> list[int]:
    """The servers `alliance-bot sync --guild` registered this application's commands in (their own set)."""
    prefix = SYNC_META.format(application=application_id, scope="")
    rows = await db.fetchall("SELECT key FROM meta WHERE key LIKE ? ORDER BY key", (prefix + "%",))
    out = []
    for (key,) in rows:
        scope = str(key)[len(prefix) :]
        if scope.isdigit():
            out.append(int(scope))
    return out
