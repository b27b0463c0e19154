"""The download worker: Soulseek files through slskd, verified, imported with beets, announced to Plex.

Every step is a committed row before it is trusted: the transfer id is stored before the
transfer is watched, so a restart re-attaches to what slskd already has and never enqueues a
file twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
import hashlib
import json
from pathlib import Path
import shutil
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
import voluptuous as vol

from ..activity import ActivityType
from ..clients.beets import BeetsClient
from ..clients.errors import BeetsError, ClientError, InvalidAuthError, NotFoundError
from ..clients.plex import PlexClient
from ..clients.slskd import SearchBudget, SlskdClient, SlskdSearchResponse, SlskdTransfer
from ..clients.slskd_models import TransferOutcome, TransferPhase
from ..clients.spotify import SpotifyClient
from ..const import (
    CONF_PLEX_SECTION,
    CONF_SLSKD_DOWNLOADS_DIR,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
    OPT_AUTOSYNC_FORMATS,
    OPT_AUTOSYNC_MIN_BITRATE,
    OPT_MATCHING_THRESHOLD,
    OPT_SYNC_MIN_FREE_GB,
    OPT_SYNC_POLL_INTERVAL,
    OPT_SYNC_POLL_INTERVAL_IDLE,
    OPT_SYNC_STUCK_QUEUED,
    OPT_SYNC_STUCK_STALLED,
    OPT_SYNC_WORKER_CONCURRENCY,
)
from ..engine.file_choice import FileChoice, Peer, QualityRules, choose_files
from ..engine.paths import clash_renamed, inside, remote_parts, safe_name, slskd_landing
from ..engine.search_ladder import any_names_artist, first_artist, ladder, path_names_artist
from ..store import Download, DownloadPhase, DownloadState, Job, JobState, JobType, Store
from .queue import JobQueue, PermanentJobError, QueueWorker, RetryableJobError
from .state import QueueWorkerState, WorkerStatus
from .transfers import ATTACH_CLOCK_SLACK, PollResult, TransferPoller, WatchedFile

if TYPE_CHECKING:
    from ..coordinator import HarmonyConfigEntry

# slskd answers 429 to a third enqueue request in flight (TransfersController SemaphoreSlim(2)).
MAX_ENQUEUES_IN_FLIGHT = 2
# slskd stores "Completed, Succeeded" before it moves the file out of its incomplete folder.
FILE_APPEAR_TIMEOUT = 60.0
# A duration this far from what the peer announced means another file (or a broken one).
DURATION_TOLERANCE_S = 5.0
# 0.26 stores a failed attempt as Completed a moment before its own retry: look again first.
FAILURE_CONFIRM_DELAY = 2.0
# Imports failing this many times in a row raise a repair (one bad file is not beets' fault).
IMPORT_FAILURES_REPAIR = 3
# Plex gets one partial refresh for a burst of imports.
PLEX_REFRESH_COOLDOWN = 10.0
SLSKD_CHECK_INTERVAL = 60.0
# Polls in a row that may fail before a job gives its transfer up for a later attempt.
POLL_OUTAGE_LIMIT = 150
STAGING = ".harmony_music/staging"
QUARANTINE = ".harmony_music/quarantine"
SHUT_DOWN = "Application shut down"
# A peer that failed twice is not chosen again for this long (new peers appear all the time).
PEER_MEMORY = timedelta(hours=6)

FILE_SCHEMA = vol.Schema(
    {
        vol.Required("filename"): vol.All(str, vol.Length(min=1, max=4096)),
        vol.Required("size"): vol.All(int, vol.Range(min=1, max=64 * 1024**3)),
        vol.Optional("length"): vol.Any(None, vol.All(vol.Coerce(float), vol.Range(min=0))),
    },
    extra=vol.REMOVE_EXTRA,
)
PEER_PAYLOAD = vol.Schema(
    {
        vol.Required("username"): vol.All(str, vol.Length(min=1, max=200)),
        vol.Required("files"): vol.All([FILE_SCHEMA], vol.Length(min=1, max=500)),
    }
)


class DownloadFailed(PermanentJobError):
    """A file failed for good in one phase of the pipeline."""

    def __init__(self, message: str, phase: DownloadPhase) -> None:
        super().__init__(message)
        self.phase = phase


TRACK_PAYLOAD = vol.Schema(
    {
        vol.Required("spotify_track"): vol.All(str, vol.Match(r"^[0-9A-Za-z]{22}$")),
        vol.Optional("candidates"): list,
    },
    extra=vol.ALLOW_EXTRA,
)


def track_dedupe_key(track_id: str) -> str:
    """One open job per Spotify track."""
    return f"download:spotify:{track_id}"


def file_details(job: Job, row: Download) -> dict[str, Any]:
    """What an activity entry says about one file (its name only: peers' paths are theirs)."""
    return {
        "job_id": job.id,
        "username": row.username,
        "file": Path(row.filename.replace("\\", "/")).name,
    }


def peer_dedupe_key(username: str, filenames: Sequence[str]) -> str:
    """The same peer and files are the same job while it is open."""
    canonical = json.dumps([username, sorted(filenames)], separators=(",", ":"))
    return "download:peer:" + hashlib.sha256(canonical.encode()).hexdigest()


PROGRESS_INTERVAL = 10.0  # seconds between two publications of the same transfers' progress


@dataclass(frozen=True)
class ActiveDownload:
    """One transfer in progress, as a dashboard shows it."""

    file: str  # the file's name, without the peer's folders
    username: str
    percent: float
    speed: float  # bytes per second


@dataclass
class DownloadWorkerState(QueueWorkerState):
    """What the download worker publishes."""

    active_downloads: int = 0
    downloads: tuple[ActiveDownload, ...] = ()  # the transfers in progress, oldest first
    throughput: float = 0.0  # bytes per second over the transfers in progress
    paused: bool = False
    pause_reason: str | None = None


@dataclass
class SearchOutcome:
    """What the query ladder found for one track."""

    good: list[FileChoice] = field(default_factory=list)
    low: list[FileChoice] = field(default_factory=list)  # the recording, below the rules
    queries: list[str] = field(default_factory=list)
    responses: Sequence[SlskdSearchResponse] = ()  # of the last query


@dataclass(frozen=True)
class Verified:
    """What the file check found."""

    ok: bool
    reason: str | None = None
    duration: float | None = None
    artist: str | None = None
    title: str | None = None
    isrc: str | None = None


def staging_path(downloads_dir: Path, row: Download) -> Path:
    """Where a row's file waits for its import: one folder per job, the peer's name made safe."""
    target = downloads_dir / STAGING / str(row.job_id)
    target = target / safe_name(Path(row.filename.replace("\\", "/")).name)
    if not inside(downloads_dir, target):
        raise DownloadFailed("the staging path left the downloads folder", DownloadPhase.VERIFY)
    return target


def verify_file(path: Path, size: int, expected_length: float | None) -> Verified:
    """Size, readable audio, duration near the announced one (runs in an executor)."""
    import mutagen  # heavy: imported only here, in the executor

    try:
        actual = path.stat().st_size
    except OSError as err:
        return Verified(False, f"cannot read the file: {err}")
    if actual != size:
        return Verified(False, f"size {actual} instead of {size}")
    try:
        audio = mutagen.File(path, easy=True)  # type: ignore[attr-defined]
    except Exception as err:  # noqa: BLE001 - any parser failure means "not audio"
        return Verified(False, f"not a readable audio file: {err}")
    if audio is None or audio.info is None:
        return Verified(False, "not a readable audio file")
    duration = float(getattr(audio.info, "length", 0.0) or 0.0)
    if expected_length and abs(duration - expected_length) > DURATION_TOLERANCE_S:
        return Verified(False, f"lasts {duration:.0f} s instead of {expected_length:.0f} s")
    tags = audio.tags or {}

    def first(key: str) -> str | None:
        values = tags.get(key) if hasattr(tags, "get") else None
        return str(values[0]) if values else None

    return Verified(True, None, duration, first("artist"), first("title"), first("isrc"))


class DownloadWorker(QueueWorker[DownloadWorkerState]):
    """Downloads queued files, ``sync_worker_concurrency`` jobs at a time."""

    name = "download"
    job_type = JobType.DOWNLOAD

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HarmonyConfigEntry,
        store: Store,
        slskd: SlskdClient,
        beets: BeetsClient,
        plex: PlexClient,
        spotify: SpotifyClient,
    ) -> None:
        super().__init__(
            hass, entry, JobQueue(hass, store, JobType.DOWNLOAD), DownloadWorkerState()
        )
        self.slskd = slskd
        self.beets = beets
        self.plex = plex
        self.spotify = spotify
        # One whole search at a time; the client's budget spaces the POSTs (34 per 220 s).
        self._search_lock = asyncio.Lock()
        self._enqueue_slots = asyncio.Semaphore(MAX_ENQUEUES_IN_FLIGHT)
        self._user_paused = False
        self._slskd_checked = 0.0
        self._slskd_problem: str | None = None
        self._import_failures = 0  # beets imports failed in a row
        # One list request per interval for every transfer in flight.
        self.poller = TransferPoller(
            slskd,
            active_interval=lambda: self._option(OPT_SYNC_POLL_INTERVAL),
            idle_interval=lambda: self._option(OPT_SYNC_POLL_INTERVAL_IDLE),
            on_outage=self._poll_outage,
        )
        self._progress: dict[int, ActiveDownload] = {}  # by download id
        self._progress_published = 0.0
        self._refresh_folders: set[str] = set()
        self._plex_refresh = Debouncer(
            hass,
            LOGGER,
            cooldown=PLEX_REFRESH_COOLDOWN,
            immediate=False,
            function=self._async_refresh_plex,
        )
        entry.async_on_unload(self._plex_refresh.async_shutdown)

    @callback
    def async_start(self) -> None:
        """Run the queue loop and the transfer poll loop as background tasks of the entry."""
        super().async_start()
        self.entry.async_create_background_task(
            self.hass, self.poller.async_run(), f"{DOMAIN} transfer poll"
        )

    @callback
    def _poll_outage(self, error: ClientError | None) -> None:
        """Show on the worker that slskd cannot be polled (and when it can again)."""
        changed = (error is None) != (self.state.last_error is None)
        self.state.last_error = f"slskd unreachable: {error}" if error else None
        if changed:
            self.publish()

    # --- options, read at every cycle ---------------------------------------------------
    def _option(self, key: str) -> float:
        return float(self.entry.options.get(key, DEFAULT_OPTIONS[key]))

    @property
    def downloads_dir(self) -> Path:
        """slskd's downloads folder as Home Assistant sees it."""
        return Path(self.entry.data[CONF_SLSKD_DOWNLOADS_DIR])

    @property
    def concurrency(self) -> int:
        """No new job starts while paused."""
        if self.state.paused:
            return 0
        return int(self._option(OPT_SYNC_WORKER_CONCURRENCY))

    # --- pause / resume -------------------------------------------------------------------
    @property
    def user_paused(self) -> bool:
        """Whether the user paused downloads (the switch)."""
        return self._user_paused

    async def async_set_paused(self, paused: bool) -> None:
        """Pause or resume by the user (the switch); running transfers go on."""
        self._user_paused = paused
        await self._async_update_pause()
        self.wake()

    async def _async_update_pause(self) -> None:
        reason = "paused by the user" if self._user_paused else await self._async_blocker()
        changed = reason != self.state.pause_reason
        self.state.paused = reason is not None
        self.state.pause_reason = reason
        if changed:
            if reason is not None:
                LOGGER.warning("Downloads paused: %s", reason)
            else:
                LOGGER.info("Downloads resumed")
            if self._active:
                self.publish()
            else:
                self.set_status(*self.idle_status())

    async def _async_blocker(self) -> str | None:
        """Why no download may start now: slskd logged out, or too little free space."""
        now = time.monotonic()
        if now - self._slskd_checked >= SLSKD_CHECK_INTERVAL or self._slskd_problem:
            self._slskd_checked = now
            try:
                app = await self.slskd.async_get_application()
            except ClientError as err:
                self._slskd_problem = f"slskd unreachable: {err}"
            else:
                self._slskd_problem = (
                    None if app.logged_in else "slskd is not logged in to Soulseek"
                )
                # Peers ban leechers; a finished share scan with no file is worth a warning,
                # not a pause (it is the user's choice, and downloads still work).
                self._issue("slskd_sharing_nothing", app.shares_ready and app.shared_files == 0)
            self._issue(
                "slskd_not_logged_in",
                self._slskd_problem is not None and "logged in" in (self._slskd_problem or ""),
            )
        if self._slskd_problem:
            return self._slskd_problem
        low = await self.hass.async_add_executor_job(self._low_space_folder)
        self._issue("low_disk_space", low is not None, {"path": low or ""})
        if low is not None:
            return f"less than {self._option(OPT_SYNC_MIN_FREE_GB):g} GB free in {low}"
        return None

    def _low_space_folder(self) -> str | None:
        need = self._option(OPT_SYNC_MIN_FREE_GB) * 1024**3
        for folder in (self.downloads_dir, self.beets.directory):
            try:
                if shutil.disk_usage(folder).free < need:
                    return str(folder)
            except OSError:
                continue  # a missing folder is reported when a file is looked for
        return None

    @callback
    def _issue(self, key: str, active: bool, placeholders: dict[str, str] | None = None) -> None:
        issue_id = f"{key}_{self.entry.entry_id}"
        if active:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=key,
                translation_placeholders={"title": self.entry.title, **(placeholders or {})},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def idle_status(self) -> tuple[WorkerStatus, str | None]:
        """Paused with the reason, or idle."""
        if self.state.pause_reason is not None:
            return WorkerStatus.PAUSED, self.state.pause_reason
        return WorkerStatus.IDLE, None

    async def run_cycle(self) -> float:
        """Check what blocks new downloads, then fill free slots."""
        await self._async_update_pause()
        idle_for = await super().run_cycle()
        if self.state.paused and not self._active:
            return SLSKD_CHECK_INTERVAL
        return idle_for

    # --- submitting ---------------------------------------------------------------------
    async def async_submit_files(
        self, username: str, files: Sequence[dict[str, Any]], *, priority: int = 0
    ) -> tuple[Job, bool]:
        """Queue one job for a peer's files (the same open request is the same job)."""
        payload = {"username": username, "files": [dict(f) for f in files]}
        return await self.async_submit(
            payload,
            dedupe_key=peer_dedupe_key(username, [str(f["filename"]) for f in files]),
            priority=priority,
        )

    async def async_submit_track(
        self,
        track_id: str,
        *,
        priority: int = 0,
        candidates: Sequence[FileChoice] | None = None,
        origin: dict[str, Any] | None = None,
    ) -> tuple[Job, bool]:
        """Queue a job for a Spotify track: it searches Soulseek unless the files are given."""
        payload: dict[str, Any] = {"spotify_track": track_id, **(origin or {})}
        if candidates is not None:
            payload["candidates"] = [vars(choice) for choice in candidates]
        return await self.async_submit(
            payload, dedupe_key=track_dedupe_key(track_id), priority=priority
        )

    async def async_cancel_job(self, job_id: int) -> bool:
        """Cancel the job, and at slskd every transfer it started (removed from the list)."""
        cancelled = await super().async_cancel_job(job_id)
        if not cancelled:
            return False
        for row in await self.store.downloads.async_for_job(job_id):
            if row.state in (DownloadState.COMPLETED, DownloadState.FAILED):
                continue
            if row.transfer_id:
                try:
                    await self.slskd.async_cancel_download(
                        row.username, row.transfer_id, remove=True
                    )
                except ClientError as err:
                    LOGGER.warning("Could not cancel %s at slskd: %s", row.filename, err)
            await self.store.downloads.async_update(row.id, state=DownloadState.CANCELLED)
        return True

    async def async_mark_wrong_match(self, job_id: int) -> tuple[Job, str]:
        """The imported file of a Spotify-track job is the wrong song: undo it, try the next.

        The file leaves the beets library and the disk, its (peer, file) is never chosen again,
        and a new job takes the next candidate (or searches afresh when none is left).
        Returns the new job and the removed library path; raises ValueError when the job is
        not a completed Spotify-track download.
        """
        job = await self.store.jobs.async_get(job_id)
        if job is None or job.type is not JobType.DOWNLOAD or job.state is not JobState.COMPLETED:
            raise ValueError("not a completed download job")
        track_id = job.payload.get("spotify_track")
        rows = [
            r
            for r in await self.store.downloads.async_for_job(job_id)
            if r.state is DownloadState.COMPLETED and r.library_path
        ]
        if not isinstance(track_id, str) or not rows:
            raise ValueError("the job imported no file for a Spotify track")
        row = rows[-1]
        assert row.library_path is not None
        try:
            await self.beets.async_remove(Path(row.library_path))
        except BeetsError as err:
            raise HomeAssistantError(f"beets could not remove the file: {err}") from err
        await self.store.peers.async_block_file(row.username, row.filename, "wrong match")
        await self.store.jobs.async_undo_completed(job_id, "marked as the wrong song")
        left = [
            FileChoice(**c)
            for c in job.payload.get("candidates") or []
            if (c.get("username"), c.get("filename")) != (row.username, row.filename)
        ]
        origin = {k: v for k, v in job.payload.items() if k not in ("spotify_track", "candidates")}
        new_job, _ = await self.async_submit_track(
            track_id, priority=job.priority, candidates=left or None, origin=origin
        )
        self._refresh_folders.add(str(Path(row.library_path).parent))
        await self._plex_refresh.async_call()
        return new_job, row.library_path

    # --- processing ---------------------------------------------------------------------
    async def async_process(self, jobs: Sequence[Job]) -> None:
        """Download every file of the job; the job completes when all of them are in the library."""
        [job] = jobs
        if "spotify_track" in job.payload:
            await self._async_process_track(job)
            return
        try:
            payload = PEER_PAYLOAD(job.payload)
        except vol.Invalid as err:
            await self.queue.async_invalid(job, f"invalid download request: {err}")
            return
        username: str = payload["username"]
        rows = [
            await self.store.downloads.async_ensure(job.id, username, f["filename"], f["size"])
            for f in payload["files"]
        ]
        lengths = {f["filename"]: f.get("length") for f in payload["files"]}
        results = []
        for row in rows:
            if row.state is DownloadState.COMPLETED:
                results.append(row)
                continue
            try:
                results.append(await self._async_download(job, row, lengths.get(row.filename)))
            except (PermanentJobError, RetryableJobError) as err:
                if await self._async_was_cancelled(job):
                    return  # the user cancelled it: nothing failed
                final = (
                    isinstance(err, PermanentJobError) or job.attempts >= self.queue.max_attempts
                )
                if final:
                    phase = err.phase if isinstance(err, DownloadFailed) else DownloadPhase.TRANSFER
                    await self.store.downloads.async_update(
                        row.id, state=DownloadState.FAILED, error=str(err), phase=phase
                    )
                    await self._async_failed_activity(job, row, str(err), phase)
                raise
        await self.queue.async_complete(
            job,
            {
                "files": [
                    {"filename": row.filename, "library_path": row.library_path} for row in results
                ]
            },
        )
        for row in results:
            await self.async_record_activity(
                ActivityType.DOWNLOAD_COMPLETED,
                "ok",
                {
                    **file_details(job, row),
                    "library_path": row.library_path,
                },
            )

    async def _async_process_track(self, job: Job) -> None:
        """Search for the track (once: the ranked files are kept on the job), then try them in order."""
        try:
            payload = TRACK_PAYLOAD(job.payload)
        except vol.Invalid as err:
            await self.queue.async_invalid(job, f"invalid download request: {err}")
            return
        if payload.get("candidates") is None:
            payload["candidates"] = [
                vars(choice) for choice in await self._async_search(job, payload)
            ]
            await self.store.jobs.async_set_payload(job.id, payload)
        tried: list[str] = []
        for data in payload["candidates"]:
            choice = FileChoice(**data)
            row = await self.store.downloads.async_ensure(
                job.id, choice.username, choice.filename, choice.size
            )
            if row.state is DownloadState.FAILED:
                tried.append(f"{choice.username}: {row.error}")
                continue
            try:
                if row.state is not DownloadState.COMPLETED:
                    row = await self._async_download(job, row, choice.length)
            except PermanentJobError as err:
                if await self._async_was_cancelled(job):
                    return
                # This file is bad or refused: the next candidate, without a new search.
                phase = err.phase if isinstance(err, DownloadFailed) else DownloadPhase.TRANSFER
                await self.store.downloads.async_update(
                    row.id, state=DownloadState.FAILED, error=str(err), phase=phase
                )
                tried.append(f"{choice.username}: {err}")
                continue
            await self.queue.async_complete(
                job,
                {
                    "spotify_track": payload["spotify_track"],
                    "files": [{"filename": row.filename, "library_path": row.library_path}],
                    "username": row.username,
                },
            )
            await self.async_record_activity(
                ActivityType.DOWNLOAD_COMPLETED,
                "ok",
                {
                    **file_details(job, row),
                    "spotify_track": payload["spotify_track"],
                    "library_path": row.library_path,
                },
            )
            return
        error = "every file found failed: " + "; ".join(tried) if tried else "nothing to download"
        await self._async_track_failed(job, payload["spotify_track"], error, DownloadPhase.TRANSFER)

    async def _async_was_cancelled(self, job: Job) -> bool:
        stored = await self.store.jobs.async_get(job.id)
        return stored is not None and stored.state is JobState.CANCELLED

    async def _async_search(self, job: Job, payload: dict[str, Any]) -> list[FileChoice]:
        """The Spotify track's files on Soulseek, best first, within the quality rules."""
        track_id: str = payload["spotify_track"]
        try:
            track = await self.spotify.async_track(track_id)
        except NotFoundError:
            await self._async_track_failed(
                job, track_id, "no such Spotify track", DownloadPhase.SEARCH
            )
            raise PermanentJobError("no such Spotify track") from None
        except InvalidAuthError as err:
            # The job waits for the user to sign in again (the reauth reloads the entry).
            self.entry.async_start_reauth(self.hass)
            raise RetryableJobError(f"Spotify access revoked: {err}") from err
        except ClientError as err:
            raise RetryableJobError(f"Spotify unreachable: {err}") from err
        try:
            found = await self.async_search_track(track)
        except ClientError as err:
            raise RetryableJobError(f"slskd search failed: {err}") from err
        if found.good:
            return found.good
        name = f"{track.get('name')} ({track_id})"
        if found.low:
            await self.async_low_quality(track, found, job_id=job.id)
            raise PermanentJobError(f"{name}: found only below the quality rules")
        await self._async_track_failed(job, track_id, "not found on Soulseek", DownloadPhase.SEARCH)
        raise PermanentJobError(f"{name}: not found on Soulseek")

    async def async_low_quality(
        self, track: Mapping[str, Any], found: SearchOutcome, **details: Any
    ) -> None:
        """Say what was found below the quality rules (nothing is downloaded)."""
        await self.async_record_activity(
            ActivityType.SOULSEEK_LOW_QUALITY,
            "skipped",
            {
                **details,
                "spotify_track": track.get("id"),
                "search": found.queries[-1] if found.queries else "",
                "found": [
                    {"username": c.username, "format": c.file_format, "bitrate": c.bit_rate}
                    for c in found.low[:5]
                ],
            },
        )

    # --- searching (shared with auto-sync) ------------------------------------------------
    async def async_soulseek_search(self, text: str) -> list[SlskdSearchResponse]:
        """One search within the budget (one at a time, at most 34 per 220 s)."""
        async with self._search_lock:
            return await self.slskd.async_search(text)

    @property
    def search_budget(self) -> SearchBudget:
        """The one Soulseek search budget (the slskd client's)."""
        return self.slskd.budget

    def quality_rules(self) -> QualityRules:
        """The quality rules in the options now."""
        formats = self.entry.options.get(
            OPT_AUTOSYNC_FORMATS, DEFAULT_OPTIONS[OPT_AUTOSYNC_FORMATS]
        )
        return QualityRules(
            min_bitrate=int(self._option(OPT_AUTOSYNC_MIN_BITRATE)),
            preferred_formats=tuple(str(f) for f in formats),
        )

    async def async_choose(
        self,
        tracks: Sequence[Mapping[str, Any]],
        responses: Sequence[SlskdSearchResponse],
        *,
        strict_artist: bool = False,
    ) -> list[tuple[list[FileChoice], list[FileChoice]]]:
        """Each track's (good, low) files among the responses (in the executor)."""
        rules = self.quality_rules()
        threshold = self._option(OPT_MATCHING_THRESHOLD)
        bad_files = await self.store.peers.async_bad_files()
        peer_failures = await self.store.peers.async_recent_failures(PEER_MEMORY)
        offered = [
            (
                Peer(r.username, r.has_free_upload_slot, r.queue_length, r.upload_speed),
                [f.as_candidate(r.username) for f in r.files],
            )
            for r in responses
        ]

        def choose_all() -> list[tuple[list[FileChoice], list[FileChoice]]]:
            results = []
            for track in tracks:
                peers = offered
                if strict_artist:
                    artist = first_artist(track)
                    peers = [
                        (peer, [c for c in files if path_names_artist(c["filename"], artist)])
                        for peer, files in offered
                    ]
                results.append(
                    choose_files(
                        track,
                        peers,
                        rules,
                        threshold=threshold,
                        bad_files=bad_files,
                        peer_failures=peer_failures,
                    )
                )
            return results

        return await self.hass.async_add_executor_job(choose_all)

    async def async_names_artist(
        self, responses: Sequence[SlskdSearchResponse], artist: str
    ) -> bool:
        """Whether a file of the responses names the artist in its path (in the executor)."""
        return await self.hass.async_add_executor_job(
            lambda: any_names_artist((f.filename for r in responses for f in r.files), artist)
        )

    async def async_search_track(
        self,
        track: Mapping[str, Any],
        searched: set[str] | None = None,
        *,
        artist_seen: bool = False,
    ) -> SearchOutcome:
        """Walk the query ladder until a query finds the recording within the rules.

        ``searched`` holds the (case-folded) queries whose results the caller already tried for
        this track; they are not spent again, and the ones searched now are added.
        ``artist_seen``: results the caller tried already named the artist, so the title rung
        is skipped (``engine/search_ladder.py`` says why).
        Raises the client's error when slskd cannot search (logged out, unreachable).
        """
        outcome = SearchOutcome()
        done = searched if searched is not None else set()
        artist = first_artist(track)
        for query in ladder(track):
            key = query.text.casefold()
            if key in done or (query.strict_artist and artist_seen):
                continue
            done.add(key)
            responses = await self.async_soulseek_search(query.text)
            outcome.queries.append(query.text)
            [(good, low)] = await self.async_choose(
                [track], responses, strict_artist=query.strict_artist
            )
            outcome.responses = responses
            if good:
                outcome.good = good
                return outcome
            outcome.low = outcome.low or low
            artist_seen = artist_seen or await self.async_names_artist(responses, artist)
        return outcome

    async def _async_track_failed(
        self, job: Job, track_id: str, error: str, phase: DownloadPhase
    ) -> None:
        await self.async_record_activity(
            ActivityType.DOWNLOAD_FAILED,
            "error",
            {"job_id": job.id, "spotify_track": track_id, "phase": phase.value, "error": error},
        )
        if phase is not DownloadPhase.SEARCH:
            raise PermanentJobError(error)

    async def _async_failed_activity(
        self, job: Job, row: Download, error: str, phase: DownloadPhase
    ) -> None:
        await self.async_record_activity(
            ActivityType.DOWNLOAD_FAILED,
            "error",
            {
                **file_details(job, row),
                "phase": phase.value,
                "error": error,
            },
        )

    async def _async_download(self, job: Job, row: Download, length: float | None) -> Download:
        if row.state in (DownloadState.PENDING, DownloadState.ENQUEUED):
            transfer = await self._async_transfer(row)
            row = await self.store.downloads.async_update(
                row.id,
                state=DownloadState.VERIFYING,
                progress=100.0,
                bytes=transfer.size,
            )
        return await self._async_land(row, length)

    async def _async_transfer(self, row: Download) -> SlskdTransfer:
        """Enqueue (or re-attach) and watch until slskd has the whole file."""
        transfer = await self._async_attach(row)
        if transfer is None:
            transfer, row = await self._async_enqueue(row)
        return await self._async_watch(row, transfer)

    async def _async_attach(self, row: Download) -> SlskdTransfer | None:
        """A transfer slskd already has for this row: by its id, else by peer and file name."""
        try:
            listed = await self.slskd.async_list_downloads()
        except ClientError as err:
            raise RetryableJobError(f"slskd unreachable: {err}") from err
        # A failed transfer is not resumed: a retry asks slskd for the file again.
        mine = (
            [t for t in listed if t.id == row.transfer_id and not t.is_failed]
            if row.transfer_id
            else []
        )
        if not mine:
            # The enqueue may have reached slskd before its id was stored: a transfer of this
            # file that is still running, or that succeeded since this row was created, is ours.
            # An older success belongs to an earlier job (its file has moved on).
            since = row.created_at - ATTACH_CLOCK_SLACK
            mine = [
                t
                for t in listed
                if t.username == row.username
                and t.filename == row.filename
                and not t.removed
                and (
                    not t.is_finished
                    or (t.is_succeeded and t.requested_at is not None and t.requested_at >= since)
                )
            ]
            if any(t.is_finished for t in mine) and not await self._async_file_waiting(row):
                # A success whose file is no longer where slskd put it was taken already.
                mine = [t for t in mine if not t.is_finished]
        if not mine:
            return None
        transfer = max(mine, key=lambda t: t.requested_at.timestamp() if t.requested_at else 0.0)
        if transfer.id != row.transfer_id:
            await self.store.downloads.async_update(
                row.id, transfer_id=transfer.id, state=DownloadState.ENQUEUED
            )
        return transfer

    async def _async_file_waiting(self, row: Download) -> bool:
        landing = slskd_landing(self.downloads_dir, row.filename)
        if landing is None:
            return False
        return await self.hass.async_add_executor_job(self._look_for, landing, row.size) is not None

    async def _async_enqueue(self, row: Download) -> tuple[SlskdTransfer, Download]:
        if (
            ".." in remote_parts(row.filename)
            or slskd_landing(self.downloads_dir, row.filename) is None
        ):
            # slskd refuses '..' (400) and such a file could never be landed: the next file.
            raise DownloadFailed(
                "the peer's file name cannot be stored safely", DownloadPhase.TRANSFER
            )
        async with self._enqueue_slots:
            try:
                result = await self.slskd.async_enqueue_download(
                    row.username, [(row.filename, row.size)]
                )
            except ClientError as err:
                # The enqueue may still have reached slskd: the next attempt re-attaches first.
                raise RetryableJobError(f"enqueue failed: {err}") from err
        transfer = next((t for t in result.enqueued if t.filename == row.filename), None)
        if transfer is None:
            # "Already in progress", or an slskd older than 0.24 that returns nothing: look.
            transfer = await self._async_attach(row)
            if transfer is None:
                reasons = "; ".join(f.reason or "refused" for f in result.failed) or "not enqueued"
                raise RetryableJobError(f"slskd did not enqueue the file: {reasons}")
            return transfer, row
        row = await self.store.downloads.async_update(
            row.id, transfer_id=transfer.id, state=DownloadState.ENQUEUED
        )
        return transfer, row

    async def _async_watch(self, row: Download, transfer: SlskdTransfer) -> SlskdTransfer:
        """Follow the transfer poll by poll until it ends; cancel it when it is stuck."""
        loop = asyncio.get_running_loop()
        queued_since = loop.time()
        last_bytes, last_bytes_at = transfer.bytes_transferred, loop.time()
        try:
            while True:
                if transfer.is_finished:
                    if transfer.is_succeeded:
                        return transfer
                    await asyncio.sleep(FAILURE_CONFIRM_DELAY)
                    transfer = await self._async_read(row, transfer)
                    if transfer.is_finished and not transfer.is_succeeded:
                        if SHUT_DOWN not in (transfer.exception or transfer.state):
                            # slskd restarting is nobody's fault; anything else counts on the peer.
                            await self.store.peers.async_record(row.username, success=False)
                        self._failed_transfer(row, transfer)
                    continue
                now = loop.time()
                if transfer.phase is not TransferPhase.QUEUED_REMOTELY:
                    queued_since = now
                if (
                    transfer.bytes_transferred != last_bytes
                    or transfer.phase is not TransferPhase.IN_PROGRESS
                ):
                    last_bytes, last_bytes_at = transfer.bytes_transferred, now
                stuck = None
                if now - queued_since > self._option(OPT_SYNC_STUCK_QUEUED):
                    stuck = "stuck in the peer's queue"
                elif now - last_bytes_at > self._option(OPT_SYNC_STUCK_STALLED):
                    stuck = "no progress"
                if stuck:
                    await self._async_give_up(row, transfer)
                    await self.store.peers.async_record(row.username, success=False)
                    raise RetryableJobError(f"{stuck}: cancelled at slskd")
                self._progress[row.id] = ActiveDownload(
                    remote_parts(row.filename)[-1] if row.filename else "",
                    row.username,
                    round(transfer.percent_complete, 1),
                    transfer.average_speed,
                )
                self._publish_progress()
                if abs(transfer.percent_complete - row.progress) >= 1:
                    row = await self.store.downloads.async_update(
                        row.id, progress=transfer.percent_complete, bytes=transfer.bytes_transferred
                    )
                transfer = await self._async_read(row, transfer)
        finally:
            self._progress.pop(row.id, None)
            self.poller.forget(row.id)
            self._publish_progress()

    async def _async_read(self, row: Download, transfer: SlskdTransfer) -> SlskdTransfer:
        """The transfer at the next poll; an outage is waited out (the transfer goes on at slskd)."""
        watched = WatchedFile(row.id, row.username, row.filename, transfer.id, row.created_at)
        failures = 0
        while True:
            result: PollResult = await self.poller.async_next(watched)
            if result.error is not None:
                failures += 1
                if failures >= POLL_OUTAGE_LIMIT:
                    raise RetryableJobError(
                        f"slskd unreachable while downloading: {result.error}"
                    ) from result.error
                continue
            if result.transfer is None:
                # Removed at slskd by someone else: the next attempt asks for the file afresh.
                await self.store.downloads.async_update(
                    row.id, transfer_id=None, state=DownloadState.PENDING
                )
                raise RetryableJobError("the transfer disappeared from slskd")
            if result.transfer.id != transfer.id:
                await self.store.downloads.async_update(row.id, transfer_id=result.transfer.id)
            return result.transfer

    async def _async_give_up(self, row: Download, transfer: SlskdTransfer) -> None:
        try:
            await self.slskd.async_cancel_download(row.username, transfer.id, remove=True)
        except ClientError as err:
            LOGGER.warning("Could not cancel stuck transfer %s: %s", transfer.id, err)
        # The next attempt enqueues afresh instead of re-attaching to the cancelled record.
        await self.store.downloads.async_update(
            row.id, transfer_id=None, state=DownloadState.PENDING
        )

    def _failed_transfer(self, row: Download, transfer: SlskdTransfer) -> None:
        """Raise what a finished, unsuccessful transfer means for the job."""
        reason = transfer.exception or transfer.state
        if transfer.outcome is TransferOutcome.REJECTED:
            raise PermanentJobError(f"the peer rejected the file: {reason}")
        if transfer.outcome is TransferOutcome.CANCELLED:
            raise PermanentJobError(f"cancelled at slskd: {reason}")
        if SHUT_DOWN in reason:
            # slskd restarted: nothing is wrong with the file, enqueue it again.
            raise RetryableJobError("slskd restarted during the download")
        raise RetryableJobError(f"transfer failed: {reason}")

    @callback
    def _publish_progress(self) -> None:
        """A transfer starting or ending shows at once; progress at most every few seconds."""
        started_or_ended = len(self._progress) != self.state.active_downloads
        now = time.monotonic()
        if not started_or_ended and now - self._progress_published < PROGRESS_INTERVAL:
            return
        self._progress_published = now
        self.state.active_downloads = len(self._progress)
        self.state.downloads = tuple(self._progress.values())
        self.state.throughput = round(sum(d.speed for d in self._progress.values()), 1)
        self.publish()

    # --- landing ------------------------------------------------------------------------
    async def _async_land(self, row: Download, length: float | None) -> Download:
        """Find, verify, stage and import the file; returns the completed row."""
        source = await self._async_find_file(row)
        verified = await self.hass.async_add_executor_job(verify_file, source, row.size, length)
        if not verified.ok:
            await self.hass.async_add_executor_job(self._quarantine, source)
            # Never this (peer, file) again; the peer's record counts it too.
            await self.store.peers.async_block_file(
                row.username, row.filename, verified.reason or "failed verification"
            )
            await self.store.peers.async_record(row.username, success=False)
            raise DownloadFailed(f"verification failed: {verified.reason}", DownloadPhase.VERIFY)
        staged = await self.hass.async_add_executor_job(self._stage, source, row)
        row = await self.store.downloads.async_update(
            row.id, state=DownloadState.IMPORTING, local_path=str(staged)
        )
        library_path = await self._async_import(staged, verified)
        row = await self.store.downloads.async_update(
            row.id, state=DownloadState.COMPLETED, library_path=str(library_path), error=None
        )
        await self.store.peers.async_record(row.username, success=True)
        # Only now is the staged copy no longer needed.
        await self.hass.async_add_executor_job(lambda: staged.unlink(missing_ok=True))
        self._refresh_folders.add(str(library_path.parent))
        await self._plex_refresh.async_call()
        return row

    async def _async_find_file(self, row: Download) -> Path:
        """Where slskd put the file, once it is there whole (bounded wait)."""
        if row.local_path and Path(row.local_path).is_file():
            return Path(row.local_path)
        # Moved into staging, then killed before the row said so: slskd's copy is gone.
        if (staged := await self.hass.async_add_executor_job(self._staged, row)) is not None:
            return staged
        landing = slskd_landing(self.downloads_dir, row.filename)
        if landing is None:
            raise DownloadFailed(
                "the peer's file name cannot be stored safely", DownloadPhase.VERIFY
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FILE_APPEAR_TIMEOUT
        while True:
            found = await self.hass.async_add_executor_job(self._look_for, landing, row.size)
            if found is not None:
                self._issue("downloads_folder_invisible", False)
                return found
            if loop.time() >= deadline:
                # slskd has the file and we cannot see it: the folder option or a mount is wrong.
                self._issue("downloads_folder_invisible", True, {"path": str(self.downloads_dir)})
                # The next attempt downloads afresh rather than waiting on this transfer again.
                await self.store.downloads.async_update(
                    row.id, transfer_id=None, state=DownloadState.PENDING
                )
                raise RetryableJobError(
                    f"slskd reported the download complete but {landing} is not there"
                )
            await asyncio.sleep(1.0)

    def _look_for(self, landing: Path, size: int) -> Path | None:
        candidates = [landing, *sorted(landing.parent.glob(clash_renamed(landing)))]
        for path in candidates:
            try:
                if (
                    path.is_file()
                    and path.stat().st_size == size
                    and inside(self.downloads_dir, path)
                ):
                    return path
            except OSError:
                continue
        return None

    def _stage(self, source: Path, row: Download) -> Path:
        target = staging_path(self.downloads_dir, row)
        if source == target:  # staged before a restart, found there again
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        return target

    def _staged(self, row: Download) -> Path | None:
        """The file staged for this row, when a restart came before the row recorded it."""
        target = staging_path(self.downloads_dir, row)
        try:
            if target.is_file() and target.stat().st_size == row.size:
                return target
        except OSError:
            pass
        return None

    def _quarantine(self, source: Path) -> None:
        folder = self.downloads_dir / QUARANTINE
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{int(time.time())}_{safe_name(source.name)}"
        shutil.move(source, target)

    async def _async_import(self, staged: Path, verified: Verified) -> Path:
        """Import with beets unless the library already holds the recording."""
        try:
            existing = []
            if verified.isrc:
                existing = await self.beets.async_query(isrc=verified.isrc)
            if not existing and verified.artist and verified.title:
                existing = await self.beets.async_query(
                    artist=verified.artist, title=verified.title
                )
            if existing:
                self._import_result(None)
                return existing[0].path
            # A copy, not a move: if Home Assistant dies after beets imported but before the row
            # says so, the staged file is still there and the look-up above finds the import.
            [result] = await self.beets.async_import([staged], move=False)
        except BeetsError as err:
            self._import_result(str(err))
            raise RetryableJobError(f"beets import failed: {err}") from err
        if result.destination is None:
            self._import_result(result.error or "no destination")
            raise DownloadFailed(
                f"beets did not import the file: {result.error}", DownloadPhase.IMPORT
            )
        self._import_result(None)
        return result.destination

    @callback
    def _import_result(self, error: str | None) -> None:
        """Count imports failing in a row; the repair goes with the next success."""
        self._import_failures = self._import_failures + 1 if error is not None else 0
        if error is None or self._import_failures >= IMPORT_FAILURES_REPAIR:
            self._issue(
                "beets_import_failing",
                error is not None,
                {"count": str(self._import_failures), "error": (error or "")[:300]},
            )

    async def _async_refresh_plex(self) -> None:
        folders, self._refresh_folders = self._refresh_folders, set()
        section = str(self.entry.data.get(CONF_PLEX_SECTION, ""))
        if not section:
            return
        for folder in sorted(folders):
            try:
                await self.plex.async_refresh(section, folder)
            except ClientError as err:
                LOGGER.warning("Plex refresh of %s failed: %s", folder, err)
