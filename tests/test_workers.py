"""The worker platform: the run loop survives failures; the queue worker retries with backoff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.harmony_music.store import Job, JobState, JobType, Store
from custom_components.harmony_music.workers.base import BaseWorker
from custom_components.harmony_music.workers.queue import (
    JobQueue,
    PermanentJobError,
    QueueWorker,
    RetryableJobError,
)
from custom_components.harmony_music.workers.state import (
    QueueWorkerState,
    WorkerState,
    WorkerStatus,
)


class FlakyWorker(BaseWorker[WorkerState]):
    """Fails on its first two cycles, then idles."""

    name = "flaky"

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        super().__init__(hass, entry, WorkerState())  # type: ignore[arg-type]
        self.cycles = 0

    async def run_cycle(self) -> float:
        self.cycles += 1
        if self.cycles <= 2:
            raise ConnectionError("network down")
        self.set_status(WorkerStatus.IDLE)
        return 60.0


async def job_reaches(worker: EchoWorker, job_id: int, state: JobState, attempts: int) -> Job:
    """Return the job once the worker moved it to ``state`` after ``attempts`` tries and idles.

    Event driven: it re-reads the row each time the worker publishes (time is frozen in these
    tests, so a missed publish would hang; the listener is in place before every read). An idle
    worker is asleep on its timer, so the test can move time on.
    """
    changed = asyncio.Event()
    remove = worker.coordinator.async_add_listener(changed.set)
    try:
        while True:
            changed.clear()
            job = await worker.store.jobs.async_get(job_id)
            assert job is not None
            idle = worker.coordinator.data.status is WorkerStatus.IDLE
            if (job.state, job.attempts) == (state, attempts) and idle:
                return job
            await changed.wait()
    finally:
        remove()


async def test_worker_survives_failures_and_stops(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Failing cycles show as error and back off 30 s; the next cycle recovers; stop ends it."""
    entry = MockConfigEntry(domain="harmony_music")
    entry.add_to_hass(hass)
    worker = FlakyWorker(hass, entry)
    statuses: list[WorkerStatus] = []
    worker.coordinator.async_add_listener(lambda: statuses.append(worker.coordinator.data.status))
    worker.async_start()
    await hass.async_block_till_done()
    assert worker.cycles == 1
    assert worker.coordinator.data.status is WorkerStatus.ERROR
    assert worker.coordinator.data.last_error == "network down"

    for expected_cycles in (2, 3):
        freezer.tick(timedelta(seconds=31))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert worker.cycles == expected_cycles
    assert statuses[-1] is WorkerStatus.IDLE
    assert worker.coordinator.data.last_error is None
    assert worker.coordinator.data.started_at is not None

    worker.wake()  # an idle worker wakes up at once for new work
    await hass.async_block_till_done()
    assert worker.cycles == 4

    await worker.async_stop()
    assert worker.coordinator.data.status is WorkerStatus.STOPPED
    assert worker.coordinator.data.stopped_at is not None


@dataclass
class EchoState(QueueWorkerState):
    """A toy worker's state: only what the platform gives."""


class EchoWorker(QueueWorker[EchoState]):
    """Completes jobs, except as their payload says: flaky (twice), bad or crash."""

    name = "echo"
    job_type = JobType.DOWNLOAD

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry, store: Store) -> None:
        queue = JobQueue(hass, store, JobType.DOWNLOAD, max_attempts=4)
        super().__init__(hass, entry, queue, EchoState())  # type: ignore[arg-type]
        self.calls = 0

    async def async_process(self, jobs: Sequence[Job]) -> None:
        self.calls += 1
        [job] = jobs
        kind = job.payload["kind"]
        if kind == "flaky" and job.attempts < 3:
            raise RetryableJobError("peer busy")
        if kind == "bad":
            raise PermanentJobError("no such file")
        if kind == "crash":
            raise RuntimeError("boom")
        await self.queue.async_complete(job, {"attempts": job.attempts})


@pytest.fixture
async def echo(hass: HomeAssistant, tmp_path: Path) -> AsyncGenerator[EchoWorker]:
    """A running echo worker on its own database."""
    store = Store(tmp_path / "echo.db")
    await store.async_open()
    entry = MockConfigEntry(domain="harmony_music")
    entry.add_to_hass(hass)
    worker = EchoWorker(hass, entry, store)
    await worker.async_prepare()
    worker.async_start()
    yield worker
    await worker.async_stop()
    await store.async_close()


async def test_retryable_failures_back_off_with_growing_gaps(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, echo: EchoWorker
) -> None:
    """Attempt 1 fails, retried after 30 s; attempt 2 fails, retried after 60 s; 3 succeeds."""
    job, _ = await echo.async_submit({"kind": "flaky"})
    stored = await job_reaches(echo, job.id, JobState.QUEUED, 1)
    assert (stored.state, stored.attempts, stored.last_error) == (
        JobState.QUEUED,
        1,
        "peer busy",
    )
    assert stored.next_attempt_at is not None
    assert stored.next_attempt_at - stored.updated_at == timedelta(seconds=30)

    freezer.tick(timedelta(seconds=29))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert echo.calls == 1  # not due yet

    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    stored = await job_reaches(echo, job.id, JobState.QUEUED, 2)
    assert stored.next_attempt_at is not None
    assert stored.next_attempt_at - stored.updated_at == timedelta(seconds=60)

    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    done = await echo.queue.async_wait(job.id, 5)
    assert done is not None
    assert (done.state, done.result) == (JobState.COMPLETED, {"attempts": 3})
    assert echo.coordinator.data.jobs_completed == 1
    assert echo.coordinator.data.queue_length == 0


async def test_permanent_failure_stops_at_once_and_the_worker_goes_on(
    hass: HomeAssistant, echo: EchoWorker
) -> None:
    """A permanent failure is final with its reason; a crash is retried; others still run."""
    bad, _ = await echo.async_submit({"kind": "bad"})
    crash, _ = await echo.async_submit({"kind": "crash"})
    good, _ = await echo.async_submit({"kind": "good"})
    failed = await echo.queue.async_wait(bad.id, 5)
    assert failed is not None
    assert (failed.state, failed.attempts, failed.last_error) == (
        JobState.FAILED,
        1,
        "no such file",
    )
    completed = await echo.queue.async_wait(good.id, 5)
    assert completed is not None
    assert completed.state is JobState.COMPLETED
    crashed = await echo.store.jobs.async_get(crash.id)
    assert crashed is not None
    assert (crashed.state, crashed.last_error) == (JobState.QUEUED, "boom")
    assert echo.coordinator.data.jobs_failed == 1
    assert echo.coordinator.data.status is not WorkerStatus.ERROR


async def test_attempts_run_out(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, echo: EchoWorker
) -> None:
    """A job that keeps crashing fails for good after max_attempts."""
    job, _ = await echo.async_submit({"kind": "crash"})
    await job_reaches(echo, job.id, JobState.QUEUED, 1)
    for attempt in (2, 3):
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass)
        await job_reaches(echo, job.id, JobState.QUEUED, attempt)
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    stored = await job_reaches(echo, job.id, JobState.FAILED, 4)
    assert stored.last_error == "boom"


async def test_interrupted_jobs_resume_and_dedupe_holds(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A job left running by a crash is requeued at start; an open key is never queued twice."""
    store = Store(tmp_path / "echo.db")
    await store.async_open()
    job, _ = await store.jobs.async_enqueue(JobType.DOWNLOAD, {"kind": "good"}, dedupe_key="k")
    await store.jobs.async_claim(JobType.DOWNLOAD, 1)
    entry = MockConfigEntry(domain="harmony_music")
    entry.add_to_hass(hass)
    worker = EchoWorker(hass, entry, store)
    await worker.async_prepare()
    assert worker.state.queue_length == 1
    again, created = await worker.async_submit({"kind": "good"}, dedupe_key="k")
    assert (again.id, created) == (job.id, False)
    worker.async_start()
    done = await worker.queue.async_wait(job.id, 5)
    assert done is not None
    assert done.state is JobState.COMPLETED
    await worker.async_stop()
    await store.async_close()
