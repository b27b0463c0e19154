"""The matching worker: scores submitted candidates against Spotify tracks in batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant

from ..activity import ActivityType
from ..const import DEFAULT_OPTIONS, OPT_MATCHING_BATCH_SIZE, OPT_MATCHING_THRESHOLD
from ..engine.matching import score_details
from ..store import Job, JobType, MatchRow, Store
from .queue import InvalidJobError, JobQueue, QueueWorker
from .state import QueueWorkerState

if TYPE_CHECKING:
    from ..coordinator import HarmonyConfigEntry

CANDIDATE_KINDS = frozenset({"library", "soulseek"})


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
    """Check a job payload, raising InvalidJobError with the first problem found."""
    track = payload.get("spotify_track")
    if not isinstance(track, Mapping):
        raise InvalidJobError("spotify_track must be an object")
    if not isinstance(track.get("id"), str) or not track["id"]:
        raise InvalidJobError("spotify_track.id must be a non-empty string")
    if not isinstance(track.get("name"), str) or not track["name"].strip():
        raise InvalidJobError("spotify_track.name must be a non-empty string")
    artists = track.get("artists")
    if not isinstance(artists, list) or not artists:
        raise InvalidJobError("spotify_track.artists must be a non-empty list")
    if not all(isinstance(a, Mapping) and isinstance(a.get("name"), str) for a in artists):
        raise InvalidJobError("every spotify_track.artists item needs a name")
    candidates = payload.get("candidates")
    if not isinstance(candidates, list):
        raise InvalidJobError("candidates must be a list")
    for index, candidate in enumerate(candidates):
        if not isinstance(candidate, Mapping):
            raise InvalidJobError(f"candidates[{index}] must be an object")
        kind = candidate.get("kind")
        if kind not in CANDIDATE_KINDS:
            raise InvalidJobError(f"candidates[{index}].kind must be 'library' or 'soulseek'")
        needed = "title" if kind == "library" else "filename"
        if not isinstance(candidate.get(needed), str) or not candidate[needed]:
            raise InvalidJobError(f"candidates[{index}].{needed} must be a non-empty string")
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
    rows: tuple[tuple[int, MatchRow], ...] = ()
    evaluated: int = 0
    invalid_reason: str | None = None
    error: str | None = None


def score_jobs(jobs: Sequence[Job], threshold: float) -> list[ScoredJob]:
    """Validate and score a batch (runs in an executor; one bad job never spoils the others)."""
    outcomes: list[ScoredJob] = []
    for job in jobs:
        try:
            payload = validate_payload(job.payload)
        except InvalidJobError as err:
            outcomes.append(ScoredJob(job, invalid_reason=str(err)))
            continue
        try:
            rows: list[tuple[int, MatchRow]] = []
            for index, candidate in enumerate(payload.candidates):
                details = score_details(payload.track, candidate)
                if details.score >= threshold:
                    row = MatchRow(
                        dict(candidate), details.score, details.to_dict(), str(candidate["kind"])
                    )
                    rows.append((index, row))
            rows.sort(key=lambda item: item[1].score, reverse=True)
            outcomes.append(ScoredJob(job, payload, tuple(rows), evaluated=len(payload.candidates)))
        except Exception as err:  # noqa: BLE001 - reported per job, the batch goes on
            outcomes.append(ScoredJob(job, payload, error=f"{type(err).__name__}: {err}"))
    return outcomes


@dataclass
class MatchingState(QueueWorkerState):
    """What the matching worker publishes."""

    matches_saved: int = 0
    last_batch_size: int | None = None
    last_batch_duration: float | None = None


class MatchingWorker(QueueWorker[MatchingState]):
    """Processes queued matching jobs in batches of ``matching_worker_batch_size``."""

    name = "matching"
    job_type = JobType.MATCHING

    def __init__(self, hass: HomeAssistant, entry: HarmonyConfigEntry, store: Store) -> None:
        # Scoring is deterministic: a job that failed once fails again, so it is never retried.
        queue = JobQueue(hass, store, JobType.MATCHING, max_attempts=1)
        super().__init__(hass, entry, queue, MatchingState())

    @property
    def claim_limit(self) -> int:
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
        """Load the saved-matches total with the job totals."""
        self.state.matches_saved = await self.store.matches.async_count()
        await super().async_prepare()

    async def async_submit_match(self, payload: dict[str, Any]) -> tuple[Job, bool]:
        """Queue a match request; the same request while open is the same job."""
        return await self.async_submit(payload, dedupe_key=payload_dedupe_key(payload))

    async def async_process(self, jobs: Sequence[Job]) -> None:
        """Score a batch off the event loop, then store each job's outcome."""
        started = time.monotonic()
        outcomes = await self.hass.async_add_executor_job(score_jobs, jobs, self.threshold)
        counts = {"completed": 0, "invalid": 0, "failed": 0, "matches": 0}
        for outcome in outcomes:
            job = outcome.job
            if outcome.invalid_reason is not None:
                await self.queue.async_invalid(job, outcome.invalid_reason)
                counts["invalid"] += 1
            elif outcome.error is not None or outcome.payload is None:
                error = outcome.error or "no payload"
                await self.queue.async_fail(job, error, retryable=False)
                counts["failed"] += 1
                await self.async_record_activity(
                    ActivityType.MATCHING_FAILED,
                    "error",
                    {"job_id": job.id, "error": error},
                )
            else:
                result = {
                    "evaluated": outcome.evaluated,
                    "matches": [
                        {"index": index, "score": row.score} for index, row in outcome.rows
                    ],
                    "best_index": outcome.rows[0][0] if outcome.rows else None,
                }
                saved = await self.store.matches.async_save_and_complete(
                    job.id, outcome.payload.track_id, [row for _, row in outcome.rows], result
                )
                if saved is not None:
                    counts["completed"] += 1
                    counts["matches"] += saved
        duration = round(time.monotonic() - started, 3)
        self.state.matches_saved += counts["matches"]
        self.state.last_batch_size = len(jobs)
        self.state.last_batch_duration = duration
        await self.async_record_activity(
            ActivityType.MATCHING_BATCH,
            "ok" if counts["failed"] == 0 else "partial",
            {"jobs": len(jobs), **counts, "duration_s": duration},
        )
