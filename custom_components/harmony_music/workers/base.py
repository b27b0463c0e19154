"""Shared heartbeat, status and metrics of the long-running workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import time
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..const import LOGGER

# Entities follow the heartbeat at most this often, so the recorder is not flooded.
HEARTBEAT_INTERVAL = 60.0


class WorkerStatus(StrEnum):
    """What a worker is doing; shown by the status sensor."""

    STARTING = "starting"
    IDLE = "idle"
    RUNNING = "running"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass
class WorkerState:
    """The live state of a worker, read by its entities."""

    status: WorkerStatus = WorkerStatus.STARTING
    last_seen: datetime | None = None
    started_at: datetime | None = None
    last_error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


class BaseWorker:
    """A worker running as one background task of a config entry."""

    name: str = "worker"

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.state = WorkerState()
        self._listeners: list[Callable[[], None]] = []
        self._wake = asyncio.Event()
        self._last_published = 0.0
        self._task: asyncio.Task[None] | None = None

    @callback
    def async_add_listener(self, update_callback: Callable[[], None]) -> CALLBACK_TYPE:
        """Listen for state changes; returns the function that removes the listener."""
        self._listeners.append(update_callback)

        @callback
        def remove() -> None:
            self._listeners.remove(update_callback)

        return remove

    @callback
    def publish(self, *, force: bool = True) -> None:
        """Tell entities the state changed (heartbeat-only updates are throttled)."""
        now = time.monotonic()
        if not force and now - self._last_published < HEARTBEAT_INTERVAL:
            return
        self._last_published = now
        for update_callback in list(self._listeners):
            update_callback()

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
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    def attach(self, task: asyncio.Task[None]) -> None:
        """Remember the task running ``run`` so ``async_stop`` can end it."""
        self._task = task

    async def run(self) -> None:
        """Run until cancelled; one failing cycle never ends the worker."""
        self.state.started_at = dt_util.utcnow()
        try:
            await self.async_start()
            while True:
                try:
                    idle_for = await self.run_cycle()
                except asyncio.CancelledError:
                    raise
                except Exception as err:  # noqa: BLE001 - a worker must survive any cycle
                    LOGGER.exception("%s cycle failed", self.name)
                    self.set_status(WorkerStatus.ERROR, str(err) or type(err).__name__)
                    idle_for = self.error_backoff
                self.heartbeat()
                if idle_for:
                    await self.sleep(idle_for)
        finally:
            self.state.status = WorkerStatus.STOPPED

    error_backoff: float = 30.0

    async def async_start(self) -> None:
        """Prepare before the first cycle (e.g. requeue interrupted jobs)."""

    async def run_cycle(self) -> float:
        """Do one unit of work; return seconds to wait before the next (0 = go on)."""
        raise NotImplementedError

    async def async_stop(self) -> None:
        """Cancel the task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state.status = WorkerStatus.STOPPED
        self.publish()
