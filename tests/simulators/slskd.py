"""Loopback slskd simulator (`/api/v0`, header `X-API-Key`), modelled on slskd's own source.

Application state, searches whose responses arrive from peers over time, and downloads that move
through slskd's states and, on success, write a real tagged audio file. Everything runs on a
`SimClock` (slskd seconds): by default it runs `1 / time_scale` times faster than the wall clock;
`SimClock(None)` is frozen and moves only by `sim.advance(seconds)`, so tests never sleep.

Confirmed against slskd source (tag 0.26.0 and main at 5770c7e, Aug 2026; file names under
src/slskd/) - each behaviour below names where it comes from:

- A transfer is finished only when its state has `Completed` (Transfers/Types/
  TransferStateCategories.cs). 0.26+ retries failed downloads itself (Transfers/Downloads/
  DownloadService.cs `Retry.Do`; Core/Options.cs RetryOptions: Attempts 3, Delay 5000 ms, MaxDelay
  60000 ms); the delay before attempt k+1 is floor((2^k - 1) / 2) * Delay, capped, plus a random
  jitter below Delay (Common/Compute.cs), so the first retry waits under 5 s. While it waits the
  state is `Queued, Locally` and `attempts` counts the attempts. Rejected, cancelled, duplicate
  and size-mismatch failures are not retried. `nextAttemptAt` exists on Transfer (0.25+) but
  nothing sets it, so it is never sent. A failed attempt's `Completed, Errored` is stored before
  the retry resets it to `Queued, Locally` (`WithSoulseekTransfer` overwrites the state the
  stateChanged handler chose): `retry_glitch` makes that short window visible.
- `Completed, Succeeded` is stored before the file moves from `<incomplete>/<username>/<remote
  directories>/<file>` to `<downloads>/<last remote directory>/<file>` (`move_delay`); a name
  clash becomes `name_<DateTime.UtcNow.Ticks>.ext` (Files/FileService.cs MoveFile, default
  Destination.Exists "rename", Subdirectory "${SOURCE_DIRECTORY}").
- At start-up every download with no `endedAt` or no `Completed` flag, removed ones too, becomes
  `Completed, Errored` with exception "Application shut down"; searches still running become
  `Completed, TimedOut` with no responses (Application.cs StartAsync). `restart()` does that; a
  file waiting for its move stays in the incomplete folder.
- A peer that never acknowledges an enqueue ends `Completed, TimedOut` after 3 minutes with
  "Download failed to enqueue remotely after hard time limit of 180 secs" (DownloadService.cs
  maxTimeToWaitForEnqueueRequestAck; `enqueue_ack_timeout`). A file already queued or in progress
  for that user is not enqueued again: 0.24-0.25 list its filename in `failed`; 0.26 records
  "Skipped: Already in progress" but the list is of C# value tuples, which ASP.NET's JSON writer
  (fields not included) sends as `{}` (TransfersController.cs EnqueueAsync, Program.cs
  AddJsonOptions). Finished records of the same file are superseded (`removed: true`).
- Enqueueing does not check the peer's shares: a file the peer lacks is enqueued and then
  rejected ("File not shared."). An offline peer fails the whole request with 500 and a message.
- A third enqueue request while two are in flight, and a second search POST while one is in
  flight, get 429 "Only one concurrent operation is permitted. Wait until the previous request
  completes" with no Retry-After (TransfersController.cs SemaphoreSlim(2, 2), SearchesController.cs
  SemaphoreSlim(1, 1), both `Wait(0)`). `request_delay` (wall seconds) keeps requests in flight.
- `DELETE /transfers/downloads/{username}/{id}?remove=true` cancels (`Completed, Cancelled`,
  "The operation was canceled.") and marks the record removed; it answers 204 even for an unknown
  id, 400 for an id that is not a GUID. The username in the route is not checked; a removed
  record is still found by `GET .../{id}`. `placeInQueue` is filled only by `GET .../{id}/position`
  and cleared by the next state change. `requestedAt` / `enqueuedAt` have no zone suffix,
  `startedAt` / `endedAt` end in `Z` (TransfersDbContext.cs converts only those two to UTC).
- 0.26 `POST /transfers/downloads/batches` ({id, searchId, username, files, options}) answers
  201 (all enqueued), 207 (some failed), 200 (all failed) with `{batch: {..., transfers},
  failures: [{filename, message}]}`, 404 for an offline user, 409 for a batch id already used,
  400 for repeated files; `options.destination` is a folder under the downloads folder. The
  controller stores only `destination`: `externalId` is accepted and dropped.

Per-peer knobs (`SoulseekPeer.behaviour`, a `PeerBehaviour`) and per-file ones
(`sim.behave(pattern, **fields)`, or `sim.fail_transfers(pattern, kind)` for the common cases):

    online=False            enqueue answers 500 "User <name> appears to be offline"
    connect_delay=0.5       wall seconds before the enqueue answers (with online=False: a timeout)
    acknowledges=False      stays `Requested`; `Completed, TimedOut` after `enqueue_ack_timeout`
    reject_reason="..."     `Completed, Rejected` with that exception (never retried)
    fail_at=0.5             the connection drops at that share of the file: `Completed, Errored`;
    fail_attempts=1         ... only the first attempt fails (None: every attempt)
    stall_at=0.3            bytes stop there, `InProgress` forever (0.0: never a byte)
    stuck_in_queue=True     `Queued, Remotely` forever
    bytes_per_second=50_000 a slow peer (otherwise a transfer takes `transfer_seconds`)
    SoulseekPeer(has_free_upload_slot=False, queue_length=5) waits queue_seconds per place
    corrupt=True            the written file is bytes no audio library can read
    actual_length=30        the written audio lasts 30 s whatever the search said

Usage:

    clock = SimClock(None)                      # frozen: nothing moves until advance()
    sim = SlskdSimulator(tmp / "downloads", clock=clock, version="0.26.0", move_delay=2)
    sim.peers[0].behaviour = PeerBehaviour(fail_at=0.5, fail_attempts=1)
    sim.fail_transfers("Lullaby", "reject")       # stall, reject, error, no_bytes, stuck,
    await sim.start()                              # no_ack, corrupt, wrong_length
    ...enqueue over HTTP...
    sim.advance(30)                               # 30 slskd seconds pass at once
    sim.restart()                                 # slskd restarted
    sim.transfer_path(transfer_id)                # where the file is now (None if nowhere)

Over HTTP (the dev CLI): `POST /_sim/advance {"seconds": n}`, `POST /_sim/restart`,
`POST /_sim/transfer-faults {"pattern", "kind"}`, `POST /_sim/peers/{username}/behaviour {fields}`.
"""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
import random
import re
import threading
import time
from typing import Any
import uuid

from aiohttp import web

from .faults import FaultInjector
from .server import LoopbackServer

BUSY = "Only one concurrent operation is permitted. Wait until the previous request completes"
SHUTDOWN = "Application shut down"
CANCELED = "The operation was canceled."
_DOTNET_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


class SimClock:
    """slskd time in seconds: runs at ``1 / time_scale`` of wall speed, or frozen (None)."""

    def __init__(self, time_scale: float | None = 1.0) -> None:
        self.time_scale = time_scale
        self._wall0 = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        running = 0.0
        if self.time_scale is not None:
            running = (time.monotonic() - self._wall0) / self.time_scale
        return running + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


@dataclass
class SharedFile:
    """A file a peer shares (the tags are what the written audio file carries)."""

    filename: str
    size: int
    bit_rate: int | None
    bit_depth: int | None
    sample_rate: int | None
    length: int
    is_locked: bool = False
    title: str = ""
    artist: str = ""
    album: str = ""
    track_no: int = 0

    def to_json(self) -> dict[str, Any]:
        name = self.filename.rsplit("\\", 1)[-1]
        data: dict[str, Any] = {
            "filename": self.filename,
            "size": self.size,
            "extension": "",  # slskd usually leaves it empty
            "length": self.length,
            "isLocked": self.is_locked,
            "code": 1,
        }
        if name.lower().endswith(".flac"):
            data.update(bitDepth=self.bit_depth, sampleRate=self.sample_rate)
        else:
            data.update(bitRate=self.bit_rate, isVariableBitRate=False)
        return {k: v for k, v in data.items() if v is not None}


@dataclass
class PeerBehaviour:
    """How a peer treats our downloads (see the module docstring)."""

    online: bool = True
    connect_delay: float = 0.0
    acknowledges: bool = True
    reject_reason: str | None = None
    fail_at: float | None = None
    fail_attempts: int | None = None
    fail_reason: str = "Remote connection closed"
    stall_at: float | None = None
    stuck_in_queue: bool = False
    bytes_per_second: int | None = None
    queue_seconds: float = 2.0
    corrupt: bool = False
    actual_length: int | None = None


@dataclass
class SoulseekPeer:
    """A user on the network and what they share."""

    username: str
    upload_speed: int = 2_000_000
    queue_length: int = 0
    has_free_upload_slot: bool = True
    files: list[SharedFile] = field(default_factory=list)
    response_delay: float = 0.3  # share of the search timeout before this peer answers
    behaviour: PeerBehaviour = field(default_factory=PeerBehaviour)


_FAULT_KINDS: dict[str, dict[str, Any]] = {
    "stall": {"stall_at": 0.5},
    "no_bytes": {"stall_at": 0.0},
    "reject": {"reject_reason": "File not shared."},
    "error": {"fail_at": 0.5},
    "stuck": {"stuck_in_queue": True},
    "no_ack": {"acknowledges": False},
    "corrupt": {"corrupt": True},
    "wrong_length": {"actual_length": 1},
}


@dataclass
class _Search:
    id: str
    text: str
    timeout: float
    started: float
    responses: list[tuple[float, SoulseekPeer, list[SharedFile]]]
    dangled: bool = False  # cleaned up by a restart


@dataclass
class _Transfer:
    """One download record and where its current attempt stands (times in slskd seconds)."""

    id: str
    peer: SoulseekPeer
    file: SharedFile
    behaviour: PeerBehaviour
    shared: bool
    requested_at: float
    phase: str = "queued_locally"
    phase_at: float = 0.0
    state: str = "Queued, Locally"
    attempts: int = 0
    tries: int = 0  # attempts started, whatever the version shows
    acknowledged: bool = False
    resume_from: int = 0
    bytes: int = 0
    enqueued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    exception: str | None = None
    place_in_queue: int | None = None
    removed: bool = False
    move_at: float | None = None
    path: Path | None = None
    batch_id: str | None = None
    destination: str | None = None  # a batch's options.destination, under the downloads folder


class SlskdSimulator(LoopbackServer):
    """slskd's API over loopback, with Soulseek peers behind it."""

    def __init__(
        self,
        downloads_dir: Path,
        *,
        api_key: str = "sim-slskd-key",
        version: str = "0.24.1",
        peers: list[SoulseekPeer] | None = None,
        time_scale: float = 1.0,
        transfer_seconds: float = 4.0,
        clock: SimClock | None = None,
        incomplete_dir: Path | None = None,
        move_delay: float = 0.0,
        retry_attempts: int = 3,
        retry_delay: float = 5.0,
        retry_max_delay: float = 60.0,
        retry_glitch: float = 0.0,
        enqueue_ack_timeout: float = 180.0,
        request_delay: float = 0.0,
        tick_interval: float = 0.02,
        seed: int = 0,
    ) -> None:
        self.downloads_dir = downloads_dir
        self.incomplete_dir = incomplete_dir or downloads_dir.parent / "incomplete"
        self.api_key = api_key
        self.version = version
        self.logged_in = True
        # What this slskd itself shares (shares.files); None: as many as the peers share.
        self.own_shared_files: int | None = None
        self.legacy_enqueue = False  # before 0.24 enqueue answered 201 with an empty body
        self.peers = peers if peers is not None else demo_peers()
        self.time_scale = time_scale
        self.clock = clock or SimClock(time_scale)
        self.epoch = datetime.now(UTC)
        self.transfer_seconds = transfer_seconds
        self.move_delay = move_delay
        self.retry_attempts = retry_attempts
        self.retry_delay = retry_delay
        self.retry_max_delay = retry_max_delay
        self.retry_glitch = retry_glitch
        self.enqueue_ack_timeout = enqueue_ack_timeout
        self.request_delay = request_delay  # wall seconds an enqueue or search POST stays in flight
        self.tick_interval = tick_interval
        # Wall seconds between recording enqueued files and answering (a crash window for tests).
        self.enqueue_answer_delay = 0.0
        # "GET /api/v0/..." for the latest API requests (bounded: the demo runs for days).
        self.requests: deque[str] = deque(maxlen=100_000)
        self.rng = random.Random(seed)
        self.file_behaviours: list[tuple[re.Pattern[str], dict[str, Any]]] = []
        self.faults = FaultInjector()
        self.searches: dict[str, _Search] = {}
        self.transfers: dict[str, _Transfer] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.restarts = 0
        self._enqueues_in_flight = 0
        self._searches_in_flight = 0
        self._ticker: asyncio.Task[None] | None = None
        # Tests may drive the clock from a thread (a synchronous client beside the loop).
        self._lock = threading.RLock()

    # --- controls ------------------------------------------------------------------------
    def behave(self, pattern: str, **changes: Any) -> None:
        """Files matching ``pattern`` get these PeerBehaviour fields, over their peer's."""
        known = {f.name for f in fields(PeerBehaviour)}
        if unknown := set(changes) - known:
            raise ValueError(f"unknown behaviour {sorted(unknown)}")
        self.file_behaviours.append((re.compile(pattern, re.IGNORECASE), changes))

    def fail_transfers(self, pattern: str, kind: str) -> None:
        """Files matching ``pattern`` will ``stall``, be ``reject``ed, ``error`` halfway, ...

        Kinds: stall, no_bytes, reject, error, stuck, no_ack, corrupt, wrong_length.
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(kind)
        self.behave(pattern, **_FAULT_KINDS[kind])

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of slskd time pass at once, and act on it."""
        with self._lock:
            self.clock.advance(seconds)
            self.tick()

    def restart(self) -> None:
        """slskd restarted: what was unfinished is `Completed, Errored` ("Application shut down")."""
        with self._lock:
            self._restart()

    def _restart(self) -> None:
        self.tick()
        now = self.clock.now()
        for transfer in self.transfers.values():
            if transfer.phase == "moving":  # the move never happens: the file stays in incomplete/
                transfer.phase, transfer.move_at = "done", None
            if transfer.ended_at is None or "Completed" not in transfer.state:
                transfer.state = "Completed, Errored"
                transfer.exception = SHUTDOWN
                transfer.ended_at = now
            if transfer.phase != "done":
                transfer.bytes = self._bytes(transfer, now)
                transfer.phase = "done"
            transfer.place_in_queue = None
        for search in self.searches.values():
            if now - search.started < search.timeout:
                search.dangled = True
                search.responses = []
        self.restarts += 1

    def transfer_path(self, transfer_id: str) -> Path | None:
        """Where a download's file is now: incomplete folder, final place, or nowhere yet."""
        transfer = self.transfers.get(transfer_id)
        return transfer.path if transfer else None

    def tick(self) -> None:
        """Run every transfer's due events up to now (requests and a background task call it)."""
        with self._lock:
            self._tick(self.clock.now())

    def _tick(self, now: float) -> None:
        for transfer in list(self.transfers.values()):
            while transfer.phase != "done" and (due := self._next_at(transfer)) is not None:
                if due > now:
                    break
                self._fire(transfer, due)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        url = await super().start(host, port)
        self._ticker = asyncio.create_task(self._tick_forever())
        return url

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await super().stop()

    async def _tick_forever(self) -> None:
        # Files land even when nobody polls, as with the real daemon.
        while True:
            await asyncio.sleep(self.tick_interval)
            self.tick()

    def _at_least(self, version: str) -> bool:
        def parse(text: str) -> tuple[int, ...]:
            return tuple(int(p) for p in re.findall(r"\d+", text)[:3])

        return parse(self.version) >= parse(version)

    # --- the download state machine ---------------------------------------------------------
    def _rate(self, transfer: _Transfer) -> float:
        """Bytes per slskd second of this peer (a whole file takes 70% of transfer_seconds)."""
        size = max(transfer.file.size, 1)
        if transfer.behaviour.bytes_per_second:
            return float(transfer.behaviour.bytes_per_second)
        return size / (0.7 * self.transfer_seconds)

    def _next_at(self, transfer: _Transfer) -> float | None:
        step = 0.1 * self.transfer_seconds
        b = transfer.behaviour
        phase, at = transfer.phase, transfer.phase_at
        if phase in ("queued_locally", "glitch"):
            return at
        if phase == "requested":
            if not b.acknowledges:
                return transfer.requested_at + self.enqueue_ack_timeout
            return at + step
        if phase == "queued_remotely":
            if b.stuck_in_queue:
                return None
            wait = 0.0 if transfer.peer.has_free_upload_slot else transfer.peer.queue_length
            return at + step + wait * b.queue_seconds
        if phase == "initializing":
            return at + step
        if phase == "in_progress":
            target = self._attempt_target(transfer)
            if target is None:
                return None
            return at + max(0, target[0] - transfer.resume_from) / self._rate(transfer)
        if phase == "moving":
            return transfer.move_at
        return None

    def _attempt_target(self, transfer: _Transfer) -> tuple[int, str] | None:
        """Bytes at which this attempt ends and how ("fail" / "done"); None: it stalls forever."""
        b, size = transfer.behaviour, transfer.file.size
        fails = b.fail_at is not None and (
            b.fail_attempts is None or transfer.tries <= b.fail_attempts
        )
        fail_bytes = int(size * b.fail_at) if fails and b.fail_at is not None else None
        stall_bytes = int(size * b.stall_at) if b.stall_at is not None else None
        if fail_bytes is not None and (stall_bytes is None or fail_bytes <= stall_bytes):
            return max(fail_bytes, transfer.resume_from), "fail"
        if stall_bytes is not None:
            return None
        return size, "done"

    def _bytes(self, transfer: _Transfer, now: float) -> int:
        if transfer.phase != "in_progress":
            return transfer.bytes
        moved = transfer.resume_from + int((now - transfer.phase_at) * self._rate(transfer))
        target = self._attempt_target(transfer)
        cap = target[0] if target else int(transfer.file.size * (transfer.behaviour.stall_at or 0))
        return max(transfer.resume_from, min(moved, cap, transfer.file.size))

    def _enter(self, transfer: _Transfer, phase: str, at: float, state: str | None = None) -> None:
        transfer.phase, transfer.phase_at = phase, at
        if state is not None:
            transfer.state = state
            transfer.place_in_queue = None  # every state change rewrites the record without it

    def _fire(self, transfer: _Transfer, at: float) -> None:
        b, phase = transfer.behaviour, transfer.phase
        if phase == "queued_locally":
            transfer.tries += 1
            if self._at_least("0.26") and transfer.attempts == 0:
                transfer.attempts = 1
            # A new Soulseek.NET transfer: its times and exception replace the last attempt's.
            transfer.started_at = transfer.ended_at = transfer.exception = None
            self._enter(transfer, "requested", at, "Requested")
        elif phase == "requested":
            if not b.acknowledges:
                secs = f"{self.enqueue_ack_timeout:g}"
                self._end(
                    transfer,
                    at,
                    "Completed, TimedOut",
                    f"Download failed to enqueue remotely after hard time limit of {secs} secs",
                )
            elif b.reject_reason is not None or not transfer.shared:
                self._end(
                    transfer, at, "Completed, Rejected", b.reject_reason or "File not shared."
                )
            else:
                transfer.acknowledged = True
                if transfer.enqueued_at is None:
                    transfer.enqueued_at = at
                self._enter(transfer, "queued_remotely", at, "Queued, Remotely")
        elif phase == "queued_remotely":
            transfer.started_at = at
            self._enter(transfer, "initializing", at, "Initializing")
        elif phase == "initializing":
            transfer.bytes = transfer.resume_from
            self._enter(transfer, "in_progress", at, "InProgress")
        elif phase == "in_progress":
            target = self._attempt_target(transfer)
            assert target is not None  # a stalled attempt has no event
            transfer.bytes = target[0]
            if target[1] == "fail":
                self._attempt_failed(transfer, at)
            else:
                self._end(transfer, at, "Completed, Succeeded", None)
                transfer.path = self._incomplete_path(transfer)
                write_audio(transfer.path, transfer.file, b.actual_length, corrupt=b.corrupt)
                transfer.move_at = at + self.move_delay
                self._enter(transfer, "moving", at)
        elif phase == "glitch":
            # Retry.Do's onRetry: attempt n+1 waits floor((2^n - 1) / 2) * delay, capped, + jitter.
            n = transfer.tries
            delay = min(math.floor((2**n - 1) / 2) * self.retry_delay, self.retry_max_delay)
            delay += self.rng.random() * self.retry_delay
            transfer.attempts += 1
            transfer.resume_from = transfer.bytes  # partial files are resumed
            self._enter(transfer, "queued_locally", at + delay, "Queued, Locally")
        elif phase == "moving":
            assert transfer.path is not None
            target = self.local_path(transfer.file)
            if transfer.destination is not None:  # a batch's destination replaces the folder
                target = self.downloads_dir.joinpath(*transfer.destination.split("/"), target.name)
            transfer.path = self._move(transfer.path, target, at)
            transfer.move_at = None
            self._enter(transfer, "done", at)

    def _attempt_failed(self, transfer: _Transfer, at: float) -> None:
        self._end(transfer, at, "Completed, Errored", transfer.behaviour.fail_reason)
        if self._at_least("0.26") and transfer.attempts < self.retry_attempts:
            # Stored as failed first; the retry turns it back to Queued, Locally.
            self._enter(transfer, "glitch", at + self.retry_glitch)

    def _end(self, transfer: _Transfer, at: float, state: str, exception: str | None) -> None:
        transfer.ended_at = at
        transfer.exception = exception
        self._enter(transfer, "done", at, state)

    def _incomplete_path(self, transfer: _Transfer) -> Path:
        parts = [re.sub(r'[<>:"|?*]', "_", p) for p in transfer.file.filename.split("\\") if p]
        user = re.sub(r'[<>:"/\\|?*]', "_", transfer.peer.username)
        return self.incomplete_dir.joinpath(user, *parts)

    def _move(self, source: Path, target: Path, at: float) -> Path:
        """MoveFile with the default 'rename' strategy: a clash gets ``_<ticks>``."""
        target.parent.mkdir(parents=True, exist_ok=True)
        ticks = self._ticks(at)
        while target.exists():
            target = target.with_name(f"{source.stem}_{ticks}{source.suffix}")
            ticks += 1
        source.replace(target)
        with contextlib.suppress(OSError):  # deleteSourceDirectoryIfEmptyAfterMove
            source.parent.rmdir()
        return target

    def _ticks(self, at: float) -> int:
        delta = self._datetime(at) - _DOTNET_EPOCH
        return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10

    def _datetime(self, at: float) -> datetime:
        return self.epoch + timedelta(seconds=at)

    def _stamp(self, at: float | None, *, utc: bool) -> str | None:
        """.NET's round-trip form: 7 fractional digits; 'Z' only where slskd marks the kind UTC."""
        if at is None:
            return None
        moment = self._datetime(at)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0" + ("Z" if utc else "")

    @staticmethod
    def _timespan(seconds: float) -> str:
        whole = int(seconds)
        ticks = min(9_999_999, round((seconds - whole) * 10_000_000))
        days, rest = divmod(whole, 86_400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        text = f"{hours:02d}:{minutes:02d}:{secs:02d}" + (f".{ticks:07d}" if ticks else "")
        return f"{days}.{text}" if days else text

    def local_path(self, file: SharedFile) -> Path:
        """Where slskd puts a finished download (before any clash rename)."""
        parts = file.filename.split("\\")
        folder = parts[-2] if len(parts) > 1 else ""
        return self.downloads_dir / folder / parts[-1]

    # --- HTTP ----------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware, self._auth])
        self.faults.add_routes(app)
        r = app.router
        r.add_get("/api/v0/session/enabled", self._session_enabled)
        r.add_get("/api/v0/application", self._application)
        r.add_post("/api/v0/searches", self._post_search)
        r.add_get("/api/v0/searches/{id}", self._get_search)
        r.add_get("/api/v0/searches/{id}/responses", self._get_responses)
        r.add_delete("/api/v0/searches/{id}", self._delete_search)
        r.add_delete("/api/v0/transfers/downloads/all/completed", self._clear_completed)
        r.add_post("/api/v0/transfers/downloads/batches", self._enqueue_batch)
        r.add_post("/api/v0/transfers/downloads/{username}", self._enqueue)
        r.add_get("/api/v0/transfers/downloads", self._downloads)
        r.add_get("/api/v0/transfers/downloads/", self._downloads)  # slskd-api adds the slash
        r.add_get("/api/v0/transfers/downloads/{username}", self._user_downloads)
        r.add_get("/api/v0/transfers/downloads/{username}/{id}", self._download)
        r.add_get("/api/v0/transfers/downloads/{username}/{id}/position", self._position)
        r.add_delete("/api/v0/transfers/downloads/{username}/{id}", self._cancel)
        r.add_post("/_sim/transfer-faults", self._add_transfer_fault)
        r.add_post("/_sim/advance", self._sim_advance)
        r.add_post("/_sim/restart", self._sim_restart)
        r.add_post("/_sim/peers/{username}/behaviour", self._sim_behaviour)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        open_paths = ("/api/v0/session/enabled", "/_sim/")
        if (
            not request.path.startswith(open_paths)
            and request.headers.get("X-API-Key") != self.api_key
        ):
            return web.Response(status=401)
        if request.path.startswith("/api/"):
            self.requests.append(f"{request.method} {request.path}")
        self.tick()
        result: web.StreamResponse = await handler(request)
        return result

    async def _session_enabled(self, request: web.Request) -> web.Response:
        return web.json_response(True)

    async def _add_transfer_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail_transfers(body["pattern"], body["kind"])
        return web.Response(status=201)

    async def _sim_advance(self, request: web.Request) -> web.Response:
        self.advance(float((await request.json())["seconds"]))
        return web.json_response({"now": self.clock.now()})

    async def _sim_restart(self, request: web.Request) -> web.Response:
        self.restart()
        return web.Response(status=204)

    async def _sim_behaviour(self, request: web.Request) -> web.Response:
        peer = self._peer(request.match_info["username"])
        if peer is None:
            raise web.HTTPNotFound
        try:
            peer.behaviour = replace(peer.behaviour, **await request.json())
        except TypeError as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.Response(status=204)

    async def _application(self, request: web.Request) -> web.Response:
        files = (
            self.own_shared_files
            if self.own_shared_files is not None
            else sum(len(p.files) for p in self.peers) or 1200
        )
        return web.json_response(
            {
                "version": {
                    "full": self.version,
                    "current": self.version,
                    "isUpdateAvailable": False,
                },
                "pendingReconnect": False,
                "pendingRestart": False,
                "server": {
                    "address": "vps.slsknet.org:2271",
                    "state": "Connected, LoggedIn" if self.logged_in else "Disconnected",
                    "isConnected": self.logged_in,
                    "isLoggedIn": self.logged_in,
                    "isTransitioning": False,
                },
                "user": {"username": "harmony", "privileges": {"isPrivileged": False}},
                "shares": {
                    "ready": True,
                    "scanning": False,
                    "faulted": False,
                    "directories": max(1, files // 12),
                    "files": files,
                },
            }
        )

    # --- searches ----------------------------------------------------------------------
    async def _post_search(self, request: web.Request) -> web.Response:
        if self._searches_in_flight >= 1:  # SearchesController: SemaphoreSlim(1, 1).Wait(0)
            return web.json_response(BUSY, status=429)
        self._searches_in_flight += 1
        try:
            if self.request_delay:
                await asyncio.sleep(self.request_delay)
            return await self._start_search(request)
        finally:
            self._searches_in_flight -= 1

    async def _start_search(self, request: web.Request) -> web.Response:
        if not self.logged_in:
            return web.json_response(
                "The server connection must be connected and logged in", status=409
            )
        body = await request.json()
        text = str(body.get("searchText", "")).strip()
        if not text:
            return web.json_response("SearchText may not be null or empty", status=400)
        search_id = str(body.get("id") or uuid.uuid4())
        if search_id in self.searches:
            return web.json_response(
                f"An active search with Id {search_id} is already in progress", status=409
            )
        timeout = float(body.get("searchTimeout", 15000)) / 1000
        terms = [t.lower() for t in re.split(r"\s+", text) if t]
        responses = []
        for peer in self.peers:
            hits = [f for f in peer.files if all(term in f.filename.lower() for term in terms)]
            if hits:
                responses.append((peer.response_delay * timeout, peer, hits))
        responses.sort(key=lambda item: item[0])
        search = _Search(search_id, text, timeout, self.clock.now(), responses)
        self.searches[search_id] = search
        return web.json_response(self._search_json(search))

    def _visible(self, search: _Search) -> list[tuple[float, SoulseekPeer, list[SharedFile]]]:
        elapsed = self.clock.now() - search.started
        return [r for r in search.responses if r[0] <= elapsed]

    def _search_json(self, search: _Search) -> dict[str, Any]:
        visible = self._visible(search)
        done = search.dangled or self.clock.now() - search.started >= search.timeout
        return {
            "id": search.id,
            "searchText": search.text,
            "state": "Completed, TimedOut" if done else "InProgress",
            "isComplete": done,
            "responseCount": len(visible),
            "fileCount": sum(len([f for f in files if not f.is_locked]) for _, _, files in visible),
            "lockedFileCount": sum(
                len([f for f in files if f.is_locked]) for _, _, files in visible
            ),
            "startedAt": self._stamp(search.started, utc=True),
            "token": abs(hash(search.id)) % 100000,
        }

    def _search_or_404(self, request: web.Request) -> _Search:
        search = self.searches.get(request.match_info["id"])
        if search is None:
            raise web.HTTPNotFound
        return search

    async def _get_search(self, request: web.Request) -> web.Response:
        return web.json_response(self._search_json(self._search_or_404(request)))

    async def _get_responses(self, request: web.Request) -> web.Response:
        search = self._search_or_404(request)
        return web.json_response(
            [
                {
                    "username": peer.username,
                    "fileCount": len([f for f in files if not f.is_locked]),
                    "files": [f.to_json() for f in files if not f.is_locked],
                    "lockedFileCount": len([f for f in files if f.is_locked]),
                    "lockedFiles": [f.to_json() for f in files if f.is_locked],
                    "hasFreeUploadSlot": peer.has_free_upload_slot,
                    "queueLength": peer.queue_length,
                    "uploadSpeed": peer.upload_speed,
                    "token": 1,
                }
                for _, peer, files in self._visible(search)
            ]
        )

    async def _delete_search(self, request: web.Request) -> web.Response:
        self._search_or_404(request)
        del self.searches[request.match_info["id"]]
        return web.Response(status=204)

    # --- transfers -----------------------------------------------------------------------
    def _peer(self, username: str) -> SoulseekPeer | None:
        return next((p for p in self.peers if p.username == username), None)

    async def _reach_peer(self, username: str) -> SoulseekPeer | None:
        """The peer once an enqueue request has reached it; None when it is offline."""
        peer = self._peer(username)
        delay = self.request_delay + (peer.behaviour.connect_delay if peer else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if peer is None or not peer.behaviour.online:
            return None
        return peer

    def _behaviour(self, peer: SoulseekPeer, filename: str) -> PeerBehaviour:
        behaviour = peer.behaviour
        for pattern, changes in self.file_behaviours:
            if pattern.search(filename):
                behaviour = replace(behaviour, **changes)
        return behaviour

    async def _enqueue(self, request: web.Request) -> web.Response:
        username = request.match_info.get("username", "batches")
        try:
            body = await request.json()
        except ValueError:
            return web.json_response("A non-empty request body is required", status=400)
        if not isinstance(body, list) or not body:
            return web.json_response("At least one file is required", status=400)
        if any(not isinstance(item, dict) for item in body):
            return web.json_response("One or more files in the request are null", status=400)
        names = [str(item.get("filename") or "") for item in body]
        if any(".." in re.split(r"[\\/]", name) for name in names):
            return web.json_response(
                "One or more files in the request contain a dangerous path traversal segment",
                status=400,
            )
        if self._enqueues_in_flight >= 2:  # TransfersController: SemaphoreSlim(2, 2).Wait(0)
            return web.json_response(BUSY, status=429)
        self._enqueues_in_flight += 1
        try:
            peer = await self._reach_peer(username)
            if peer is None:
                return web.json_response(f"User {username} appears to be offline", status=500)
            if any(not name for name in names):
                return web.json_response(
                    "At least one filename is null or empty (Parameter 'files')", status=500
                )
            enqueued, failed = self._enqueue_files(peer, body)
            if self.enqueue_answer_delay:
                await asyncio.sleep(self.enqueue_answer_delay)
        finally:
            self._enqueues_in_flight -= 1
        if self.legacy_enqueue or not self._at_least("0.24"):
            return web.Response(status=201)
        if self._at_least("0.26"):
            # (Filename, Message) value tuples: ASP.NET's JSON writer skips fields, so '{}'.
            failures: list[Any] = [{} for _ in failed]
        else:
            failures = [name for name, _ in failed]
        return web.json_response({"enqueued": enqueued, "failed": failures}, status=201)

    async def _enqueue_batch(self, request: web.Request) -> web.Response:
        """0.26's POST /transfers/downloads/batches: failures carry their message."""
        if not self._at_least("0.26"):
            return await self._enqueue(request)  # before 0.26 'batches' is a username
        body = await request.json()
        username, files = body.get("username"), body.get("files")
        options = body.get("options") or {}
        if not isinstance(username, str) or not username.strip():
            return web.json_response("The Username field is required.", status=400)
        if (
            not isinstance(files, list)
            or not files
            or any(
                not isinstance(f, dict) or not f.get("filename") or f.get("size") is None
                for f in files
            )
        ):
            return web.json_response("The Files field is required.", status=400)
        names = [str(f["filename"]) for f in files]
        if len(set(names)) != len(names):
            return web.json_response("Two or more files in the request are repeated", status=400)
        try:
            batch_id = str(uuid.UUID(body["id"])) if body.get("id") else str(uuid.uuid4())
            search_id = str(uuid.UUID(body["searchId"])) if body.get("searchId") else None
        except (ValueError, TypeError, AttributeError):
            return web.json_response(
                "One or more provided identifiers is not a valid GUID/UUID", status=400
            )
        destination = options.get("destination") if isinstance(options, dict) else None
        if destination is not None and (
            not isinstance(destination, str)
            or destination.startswith(("/", "\\"))
            or ".." in re.split(r"[\\/]", destination)
        ):
            return web.json_response("Destination must be a relative path", status=400)
        if self._enqueues_in_flight >= 2:  # the same limiter as the other enqueue route
            return web.json_response(BUSY, status=429)
        self._enqueues_in_flight += 1
        try:
            peer = await self._reach_peer(username)
            if peer is None:  # the batches route answers 404 where the other answers 500
                return web.json_response(f"User {username} appears to be offline", status=404)
            if batch_id in self.batches:
                return web.json_response(f"A batch with ID {batch_id} already exists", status=409)
            # The controller copies only Destination into the stored options (ExternalId is lost).
            self.batches[batch_id] = {
                "id": batch_id,
                "searchId": search_id,
                "username": username,
                "direction": "Download",
                "createdAt": self._stamp(self.clock.now(), utc=True),
                "options": {"destination": destination},
            }
            enqueued, failed = self._enqueue_files(peer, files, batch_id, destination)
            if self.enqueue_answer_delay:
                await asyncio.sleep(self.enqueue_answer_delay)
        finally:
            self._enqueues_in_flight -= 1
        batch = {k: v for k, v in self.batches[batch_id].items() if v is not None}
        batch["options"] = {k: v for k, v in batch["options"].items() if v is not None}
        batch["transfers"] = enqueued
        status = 200 if len(failed) == len(files) else 207 if failed else 201
        failures = [{"filename": name, "message": message} for name, message in failed]
        return web.json_response({"batch": batch, "failures": failures}, status=status)

    def _enqueue_files(
        self,
        peer: SoulseekPeer,
        body: list[dict[str, Any]],
        batch_id: str | None = None,
        destination: str | None = None,
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        now = self.clock.now()
        enqueued: list[dict[str, Any]] = []
        failed: list[tuple[str, str]] = []
        for item in body:
            name = str(item["filename"])
            mine = [
                t for t in self.transfers.values() if t.peer is peer and t.file.filename == name
            ]
            if any(t.ended_at is None or "Completed" not in t.state for t in mine):
                failed.append((name, "Skipped: Already in progress"))
                continue
            for old in mine:  # finished records of the same file are superseded
                old.removed = True
            shared = next((f for f in peer.files if f.filename == name), None)
            file = shared or SharedFile(name, int(item.get("size") or 0), None, None, None, 1)
            transfer = _Transfer(
                id=str(uuid.uuid4()),
                peer=peer,
                file=file,
                behaviour=self._behaviour(peer, name),
                shared=shared is not None,
                requested_at=now,
                phase_at=now,
                batch_id=batch_id,
                destination=destination,
            )
            self.transfers[transfer.id] = transfer
            enqueued.append(self._transfer_json(transfer, now))
        return enqueued, failed

    def _transfer_json(self, transfer: _Transfer, now: float) -> dict[str, Any]:
        size = transfer.file.size
        moved = self._bytes(transfer, now)
        active = transfer.phase == "in_progress" and moved < self._cap(transfer)
        speed = self._rate(transfer) if active else 0.0
        elapsed = None
        if transfer.started_at is not None:
            end = transfer.ended_at if transfer.ended_at is not None else now
            elapsed = self._timespan(max(0.0, end - transfer.started_at))
        data: dict[str, Any] = {
            "id": transfer.id,
            "username": transfer.peer.username,
            "direction": "Download",
            "filename": transfer.file.filename,
            "size": size,
            "state": transfer.state,
            "requestedAt": self._stamp(transfer.requested_at, utc=False),
            "enqueuedAt": self._stamp(transfer.enqueued_at, utc=False),
            "startedAt": self._stamp(transfer.started_at, utc=True),
            "endedAt": self._stamp(transfer.ended_at, utc=True),
            "bytesTransferred": moved,
            "averageSpeed": speed,
            "placeInQueue": transfer.place_in_queue,
            "exception": transfer.exception,
            "removed": transfer.removed,
            "bytesRemaining": size - moved,
            "elapsedTime": elapsed,
            "percentComplete": moved / size * 100 if size else 0.0,
            "remainingTime": self._timespan((size - moved) / speed) if speed else None,
        }
        if self._at_least("0.25"):
            data["attempts"] = transfer.attempts
            data["batchId"] = transfer.batch_id
        return {k: v for k, v in data.items() if v is not None}  # WhenWritingNull

    def _cap(self, transfer: _Transfer) -> int:
        target = self._attempt_target(transfer)
        return target[0] if target else int(transfer.file.size * (transfer.behaviour.stall_at or 0))

    def _grouped(self, transfers: list[_Transfer]) -> list[dict[str, Any]]:
        now = self.clock.now()
        users: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for transfer in transfers:
            directory = transfer.file.filename.rsplit("\\", 1)[0]
            users.setdefault(transfer.peer.username, {}).setdefault(directory, []).append(
                self._transfer_json(transfer, now)
            )
        return [
            {
                "username": user,
                "directories": [
                    {"directory": d, "fileCount": len(files), "files": files}
                    for d, files in dirs.items()
                ],
            }
            for user, dirs in users.items()
        ]

    async def _downloads(self, request: web.Request) -> web.Response:
        removed = request.query.get("includeRemoved", "").lower() == "true"
        listed = [t for t in self.transfers.values() if removed or not t.removed]
        return web.json_response(self._grouped(listed))

    async def _user_downloads(self, request: web.Request) -> web.Response:
        username = request.match_info["username"]
        listed = [
            t for t in self.transfers.values() if t.peer.username == username and not t.removed
        ]
        if not listed:
            raise web.HTTPNotFound
        return web.json_response(self._grouped(listed)[0])

    def _transfer_or_error(self, request: web.Request) -> _Transfer | None:
        """By id alone (slskd ignores the username); 400 for an id that is not a GUID."""
        try:
            key = str(uuid.UUID(request.match_info["id"]))
        except ValueError:
            raise web.HTTPBadRequest from None
        return self.transfers.get(key)

    async def _download(self, request: web.Request) -> web.Response:
        transfer = self._transfer_or_error(request)
        if transfer is None:
            raise web.HTTPNotFound
        return web.json_response(self._transfer_json(transfer, self.clock.now()))

    async def _position(self, request: web.Request) -> web.Response:
        transfer = self._transfer_or_error(request)
        if transfer is None:
            raise web.HTTPNotFound
        place = 0
        if transfer.phase == "queued_remotely" and not transfer.peer.has_free_upload_slot:
            due = self._next_at(transfer)
            place = max(1, transfer.peer.queue_length)
            if due is not None:
                step = 0.1 * self.transfer_seconds  # the last part of the wait is not the queue
                left = due - step - self.clock.now()
                place = max(1, math.ceil(left / transfer.behaviour.queue_seconds))
        transfer.place_in_queue = place
        return web.json_response(place)

    async def _cancel(self, request: web.Request) -> web.Response:
        transfer = self._transfer_or_error(request)
        if transfer is not None:
            if transfer.phase not in ("done", "moving"):
                transfer.bytes = self._bytes(transfer, self.clock.now())
                self._end(transfer, self.clock.now(), "Completed, Cancelled", CANCELED)
            if request.query.get("remove", "").lower() == "true" and "Completed" in transfer.state:
                transfer.removed = True
        return web.Response(status=204)  # TryCancel / Remove report nothing for an unknown id

    async def _clear_completed(self, request: web.Request) -> web.Response:
        for transfer in self.transfers.values():
            if "Completed" in transfer.state:
                transfer.removed = True
        return web.Response(status=204)


def write_audio(
    path: Path, file: SharedFile, length: int | None = None, *, corrupt: bool = False
) -> None:
    """A real, decodable, tagged FLAC or MP3 of the file's length (quiet tone, 8 kHz mono).

    ``length`` overrides the duration (a peer whose file is not what the search said);
    ``corrupt`` writes bytes no audio library can read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_audio(path, file, length, corrupt=corrupt)
    finally:
        # Real slskd's file has exactly the transfer's size: pad (sparsely) up to it.
        if path.exists() and path.stat().st_size < file.size:
            with path.open("r+b") as handle:
                handle.truncate(file.size)


def _write_audio(path: Path, file: SharedFile, length: int | None, *, corrupt: bool) -> None:
    import mutagen
    import numpy as np
    import soundfile as sf

    if corrupt:
        path.write_bytes(b"\x00harmony: not audio\x00" * 512)
        return
    rate = 8000
    seconds = max(length if length is not None else file.length, 1)
    samples = 0.05 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)
    kind = "MP3" if path.suffix.lower() == ".mp3" else "FLAC"
    target = path if path.suffix.lower() in (".mp3", ".flac") else path.with_suffix(".flac")
    sf.write(target, samples, rate, format=kind)
    if target != path:
        target.rename(path)
    tags = mutagen.File(path, easy=True)
    if tags is None:
        return
    if tags.tags is None:
        tags.add_tags()
    for key, value in (("title", file.title), ("artist", file.artist), ("album", file.album)):
        if value:
            tags[key] = value
    if file.track_no:
        tags["tracknumber"] = str(file.track_no)
    tags.save()


def demo_peers(seed: int = 0) -> list[SoulseekPeer]:
    """A few peers with realistic folders, mixed qualities, locked files and decoys."""
    rng = random.Random(seed)
    albums = [
        (
            "The Cure",
            "Disintegration",
            1989,
            ["Plainsong", "Pictures of You", "Closedown", "Lovesong", "Lullaby"],
        ),
        (
            "Kings of Leon",
            "Only by the Night",
            2008,
            ["Closer", "Crawl", "Sex on Fire", "Use Somebody"],
        ),
        ("Phoenix", "Wolfgang Amadeus Phoenix", 2009, ["Lisztomania", "1901", "Fences"]),
    ]
    flac_peer = SoulseekPeer("lossless_lover", upload_speed=5_000_000, response_delay=0.2)
    mp3_peer = SoulseekPeer("mp3_max", upload_speed=800_000, queue_length=3, response_delay=0.5)
    scene_peer = SoulseekPeer(
        "scene_rips", has_free_upload_slot=False, queue_length=12, response_delay=0.8
    )
    for artist, album, year, titles in albums:
        for n, title in enumerate(titles, 1):
            length = rng.randint(180, 300)
            tags = {"title": title, "artist": artist, "album": album, "track_no": n}
            flac_peer.files.append(
                SharedFile(
                    f"@@flac\\Music\\{artist} - {album} ({year}) [FLAC]\\{n:02d} - {title}.flac",
                    length * 110_000,
                    None,
                    16,
                    44100,
                    length,
                    **tags,
                )
            )
            mp3_peer.files.append(
                SharedFile(
                    f"@@mp3\\{artist}\\{year} - {album}\\{n:02d} {title}.mp3",
                    length * 40_000,
                    320,
                    None,
                    None,
                    length,
                    is_locked=n == 2,
                    **tags,
                )
            )
            scene = f"{artist}-{album}-WEB-{year}-GRP".replace(" ", "_")
            scene_peer.files.append(
                SharedFile(
                    f"{scene}\\{n:02d}-{artist}-{title}.mp3".replace(" ", "_").lower(),
                    length * 32_000,
                    256,
                    None,
                    None,
                    length,
                    **tags,
                )
            )
        decoy = titles[-1]
        mp3_peer.files.append(
            SharedFile(
                f"@@mp3\\Live\\{artist} - {decoy} (Live).mp3",
                9_000_000,
                320,
                None,
                None,
                330,
                title=f"{decoy} (Live)",
                artist=artist,
            )
        )
        mp3_peer.files.append(
            SharedFile(
                f"@@mp3\\Covers\\Someone Else - {decoy} ({artist} cover).mp3",
                8_000_000,
                192,
                None,
                None,
                240,
                title=decoy,
                artist="Someone Else",
            )
        )
    return [flac_peer, mp3_peer, scene_peer]
