"""Fallback single-writer SQLite store (used only if the helper's store does not arrive)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import concurrent.futures
from dataclasses import dataclass
from datetime import UTC, datetime
import json
from pathlib import Path
import queue
import sqlite3
import threading
from typing import Any, TypeVar

T = TypeVar("T")

OPEN_STATES = ("queued", "running")
MIGRATIONS: list[str] = [
    """
    CREATE TABLE worker_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        dedupe_key TEXT,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        priority INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX worker_jobs_open_dedupe ON worker_jobs(dedupe_key)
        WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
    CREATE INDEX worker_jobs_claim ON worker_jobs(type, state, priority DESC, id);
    CREATE TABLE downloads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER REFERENCES worker_jobs(id) ON DELETE SET NULL,
        username TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER,
        transfer_id TEXT, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0, local_path TEXT, error TEXT, spotify_track_id TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE matches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER REFERENCES worker_jobs(id) ON DELETE SET NULL,
        spotify_track_id TEXT NOT NULL, candidate TEXT NOT NULL, score REAL NOT NULL,
        parts TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE INDEX matches_track ON matches(spotify_track_id);
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, type TEXT NOT NULL,
        status TEXT NOT NULL, details TEXT NOT NULL
    );
    CREATE TABLE auto_sync_skipped_tracks (
        spotify_track_id TEXT PRIMARY KEY, reason TEXT NOT NULL,
        failure_count INTEGER NOT NULL DEFAULT 0, last_attempt TEXT NOT NULL
    );
    CREATE TABLE artist_preferences (artist TEXT PRIMARY KEY, preference TEXT NOT NULL);
    """,
    # v2: jobs keep their result (matches found, files imported) for the actions to return.
    """
    ALTER TABLE worker_jobs ADD COLUMN result TEXT;
    """,
]


class StoreError(Exception):
    """Base class; the message is user-readable."""


class StoreCorruptError(StoreError):
    """The file is not a usable database."""


class StoreLockedError(StoreError):
    """Another process holds the database lock."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Job:
    """One row of worker_jobs."""

    id: int
    type: str
    dedupe_key: str | None
    payload: dict[str, Any]
    state: str
    priority: int
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            id=row["id"],
            type=row["type"],
            dedupe_key=row["dedupe_key"],
            payload=json.loads(row["payload"]),
            state=row["state"],
            priority=row["priority"],
            attempts=row["attempts"],
            next_attempt_at=_dt(row["next_attempt_at"]),
            last_error=row["last_error"],
            result=json.loads(row["result"]) if row["result"] else None,
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )


@dataclass(frozen=True)
class Match:
    """One saved match with its explanation."""

    id: int
    job_id: int | None
    spotify_track_id: str
    candidate: dict[str, Any]
    score: float
    parts: dict[str, Any]
    source: str
    created_at: datetime


@dataclass(frozen=True)
class Activity:
    """One activity feed entry."""

    id: int
    ts: datetime
    type: str
    status: str
    details: dict[str, Any]


class Store:
    """SQLite database with one writer thread; every call is one short transaction."""

    def __init__(
        self, path: Path, *, busy_timeout: float = 5.0, activity_retention: int = 5000
    ) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.activity_retention = activity_retention
        self._queue: queue.Queue[
            tuple[Callable[[sqlite3.Connection], Any], concurrent.futures.Future[Any]] | None
        ] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._paused: asyncio.Event | None = None

    # --- plumbing -------------------------------------------------------------------------
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

    async def _run(self, func: Callable[[sqlite3.Connection], T]) -> T:
        if self._thread is None:
            raise StoreError(f"database {self.path} is not open")
        if self._paused is not None:
            await self._paused.wait()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((func, future))
        try:
            return await asyncio.wrap_future(future)
        except sqlite3.DatabaseError as err:
            raise _translate(err, self.path) from err

    def _tx(self, func: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
        def run(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = func(conn)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            return result

        return run

    async def async_open(self) -> None:
        """Open (create or migrate) the database and start the writer thread."""
        if self._thread is not None:
            return
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

        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._queue.put((open_db, future))
        try:
            await asyncio.wrap_future(future)
        except sqlite3.DatabaseError as err:
            await self.async_close()
            raise _translate(err, self.path) from err
        except StoreError:
            await self.async_close()
            raise
        except OSError as err:
            await self.async_close()
            raise StoreError(f"cannot open database {self.path}: {err}") from err

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
        await self._run(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
        self._paused = asyncio.Event()

    async def async_resume_after_backup(self) -> None:
        """Let writes go on."""
        paused, self._paused = self._paused, None
        if paused is not None:
            paused.set()

    # --- jobs -----------------------------------------------------------------------------
    async def enqueue_job(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        priority: int = 0,
    ) -> tuple[Job, bool]:
        """Queue a job; an open job with the same dedupe key is returned instead."""

        def run(conn: sqlite3.Connection) -> tuple[Job, bool]:
            if dedupe_key is not None:
                row = conn.execute(
                    "SELECT * FROM worker_jobs WHERE dedupe_key = ? AND state IN ('queued','running')",
                    (dedupe_key,),
                ).fetchone()
                if row:
                    return Job.from_row(row), False
            now = _now()
            cur = conn.execute(
                "INSERT INTO worker_jobs (type, dedupe_key, payload, priority, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (type, dedupe_key, json.dumps(payload), priority, now, now),
            )
            row = conn.execute(
                "SELECT * FROM worker_jobs WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
            return Job.from_row(row), True

        return await self._run(self._tx(run))

    async def claim_jobs(self, type: str, limit: int) -> list[Job]:
        """Mark up to ``limit`` due queued jobs running, best priority then oldest first."""

        def run(conn: sqlite3.Connection) -> list[Job]:
            now = _now()
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM worker_jobs WHERE type = ? AND state = 'queued'"
                    " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
                    " ORDER BY priority DESC, id LIMIT ?",
                    (type, now, limit),
                )
            ]
            jobs = []
            for job_id in ids:
                conn.execute(
                    "UPDATE worker_jobs SET state='running', attempts=attempts+1, updated_at=? WHERE id=?",
                    (now, job_id),
                )
                jobs.append(
                    Job.from_row(
                        conn.execute("SELECT * FROM worker_jobs WHERE id=?", (job_id,)).fetchone()
                    )
                )
            return jobs

        return await self._run(self._tx(run))

    async def _set_state(self, job_id: int, sql: str, params: tuple[Any, ...]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(sql, (*params, _now(), job_id)).rowcount

        return await self._run(self._tx(run))

    async def complete_job(self, job_id: int, result: dict[str, Any] | None = None) -> None:
        await self._set_state(
            job_id,
            "UPDATE worker_jobs SET state='completed', result=?, last_error=NULL, updated_at=? WHERE id=?",
            (json.dumps(result) if result is not None else None,),
        )

    async def fail_job(self, job_id: int, error: str, *, retry_at: datetime | None = None) -> None:
        if retry_at is None:
            await self._set_state(
                job_id,
                "UPDATE worker_jobs SET state='failed', last_error=?, updated_at=? WHERE id=?",
                (error,),
            )
        else:
            await self._set_state(
                job_id,
                "UPDATE worker_jobs SET state='queued', last_error=?, next_attempt_at=?, updated_at=? WHERE id=?",
                (error, retry_at.isoformat()),
            )

    async def mark_invalid(self, job_id: int, reason: str) -> None:
        await self._set_state(
            job_id,
            "UPDATE worker_jobs SET state='invalid_payload', last_error=?, updated_at=? WHERE id=?",
            (reason,),
        )

    async def cancel_job(self, job_id: int) -> bool:
        return bool(
            await self._set_state(
                job_id,
                "UPDATE worker_jobs SET state='cancelled', updated_at=? WHERE id=? AND state='queued'",
                (),
            )
        )

    async def retry_job(self, job_id: int) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT dedupe_key, state FROM worker_jobs WHERE id=?", (job_id,)
            ).fetchone()
            if row is None or row["state"] not in ("failed", "cancelled", "invalid_payload"):
                return False
            if (
                row["dedupe_key"]
                and conn.execute(
                    "SELECT 1 FROM worker_jobs WHERE dedupe_key=? AND state IN ('queued','running')",
                    (row["dedupe_key"],),
                ).fetchone()
            ):
                return False
            conn.execute(
                "UPDATE worker_jobs SET state='queued', next_attempt_at=NULL, updated_at=? WHERE id=?",
                (_now(), job_id),
            )
            return True

        return await self._run(self._tx(run))

    async def requeue_running(self, type: str | None = None) -> int:
        """Jobs left running by a restart go back to the queue."""

        def run(conn: sqlite3.Connection) -> int:
            if type is None:
                return conn.execute(
                    "UPDATE worker_jobs SET state='queued', updated_at=? WHERE state='running'",
                    (_now(),),
                ).rowcount
            return conn.execute(
                "UPDATE worker_jobs SET state='queued', updated_at=? WHERE state='running' AND type=?",
                (_now(), type),
            ).rowcount

        return await self._run(self._tx(run))

    async def get_job(self, job_id: int) -> Job | None:
        def run(conn: sqlite3.Connection) -> Job | None:
            row = conn.execute("SELECT * FROM worker_jobs WHERE id=?", (job_id,)).fetchone()
            return Job.from_row(row) if row else None

        return await self._run(run)

    @staticmethod
    def _job_filter(type: str | None, states: Sequence[str] | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if type is not None:
            clauses.append("type = ?")
            params.append(type)
        if states:
            clauses.append(f"state IN ({','.join('?' * len(states))})")
            params.extend(states)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    async def list_jobs(
        self, *, type: str | None = None, states: Sequence[str] | None = None, limit: int = 100
    ) -> list[Job]:
        where, params = self._job_filter(type, states)

        def run(conn: sqlite3.Connection) -> list[Job]:
            rows = conn.execute(
                f"SELECT * FROM worker_jobs{where} ORDER BY id DESC LIMIT ?", (*params, limit)
            )
            return [Job.from_row(row) for row in rows]

        return await self._run(run)

    async def count_jobs(
        self, *, type: str | None = None, states: Sequence[str] | None = None
    ) -> int:
        where, params = self._job_filter(type, states)

        def run(conn: sqlite3.Connection) -> int:
            return int(
                conn.execute(f"SELECT COUNT(*) FROM worker_jobs{where}", params).fetchone()[0]
            )

        return await self._run(run)

    # --- matches --------------------------------------------------------------------------
    async def save_matches_and_complete(
        self,
        job_id: int,
        spotify_track_id: str,
        rows: Sequence[dict[str, Any]],
        result: dict[str, Any],
    ) -> None:
        """Save a job's matches and complete it in one transaction (never twice)."""

        def run(conn: sqlite3.Connection) -> None:
            state = conn.execute("SELECT state FROM worker_jobs WHERE id=?", (job_id,)).fetchone()
            if state is None or state[0] != "running":
                return
            now = _now()
            conn.executemany(
                "INSERT INTO matches (job_id, spotify_track_id, candidate, score, parts, source, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        job_id,
                        spotify_track_id,
                        json.dumps(row["candidate"]),
                        row["score"],
                        json.dumps(row["parts"]),
                        row["source"],
                        now,
                    )
                    for row in rows
                ],
            )
            conn.execute(
                "UPDATE worker_jobs SET state='completed', result=?, last_error=NULL, updated_at=? WHERE id=?",
                (json.dumps(result), now, job_id),
            )

        await self._run(self._tx(run))

    async def list_matches(
        self, spotify_track_id: str | None = None, limit: int = 100
    ) -> list[Match]:
        def run(conn: sqlite3.Connection) -> list[Match]:
            if spotify_track_id is None:
                rows = conn.execute("SELECT * FROM matches ORDER BY id DESC LIMIT ?", (limit,))
            else:
                rows = conn.execute(
                    "SELECT * FROM matches WHERE spotify_track_id=? ORDER BY score DESC LIMIT ?",
                    (spotify_track_id, limit),
                )
            return [
                Match(
                    row["id"],
                    row["job_id"],
                    row["spotify_track_id"],
                    json.loads(row["candidate"]),
                    row["score"],
                    json.loads(row["parts"]),
                    row["source"],
                    datetime.fromisoformat(row["created_at"]),
                )
                for row in rows
            ]

        return await self._run(run)

    async def count_matches(self) -> int:
        return await self._run(
            lambda conn: int(conn.execute("SELECT COUNT(*) FROM matches").fetchone()[0])
        )

    # --- activity -------------------------------------------------------------------------
    async def add_activity(self, type: str, status: str, details: dict[str, Any]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO activity (ts, type, status, details) VALUES (?, ?, ?, ?)",
                (_now(), type, status, json.dumps(details, default=str)),
            )
            conn.execute(
                "DELETE FROM activity WHERE id <= (SELECT id FROM activity ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.activity_retention,),
            )
            return int(cur.lastrowid or 0)

        return await self._run(self._tx(run))

    async def list_activity(self, *, type: str | None = None, limit: int = 50) -> list[Activity]:
        def run(conn: sqlite3.Connection) -> list[Activity]:
            if type is None:
                rows = conn.execute("SELECT * FROM activity ORDER BY id DESC LIMIT ?", (limit,))
            else:
                rows = conn.execute(
                    "SELECT * FROM activity WHERE type=? ORDER BY id DESC LIMIT ?", (type, limit)
                )
            return [
                Activity(
                    row["id"],
                    datetime.fromisoformat(row["ts"]),
                    row["type"],
                    row["status"],
                    json.loads(row["details"]),
                )
                for row in rows
            ]

        return await self._run(run)


def _translate(err: sqlite3.DatabaseError, path: Path) -> StoreError:
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return StoreLockedError(f"database {path} is locked by another process")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreCorruptError(f"database {path} is damaged: {err}")
    return StoreError(f"database {path}: {err}")
