"""The matches table: candidates that scored as the same recording as a Spotify track."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
import json
import sqlite3
from typing import Any

from .database import Database, now_iso
from .jobs import complete_in
from .schema import candidate_key


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
class MatchRow:
    """A match to save."""

    candidate: dict[str, Any]
    score: float
    parts: dict[str, Any]
    source: str


class MatchesTable:
    """Rows of matches."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def async_save_and_complete(
        self,
        job_id: int,
        spotify_track_id: str,
        rows: Sequence[MatchRow],
        result: dict[str, Any],
    ) -> int | None:
        """Save a job's matches and complete it in one transaction.

        Returns how many matches were new (one already saved for the same track and candidate
        is kept, not saved again), or None when the job was no longer running.
        """

        def run(conn: sqlite3.Connection) -> int | None:
            if not complete_in(conn, job_id, result):
                return None
            completed = conn.total_changes
            now = now_iso()
            conn.executemany(
                "INSERT OR IGNORE INTO matches (job_id, spotify_track_id, candidate, candidate_key,"
                " score, parts, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        job_id,
                        spotify_track_id,
                        json.dumps(row.candidate),
                        candidate_key(row.candidate),
                        row.score,
                        json.dumps(row.parts),
                        row.source,
                        now,
                    )
                    for row in rows
                ],
            )
            return conn.total_changes - completed

        return await self._db.async_write(run)

    async def async_list(
        self, spotify_track_id: str | None = None, limit: int = 100
    ) -> list[Match]:
        """Newest first, or one track's best first."""

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

        return await self._db.async_read(run)

    async def async_count(self) -> int:
        """All saved matches."""
        return await self._db.async_read(
            lambda conn: int(conn.execute("SELECT COUNT(*) FROM matches").fetchone()[0])
        )
