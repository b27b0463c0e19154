"""The persistent job queue every job-type worker shares, and the worker that consumes it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..activity import ActivityType, async_record_activity
from ..const import DOMAIN, LOGGER
from ..store import FAILED_STATES, FINAL_STATES, OPEN_STATES, Job, JobState, JobType, Store
from .base import BaseWorker
from .state import QueueWorkerState, WorkerStatus

if TYPE_CHECKING:
    from ..coordinator import HarmonyConfigEntry


class JobError(Exception):
    """A job could not be processed; the message is the reason shown to users."""


class RetryableJobError(JobError):
    """Worth another try later (network trouble, a busy peer): backs off, then retries."""


class PermanentJobError(JobError):
    """Trying again cannot help: the job fails at once with the reason."""


class InvalidJobError(PermanentJobError):
    """The payload can never be processed."""


class JobQueue:
    """Jobs of one type: submit, claim, finish, wait. Rows are the truth; this adds wake-ups."""

    def __init__(
        self,
        hass: HomeAssistant,
        store: Store,
        job_type: JobType,
        *,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(hours=1),
    ) -> None:
        self.hass = hass
        self.store = store
        self.job_type = job_type
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._waiters: dict[int, list[asyncio.Future[None]]] = {}
        # Claimed jobs whose outcome the worker has not announced yet (see notify).
        self._in_flight: set[int] = set()
        self._wake_worker: list[Callable[[], None]] = []

    @callback
    def on_change(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` whenever jobs become claimable (the worker registers itself)."""
        self._wake_worker.append(wake)

    @callback
    def _wake(self) -> None:
        for wake in self._wake_worker:
            wake()

    def retry_delay(self, attempts: int) -> timedelta:
        """Growing gaps between attempts: backoff, 2x, 4x ... up to max_backoff."""
        delay: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(delay, self.max_backoff)

    async def async_submit(
        self, payload: dict[str, Any], *, dedupe_key: str | None = None, priority: int = 0
    ) -> tuple[Job, bool]:
        """Persist a job (an open job with the same key is returned instead) and wake the worker."""
        job, created = await self.store.jobs.async_enqueue(
            self.job_type, payload, dedupe_key=dedupe_key, priority=priority
        )
        self._wake()
        return job, created

    async def async_claim(self, limit: int) -> list[Job]:
        """Up to ``limit`` due jobs, now running (best priority, then oldest)."""
        jobs = await self.store.jobs.async_claim(self.job_type, limit)
        self._in_flight.update(job.id for job in jobs)
        return jobs

    async def async_complete(self, job: Job, result: dict[str, Any] | None = None) -> bool:
        """The job is done."""
        return await self.store.jobs.async_complete(job.id, result)

    async def async_fail(self, job: Job, error: str, *, retryable: bool) -> JobState:
        """Retry later with a growing gap while attempts remain; otherwise failed for good."""
        if retryable and job.attempts < self.max_attempts:
            retry_at = dt_util.utcnow() + self.retry_delay(job.attempts)
            await self.store.jobs.async_fail(job.id, error, retry_at=retry_at)
            return JobState.QUEUED
        await self.store.jobs.async_fail(job.id, error)
        return JobState.FAILED

    async def async_invalid(self, job: Job, reason: str) -> None:
        """The payload can never be processed."""
        await self.store.jobs.async_fail(job.id, reason, state=JobState.INVALID_PAYLOAD)

    async def async_cancel(self, job_id: int) -> bool:
        """Cancel an open job; waiters hear of it at once."""
        cancelled = await self.store.jobs.async_cancel(job_id)
        if cancelled:
            self.notify([job_id])
            self._wake()
        return cancelled

    async def async_retry(self, job_id: int) -> bool:
        """Queue an ended, unsuccessful job again and wake the worker."""
        retried = await self.store.jobs.async_retry(job_id)
        if retried:
            self._wake()
        return retried

    async def async_requeue_running(self) -> int:
        """Jobs a restart interrupted go back to the queue."""
        return await self.store.jobs.async_requeue_running(self.job_type)

    async def async_counts(self) -> dict[JobState, int]:
        """Jobs of this type per state."""
        return await self.store.jobs.async_counts(self.job_type)

    async def async_seconds_until_due(self, limit: float) -> float:
        """How long until a queued job becomes due, at most ``limit``."""
        due = await self.store.jobs.async_next_due(self.job_type)
        if due is None:
            return limit
        return min(max((due - dt_util.utcnow()).total_seconds(), 0.0), limit)

    async def async_wait(self, job_id: int, max_wait: float) -> Job | None:
        """Wait until a job ends (or the time passes) and return it as stored."""
        loop = self.hass.loop
        deadline = loop.time() + max_wait
        while True:
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(job_id, []).append(future)
            try:
                job = await self.store.jobs.async_get(job_id)
                remaining = deadline - loop.time()
                # A finished row whose worker has not announced it yet is waited for, so the
                # caller sees entities that already count it.
                finished = job is None or (
                    job.state in FINAL_STATES and job_id not in self._in_flight
                )
                if finished or remaining <= 0:
                    return job
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await future
            finally:
                waiters = self._waiters.get(job_id, [])
                if future in waiters:
                    waiters.remove(future)
                if not waiters:
                    self._waiters.pop(job_id, None)

    @callback
    def notify(self, job_ids: Iterable[int]) -> None:
        """Wake whoever waits on these jobs (they read the stored row again)."""
        for job_id in job_ids:
            self._in_flight.discard(job_id)
            for future in self._waiters.get(job_id, []):
                if not future.done():
                    future.set_result(None)


class QueueWorker[StateT: QueueWorkerState](BaseWorker[StateT]):
    """Consumes one job type: claims due jobs into free slots and hands them to ``async_process``.

    A subclass gives its state dataclass, ``job_type`` and the processing hook; it may change
    ``concurrency`` (parallel slots) and ``claim_limit`` (jobs handed to one call of the hook).
    """

    job_type: ClassVar[JobType]
    # Submissions wake the worker at once; this is only the safety net.
    idle_poll: float = 30.0
    # Never spin: a due job that could not be claimed is looked at again after this.
    min_idle: float = 1.0

    def __init__(
        self, hass: HomeAssistant, entry: HarmonyConfigEntry, queue: JobQueue, state: StateT
    ) -> None:
        super().__init__(hass, entry, state)
        self.queue = queue
        self.store = queue.store
        queue.on_change(self.wake)
        self._active: set[asyncio.Task[None]] = set()

    @property
    def concurrency(self) -> int:
        """How many claims are processed at once."""
        return 1

    @property
    def claim_limit(self) -> int:
        """How many jobs one call of ``async_process`` gets."""
        return 1

    async def async_process(self, jobs: Sequence[Job]) -> None:
        """Process claimed jobs: finish each through ``self.queue`` (complete, fail, invalid).

        Raising ``RetryableJobError`` / ``PermanentJobError`` (or anything else, which counts as
        retryable) fails every job of the call that is still running.
        """
        raise NotImplementedError

    async def async_prepare(self) -> None:
        """Before entities exist: requeue interrupted jobs and load the totals.

        Totals are loaded before the first state is published, so a total_increasing sensor never
        shows a false 0 (statistics would read it as a meter reset).
        """
        requeued = await self.queue.async_requeue_running()
        if requeued:
            LOGGER.info("Resuming %d %s jobs interrupted by a restart", requeued, self.name)
        await self.async_refresh_counts()
        self.set_status(WorkerStatus.IDLE)

    async def async_refresh_counts(self) -> None:
        """Queue length and totals from the stored rows."""
        counts = await self.queue.async_counts()
        self.state.queue_length = sum(counts[state] for state in OPEN_STATES)
        self.state.jobs_completed = counts[JobState.COMPLETED]
        self.state.jobs_failed = sum(counts[state] for state in FAILED_STATES)

    async def async_submit(
        self, payload: dict[str, Any], *, dedupe_key: str | None = None, priority: int = 0
    ) -> tuple[Job, bool]:
        """Queue a job and show it in the queue length at once."""
        job, created = await self.queue.async_submit(
            payload, dedupe_key=dedupe_key, priority=priority
        )
        if created:
            self.state.queue_length += 1
            self.publish()
        return job, created

    async def async_record_activity(
        self, activity_type: ActivityType, status: str, details: dict[str, Any]
    ) -> None:
        """An activity entry of this entry (stored, then on the event entity)."""
        await async_record_activity(
            self.hass, self.entry.entry_id, self.store, activity_type, status, details
        )

    async def async_cancel_job(self, job_id: int) -> bool:
        """Cancel an open job (workers with remote side effects undo them too)."""
        return await self.queue.async_cancel(job_id)

    async def run_cycle(self) -> float:
        """Fill free slots with claimed jobs; sleep until a slot frees or a job is due."""
        while len(self._active) < self.concurrency:
            jobs = await self.queue.async_claim(self.claim_limit)
            if not jobs:
                break
            self.set_status(WorkerStatus.RUNNING)
            task = self.entry.async_create_background_task(
                self.hass,
                self._async_run_jobs(jobs),
                f"{DOMAIN} {self.name} jobs {[job.id for job in jobs]}",
            )
            self._active.add(task)
            task.add_done_callback(self._slot_freed)
        if self._active:
            return self.idle_poll
        await self.async_refresh_counts()
        idle_for = max(await self.queue.async_seconds_until_due(self.idle_poll), self.min_idle)
        # Nothing awaits between saying "idle" and starting to sleep.
        self.set_status(*self.idle_status())
        return idle_for

    def idle_status(self) -> tuple[WorkerStatus, str | None]:
        """What the worker says when it has nothing to do (a pausing worker says why)."""
        return WorkerStatus.IDLE, None

    @callback
    def _slot_freed(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        self.wake()

    async def _async_run_jobs(self, jobs: Sequence[Job]) -> None:
        try:
            try:
                await self.async_process(jobs)
            except PermanentJobError as err:
                for job in jobs:
                    await self.queue.async_fail(job, str(err), retryable=False)
            except asyncio.CancelledError:
                raise  # unloading: the rows stay running and are requeued at the next start
            except Exception as err:
                if not isinstance(err, RetryableJobError):
                    LOGGER.exception("%s jobs %s failed", self.name, [job.id for job in jobs])
                for job in jobs:
                    await self.queue.async_fail(job, str(err) or type(err).__name__, retryable=True)
            await self.async_refresh_counts()
            self.publish()
        finally:
            # Waiters resume once the jobs are fully accounted, so entities already show them.
            self.queue.notify(job.id for job in jobs)

    async def async_stop(self) -> None:
        """Stop the loop and any jobs in progress (they are requeued at the next start)."""
        active, self._active = self._active, set()
        for task in active:
            task.cancel()
        for task in active:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().async_stop()
