"""The worker_jobs table: one persistent queue shared by every job type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import json
import sqlite3
from typing import Any

from .database import Database, now_iso, parse_dt


class JobType(StrEnum):
    """What a job asks for; each type has one worker."""

    MATCHING = "matching"
    DOWNLOAD = "download"


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INVALID_PAYLOAD = "invalid_payload"
    CANCELLED = "cancelled"


OPEN_STATES: tuple[JobState, ...] = (JobState.QUEUED, JobState.RUNNING)
FINAL_STATES: frozenset[JobState] = frozenset(s for s in JobState if s not in OPEN_STATES)
# States counted as failures on the entities.
FAILED_STATES: tuple[JobState, ...] = (JobState.FAILED, JobState.INVALID_PAYLOAD)
RETRYABLE_STATES: tuple[JobState, ...] = (
    JobState.FAILED,
    JobState.CANCELLED,
    JobState.INVALID_PAYLOAD,
)


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


@dataclass(frozen=True)
class Job:
    """One row of worker_jobs."""

    id: int
    type: JobType
    dedupe_key: str | None
    payload: dict[str, Any]
    state: JobState
    priority: int
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        """A job from its row."""
        return cls(
            id=row["id"],
            type=JobType(row["type"]),
            dedupe_key=row["dedupe_key"],
            payload=json.loads(row["payload"]),
            state=JobState(row["state"]),
            priority=row["priority"],
            attempts=row["attempts"],
            next_attempt_at=parse_dt(row["next_attempt_at"]),
            last_error=row["last_error"],
            result=json.loads(row["result"]) if row["result"] else None,
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )


def complete_in(conn: sqlite3.Connection, job_id: int, result: dict[str, Any] | None) -> bool:
    """Complete a running job inside the caller's transaction; False if it is not running."""
    return (
        conn.execute(
            "UPDATE worker_jobs SET state=?, result=?, last_error=NULL, next_attempt_at=NULL,"
            " updated_at=? WHERE id=? AND state=?",
            (
                JobState.COMPLETED,
                json.dumps(result) if result is not None else None,
                now_iso(),
                job_id,
                JobState.RUNNING,
            ),
        ).rowcount
        == 1
    )


def _get(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = conn.execute("SELECT * FROM worker_jobs WHERE id=?", (job_id,)).fetchone()
    return Job.from_row(row) if row else None


def _filter(job_type: JobType | None, states: Sequence[JobState] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if job_type is not None:
        clauses.append("type = ?")
        params.append(job_type)
    if states:
        clauses.append(f"state IN ({_marks(states)})")
        params.extend(states)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class JobsTable:
    """Rows of worker_jobs; each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def async_enqueue(
        self,
        job_type: JobType,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        priority: int = 0,
    ) -> tuple[Job, bool]:
        """Queue a job; an open job with the same dedupe key is returned instead."""

        def run(conn: sqlite3.Connection) -> tuple[Job, bool]:
            if dedupe_key is not None:
                row = conn.execute(
                    f"SELECT * FROM worker_jobs WHERE dedupe_key = ? AND state IN ({_marks(OPEN_STATES)})",
                    (dedupe_key, *OPEN_STATES),
                ).fetchone()
                if row:
                    return Job.from_row(row), False
            now = now_iso()
            cur = conn.execute(
                "INSERT INTO worker_jobs (type, dedupe_key, payload, state, priority, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_type, dedupe_key, json.dumps(payload), JobState.QUEUED, priority, now, now),
            )
            job = _get(conn, int(cur.lastrowid or 0))
            assert job is not None
            return job, True

        return await self._db.async_write(run)

    async def async_claim(self, job_type: JobType, limit: int) -> list[Job]:
        """Mark up to ``limit`` due queued jobs running, best priority then oldest first."""

        def run(conn: sqlite3.Connection) -> list[Job]:
            now = now_iso()
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM worker_jobs WHERE type = ? AND state = ?"
                    " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
                    " ORDER BY priority DESC, id LIMIT ?",
                    (job_type, JobState.QUEUED, now, limit),
                )
            ]
            conn.executemany(
                "UPDATE worker_jobs SET state=?, attempts=attempts+1, updated_at=? WHERE id=?",
                [(JobState.RUNNING, now, job_id) for job_id in ids],
            )
            return [job for job_id in ids if (job := _get(conn, job_id)) is not None]

        return await self._db.async_write(run)

    async def async_next_due(self, job_type: JobType) -> datetime | None:
        """When the earliest queued job becomes due (None: nothing queued)."""

        def run(conn: sqlite3.Connection) -> datetime | None:
            row = conn.execute(
                "SELECT COUNT(*), MIN(COALESCE(next_attempt_at, '')) FROM worker_jobs"
                " WHERE type = ? AND state = ?",
                (job_type, JobState.QUEUED),
            ).fetchone()
            if not row[0]:
                return None
            # A job without next_attempt_at is due at once.
            return parse_dt(row[1]) or datetime.min.replace(tzinfo=UTC)

        return await self._db.async_read(run)

    async def async_complete(self, job_id: int, result: dict[str, Any] | None = None) -> bool:
        """A running job is done; False if it was no longer running (e.g. cancelled)."""
        return await self._db.async_write(lambda conn: complete_in(conn, job_id, result))

    async def async_fail(
        self,
        job_id: int,
        error: str,
        *,
        retry_at: datetime | None = None,
        state: JobState = JobState.FAILED,
    ) -> bool:
        """A running job failed: back to the queue at ``retry_at``, or into ``state`` for good."""

        def run(conn: sqlite3.Connection) -> bool:
            if retry_at is not None:
                sql = (
                    "UPDATE worker_jobs SET state=?, last_error=?, next_attempt_at=?, updated_at=?"
                )
                params: tuple[Any, ...] = (JobState.QUEUED, error, retry_at.isoformat(), now_iso())
            else:
                sql = "UPDATE worker_jobs SET state=?, last_error=?, next_attempt_at=NULL, updated_at=?"
                params = (state, error, now_iso())
            return (
                conn.execute(
                    f"{sql} WHERE id=? AND state=?", (*params, job_id, JobState.RUNNING)
                ).rowcount
                == 1
            )

        return await self._db.async_write(run)

    async def async_undo_completed(self, job_id: int, error: str) -> bool:
        """A completed job turned out wrong: failed with the reason (frees its dedupe key)."""
        return await self._db.async_write(
            lambda conn: conn.execute(
                "UPDATE worker_jobs SET state=?, last_error=?, updated_at=? WHERE id=? AND state=?",
                (JobState.FAILED, error, now_iso(), job_id, JobState.COMPLETED),
            ).rowcount
            == 1
        )

    async def async_set_payload(self, job_id: int, payload: dict[str, Any]) -> None:
        """Replace a job's payload (a worker keeps what it learned, e.g. the ranked files)."""
        await self._db.async_write(
            lambda conn: conn.execute(
                "UPDATE worker_jobs SET payload=?, updated_at=? WHERE id=?",
                (json.dumps(payload), now_iso(), job_id),
            )
        )

    async def async_cancel(self, job_id: int) -> bool:
        """An open job is cancelled; False if it had already ended."""

        def run(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    f"UPDATE worker_jobs SET state=?, updated_at=? WHERE id=? AND state IN ({_marks(OPEN_STATES)})",
                    (JobState.CANCELLED, now_iso(), job_id, *OPEN_STATES),
                ).rowcount
                == 1
            )

        return await self._db.async_write(run)

    async def async_retry(self, job_id: int) -> bool:
        """An ended, unsuccessful job is queued again, unless an open job has its dedupe key."""

        def run(conn: sqlite3.Connection) -> bool:
            job = _get(conn, job_id)
            if job is None or job.state not in RETRYABLE_STATES:
                return False
            if (
                job.dedupe_key
                and conn.execute(
                    f"SELECT 1 FROM worker_jobs WHERE dedupe_key=? AND state IN ({_marks(OPEN_STATES)})",
                    (job.dedupe_key, *OPEN_STATES),
                ).fetchone()
            ):
                return False
            conn.execute(
                "UPDATE worker_jobs SET state=?, next_attempt_at=NULL, updated_at=? WHERE id=?",
                (JobState.QUEUED, now_iso(), job_id),
            )
            return True

        return await self._db.async_write(run)

    async def async_requeue_running(self, job_type: JobType) -> int:
        """Jobs left running by a restart go back to the queue; returns how many."""

        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE worker_jobs SET state=?, updated_at=? WHERE state=? AND type=?",
                (JobState.QUEUED, now_iso(), JobState.RUNNING, job_type),
            ).rowcount

        return await self._db.async_write(run)

    async def async_get(self, job_id: int) -> Job | None:
        """One job, or None."""
        return await self._db.async_read(lambda conn: _get(conn, job_id))

    async def async_list(
        self,
        *,
        job_type: JobType | None = None,
        states: Sequence[JobState] | None = None,
        limit: int = 100,
    ) -> list[Job]:
        """Newest first."""
        where, params = _filter(job_type, states)

        def run(conn: sqlite3.Connection) -> list[Job]:
            rows = conn.execute(
                f"SELECT * FROM worker_jobs{where} ORDER BY id DESC LIMIT ?", (*params, limit)
            )
            return [Job.from_row(row) for row in rows]

        return await self._db.async_read(run)

    async def async_count(
        self, *, job_type: JobType | None = None, states: Sequence[JobState] | None = None
    ) -> int:
        """How many jobs match."""
        where, params = _filter(job_type, states)
        return await self._db.async_read(
            lambda conn: int(
                conn.execute(f"SELECT COUNT(*) FROM worker_jobs{where}", params).fetchone()[0]
            )
        )

    async def async_dedupe_keys(
        self, job_type: JobType, states: Sequence[JobState], prefix: str
    ) -> set[str]:
        """The dedupe keys starting with ``prefix`` of jobs in these states."""
        where, params = _filter(job_type, states)
        return await self._db.async_read(
            lambda conn: {
                row[0]
                for row in conn.execute(
                    f"SELECT dedupe_key FROM worker_jobs{where} AND dedupe_key LIKE ? ESCAPE '!'",
                    [
                        *params,
                        prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%",
                    ],
                )
            }
        )

    async def async_counts(self, job_type: JobType) -> dict[JobState, int]:
        """Jobs of one type per state (every state present, 0 where none), in one query."""

        def run(conn: sqlite3.Connection) -> dict[JobState, int]:
            counts: dict[JobState, int] = dict.fromkeys(JobState, 0)
            for state, count in conn.execute(
                "SELECT state, COUNT(*) FROM worker_jobs WHERE type=? GROUP BY state", (job_type,)
            ):
                counts[JobState(state)] = int(count)
            return counts

        return await self._db.async_read(run)
