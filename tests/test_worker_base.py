"""A worker survives failing cycles, publishes state changes and stops cleanly."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant

from custom_components.harmony_music.workers.base import BaseWorker, WorkerStatus


class FlakyWorker(BaseWorker):
    """Fails on its first two cycles, then idles."""

    name = "flaky"
    error_backoff = 0.01

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__(hass)
        self.cycles = 0
        self.recovered = asyncio.Event()

    async def run_cycle(self) -> float:
        self.cycles += 1
        if self.cycles <= 2:
            raise ConnectionError("network down")
        self.set_status(WorkerStatus.IDLE)
        self.recovered.set()
        return 60.0


async def test_worker_survives_failures_and_stops(hass: HomeAssistant) -> None:
    """Two failing cycles show as error, the third recovers; stop ends the task."""
    worker = FlakyWorker(hass)
    seen: list[WorkerStatus] = []
    remove = worker.async_add_listener(lambda: seen.append(worker.state.status))
    worker.attach(hass.async_create_background_task(worker.run(), "flaky"))
    await asyncio.wait_for(worker.recovered.wait(), 5)
    assert worker.cycles == 3
    assert WorkerStatus.ERROR in seen
    assert seen[-1] is WorkerStatus.IDLE
    assert worker.state.last_error is None
    assert worker.state.last_seen is not None

    worker.wake()  # an idle worker wakes up at once for new work
    await asyncio.sleep(0.05)
    assert worker.cycles == 4

    remove()
    await worker.async_stop()
    assert worker.state.status is WorkerStatus.STOPPED
    assert seen[-1] is WorkerStatus.IDLE  # the removed listener heard nothing more
