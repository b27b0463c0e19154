"""The downloads table: one row per file of a download job, from enqueue to library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import sqlite3
from typing import Any

from .database import Database, now_iso


class DownloadState(StrEnum):
    """Where one file is."""

    PENDING = "pending"  # not yet enqueued at slskd
    ENQUEUED = "enqueued"  # slskd has it (transfer_id set); queued or transferring
    VERIFYING = "verifying"
    IMPORTING = "importing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DownloadPhase(StrEnum):
    """What part of the pipeline a failure happened in (shown in activity entries)."""

    SEARCH = "search"
    TRANSFER = "transfer"
    VERIFY = "verify"
    IMPORT = "import"


@dataclass(frozen=True)
class Download:
    """One row of downloads."""

    id: int
    job_id: int
    username: str
    filename: str
    size: int
    transfer_id: str | None
    state: DownloadState
    progress: float
    bytes: int
    local_path: str | None
    library_path: str | None
    error: str | None
    phase: DownloadPhase | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Download:
        """A download from its row."""
        return cls(
            id=row["id"],
            job_id=row["job_id"],
            username=row["username"],
            filename=row["filename"],
            size=row["size"],
            transfer_id=row["transfer_id"],
            state=DownloadState(row["state"]),
            progress=row["progress"],
            bytes=row["bytes"],
            local_path=row["local_path"],
            library_path=row["library_path"],
            error=row["error"],
            phase=DownloadPhase(row["phase"]) if row["phase"] else None,
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )


def _get(conn: sqlite3.Connection, download_id: int) -> Download:
    return Download.from_row(
        conn.execute("SELECT * FROM downloads WHERE id = ?", (download_id,)).fetchone()
    )


class DownloadsTable:
    """Rows of downloads; each change is committed before the side effect it announces."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def async_ensure(self, job_id: int, username: str, filename: str, size: int) -> Download:
        """The row of one file of a job, created pending on first sight (a resumed job reuses it)."""

        def run(conn: sqlite3.Connection) -> Download:
            now = now_iso()
            conn.execute(
                "INSERT OR IGNORE INTO downloads (job_id, username, filename, size, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, username, filename, size, DownloadState.PENDING, now, now),
            )
            row = conn.execute(
                "SELECT * FROM downloads WHERE job_id = ? AND username = ? AND filename = ?",
                (job_id, username, filename),
            ).fetchone()
            return Download.from_row(row)

        return await self._db.async_write(run)

    async def async_update(self, download_id: int, **changes: Any) -> Download:
        """Change some columns of a row (names are fixed here, values are parameters)."""
        allowed = {
            "transfer_id",
            "state",
            "progress",
            "bytes",
            "local_path",
            "library_path",
            "error",
            "phase",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown download columns: {sorted(unknown)}")

        def run(conn: sqlite3.Connection) -> Download:
            columns = ", ".join(f"{name} = ?" for name in changes)
            conn.execute(
                f"UPDATE downloads SET {columns}, updated_at = ? WHERE id = ?",
                (*changes.values(), now_iso(), download_id),
            )
            return _get(conn, download_id)

        return await self._db.async_write(run)

    async def async_all_transferred(self, job_ids: Sequence[int]) -> bool:
        """Whether every file of these jobs left slskd (verifying, importing or done)."""
        if not job_ids:
            return True
        marks = ",".join("?" * len(job_ids))
        waiting = (DownloadState.PENDING.value, DownloadState.ENQUEUED.value)
        return await self._db.async_read(
            lambda conn: conn.execute(
                f"SELECT COUNT(*) FROM downloads WHERE job_id IN ({marks}) AND state IN (?, ?)",
                [*job_ids, *waiting],
            ).fetchone()[0]
            == 0
        )

    async def async_for_job(self, job_id: int) -> list[Download]:
        """A job's files, in the order they were added."""
        return await self._db.async_read(
            lambda conn: [
                Download.from_row(row)
                for row in conn.execute(
                    "SELECT * FROM downloads WHERE job_id = ? ORDER BY id", (job_id,)
                )
            ]
        )
