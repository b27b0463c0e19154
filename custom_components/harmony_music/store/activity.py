"""The activity table: a bounded feed of notable happenings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import json
import sqlite3
from typing import Any

from .database import Database, now_iso


@dataclass(frozen=True)
class Activity:
    """One activity feed entry."""

    id: int
    ts: datetime
    type: str
    status: str
    details: dict[str, Any]


class ActivityTable:
    """Rows of activity; only the newest ``retention`` rows are kept."""

    def __init__(self, db: Database, *, retention: int = 5000) -> None:
        self._db = db
        self.retention = retention

    async def async_add(self, activity_type: str, status: str, details: dict[str, Any]) -> int:
        """Store one entry and drop the oldest beyond the retention."""

        def run(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO activity (ts, type, status, details) VALUES (?, ?, ?, ?)",
                (now_iso(), activity_type, status, json.dumps(details, default=str)),
            )
            conn.execute(
                "DELETE FROM activity WHERE id <= (SELECT id FROM activity ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.retention,),
            )
            return int(cur.lastrowid or 0)

        return await self._db.async_write(run)

    async def async_list(
        self, *, activity_type: str | None = None, limit: int = 50
    ) -> list[Activity]:
        """Newest first."""

        def run(conn: sqlite3.Connection) -> list[Activity]:
            if activity_type is None:
                rows = conn.execute("SELECT * FROM activity ORDER BY id DESC LIMIT ?", (limit,))
            else:
                rows = conn.execute(
                    "SELECT * FROM activity WHERE type=? ORDER BY id DESC LIMIT ?",
                    (activity_type, limit),
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

        return await self._db.async_read(run)
