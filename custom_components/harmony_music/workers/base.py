"""The run loop every worker shares: heartbeat, status, sleeping, surviving failures."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
import time
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..coordinator import WorkerCoordinator
from .state import WorkerState, WorkerStatus

if TYPE_CHECKING:
    from ..coordinator import HarmonyConfigEntry

# Heartbeat-only changes reach the entities (and so the recorder) at most this often.
HEARTBEAT_INTERVAL = 60.0


class BaseWorker[StateT: WorkerState]:
    """A worker running as one background task of a config entry.

    Subclasses implement ``run_cycle``; the state they change is published through
    ``coordinator`` with ``publish``.
    """

    name: str = "worker"
    error_backoff: float = 30.0

    def __init__(self, hass: HomeAssistant, entry: HarmonyConfigEntry, state: StateT) -> None:
        self.hass = hass
        self.entry = entry
        self.state = state
        self.coordinator = WorkerCoordinator(hass, entry, self.name, replace(state))
        self._wake = asyncio.Event()
        self._last_published = 0.0
        self._task: asyncio.Task[None] | None = None

    @callback
    def publish(self, *, force: bool = True) -> None:
        """Hand a copy of the state to the entities (heartbeat-only updates are throttled)."""
        now = time.monotonic()
        if not force and now - self._last_published < HEARTBEAT_INTERVAL:
            return
        self._last_published = now
        self.coordinator.async_set_updated_data(replace(self.state))

    @callback
    def heartbeat(self) -> None:
        """Record that the loop is alive."""
        self.state.last_seen = dt_util.utcnow()
        self.publish(force=False)

    @callback
    def set_status(self, status: WorkerStatus, error: str | None = None) -> None:
        """Change status, publishing only on a real change."""
        changed = status != self.state.status or error != self.state.last_error
        self.state.status = status
        self.state.last_error = error
        self.state.last_seen = dt_util.utcnow()
        if changed:
            self.publish()

    @callback
    def wake(self) -> None:
        """Make an idle worker look for work now."""
        self._wake.set()

    async def sleep(self, seconds: float) -> None:
        """Sleep until woken or the time passes."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    @callback
    def async_start(self) -> None:
        """Run the loop as a background task of the entry; unloading the entry stops it."""
        self.state.started_at = dt_util.utcnow()
        self.state.stopped_at = None
        self.publish()
        self._task = self.entry.async_create_background_task(
            self.hass, self.run(), f"{DOMAIN} {self.name} worker {self.entry.entry_id}"
        )
        self.entry.async_on_unload(self.async_stop)

    async def run(self) -> None:
        """Run until cancelled; one failing cycle never ends the worker."""
        try:
            while True:
                try:
                    idle_for = await self.run_cycle()
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    LOGGER.exception("%s worker cycle failed", self.name)
                    self.set_status(WorkerStatus.ERROR, str(err) or type(err).__name__)
                    idle_for = self.error_backoff
                self.heartbeat()
                if idle_for:
                    await self.sleep(idle_for)
        finally:
            self.state.status = WorkerStatus.STOPPED

    async def run_cycle(self) -> float:
        """Do one unit of work; return seconds to wait before the next (0 = go on)."""
        raise NotImplementedError

    async def async_stop(self) -> None:
        """Cancel the task and wait for it to end (idempotent)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state.status = WorkerStatus.STOPPED
        self.state.stopped_at = dt_util.utcnow()
        self.publish()
