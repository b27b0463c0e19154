"""Auto-sync's tables: playlist snapshots, skip state, artist preferences and runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import json
import sqlite3
from typing import Any

from .database import Database, now_iso


class ArtistPreference(StrEnum):
    """What the user wants of an artist."""

    INCLUDE = "include"  # when any artist is included, only included artists are synced
    EXCLUDE = "exclude"  # never synced


@dataclass(frozen=True)
class SkippedTrack:
    """A track whose search failed, and when it may be tried again."""

    spotify_track_id: str
    reason: str
    failures: int
    last_attempt_at: datetime
    next_attempt_at: datetime | None  # None: at the next run


@dataclass(frozen=True)
class KnownPlaylist:
    """A playlist as the last run read it."""

    playlist_id: str
    name: str
    snapshot_id: str
    tracks: list[dict[str, Any]]


def artist_key(artist: str) -> str:
    """One spelling per artist for preferences (case and outer spaces do not count)."""
    return " ".join(artist.casefold().split())


class AutoSyncTable:
    """Persistence of the auto-sync coordinator."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- playlists ----------------------------------------------------------------------
    async def async_known_playlists(self) -> dict[str, KnownPlaylist]:
        """Every playlist read by an earlier run."""

        def run(conn: sqlite3.Connection) -> dict[str, KnownPlaylist]:
            return {
                row[0]: KnownPlaylist(row[0], row[1], row[2], json.loads(row[3]))
                for row in conn.execute(
                    "SELECT playlist_id, name, snapshot_id, tracks FROM autosync_playlists"
                )
            }

        return await self._db.async_read(run)

    async def async_save_playlists(self, playlists: list[KnownPlaylist], keep: set[str]) -> None:
        """Store the playlists read now; forget those no longer in ``keep``."""

        def run(conn: sqlite3.Connection) -> None:
            now = now_iso()
            conn.executemany(
                "INSERT OR REPLACE INTO autosync_playlists"
                " (playlist_id, name, snapshot_id, tracks, updated_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (p.playlist_id, p.name, p.snapshot_id, json.dumps(p.tracks), now)
                    for p in playlists
                ],
            )
            stored = [row[0] for row in conn.execute("SELECT playlist_id FROM autosync_playlists")]
            conn.executemany(
                "DELETE FROM autosync_playlists WHERE playlist_id = ?",
                [(pid,) for pid in stored if pid not in keep],
            )

        await self._db.async_write(run)

    # --- skip state ---------------------------------------------------------------------
    async def async_skipped(self) -> dict[str, SkippedTrack]:
        """Every track with failed searches."""

        def run(conn: sqlite3.Connection) -> dict[str, SkippedTrack]:
            return {
                row[0]: SkippedTrack(
                    row[0],
                    row[1],
                    int(row[2]),
                    datetime.fromisoformat(row[3]),
                    datetime.fromisoformat(row[4]) if row[4] else None,
                )
                for row in conn.execute(
                    "SELECT spotify_track_id, reason, failures, last_attempt_at, next_attempt_at"
                    " FROM auto_sync_skipped_tracks"
                )
            }

        return await self._db.async_read(run)

    async def async_record_failure(
        self, track_id: str, reason: str, next_attempt_at: datetime | None
    ) -> int:
        """Count one failed search; returns the failures so far."""

        def run(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO auto_sync_skipped_tracks"
                " (spotify_track_id, reason, failures, last_attempt_at, next_attempt_at)"
                " VALUES (?, ?, 1, ?, ?) ON CONFLICT (spotify_track_id) DO UPDATE SET"
                " reason = excluded.reason, failures = failures + 1,"
                " last_attempt_at = excluded.last_attempt_at,"
                " next_attempt_at = excluded.next_attempt_at",
                (
                    track_id,
                    reason,
                    now_iso(),
                    next_attempt_at.isoformat() if next_attempt_at else None,
                ),
            )
            row = conn.execute(
                "SELECT failures FROM auto_sync_skipped_tracks WHERE spotify_track_id = ?",
                (track_id,),
            ).fetchone()
            return int(row[0])

        return await self._db.async_write(run)

    async def async_set_next_attempt(self, track_id: str, at: datetime | None) -> None:
        """When the track may be searched again."""
        await self._db.async_write(
            lambda conn: conn.execute(
                "UPDATE auto_sync_skipped_tracks SET next_attempt_at = ?"
                " WHERE spotify_track_id = ?",
                (at.isoformat() if at else None, track_id),
            )
        )

    async def async_clear_skip(self, track_id: str | None = None) -> int:
        """Forget the skip state of one track, or of all (None); returns how many."""

        def run(conn: sqlite3.Connection) -> int:
            if track_id is None:
                return conn.execute("DELETE FROM auto_sync_skipped_tracks").rowcount
            return conn.execute(
                "DELETE FROM auto_sync_skipped_tracks WHERE spotify_track_id = ?", (track_id,)
            ).rowcount

        return await self._db.async_write(run)

    # --- artist preferences ---------------------------------------------------------------
    async def async_artist_preferences(self) -> dict[str, tuple[str, ArtistPreference]]:
        """Artist key -> (artist as the user wrote it, preference)."""
        return await self._db.async_read(
            lambda conn: {
                row[0]: (row[1], ArtistPreference(row[2]))
                for row in conn.execute(
                    "SELECT artist_key, artist, preference FROM artist_preferences"
                    " ORDER BY artist_key"
                )
            }
        )

    async def async_set_artist_preference(
        self, artist: str, preference: ArtistPreference | None
    ) -> None:
        """Include or exclude an artist; None removes the preference."""
        key = artist_key(artist)

        def run(conn: sqlite3.Connection) -> None:
            if preference is None:
                conn.execute("DELETE FROM artist_preferences WHERE artist_key = ?", (key,))
                return
            conn.execute(
                "INSERT OR REPLACE INTO artist_preferences"
                " (artist_key, artist, preference, updated_at) VALUES (?, ?, ?, ?)",
                (key, artist.strip(), preference.value, now_iso()),
            )

        await self._db.async_write(run)

    # --- runs ---------------------------------------------------------------------------
    async def async_start_run(self) -> int:
        """A new run; returns its id."""

        def run(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO autosync_runs (started_at, status) VALUES (?, 'running')",
                (now_iso(),),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        return await self._db.async_write(run)

    async def async_finish_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        """Store how a run ended."""
        await self._db.async_write(
            lambda conn: conn.execute(
                "UPDATE autosync_runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (now_iso(), status, json.dumps(summary), run_id),
            )
        )

    async def async_interrupted_runs(self) -> int:
        """Runs a restart cut short are marked so; returns how many."""
        return await self._db.async_write(
            lambda conn: conn.execute(
                "UPDATE autosync_runs SET status = 'interrupted', finished_at = ?"
                " WHERE status = 'running'",
                (now_iso(),),
            ).rowcount
        )

    async def async_last_run(self) -> tuple[int, str, dict[str, Any]] | None:
        """The last finished run: id, status, summary."""

        def run(conn: sqlite3.Connection) -> tuple[int, str, dict[str, Any]] | None:
            row = conn.execute(
                "SELECT id, status, summary FROM autosync_runs WHERE finished_at IS NOT NULL"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
            return (int(row[0]), str(row[1]), json.loads(row[2])) if row else None

        return await self._db.async_read(run)
