"""The Plex scan coordinator: library statistics, the stored snapshot and its matching index.

Each cycle (every ``scan_worker_interval_seconds``, read again at each cycle) optionally asks Plex
to refresh the section, reads its statistics, and brings the snapshot in SQLite up to date:
the whole section the first time, nothing when ``contentChangedAt`` did not move, otherwise only
what changed since the newest ``updatedAt``/``addedAt`` stored (Plex's clock) plus the removals
found in the key listing. A restart loads the snapshot from SQLite instead of listing Plex.

Failures: a network error is counted and the next cycle runs as usual; from the third in a row
the entities go unavailable (UpdateFailed) and one ``scan_failed`` activity is written for the
streak. A rejected Plex token raises a repair issue (reauth is Spotify's) and stops the automatic
cycles from calling Plex until the entry is reconfigured (which reloads it); a manual scan still
tries, so the user can check a fix without a reload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import time
from typing import TYPE_CHECKING, Final, cast

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .activity import ActivityType, async_record_activity
from .clients.errors import ClientError, InvalidAuthError
from .const import (
    CONF_PLEX_SECTION,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
    OPT_SCAN_INCREMENTAL,
    OPT_SCAN_INTERVAL,
)
from .engine.matching import LibraryIndex
from .store import LibraryTrack, Store, StoreError
from .workers.state import WorkerState, WorkerStatus

if TYPE_CHECKING:
    from .clients.plex import PlexClient
    from .clients.plex_models import PlexTrack
    from .coordinator import HarmonyConfigEntry

# From this many failures in a row the scan entities go unavailable.
FAILURES_UNAVAILABLE: Final = 3
ISSUE_PLEX_AUTH: Final = "plex_auth_failed"

# library_state keys.
STATE_VERSION: Final = "snapshot_version"
STATE_WATERMARK: Final = "since_watermark"
STATE_CONTENT_CHANGED: Final = "content_changed_at"


@dataclass
class ScanState(WorkerState):
    """What the scan coordinator publishes."""

    interval_seconds: int = 0
    last_duration_ms: int | None = None
    last_success: datetime | None = None
    consecutive_failures: int = 0
    artists: int | None = None
    albums: int | None = None
    tracks: int | None = None
    duration_ms: int | None = None
    size_bytes: int | None = None
    library_changed_at: datetime | None = None
    refreshing: bool = False
    snapshot_version: int = 0
    snapshot_tracks: int = 0


@dataclass(frozen=True)
class LibrarySnapshot:
    """One consistent snapshot: ``index.match`` returns positions in ``tracks``."""

    version: int
    tracks: tuple[LibraryTrack, ...] = ()
    index: LibraryIndex = field(default_factory=lambda: LibraryIndex([]))


def _seconds(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def library_track(track: PlexTrack) -> LibraryTrack:
    """What the snapshot keeps of a Plex track."""
    return LibraryTrack(
        track.rating_key,
        track.title,
        track.artist,
        track.album,
        track.duration_ms,
        track.isrc,
        track.file_path,
        _seconds(track.added_at),
        _seconds(track.updated_at),
    )


def build_snapshot(version: int, tracks: Iterable[LibraryTrack]) -> LibrarySnapshot:
    """The snapshot with its index (CPU-heavy: run in the executor)."""
    ordered = tuple(tracks)
    return LibrarySnapshot(version, ordered, LibraryIndex([t.as_candidate() for t in ordered]))


def _newest(tracks: Iterable[LibraryTrack], start: int | None) -> int | None:
    """The since-watermark: the newest updatedAt/addedAt seen (Plex's clock)."""
    newest = start
    for track in tracks:
        for moment in (track.updated_at, track.added_at):
            if moment is not None and (newest is None or moment > newest):
                newest = moment
    return newest


class ScanCoordinator(DataUpdateCoordinator[ScanState]):
    """Scans the configured Plex music section and keeps its snapshot and index."""

    def __init__(
        self, hass: HomeAssistant, entry: HarmonyConfigEntry, store: Store, plex: PlexClient
    ) -> None:
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} scan",
            update_interval=timedelta(seconds=self.interval_option(entry)),
        )
        self.entry = entry
        self._store = store
        self._plex = plex
        self._section = str(entry.data[CONF_PLEX_SECTION])
        self._tracks: dict[str, LibraryTrack] = {}
        self._state: dict[str, str] = {}
        self._snapshot = LibrarySnapshot(0)
        self._loaded = False
        self._lock = asyncio.Lock()
        self._manual_path: str | None = None
        self._manual = False
        self._auth_failed = False
        self._streak_recorded = False
        self.data = ScanState(interval_seconds=self.interval_option(entry))

    @staticmethod
    def interval_option(entry: HarmonyConfigEntry) -> int:
        """The scan interval in force (seconds)."""
        value = entry.options.get(OPT_SCAN_INTERVAL, DEFAULT_OPTIONS[OPT_SCAN_INTERVAL])
        return int(cast(float, value))

    @property
    def incremental(self) -> bool:
        """Whether a cycle asks Plex to refresh first and lists only what changed."""
        return bool(
            self.entry.options.get(OPT_SCAN_INCREMENTAL, DEFAULT_OPTIONS[OPT_SCAN_INCREMENTAL])
        )

    @property
    def snapshot(self) -> LibrarySnapshot:
        """The current snapshot (replaced whole, never changed in place)."""
        return self._snapshot

    @property
    def index(self) -> LibraryIndex:
        """The matching index of the current snapshot."""
        return self._snapshot.index

    @property
    def snapshot_version(self) -> int:
        """Grows by one whenever the snapshot changes (kept across restarts)."""
        return self._snapshot.version

    @property
    def scanning(self) -> bool:
        """Whether a scan runs right now."""
        return self._lock.locked() or self._manual

    def async_mark_started(self) -> None:
        """Record the start (the entry set up)."""
        self.data = replace(self.data, started_at=dt_util.utcnow(), stopped_at=None)

    async def async_stop(self) -> None:
        """Record the stop, and schedule no further cycle."""
        self.update_interval = None
        self.data = replace(self.data, status=WorkerStatus.STOPPED, stopped_at=dt_util.utcnow())
        self.async_update_listeners()

    async def async_scan_now(self, path: str | None = None) -> ScanState:
        """A scan now (button, action); a running scan is not started twice.

        Raises ServiceValidationError when one runs, HomeAssistantError when the scan failed.
        """
        if self.scanning:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="scan_running")
        self._manual, self._manual_path = True, path
        try:
            await self.async_refresh()
        finally:
            self._manual, self._manual_path = False, None
        if self.data.status is WorkerStatus.ERROR or not self.last_update_success:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="scan_failed",
                translation_placeholders={"error": self.data.last_error or ""},
            )
        return self.data

    async def _async_update_data(self) -> ScanState:
        async with self._lock:
            return await self._async_cycle()

    async def _async_cycle(self) -> ScanState:
        interval = self.interval_option(self.entry)
        # The option is read each cycle, so a change applies from the next one without reload.
        self.update_interval = timedelta(seconds=interval)
        state = replace(self.data, interval_seconds=interval, last_seen=dt_util.utcnow())
        if self._auth_failed and not self._manual:
            return await self._async_failed(state, "Plex rejected the token; reconfigure the entry")
        started = time.monotonic()
        # Shown while the scan runs (a first listing of a large library takes seconds).
        self.data = replace(state, status=WorkerStatus.RUNNING)
        self.async_update_listeners()
        try:
            if not self._loaded:
                await self._async_load()
            if self._manual_path is not None:
                await self._plex.async_refresh(self._section, self._manual_path)
            elif self.incremental:
                await self._plex.async_refresh(self._section)
            stats = await self._plex.async_statistics(self._section)
            await self._async_sync_snapshot(stats.content_changed_at)
        except InvalidAuthError as err:
            self._auth_failed = True
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"{ISSUE_PLEX_AUTH}_{self.entry.entry_id}",
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_PLEX_AUTH,
                translation_placeholders={"title": self.entry.title},
            )
            return await self._async_failed(state, str(err))
        except (ClientError, StoreError) as err:
            return await self._async_failed(state, str(err) or type(err).__name__)
        if self._auth_failed:
            self._auth_failed = False
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_PLEX_AUTH}_{self.entry.entry_id}")
        if state.consecutive_failures:
            LOGGER.info("Plex is back after %s failed scans", state.consecutive_failures)
        self._streak_recorded = False
        return replace(
            state,
            status=WorkerStatus.IDLE,
            last_error=None,
            last_duration_ms=round((time.monotonic() - started) * 1000),
            last_success=dt_util.utcnow(),
            consecutive_failures=0,
            artists=stats.artists,
            albums=stats.albums,
            tracks=stats.tracks,
            duration_ms=stats.duration_ms,
            size_bytes=stats.size_bytes,
            library_changed_at=stats.updated_at,
            refreshing=stats.refreshing,
            snapshot_version=self._snapshot.version,
            snapshot_tracks=len(self._snapshot.tracks),
        )

    async def _async_failed(self, state: ScanState, error: str) -> ScanState:
        """Count a failure; from the third in a row the entities go unavailable."""
        state = replace(
            state,
            status=WorkerStatus.ERROR,
            last_error=error,
            consecutive_failures=self.data.consecutive_failures + 1,
        )
        if state.consecutive_failures == 1:
            LOGGER.warning("Plex is lost: %s", error)
        if state.consecutive_failures < FAILURES_UNAVAILABLE:
            return state
        # UpdateFailed keeps the last data; the counter must still grow across the streak.
        self.data = state
        if not self._streak_recorded:
            self._streak_recorded = True
            await async_record_activity(
                self.hass,
                self.entry.entry_id,
                self._store,
                ActivityType.SCAN_FAILED,
                "failed",
                {"error": error, "failures": state.consecutive_failures},
            )
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="scan_failed",
            translation_placeholders={"error": error},
        )

    async def _async_load(self) -> None:
        """The stored snapshot, and its index built off the event loop."""
        tracks, self._state = await self._store.library.async_load()
        self._tracks = {track.rating_key: track for track in tracks}
        version = int(self._state.get(STATE_VERSION, "0"))
        self._snapshot = await self.hass.async_add_executor_job(build_snapshot, version, tracks)
        self._loaded = True

    async def _async_sync_snapshot(self, content_changed_at: int | None) -> None:
        """Bring the stored snapshot up to date with Plex, as cheaply as Plex allows."""
        stored_mark = self._state.get(STATE_CONTENT_CHANGED)
        watermark = self._state.get(STATE_WATERMARK)
        if content_changed_at is not None and stored_mark == str(content_changed_at):
            return
        full = watermark is None or not self.incremental
        deletes: set[str] = set()
        if full:
            listed = await self._plex.async_snapshot_tracks(self._section)
            fresh = {track.rating_key: library_track(track) for track in listed}
            deletes = self._tracks.keys() - fresh.keys()
            upserts = [t for key, t in fresh.items() if self._tracks.get(key) != t]
        else:
            since = datetime.fromtimestamp(int(watermark or 0), UTC)
            changed = await self._plex.async_snapshot_tracks(self._section, since=since)
            keys = await self._plex.async_track_keys(self._section)
            upserts = [
                track
                for track in map(library_track, changed)
                if self._tracks.get(track.rating_key) != track
            ]
            deletes = self._tracks.keys() - keys.keys()
            unseen = keys.keys() - self._tracks.keys() - {t.rating_key for t in upserts}
            if unseen:
                # Plex has tracks older than the watermark we never stored (moved in with old
                # dates): list the section whole once rather than miss them.
                LOGGER.debug("%s tracks predate the watermark; listing the section", len(unseen))
                self._state.pop(STATE_WATERMARK, None)
                await self._async_sync_snapshot(content_changed_at)
                return
        tracks = dict(self._tracks)
        for key in deletes:
            del tracks[key]
        tracks.update((track.rating_key, track) for track in upserts)
        version = self._snapshot.version + (1 if upserts or deletes else 0)
        newest = _newest(upserts, int(watermark) if watermark and not full else None)
        if full:
            newest = _newest(tracks.values(), None)
        state = {STATE_VERSION: str(version)}
        if newest is not None:
            state[STATE_WATERMARK] = str(newest)
        if content_changed_at is not None:
            state[STATE_CONTENT_CHANGED] = str(content_changed_at)
        await self._store.library.async_apply(upserts, deletes, state=state)
        self._state.update(state)
        self._tracks = tracks
        if version != self._snapshot.version:
            snapshot = await self.hass.async_add_executor_job(
                build_snapshot, version, tracks.values()
            )
            # One assignment: readers see the old snapshot or the new one, never a mix.
            self._snapshot = snapshot
