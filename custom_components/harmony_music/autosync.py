"""The auto-sync coordinator: Spotify → what Plex lacks → Soulseek → beets → Plex, once a day.

A run: read Spotify (``spotify``), bring the library snapshot up to date and diff against it
(``library``), search Soulseek for what is wanted and queue the downloads (``search``; downloads
start while searching goes on), wait for them (``download`` / ``import``), then scan Plex so the
new tracks are never wanted again (``plex``). One run at a time; a Spotify or Plex outage ends
the run as ``partial``. Searches are the scarce resource (34 per 220 s): an album with several
wanted tracks is searched once, and every result is tried against the other wanted tracks of
its album before any of them is searched on its own.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
import contextlib
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .activity import ActivityType, async_record_activity
from .autosync_collect import async_collect
from .clients.errors import ClientError, InvalidAuthError
from .clients.slskd import SlskdSearchResponse
from .const import (
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
    OPT_AUTOSYNC_COOLDOWN_DAYS,
    OPT_AUTOSYNC_FAVOURITES,
    OPT_AUTOSYNC_PLAYLISTS,
    OPT_AUTOSYNC_TIME,
    OPT_MATCHING_THRESHOLD,
    OPT_SKIP_THRESHOLD,
)
from .engine.file_choice import FileChoice
from .engine.search_ladder import album_query, first_artist
from .engine.wanted import library_diff
from .store import ArtistPreference, JobState, JobType, Store, StoreError
from .workers.download import track_dedupe_key
from .workers.state import WorkerState, WorkerStatus

if TYPE_CHECKING:
    from .clients.spotify import SpotifyClient
    from .coordinator import HarmonyConfigEntry
    from .scan import ScanCoordinator
    from .workers.download import DownloadWorker

# Gaps before a track whose search failed is searched again, by failures so far (then weekly).
RETRY_GAPS = (timedelta(0), timedelta(0), timedelta(hours=4), timedelta(hours=24))
RETRY_WEEKLY = timedelta(days=7)
# Soulseek trouble this many searches in a row stops the search phase (the network is down).
SEARCH_ERRORS_STOP = 3
# Searches an album group costs at least, for the estimate: the first groups (best-known
# tracks, whole albums) are the cheapest, the failing tracks that walk the whole ladder come
# later. Measured 1.53 over a first run of the end-to-end world (23 searches, 15 groups).
SEARCHES_PER_GROUP = 1.5
# A search's own time before any was timed: slskd's 15 s timeout ends most searches early.
DEFAULT_SEARCH_SECONDS = 5.0
# A run waits this long at most for its downloads (each job ends by itself: retries are bounded).
DOWNLOAD_WAIT = timedelta(days=2)
PHASE_REFRESH_SECONDS = 5.0


class AutoSyncPhase(StrEnum):
    """Where a run stands."""

    SPOTIFY = "spotify"
    LIBRARY = "library"
    SEARCH = "search"
    DOWNLOAD = "download"
    IMPORT = "import"
    PLEX = "plex"


class RunStatus(StrEnum):
    """How a run ended."""

    OK = "ok"
    PARTIAL = "partial"  # a service failed: what could be done was done
    FAILED = "failed"  # nothing could be done


class ServiceStatus(StrEnum):
    """One service's part in a run."""

    OK = "ok"
    FAILED = "failed"
    NOT_USED = "not_used"  # the run ended before it needed the service


@dataclass
class RunCounts:
    """What one run found and did."""

    collected: int = 0
    left_out: int = 0  # local files, episodes, unplayable
    playlists_read: int = 0
    playlists_unchanged: int = 0
    already_owned: int = 0
    excluded: int = 0  # artist preferences
    already_queued: int = 0  # queued or downloaded by an earlier run or the action
    cooling_down: int = 0  # failed before; not yet due again
    wanted: int = 0
    searches: int = 0
    search_errors: int = 0
    queued: int = 0
    downloaded: int = 0
    imported: int = 0
    download_failed: int = 0
    not_found: int = 0
    low_quality: int = 0
    skipped: int = 0  # at the skip threshold: left alone until the cool-down ends

    @property
    def searches_per_import(self) -> float | None:
        """Searches spent per imported track."""
        return round(self.searches / self.imported, 2) if self.imported else None


@dataclass
class AutoSyncState(WorkerState):
    """What the auto-sync coordinator publishes."""

    phase: AutoSyncPhase | None = None
    run_id: int | None = None
    run_started_at: datetime | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    searches_remaining: int | None = None
    eta_seconds: int | None = None
    next_run: datetime | None = None
    last_run_id: int | None = None
    last_status: RunStatus | None = None
    last_finished_at: datetime | None = None
    last_duration_s: float | None = None
    last_counts: RunCounts | None = None
    last_services: dict[str, str] = field(default_factory=dict)


def next_attempt(failures: int, threshold: int, cooldown: timedelta) -> timedelta:
    """How long after a failed search the track is tried again."""
    if failures >= threshold:
        return cooldown  # skipped, with one fresh try after the cool-down
    if failures <= len(RETRY_GAPS):
        return RETRY_GAPS[failures - 1]
    return RETRY_WEEKLY


def album_key(track: Mapping[str, Any]) -> str:
    """Tracks of one album share a search."""
    album = track.get("album")
    album_id = album.get("id") if isinstance(album, Mapping) else None
    return str(album_id or f"track:{track.get('id')}")


class AutoSyncCoordinator(DataUpdateCoordinator[AutoSyncState]):
    """Runs auto-sync daily at ``autosync_time`` and on demand; pushes its progress."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HarmonyConfigEntry,
        store: Store,
        spotify: SpotifyClient,
        scan: ScanCoordinator,
        download: DownloadWorker,
    ) -> None:
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} auto-sync", update_interval=None
        )
        self.entry = entry
        self._store = store
        self._spotify = spotify
        self._scan = scan
        self._download = download
        self._task: asyncio.Task[None] | None = None
        self._last_scheduled: str | None = None
        self._errors_in_row = 0  # search errors in a row during a run
        self._counts = RunCounts()
        self._followers: dict[asyncio.Task[None], int] = {}  # the run's jobs, by their waits
        self.data = AutoSyncState()

    # --- options --------------------------------------------------------------------------
    def _option(self, key: str) -> Any:
        return self.entry.options.get(key, DEFAULT_OPTIONS[key])

    def _run_time(self) -> tuple[int, int]:
        hours, minutes, *_ = str(self._option(OPT_AUTOSYNC_TIME)).split(":")
        return int(hours), int(minutes)

    def _next_run(self) -> datetime:
        hour, minute = self._run_time()
        now = dt_util.now()
        moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return moment if moment > now else moment + timedelta(days=1)

    # --- lifecycle ------------------------------------------------------------------------
    async def async_start(self) -> None:
        """Close runs a restart cut short; check the clock every minute from now on."""
        interrupted = await self._store.autosync.async_interrupted_runs()
        if interrupted:
            LOGGER.info("Auto-sync: %s run(s) were cut short by a restart", interrupted)
        last = await self._store.autosync.async_last_run()
        state = replace(
            self.data,
            status=WorkerStatus.IDLE,
            started_at=dt_util.utcnow(),
            next_run=self._next_run(),
        )
        if last is not None:
            run_id, status, summary = last
            counts = summary.get("counts")
            state = replace(
                state,
                last_run_id=run_id,
                last_status=RunStatus(status) if status in set(RunStatus) else None,
                last_counts=RunCounts(**counts) if isinstance(counts, dict) else None,
                last_services=dict(summary.get("services") or {}),
                last_duration_s=summary.get("duration_s"),
            )
        self.async_set_updated_data(state)
        # The option is read at every tick, so a changed time applies without a reload.
        self.entry.async_on_unload(async_track_time_change(self.hass, self._async_tick, second=0))
        self.entry.async_on_unload(self.async_stop)

    async def async_stop(self) -> None:
        """Cancel a running run (its jobs stay queued for the download worker)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.data = replace(self.data, status=WorkerStatus.STOPPED, stopped_at=dt_util.utcnow())
        self.async_update_listeners()

    @callback
    def _async_tick(self, now: datetime) -> None:
        """Start the daily run at its time (once per day, even if the tick repeats)."""
        hour, minute = self._run_time()
        if not self.running and (next_run := self._next_run()) != self.data.next_run:
            self._publish(next_run=next_run)  # the option changed, or today's run went by
        local = dt_util.as_local(now)
        if (local.hour, local.minute) != (hour, minute):
            return
        today = local.date().isoformat()
        if self._last_scheduled == today:
            return
        self._last_scheduled = today
        if self.running:
            LOGGER.info("Auto-sync: the daily run is skipped, the previous run still goes on")
            return
        self.hass.async_create_task(self.async_run_now(), eager_start=True)

    @property
    def running(self) -> bool:
        """Whether a run goes on."""
        return self._task is not None and not self._task.done()

    async def async_run_now(self) -> int:
        """Start a run now and return its id; refused while one runs."""
        if self.running:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="autosync_running",
                translation_placeholders={"run_id": str(self.data.run_id)},
            )
        run_id = await self._store.autosync.async_start_run()
        self._counts = RunCounts()  # the run's live counts; entities get copies
        self.async_set_updated_data(
            replace(
                self.data,
                status=WorkerStatus.RUNNING,
                last_error=None,
                phase=AutoSyncPhase.SPOTIFY,
                run_id=run_id,
                run_started_at=dt_util.utcnow(),
                counts=replace(self._counts),
                searches_remaining=None,
                eta_seconds=None,
            )
        )
        self._task = self.entry.async_create_background_task(
            self.hass, self._async_run(run_id), f"{DOMAIN} auto-sync run {run_id}"
        )
        return run_id

    async def async_wait(self) -> None:
        """Wait for the running run to end (tests, the action with a wait)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    # --- publishing -----------------------------------------------------------------------
    @callback
    def _publish(self, **changes: Any) -> None:
        self.async_set_updated_data(
            replace(self.data, last_seen=dt_util.utcnow(), counts=replace(self._counts), **changes)
        )

    # --- the run --------------------------------------------------------------------------
    async def _async_run(self, run_id: int) -> None:
        started = time.monotonic()
        counts = self._counts
        services = {
            "spotify": ServiceStatus.NOT_USED,
            "plex": ServiceStatus.NOT_USED,
            "soulseek": ServiceStatus.NOT_USED,
        }
        status = RunStatus.OK
        error: str | None = None
        try:
            status, error = await self._async_phases(counts, services)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a run never takes the coordinator down with it
            LOGGER.exception("Auto-sync run %s failed", run_id)
            status, error = RunStatus.FAILED, str(err) or type(err).__name__
        finally:
            self._stop_following()
        duration = round(time.monotonic() - started, 1)
        summary: dict[str, Any] = {
            "run_id": run_id,
            "status": status.value,
            "services": {name: value.value for name, value in services.items()},
            "counts": asdict(counts),
            "searches_per_import": counts.searches_per_import,
            "duration_s": duration,
            "error": error,
        }
        try:
            await self._store.autosync.async_finish_run(run_id, status.value, summary)
        except StoreError as err:
            LOGGER.warning("Could not store auto-sync run %s: %s", run_id, err)
        await async_record_activity(
            self.hass,
            self.entry.entry_id,
            self._store,
            ActivityType.AUTOSYNC_COMPLETED,
            status.value,
            summary,
        )
        self._publish(
            status=WorkerStatus.IDLE if status is RunStatus.OK else WorkerStatus.ERROR,
            last_error=error,
            phase=None,
            run_id=None,
            searches_remaining=None,
            eta_seconds=None,
            next_run=self._next_run(),
            last_run_id=run_id,
            last_status=status,
            last_finished_at=dt_util.utcnow(),
            last_duration_s=duration,
            last_counts=replace(counts),
            last_services=summary["services"],
        )

    async def _async_phases(
        self, counts: RunCounts, services: dict[str, ServiceStatus]
    ) -> tuple[RunStatus, str | None]:
        # Spotify.
        self._publish(phase=AutoSyncPhase.SPOTIFY)
        try:
            collected = await async_collect(
                self._spotify, self._store, list(self._option(OPT_AUTOSYNC_PLAYLISTS) or [])
            )
        except InvalidAuthError as err:
            # The grant is gone (access revoked in Spotify's settings): ask the user to sign in.
            services["spotify"] = ServiceStatus.FAILED
            LOGGER.warning("Auto-sync: Spotify access was revoked: %s", err)
            self.entry.async_start_reauth(self.hass)
            return RunStatus.PARTIAL, f"Spotify: {err}"
        except ClientError as err:
            services["spotify"] = ServiceStatus.FAILED
            LOGGER.warning("Auto-sync: Spotify failed: %s", err)
            return RunStatus.PARTIAL, f"Spotify: {err}"
        services["spotify"] = ServiceStatus.OK
        counts.collected = len(collected.tracks)
        counts.left_out = collected.left_out
        counts.playlists_read = collected.playlists_read
        counts.playlists_unchanged = collected.playlists_unchanged

        # Library: a scan first, so what was imported since the last one counts as owned.
        self._publish(phase=AutoSyncPhase.LIBRARY)
        # A scan already running is waited for (its lock), then this one lists what changed.
        await self._scan.async_refresh()
        if self._scan_failed():
            services["plex"] = ServiceStatus.FAILED
            return RunStatus.PARTIAL, f"Plex: {self._scan.data.last_error or 'not scanned'}"
        services["plex"] = ServiceStatus.OK
        wanted = await self._async_wanted(collected.tracks, collected.sources, counts)
        counts.wanted = len(wanted)
        self._publish()

        # Search (downloads start as soon as their files are chosen).
        self._publish(phase=AutoSyncPhase.SEARCH)
        jobs: dict[int, str] = {}
        if wanted:
            services["soulseek"] = ServiceStatus.OK
            if not await self._async_search_all(wanted, counts, jobs):
                services["soulseek"] = ServiceStatus.FAILED

        # Download and import.
        if jobs:
            await self._async_wait_downloads()
            if counts.download_failed and not counts.imported:
                services["soulseek"] = ServiceStatus.FAILED

        # Plex: the new tracks join the snapshot, so no later run wants them again.
        if counts.imported:
            self._publish(phase=AutoSyncPhase.PLEX)
            await self._scan.async_refresh()
            if self._scan_failed():
                services["plex"] = ServiceStatus.FAILED
        failed = [name for name, value in services.items() if value is ServiceStatus.FAILED]
        if failed:
            return RunStatus.PARTIAL, ", ".join(f"{name} failed" for name in failed)
        return RunStatus.OK, None

    def _scan_failed(self) -> bool:
        """The latest scan failed, or none ever succeeded (the diff would be blind)."""
        scan = self._scan.data
        return scan.status is WorkerStatus.ERROR or scan.last_success is None

    async def _async_wanted(
        self,
        tracks: dict[str, dict[str, Any]],
        sources: dict[str, set[str]],
        counts: RunCounts,
    ) -> list[dict[str, Any]]:
        """What the library lacks, minus what is queued, downloaded, excluded or cooling down."""
        preferences = await self._store.autosync.async_artist_preferences()
        include = {k for k, (_, p) in preferences.items() if p is ArtistPreference.INCLUDE}
        exclude = {k for k, (_, p) in preferences.items() if p is ArtistPreference.EXCLUDE}
        index = self._scan.index
        threshold = self._option(OPT_MATCHING_THRESHOLD)
        favourites = set(self._option(OPT_AUTOSYNC_FAVOURITES) or [])
        diff = await self.hass.async_add_executor_job(
            lambda: library_diff(
                tracks,
                sources,
                index,
                threshold=threshold,
                include=include,
                exclude=exclude,
                favourites=favourites,
            )
        )
        counts.already_owned = diff.owned
        counts.excluded = diff.excluded
        taken = await self._store.jobs.async_dedupe_keys(
            JobType.DOWNLOAD,
            [JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED],
            track_dedupe_key(""),
        )
        skipped = await self._store.autosync.async_skipped()
        now = dt_util.utcnow()
        # Due times follow today's options, so a changed threshold or cool-down applies now.
        skip_threshold, cooldown = self._skip_rules()
        wanted = []
        for track in diff.missing:
            track_id = str(track["id"])
            if track_dedupe_key(track_id) in taken:
                counts.already_queued += 1
                continue
            skip = skipped.get(track_id)
            if (
                skip is not None
                and skip.last_attempt_at + next_attempt(skip.failures, skip_threshold, cooldown)
                > now
            ):
                counts.cooling_down += 1
                continue
            wanted.append(track)
        return wanted

    def _skip_rules(self) -> tuple[int, timedelta]:
        """The skip threshold and the cool-down in the options now."""
        return (
            int(self._option(OPT_SKIP_THRESHOLD)),
            timedelta(days=float(self._option(OPT_AUTOSYNC_COOLDOWN_DAYS))),
        )

    # --- searching ------------------------------------------------------------------------
    def _eta(self, groups_left: int, groups_done: int, started: float, waited: float) -> None:
        """Searches still expected and how long until the searching is done.

        Searches per album group so far (at least ``SEARCHES_PER_GROUP``) times the groups left; each
        at the pace of the searches so far (their own time, not the budget's waits), within the
        search budget (``SearchBudget.seconds_for``).
        """
        budget = self._download.search_budget
        done = self._counts.searches
        per_group = max(done / groups_done if groups_done else 0.0, SEARCHES_PER_GROUP)
        remaining = max(groups_left, round(groups_left * per_group))
        per_search = DEFAULT_SEARCH_SECONDS
        if done:
            own = time.monotonic() - started - (budget.waited - waited)
            per_search = max(own, 0.0) / done
        self._publish(
            searches_remaining=remaining,
            eta_seconds=round(budget.seconds_for(remaining, per_search)),
        )

    async def _async_search_all(
        self, wanted: list[dict[str, Any]], counts: RunCounts, jobs: dict[int, str]
    ) -> bool:
        """Search album by album; False when Soulseek could not be searched."""
        albums: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for track in wanted:  # best first, so albums come in the order of their best track
            albums[album_key(track)].append(track)
        low: dict[str, list[FileChoice]] = {}
        started, waited = time.monotonic(), self._download.search_budget.waited
        self._errors_in_row = 0
        groups = list(albums.values())
        for position, group in enumerate(groups):
            pending = list(group)
            # Queries whose results every pending track of the album was already tried against.
            searched: set[str] = set()
            album_responses: Sequence[SlskdSearchResponse] = ()
            self._eta(len(groups) - position, position, started, waited)
            if len(pending) > 1 and (query := album_query(pending[0])) is not None:
                searched.add(query.text.casefold())
                counts.searches += 1
                try:
                    album_responses = await self._download.async_soulseek_search(query.text)
                except ClientError as err:
                    await self._async_search_error(counts, str(err), search=query.text)
                else:
                    self._errors_in_row = 0
                    await self._async_take(pending, album_responses, counts, jobs, low)
            while pending and self._errors_in_row < SEARCH_ERRORS_STOP:
                track = pending[0]
                artist_seen = bool(album_responses) and await self._download.async_names_artist(
                    album_responses, first_artist(track)
                )
                try:
                    found = await self._download.async_search_track(
                        track, set(searched), artist_seen=artist_seen
                    )
                except ClientError as err:
                    counts.searches += 1
                    await self._async_search_error(counts, str(err), spotify_track=track["id"])
                    continue
                self._errors_in_row = 0
                counts.searches += len(found.queries)
                pending.remove(track)
                if found.good:
                    await self._async_queue(track, found.good, counts, jobs)
                    # The folder that held this track may hold the album's other wanted tracks.
                    if pending:
                        await self._async_take(pending, found.responses, counts, jobs, low)
                    continue
                found.low = found.low or low.get(str(track["id"]), [])
                if found.low:
                    counts.low_quality += 1
                    await self._download.async_low_quality(track, found)
                    await self._async_search_failed(track, "low_quality", counts)
                else:
                    counts.not_found += 1
                    await self._async_search_failed(track, "not_found", counts)
                self._publish()
            if self._errors_in_row >= SEARCH_ERRORS_STOP:
                LOGGER.warning("Auto-sync: Soulseek cannot be searched; the run stops searching")
                return False
        self._publish(searches_remaining=0, eta_seconds=0)
        return True

    async def _async_search_error(self, counts: RunCounts, error: str, **details: Any) -> None:
        counts.search_errors += 1
        self._errors_in_row += 1
        await async_record_activity(
            self.hass,
            self.entry.entry_id,
            self._store,
            ActivityType.DOWNLOAD_FAILED,
            "error",
            {"phase": "search", "error": error, "source": "autosync", **details},
        )

    async def _async_take(
        self,
        pending: list[dict[str, Any]],
        responses: Sequence[SlskdSearchResponse],
        counts: RunCounts,
        jobs: dict[int, str],
        low: dict[str, list[FileChoice]],
    ) -> None:
        """Queue every pending track the responses hold within the rules (no new search)."""
        results = await self._download.async_choose(pending, responses)
        for track, (good, found_low) in zip(list(pending), results, strict=True):
            if good:
                pending.remove(track)
                await self._async_queue(track, good, counts, jobs)
            elif found_low:
                low.setdefault(str(track["id"]), found_low)

    async def _async_queue(
        self,
        track: Mapping[str, Any],
        files: list[FileChoice],
        counts: RunCounts,
        jobs: dict[int, str],
    ) -> None:
        job, created = await self._download.async_submit_track(
            str(track["id"]),
            priority=int(track.get("priority", 0)),
            candidates=files,
            origin={"autosync_run": self.data.run_id, "track": dict(track)},
        )
        if created:
            counts.queued += 1
            jobs[job.id] = str(track["id"])
            self._follow(job.id, str(track["id"]), counts)
        else:
            counts.already_queued += 1
        self._publish()

    async def _async_search_failed(
        self, track: Mapping[str, Any], reason: str, counts: RunCounts
    ) -> None:
        track_id = str(track["id"])
        threshold, cooldown = self._skip_rules()
        failures = await self._store.autosync.async_record_failure(track_id, reason, None)
        gap = next_attempt(failures, threshold, cooldown)
        if failures >= threshold:
            counts.skipped += 1
        if gap:
            await self._store.autosync.async_set_next_attempt(track_id, dt_util.utcnow() + gap)

    # --- waiting for downloads ------------------------------------------------------------
    def _follow(self, job_id: int, track_id: str, counts: RunCounts) -> None:
        """Count the job when it ends, while the run goes on searching (entities see it)."""
        task = asyncio.ensure_future(self._async_follow(job_id, track_id, counts))
        self._followers[task] = job_id

    async def _async_follow(self, job_id: int, track_id: str, counts: RunCounts) -> None:
        job = await self._download.queue.async_wait(job_id, DOWNLOAD_WAIT.total_seconds())
        if job is not None and job.state is JobState.COMPLETED:
            counts.downloaded += 1
            counts.imported += 1
            await self._store.autosync.async_clear_skip(track_id)
        else:  # failed, or still open after the longest wait
            counts.download_failed += 1
            await self._async_search_failed({"id": track_id}, "download_failed", counts)
        self._publish()

    def _stop_following(self) -> None:
        """A run cancelled by an unload leaves no follower behind."""
        for task in self._followers:
            task.cancel()
        self._followers = {}

    async def _async_wait_downloads(self) -> None:
        """Until every job of the run ended (phase import once every file is transferred)."""
        self._publish(phase=AutoSyncPhase.DOWNLOAD)
        pending = {task for task in self._followers if not task.done()}
        while pending:
            _, pending = await asyncio.wait(pending, timeout=PHASE_REFRESH_SECONDS)
            open_ids = [self._followers[task] for task in pending]
            phase = AutoSyncPhase.DOWNLOAD
            if open_ids and await self._store.downloads.async_all_transferred(open_ids):
                phase = AutoSyncPhase.IMPORT
            self._publish(phase=phase)
