"""The SQLite connection: one writer thread, migrations, backup pause.

Every call is one short transaction on the writer thread, so the event loop never waits on
sqlite and there is exactly one writer per file (WAL mode).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import concurrent.futures
from datetime import UTC, datetime
import logging
from pathlib import Path
import queue
import sqlite3
import threading
from typing import Any

from .errors import StoreError, translate_error
from .schema import MIGRATIONS

_LOGGER = logging.getLogger(__package__)

type _Call = tuple[Callable[[sqlite3.Connection], Any], concurrent.futures.Future[Any]]


def now_iso() -> str:
    """The current time as stored (ISO 8601, UTC)."""
    return datetime.now(UTC).isoformat()


def parse_dt(value: str | None) -> datetime | None:
    """A stored time back as a datetime."""
    return datetime.fromisoformat(value) if value else None


class Database:
    """SQLite with one writer thread; tables talk to it through ``async_read`` and ``async_write``."""

    def __init__(self, path: Path, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._queue: queue.Queue[_Call | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._paused: asyncio.Event | None = None

    def _worker(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            func, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func(self._connection()))
            except BaseException as err:  # noqa: BLE001 - handed to the awaiting caller
                future.set_exception(err)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> sqlite3.Connection:
        """The writer thread's connection, opened on first use in that thread."""
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            self._conn = conn
        return self._conn

    async def _submit[T](self, func: Callable[[sqlite3.Connection], T]) -> T:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((func, future))
        return await asyncio.wrap_future(future)

    async def async_read[T](self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``func`` on the writer thread (no transaction: a single consistent read)."""
        if self._thread is None:
            raise StoreError(f"database {self.path} is not open")
        if self._paused is not None:
            await self._paused.wait()
        try:
            return await self._submit(func)
        except sqlite3.DatabaseError as err:
            raise translate_error(err, self.path) from err

    async def async_write[T](self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``func`` in one immediate transaction: all of it is committed, or none."""

        def run(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = func(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            return result

        return await self.async_read(run)

    async def async_open(self) -> None:
        """Open (create or migrate) the database and start the writer thread."""
        if self._thread is not None:
            return
        # SQLite opens an empty file as a new database: say so, a truncation lost the queues.
        if await asyncio.get_running_loop().run_in_executor(None, self._is_empty_file):
            _LOGGER.warning(
                "The database %s was an empty file (0 bytes, truncated?); it starts anew",
                self.path,
            )
        self._thread = threading.Thread(
            target=self._worker, name=f"harmony_music db {self.path.name}", daemon=True
        )
        self._thread.start()

        def open_db(conn: sqlite3.Connection) -> None:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("database disk image is malformed")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(conn)

        try:
            await self._submit(open_db)
        except sqlite3.DatabaseError as err:
            await self.async_close()
            raise translate_error(err, self.path) from err
        except StoreError:
            await self.async_close()
            raise
        except OSError as err:
            await self.async_close()
            raise StoreError(f"cannot open database {self.path}: {err}") from err

    def _is_empty_file(self) -> bool:
        try:
            return self.path.stat().st_size == 0
        except OSError:
            return False

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"database {self.path} was written by a newer Harmony Music (schema {version})"
                )
            for step in MIGRATIONS[version:]:
                if callable(step):
                    step(conn)
                    continue
                for statement in step.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            if row:
                conn.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))
            else:
                conn.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS),))
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    async def async_close(self) -> None:
        """Stop the writer thread and close the connection (idempotent)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    async def async_pause_for_backup(self) -> None:
        """Checkpoint the WAL into the main file and hold writes until resumed."""
        await self.async_read(
            lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        )
        self._paused = asyncio.Event()

    async def async_resume_after_backup(self) -> None:
        """Let writes go on."""
        paused, self._paused = self._paused, None
        if paused is not None:
            paused.set()
