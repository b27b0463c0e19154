"""The typed states workers publish to their entities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class WorkerStatus(StrEnum):
    """What a worker is doing; shown by the status sensor."""

    STARTING = "starting"
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass
class WorkerState:
    """What every worker publishes: status and heartbeat."""

    status: WorkerStatus = WorkerStatus.STARTING
    last_seen: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    last_error: str | None = None


@dataclass
class QueueWorkerState(WorkerState):
    """A job-queue worker adds its queue and totals (kept across restarts: they are counted)."""

    queue_length: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
