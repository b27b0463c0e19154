"""The matching worker: scores submitted candidates against Spotify tracks in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant

from ..activity import async_record_activity
from ..const import (
    DEFAULT_OPTIONS,
    JOB_TYPE_MATCHING,
    LOGGER,
    OPT_MATCHING_BATCH_SIZE,
    OPT_MATCHING_THRESHOLD,
)
from ..engine.matching import score_details
from ..store import Job, Store
from .base import BaseWorker, WorkerStatus

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

# How long an idle worker waits for new jobs before looking again (submissions wake it at once).
IDLE_POLL_SECONDS = 30.0
TERMINAL_STATES = frozenset({"completed", "failed", "invalid_payload", "cancelled"})
OPEN_STATES = ("queued", "running")
CANDIDATE_KINDS = frozenset({"library", "soulseek"})


class InvalidPayloadError(ValueError):
    """A job payload that can never be processed; the message is the reason shown to users."""


@dataclass(frozen=True)
class MatchPayload:
    """A validated matching job."""

    track: Mapping[str, Any]
    candidates: Sequence[Mapping[str, Any]]

    @property
    def track_id(self) -> str:
        """The Spotify id of the track."""
        return str(self.track["id"])


def validate_payload(payload: Mapping[str, Any]) -> MatchPayload:
    """Check a job payload, raising InvalidPayloadError with the first problem found."""
    track = payload.get("spotify_track")
    if not isinstance(track, Mapping):
        raise InvalidPayloadError("spotify_track must be an object")
    if not isinstance(track.get("id"), str) or not track["id"]:
        raise InvalidPayloadError("spotify_track.id must be a non-empty string")
    if not isinstance(track.get("name"), str) or not track["name"].strip():
        raise InvalidPayloadError("spotify_track.name must be a non-empty string")
    artists = track.get("artists")
    if not isinstance(artists, list) or not artists:
        raise InvalidPayloadError("spotify_track.artists must be a non-empty list")
    if not all(isinstance(a, Mapping) and isinstance(a.get("name"), str) for a in artists):
        raise InvalidPayloadError("every spotify_track.artists item needs a name")
    candidates = payload.get("candidates")
    if not isinstance(candidates, list):
        raise InvalidPayloadError("candidates must be a list")
    for index, candidate in enumerate(candidates):
        if not isinstance(candidate, Mapping):
            raise InvalidPayloadError(f"candidates[{index}] must be an object")
        kind = candidate.get("kind")
        if kind not in CANDIDATE_KINDS:
            raise InvalidPayloadError(f"candidates[{index}].kind must be 'library' or 'soulseek'")
        needed = "title" if kind == "library" else "filename"
        if not isinstance(candidate.get(needed), str) or not candidate[needed]:
            raise InvalidPayloadError(f"candidates[{index}].{needed} must be a non-empty string")
    return MatchPayload(track, candidates)


def payload_dedupe_key(payload: Mapping[str, Any]) -> str:
    """Same track with the same candidates is the same job."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return "matching:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ScoredJob:
    """The outcome of scoring one job, computed off the event loop."""

    job: Job
    payload: MatchPayload | None = None
    rows: tuple[dict[str, Any], ...] = ()
    evaluated: int = 0
    invalid_reason: str | None = None
    error: str | None = None


def score_jobs(jobs: Sequence[Job], threshold: float) -> list[ScoredJob]:
    """Validate and score a batch (runs in an executor; one bad job never spoils the others)."""
    outcomes: list[ScoredJob] = []
    for job in jobs:
        try:
            payload = validate_payload(job.payload)
        except InvalidPayloadError as err:
            outcomes.append(ScoredJob(job, invalid_reason=str(err)))
            continue
        try:
            rows: list[dict[str, Any]] = []
            for index, candidate in enumerate(payload.candidates):
                details = score_details(payload.track, candidate)
                if details.score >= threshold:
                    rows.append(
                        {
                            "index": index,
                            "candidate": dict(candidate),
                            "score": details.score,
                            "parts": details.to_dict(),
                            "source": str(candidate["kind"]),
                        }
                    )
            rows.sort(key=lambda row: row["score"], reverse=True)
            outcomes.append(ScoredJob(job, payload, tuple(rows), evaluated=len(payload.candidates)))
        except Exception as err:  # noqa: BLE001 - reported per job, the batch goes on
            outcomes.append(ScoredJob(job, payload, error=f"{type(err).__name__}: {err}"))
    return outcomes


class MatchingWorker(BaseWorker):
    """Processes queued matching jobs in batches of ``matching_worker_batch_size``."""

    name = "matching"

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], store: Store) -> None:
        super().__init__(hass)
        self.entry = entry
        self.store = store
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        self.state.metrics = {
            "queue_length": 0,
            "matches_saved": 0,
            "jobs_completed": 0,
            "jobs_failed": 0,
            "last_batch_size": None,
            "last_batch_duration": None,
        }

    @property
    def batch_size(self) -> int:
        """Read at every cycle, so option changes apply without a reload."""
        return int(
            self.entry.options.get(
                OPT_MATCHING_BATCH_SIZE, DEFAULT_OPTIONS[OPT_MATCHING_BATCH_SIZE]
            )
        )

    @property
    def threshold(self) -> float:
        """Confidence a candidate needs to be saved as a match."""
        return float(
            self.entry.options.get(OPT_MATCHING_THRESHOLD, DEFAULT_OPTIONS[OPT_MATCHING_THRESHOLD])
        )

    async def async_prepare(self) -> None:
        """Put jobs interrupted by a restart back in the queue and load the totals.

        Runs during entry setup, before entities exist, so a total_increasing sensor never
        shows a false 0 (which statistics would read as a meter reset).
        """
        requeued = await self.store.requeue_running(JOB_TYPE_MATCHING)
        if requeued:
            LOGGER.info("Resuming %d matching jobs interrupted by a restart", requeued)
        self.state.metrics["matches_saved"] = await self.store.count_matches()
        await self._refresh_counts()
        self.set_status(WorkerStatus.IDLE)

    async def _refresh_counts(self) -> None:
        metrics = self.state.metrics
        metrics["queue_length"] = await self.store.count_jobs(
            type=JOB_TYPE_MATCHING, states=OPEN_STATES
        )
        metrics["jobs_completed"] = await self.store.count_jobs(
            type=JOB_TYPE_MATCHING, states=("completed",)
        )
        metrics["jobs_failed"] = await self.store.count_jobs(
            type=JOB_TYPE_MATCHING, states=("failed", "invalid_payload")
        )

    async def async_submit(self, payload: dict[str, Any]) -> tuple[Job, bool]:
        """Persist a job (an identical open job is reused) and wake the worker."""
        job, created = await self.store.enqueue_job(
            JOB_TYPE_MATCHING, payload, dedupe_key=payload_dedupe_key(payload)
        )
        if created:
            self.state.metrics["queue_length"] += 1
            self.publish()
        self.wake()
        return job, created

    async def async_wait(self, job_id: int, max_wait: float) -> Job | None:
        """Wait until a job ends (or the timeout passes) and return it as stored."""
        future: asyncio.Future[None] = self.hass.loop.create_future()
        self._waiters.setdefault(job_id, []).append(future)
        try:
            job = await self.store.get_job(job_id)
            if job is None or job.state in TERMINAL_STATES:
                return job
            try:
                async with asyncio.timeout(max_wait):
                    await future
            except TimeoutError:
                pass
            return await self.store.get_job(job_id)
        finally:
            waiters = self._waiters.get(job_id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiters.pop(job_id, None)

    def _notify_done(self, job_id: int) -> None:
        for future in self._waiters.get(job_id, []):
            if not future.done():
                future.set_result(None)

    async def run_cycle(self) -> float:
        """Claim one batch and process it."""
        jobs = await self.store.claim_jobs(JOB_TYPE_MATCHING, self.batch_size)
        if not jobs:
            await self._refresh_counts()
            self.set_status(WorkerStatus.IDLE)
            return IDLE_POLL_SECONDS
        self.set_status(WorkerStatus.RUNNING)
        started = time.monotonic()
        outcomes = await self.hass.async_add_executor_job(score_jobs, jobs, self.threshold)
        counts = {"completed": 0, "invalid": 0, "failed": 0, "matches": 0}
        for outcome in outcomes:
            job_id = outcome.job.id
            if outcome.invalid_reason is not None:
                await self.store.mark_invalid(job_id, outcome.invalid_reason)
                counts["invalid"] += 1
            elif outcome.error is not None or outcome.payload is None:
                error = outcome.error or "no payload"
                await self.store.fail_job(job_id, error)
                counts["failed"] += 1
                await async_record_activity(
                    self.hass,
                    self.entry.entry_id,
                    self.store,
                    "matching_failed",
                    "error",
                    {"job_id": job_id, "error": error},
                )
            else:
                result = {
                    "evaluated": outcome.evaluated,
                    "matches": [
                        {"index": row["index"], "score": row["score"]} for row in outcome.rows
                    ],
                    "best_index": outcome.rows[0]["index"] if outcome.rows else None,
                }
                await self.store.save_matches_and_complete(
                    job_id, outcome.payload.track_id, list(outcome.rows), result
                )
                counts["completed"] += 1
                counts["matches"] += len(outcome.rows)
        duration = round(time.monotonic() - started, 3)
        metrics = self.state.metrics
        metrics["matches_saved"] += counts["matches"]
        metrics["last_batch_size"] = len(jobs)
        metrics["last_batch_duration"] = duration
        await self._refresh_counts()
        await async_record_activity(
            self.hass,
            self.entry.entry_id,
            self.store,
            "matching_batch",
            "ok" if counts["failed"] == 0 else "partial",
            {"jobs": len(jobs), **counts, "duration_s": duration},
        )
        self.set_status(WorkerStatus.RUNNING)
        self.publish()
        # Waiters resume once the batch is fully accounted, so entities already show it.
        for outcome in outcomes:
            self._notify_done(outcome.job.id)
        return 0.0
