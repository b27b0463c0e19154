"""SQLite persistence: one database file per entry, one module per table group."""

from __future__ import annotations

from pathlib import Path

from .activity import Activity, ActivityTable
from .autosync import ArtistPreference, AutoSyncTable, KnownPlaylist, SkippedTrack
from .database import Database
from .downloads import (
    Download,
    DownloadPhase,
    DownloadsTable,
    DownloadState,
)
from .errors import StoreCorruptError, StoreError, StoreLockedError, StoreReadOnlyError
from .jobs import FAILED_STATES, FINAL_STATES, OPEN_STATES, Job, JobsTable, JobState, JobType
from .library import LibraryTable, LibraryTrack
from .matches import Match, MatchesTable, MatchRow
from .peers import PeersTable

__all__ = [
    "FAILED_STATES",
    "FINAL_STATES",
    "OPEN_STATES",
    "Activity",
    "ArtistPreference",
    "AutoSyncTable",
    "Download",
    "DownloadPhase",
    "DownloadState",
    "Job",
    "JobState",
    "JobType",
    "KnownPlaylist",
    "LibraryTrack",
    "Match",
    "MatchRow",
    "SkippedTrack",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreReadOnlyError",
]


class Store:
    """An entry's database and its tables."""

    def __init__(
        self, path: Path, *, busy_timeout: float = 5.0, activity_retention: int = 5000
    ) -> None:
        self.db = Database(path, busy_timeout=busy_timeout)
        self.jobs = JobsTable(self.db)
        self.matches = MatchesTable(self.db)
        self.downloads = DownloadsTable(self.db)
        self.peers = PeersTable(self.db)
        self.activity = ActivityTable(self.db, retention=activity_retention)
        self.library = LibraryTable(self.db)
        self.autosync = AutoSyncTable(self.db)

    @property
    def path(self) -> Path:
        """The database file."""
        return self.db.path

    async def async_open(self) -> None:
        """Open (create or migrate) the database."""
        await self.db.async_open()

    async def async_close(self) -> None:
        """Close the database (idempotent)."""
        await self.db.async_close()

    async def async_pause_for_backup(self) -> None:
        """Checkpoint and hold writes while Home Assistant copies the file."""
        await self.db.async_pause_for_backup()

    async def async_resume_after_backup(self) -> None:
        """Let writes go on."""
        await self.db.async_resume_after_backup()
