"""peer_records and bad_files: what downloads taught us about Soulseek peers and their files."""

from __future__ import annotations

from datetime import datetime, timedelta
import sqlite3

from .database import Database, now_iso


class PeersTable:
    """Per-peer outcomes and the (peer, file) pairs never to download again."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def async_record(self, username: str, *, success: bool) -> None:
        """Count one outcome; a success forgives earlier failures."""

        def run(conn: sqlite3.Connection) -> None:
            now = now_iso()
            conn.execute("INSERT OR IGNORE INTO peer_records (username) VALUES (?)", (username,))
            if success:
                conn.execute(
                    "UPDATE peer_records SET successes = successes + 1, failures = 0,"
                    " last_success_at = ? WHERE username = ?",
                    (now, username),
                )
            else:
                conn.execute(
                    "UPDATE peer_records SET failures = failures + 1, last_failure_at = ?"
                    " WHERE username = ?",
                    (now, username),
                )

        await self._db.async_write(run)

    async def async_recent_failures(self, within: timedelta) -> dict[str, int]:
        """Failures since the last success, for peers that failed within ``within``."""
        since = (datetime.fromisoformat(now_iso()) - within).isoformat()
        return await self._db.async_read(
            lambda conn: {
                row[0]: int(row[1])
                for row in conn.execute(
                    "SELECT username, failures FROM peer_records"
                    " WHERE failures > 0 AND last_failure_at >= ?",
                    (since,),
                )
            }
        )

    async def async_block_file(self, username: str, filename: str, reason: str) -> None:
        """Never offer this (peer, file) again."""
        await self._db.async_write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO bad_files (username, filename, reason, created_at)"
                " VALUES (?, ?, ?, ?)",
                (username, filename, reason, now_iso()),
            )
        )

    async def async_bad_files(self) -> set[tuple[str, str]]:
        """Every blocked (peer, file)."""
        return await self._db.async_read(
            lambda conn: {
                (row[0], row[1]) for row in conn.execute("SELECT username, filename FROM bad_files")
            }
        )
