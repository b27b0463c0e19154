"""The library tables: the stored Plex snapshot (library_tracks) and its bookkeeping (library_state)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
import sqlite3
from typing import Any

from ..engine.library_item import library_candidate
from .database import Database

_COLUMNS = "rating_key, title, artist, album, duration_ms, isrc, file_path, added_at, updated_at"


@dataclass(frozen=True, slots=True)
class LibraryTrack:
    """One stored library track; times are Plex's (Unix seconds of its clock), never HA's."""

    rating_key: str
    title: str
    artist: str
    album: str
    duration_ms: int | None
    isrc: str | None
    file_path: str | None
    added_at: int | None
    updated_at: int | None

    def as_candidate(self) -> dict[str, Any]:
        """The library candidate shape of the matching engine."""
        return library_candidate(self.title, self.artist, self.album, self.duration_ms, self.isrc)


def _row(track: LibraryTrack) -> tuple[Any, ...]:
    return (
        track.rating_key,
        track.title,
        track.artist,
        track.album,
        track.duration_ms,
        track.isrc,
        track.file_path,
        track.added_at,
        track.updated_at,
    )


class LibraryTable:
    """The snapshot and its state; each change is one transaction, rows go in with executemany."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def async_load(self) -> tuple[list[LibraryTrack], dict[str, str]]:
        """Every stored track and the state, read in one go (one consistent picture)."""

        def run(conn: sqlite3.Connection) -> tuple[list[LibraryTrack], dict[str, str]]:
            strings: dict[str, str] = {}
            share = strings.setdefault
            tracks = [
                # Artist and album names repeat across tracks: share one string each.
                LibraryTrack(key, title, share(artist, artist), share(album, album), *rest)
                for key, title, artist, album, *rest in conn.execute(
                    f"SELECT {_COLUMNS} FROM library_tracks"
                )
            ]
            state = dict(conn.execute("SELECT key, value FROM library_state").fetchall())
            return tracks, state

        return await self._db.async_read(run)

    async def async_apply(
        self,
        upserts: Collection[LibraryTrack],
        deletes: Collection[str] = (),
        *,
        state: Mapping[str, str] | None = None,
        replace: bool = False,
    ) -> None:
        """Write a scan's result at once: replace everything, or upsert and delete; then the state."""

        def run(conn: sqlite3.Connection) -> None:
            if replace:
                conn.execute("DELETE FROM library_tracks")
            elif deletes:
                conn.executemany(
                    "DELETE FROM library_tracks WHERE rating_key = ?", [(key,) for key in deletes]
                )
            conn.executemany(
                f"INSERT OR REPLACE INTO library_tracks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(track) for track in upserts],
            )
            if state:
                conn.executemany(
                    "INSERT OR REPLACE INTO library_state (key, value) VALUES (?, ?)",
                    list(state.items()),
                )

        await self._db.async_write(run)

    async def async_count(self) -> int:
        """How many tracks are stored."""
        return await self._db.async_read(
            lambda conn: int(conn.execute("SELECT COUNT(*) FROM library_tracks").fetchone()[0])
        )
