"""Typed views of what slskd's API returns, parsed defensively.

Much of it (file names, sizes, lengths, exceptions) comes from other Soulseek users and is passed
on by slskd unchecked: a wrong type or an absurd number drops that one entry or is clamped, never
raises. Only a body of the wrong overall shape (slskd itself broken) raises ResponseError.

Transfer states are .NET flags written as "Completed, Succeeded", "Queued, Locally", ...; a
download is finished only when the flags contain ``Completed`` (slskd's TransferStateCategories).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
import math
import re
from typing import Any

# Nothing on Soulseek is this big; a larger size is a lie and the file is skipped.
MAX_FILE_SIZE = 64 * 1024**3
MAX_LENGTH_SECONDS = 7 * 24 * 3600
MAX_TEXT = 4096
_FRACTION = re.compile(r"(\.\d{6})\d+")


class TransferState(StrEnum):
    """One flag of Soulseek.NET's TransferStates."""

    NONE = "None"
    REQUESTED = "Requested"
    QUEUED = "Queued"
    INITIALIZING = "Initializing"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    SUCCEEDED = "Succeeded"
    CANCELLED = "Cancelled"
    TIMED_OUT = "TimedOut"
    ERRORED = "Errored"
    REJECTED = "Rejected"
    ABORTED = "Aborted"
    LOCALLY = "Locally"
    REMOTELY = "Remotely"


class TransferPhase(StrEnum):
    """Where a download stands, from its flags."""

    QUEUED_LOCALLY = "queued_locally"  # in slskd, not yet sent (or waiting for a 0.26 retry)
    REQUESTED = "requested"  # asked the peer, no answer yet
    QUEUED_REMOTELY = "queued_remotely"  # in the peer's upload queue
    INITIALIZING = "initializing"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


class TransferOutcome(StrEnum):
    """How a completed download ended."""

    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    ERRORED = "errored"
    REJECTED = "rejected"
    ABORTED = "aborted"
    UNKNOWN = "unknown"  # 'Completed' alone: slskd calls it a malfunction


_OUTCOMES = {
    TransferState.SUCCEEDED: TransferOutcome.SUCCEEDED,
    TransferState.CANCELLED: TransferOutcome.CANCELLED,
    TransferState.TIMED_OUT: TransferOutcome.TIMED_OUT,
    TransferState.ERRORED: TransferOutcome.ERRORED,
    TransferState.REJECTED: TransferOutcome.REJECTED,
    TransferState.ABORTED: TransferOutcome.ABORTED,
}


def parse_state(text: str) -> frozenset[TransferState]:
    """The flags of a state string; unknown words are ignored."""
    known = {s.value: s for s in TransferState}
    return frozenset(known[word] for word in re.split(r"[,\s|]+", text) if word in known)


def _phase(flags: frozenset[TransferState]) -> TransferPhase:
    if TransferState.COMPLETED in flags:
        return TransferPhase.COMPLETED
    if TransferState.IN_PROGRESS in flags:
        return TransferPhase.IN_PROGRESS
    if TransferState.INITIALIZING in flags:
        return TransferPhase.INITIALIZING
    if TransferState.QUEUED in flags:
        if TransferState.REMOTELY in flags:
            return TransferPhase.QUEUED_REMOTELY
        return TransferPhase.QUEUED_LOCALLY
    if TransferState.REQUESTED in flags:
        return TransferPhase.REQUESTED
    return TransferPhase.UNKNOWN


# --- defensive field readers -------------------------------------------------------------------


def as_int(value: Any, *, low: int = 0, high: int = MAX_FILE_SIZE) -> int | None:
    """An integer within [low, high], clamped; None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return max(low, min(high, int(value)))


def as_float(value: Any, *, low: float = 0.0, high: float = float(MAX_FILE_SIZE)) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return max(low, min(high, number)) if math.isfinite(number) else 0.0


def as_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def as_datetime(value: Any) -> datetime | None:
    """.NET's round-trip form, with or without 'Z'; a zone-less time is UTC (slskd stores UTC)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value.replace("Z", "+00:00")))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def objects(value: Any) -> Iterator[dict[str, Any]]:
    """The dicts of a list; anything else in it is skipped."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


# --- models ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlskdTransfer:
    """A download as slskd reports it; ``id`` is a GUID string."""

    id: str
    username: str
    filename: str
    size: int
    state: str  # as sent, for logs
    flags: frozenset[TransferState]
    bytes_transferred: int
    percent_complete: float
    average_speed: float  # bytes/s
    place_in_queue: int | None  # only after GET .../position; slskd calls it possibly inaccurate
    exception: str | None
    attempts: int  # 0.26+: attempts started (retries are slskd's own); 0 before
    next_attempt_at: datetime | None  # in the API since 0.25, never filled in by 0.26
    requested_at: datetime | None
    enqueued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    removed: bool
    batch_id: str | None = None  # 0.26 batches
    # What did not make sense as sent and was corrected (for one log line, not a failure).
    anomalies: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: Any) -> SlskdTransfer | None:
        """Parse a Transfer; None when it has no usable id or file name."""
        if not isinstance(data, dict):
            return None
        transfer_id = as_text(data.get("id"), 64)  # a GUID string; an int id is not slskd's
        filename = as_text(data.get("filename"))
        if transfer_id is None or filename is None:
            return None
        size = as_int(data.get("size")) or 0
        sent_bytes = as_int(data.get("bytesTransferred")) or 0
        moved = min(sent_bytes, size) if size else 0
        state = as_text(data.get("state"), 200) or ""
        flags = parse_state(state)
        sent_percent = data.get("percentComplete")
        percent = as_float(sent_percent, high=100.0)
        anomalies: list[str] = []
        if isinstance(sent_percent, int | float) and not 0 <= sent_percent <= 100:
            anomalies.append(f"progress {sent_percent!r} outside 0-100")
            # The byte counts are the better witness of how far it got.
            percent = round(100.0 * moved / size, 2) if size else percent
        if sent_bytes > size > 0:
            anomalies.append(f"{sent_bytes} bytes transferred of {size}")
        if _phase(flags) is TransferPhase.UNKNOWN:
            anomalies.append(f"unknown state {state!r}")
        elif TransferState.COMPLETED in flags and not flags & set(_OUTCOMES):
            anomalies.append(f"state {state!r} names no outcome")
        return cls(
            id=transfer_id,
            username=as_text(data.get("username"), 200) or "",
            filename=filename,
            size=size,
            state=state,
            flags=flags,
            bytes_transferred=moved,
            percent_complete=percent,
            average_speed=as_float(data.get("averageSpeed")),
            place_in_queue=as_int(data.get("placeInQueue"), high=1_000_000),
            exception=as_text(data.get("exception")),
            attempts=as_int(data.get("attempts"), high=1_000) or 0,
            next_attempt_at=as_datetime(data.get("nextAttemptAt")),
            requested_at=as_datetime(data.get("requestedAt")),
            enqueued_at=as_datetime(data.get("enqueuedAt")),
            started_at=as_datetime(data.get("startedAt")),
            ended_at=as_datetime(data.get("endedAt")),
            removed=data.get("removed") is True,
            batch_id=as_text(data.get("batchId"), 64),
            anomalies=tuple(anomalies),
        )

    @property
    def phase(self) -> TransferPhase:
        return _phase(self.flags)

    @property
    def is_finished(self) -> bool:
        """The flags contain Completed: slskd is done with it (0.26 retries show Queued, Locally).

        0.26 stores a failed attempt as Completed, Errored a moment before a pending retry puts
        it back to Queued, Locally: confirm a failure with a later read before acting on it.
        """
        return TransferState.COMPLETED in self.flags

    @property
    def outcome(self) -> TransferOutcome | None:
        """How it ended; None while it is not finished."""
        if not self.is_finished:
            return None
        return next(
            (outcome for flag, outcome in _OUTCOMES.items() if flag in self.flags),
            TransferOutcome.UNKNOWN,
        )

    @property
    def is_succeeded(self) -> bool:
        return self.outcome is TransferOutcome.SUCCEEDED

    @property
    def is_failed(self) -> bool:
        return self.is_finished and not self.is_succeeded

    @property
    def is_active(self) -> bool:
        return self.phase in (TransferPhase.INITIALIZING, TransferPhase.IN_PROGRESS)

    @property
    def is_queued(self) -> bool:
        return self.phase in (
            TransferPhase.REQUESTED,
            TransferPhase.QUEUED_LOCALLY,
            TransferPhase.QUEUED_REMOTELY,
        )


def transfers(items: Iterable[Any]) -> list[SlskdTransfer]:
    """Every parseable transfer of a list."""
    return [t for item in items if (t := SlskdTransfer.from_api(item)) is not None]


@dataclass(frozen=True)
class EnqueueFailure:
    """A file slskd did not enqueue. 0.24-0.25 send only the name, 0.26 sends ``{}``."""

    filename: str | None
    reason: str


@dataclass(frozen=True)
class EnqueueResult:
    """What an enqueue returned; ``confirmed`` is False for the empty body before 0.24."""

    enqueued: tuple[SlskdTransfer, ...]
    failed: tuple[EnqueueFailure, ...]
    confirmed: bool
    batch_id: str | None = None  # 0.26 batches

    @classmethod
    def from_batch(cls, data: Any, requested: Iterable[str]) -> EnqueueResult:
        """0.26's ``{batch: {id, transfers}, failures: [{filename, message}]}``."""
        if not isinstance(data, dict):
            return cls((), (), confirmed=False)
        batch = data.get("batch")
        if not isinstance(batch, dict):
            batch = {}
        plain = cls.from_api(
            {"enqueued": batch.get("transfers"), "failed": data.get("failures")}, requested
        )
        return replace(plain, batch_id=as_text(batch.get("id"), 64))

    @classmethod
    def from_api(cls, data: Any, requested: Iterable[str]) -> EnqueueResult:
        if not isinstance(data, dict):
            return cls((), (), confirmed=False)
        enqueued = tuple(transfers(objects(data.get("enqueued"))))
        failed: list[EnqueueFailure] = []
        for item in data.get("failed") or [] if isinstance(data.get("failed"), list) else []:
            if isinstance(item, str):
                failed.append(EnqueueFailure(item[:MAX_TEXT], ""))
            elif isinstance(item, dict):
                name = as_text(item.get("filename"))
                reason = as_text(item.get("message")) or as_text(item.get("reason")) or ""
                failed.append(EnqueueFailure(name, reason))
        # 0.26's '{}' entries name no file: they are the requested files not enqueued, in order.
        named = {f.filename for f in failed} | {t.filename for t in enqueued}
        left = iter([name for name in requested if name not in named])
        filled = tuple(
            f if f.filename is not None else EnqueueFailure(next(left, None), f.reason)
            for f in failed
        )
        return cls(enqueued, filled, confirmed=True)
