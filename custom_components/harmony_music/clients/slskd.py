"""slskd REST client (``/api/v0``, header ``X-API-Key``).

What slskd reports about files and transfers is partly other users' data: it is parsed
defensively (see slskd_models). Downloads: an enqueue is sent once (it is not idempotent: a retry
after a lost answer would be "Skipped: Already in progress"); reconcile with the list instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass, replace
import time
from typing import Any
from urllib.parse import quote
import uuid

import aiohttp

from .errors import (
    ClientError,
    EnqueueRefusedError,
    NotFoundError,
    NotLoggedInError,
    ResponseError,
)
from .http import RetryPolicy, request_json
from .slskd_models import (
    MAX_FILE_SIZE,
    MAX_LENGTH_SECONDS,
    EnqueueFailure,
    EnqueueResult,
    SlskdTransfer,
    TransferOutcome,
    TransferPhase,
    TransferState,
    as_int,
    as_text,
    objects,
    parse_state,
    transfers,
)

__all__ = [
    "EnqueueFailure",
    "EnqueueResult",
    "SearchBudget",
    "SlskdApplication",
    "SlskdClient",
    "SlskdFile",
    "SlskdSearch",
    "SlskdSearchResponse",
    "SlskdTransfer",
    "TransferOutcome",
    "TransferPhase",
    "TransferState",
    "parse_state",
]


@dataclass(frozen=True)
class SlskdApplication:
    """What ``GET /application`` says about the daemon."""

    version: str
    server_connected: bool
    logged_in: bool
    shares_ready: bool
    shared_files: int
    shared_directories: int


@dataclass(frozen=True)
class SlskdFile:
    """A file in a search response, as slskd reports it."""

    filename: str
    size: int
    extension: str
    bit_rate: int | None
    bit_depth: int | None
    sample_rate: int | None
    length: int | None
    is_locked: bool

    def as_candidate(self, username: str) -> dict[str, Any]:
        """The matching engine's Soulseek candidate shape."""
        return {
            "kind": "soulseek",
            "username": username,
            "filename": self.filename,
            "size": self.size,
            "extension": self.extension,
            "bitRate": self.bit_rate,
            "bitDepth": self.bit_depth,
            "sampleRate": self.sample_rate,
            "length": self.length,
            "isLocked": self.is_locked,
        }


@dataclass(frozen=True)
class SlskdSearchResponse:
    """One peer's answer to a search."""

    username: str
    files: tuple[SlskdFile, ...]
    has_free_upload_slot: bool
    queue_length: int
    upload_speed: int


@dataclass(frozen=True)
class SlskdSearch:
    """A search and its state string (flags such as 'Completed, TimedOut')."""

    id: str
    search_text: str
    state: str
    response_count: int
    file_count: int

    @property
    def is_complete(self) -> bool:
        """slskd's state is a flags string; 'Completed' marks every end."""
        return "Completed" in self.state


def _file(data: dict[str, Any]) -> SlskdFile | None:
    """A search result file; None for one without a name or with an impossible size."""
    filename = as_text(data.get("filename"))
    size = as_int(data.get("size"), high=2**63)
    if filename is None or size is None or size > MAX_FILE_SIZE:
        return None
    extension = (as_text(data.get("extension"), 16) or "").lstrip(".").lower()
    if not extension and "." in filename.rsplit("\\", 1)[-1]:
        extension = filename.rsplit(".", 1)[-1].lower()[:16]  # slskd often leaves it empty
    return SlskdFile(
        filename=filename,
        size=size,
        extension=extension,
        bit_rate=as_int(data.get("bitRate"), high=100_000),
        bit_depth=as_int(data.get("bitDepth"), high=64),
        sample_rate=as_int(data.get("sampleRate"), high=10_000_000),
        length=as_int(data.get("length"), high=MAX_LENGTH_SECONDS),
        is_locked=data.get("isLocked") is True,
    )


def _response(item: dict[str, Any]) -> SlskdSearchResponse | None:
    username = as_text(item.get("username"), 200)
    if username is None:
        return None
    found = [*objects(item.get("files")), *objects(item.get("lockedFiles"))]
    return SlskdSearchResponse(
        username=username,
        files=tuple(f for data in found if (f := _file(data)) is not None),
        has_free_upload_slot=item.get("hasFreeUploadSlot") is True,
        queue_length=as_int(item.get("queueLength"), high=1_000_000) or 0,
        upload_speed=as_int(item.get("uploadSpeed"), high=10**12) or 0,
    )


class SearchBudget:
    """At most ``limit`` searches per ``window`` seconds, one search POST at a time.

    Soulseek servers ban clients that search faster; status polling is not counted.
    """

    def __init__(
        self,
        limit: int = 34,
        window: float = 220.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self.lock = asyncio.Lock()
        self.waited = 0.0  # seconds spent waiting for the window, over the budget's life

    async def async_acquire(self) -> None:
        """Wait until one more search fits in the window (call with ``lock`` held)."""
        while True:
            now = self._clock()
            while self._starts and now - self._starts[0] >= self.window:
                self._starts.popleft()
            if len(self._starts) < self.limit:
                self._starts.append(now)
                return
            pause = self.window - (now - self._starts[0])
            self.waited += pause
            await self._sleep(pause)

    def seconds_for(self, count: int, per_search: float) -> float:
        """How long ``count`` more searches take when each lasts ``per_search`` seconds.

        The searches the window still allows go at their own pace; beyond them the budget sets
        the pace (``limit`` per ``window``), unless the searches themselves are slower.
        """
        if count <= 0:
            return 0.0
        now = self._clock()
        free = self.limit - sum(1 for start in self._starts if now - start < self.window)
        pace = max(per_search, self.window / self.limit)
        free = max(0, min(free, count))
        return free * per_search + (count - free) * pace


class SlskdClient:
    """The parts of slskd's API Harmony Music uses: state, searches, downloads."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        api_key: str,
        *,
        timeout: float = 10,
        policy: RetryPolicy | None = None,
        budget: SearchBudget | None = None,
    ) -> None:
        self._session = session
        self._base = url.rstrip("/") + "/api/v0"
        self._headers = {"X-API-Key": api_key}
        self._timeout = timeout
        self._policy = policy or RetryPolicy(attempts=2)
        self.budget = budget or SearchBudget()

    async def _async_request(self, method: str, path: str, json: Any = None) -> Any:
        return await request_json(
            self._session,
            method,
            f"{self._base}{path}",
            headers=self._headers,
            json=json,
            timeout=self._timeout,
            policy=self._policy,
            service="slskd",
        )

    async def async_get_application(self) -> SlskdApplication:
        """Server connection, login, shares and version."""
        data = _object(await self._async_request("GET", "/application"))
        server, shares = _object(data.get("server")), _object(data.get("shares"))
        version = _object(data.get("version"))
        return SlskdApplication(
            version=as_text(version.get("current"), 64) or as_text(version.get("full"), 64) or "",
            server_connected=server.get("isConnected") is True,
            logged_in=server.get("isLoggedIn") is True,
            shares_ready=shares.get("ready") is True,
            shared_files=as_int(shares.get("files"), high=2**63) or 0,
            shared_directories=as_int(shares.get("directories"), high=2**63) or 0,
        )

    async def async_start_search(
        self,
        text: str,
        *,
        timeout_ms: int = 15000,
        response_limit: int = 100,
        file_limit: int = 10000,
    ) -> SlskdSearch:
        """POST /searches: returns at once; the search runs on."""
        async with self.budget.lock:
            await self.budget.async_acquire()
            body = {
                "id": str(uuid.uuid4()),
                "searchText": text,
                "searchTimeout": timeout_ms,
                "responseLimit": response_limit,
                "fileLimit": file_limit,
            }
            return self._search(await self._async_request("POST", "/searches", body))

    @staticmethod
    def _search(data: Any) -> SlskdSearch:
        data = _object(data)
        search_id = as_text(data.get("id"), 64)
        if search_id is None:
            raise ResponseError("slskd sent a search without an id")
        return SlskdSearch(
            id=search_id,
            search_text=as_text(data.get("searchText")) or "",
            state=as_text(data.get("state"), 200) or "",
            response_count=as_int(data.get("responseCount"), high=2**31) or 0,
            file_count=as_int(data.get("fileCount"), high=2**31) or 0,
        )

    async def async_get_search(self, search_id: str) -> SlskdSearch:
        return self._search(await self._async_request("GET", f"/searches/{search_id}"))

    async def async_get_search_responses(self, search_id: str) -> list[SlskdSearchResponse]:
        data = await self._async_request("GET", f"/searches/{search_id}/responses")
        return [r for item in objects(data) if (r := _response(item)) is not None]

    async def async_delete_search(self, search_id: str) -> None:
        await self._async_request("DELETE", f"/searches/{search_id}")

    async def async_search(
        self, text: str, *, timeout_ms: int = 15000, poll_interval: float = 1.0
    ) -> list[SlskdSearchResponse]:
        """Search, wait for completion, fetch the responses and delete the search."""
        if not (await self.async_get_application()).logged_in:
            raise NotLoggedInError("slskd is not logged in to the Soulseek server")
        started = await self.async_start_search(text, timeout_ms=timeout_ms)
        try:
            deadline = time.monotonic() + timeout_ms / 1000 + 30
            while not (await self.async_get_search(started.id)).is_complete:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(poll_interval)
            return await self.async_get_search_responses(started.id)
        finally:
            with contextlib.suppress(ClientError):
                await self.async_delete_search(started.id)

    async def async_enqueue_download(
        self, username: str, files: Sequence[SlskdFile | tuple[str, int]]
    ) -> EnqueueResult:
        """POST /transfers/downloads/{username}, sent once; handles every version's 201 body.

        Raises EnqueueRefusedError when slskd answers 500 (the peer is offline or unreachable)
        and RateLimitedError on 429 (two enqueue requests are already in flight).
        """
        wanted = _wanted(files)
        body = [{"filename": name, "size": size} for name, size in wanted]
        data = await self._async_enqueue(f"/transfers/downloads/{quote(username, safe='')}", body)
        return EnqueueResult.from_api(data, [name for name, _ in wanted])

    async def async_enqueue_batch(
        self,
        username: str,
        files: Sequence[SlskdFile | tuple[str, int]],
        *,
        batch_id: str | None = None,
        search_id: str | None = None,
        destination: str | None = None,
    ) -> EnqueueResult:
        """0.26+: POST /transfers/downloads/batches, sent once; failures carry slskd's message.

        ``batch_id`` (a GUID) lets a retry after a lost answer be recognised (409);
        ``destination`` is a folder relative to slskd's downloads folder for these files.
        EnqueueRefusedError when the peer is offline, RateLimitedError on 429.
        """
        wanted = _wanted(files)
        body: dict[str, Any] = {
            "id": batch_id or str(uuid.uuid4()),
            "username": username,
            "files": [{"filename": name, "size": size} for name, size in wanted],
        }
        if search_id:
            body["searchId"] = search_id
        if destination:
            body["options"] = {"destination": destination}
        try:
            data = await self._async_enqueue("/transfers/downloads/batches", body)
        except NotFoundError as err:  # the batch route answers 404 for an offline user
            raise EnqueueRefusedError(f"slskd: user {username} appears to be offline") from err
        return EnqueueResult.from_batch(data, [name for name, _ in wanted])

    async def _async_enqueue(self, path: str, body: Any) -> Any:
        # Not idempotent: one attempt; a 5xx is slskd's answer about the peer, not an outage.
        return await request_json(
            self._session,
            "POST",
            f"{self._base}{path}",
            headers=self._headers,
            json=body,
            timeout=self._timeout,
            policy=replace(self._policy, attempts=1),
            service="slskd",
            server_error=EnqueueRefusedError,
        )

    async def async_list_downloads(self, *, include_removed: bool = False) -> list[SlskdTransfer]:
        """Every download, flattened from users → directories → files."""
        suffix = "?includeRemoved=true" if include_removed else ""
        data = await self._async_request("GET", f"/transfers/downloads{suffix}")
        if data is not None and not isinstance(data, list):
            raise ResponseError("slskd sent no list of downloads")
        return transfers(
            item
            for user in objects(data)
            for directory in objects(user.get("directories"))
            for item in objects(directory.get("files"))
        )

    async def async_get_download(self, username: str, transfer_id: str) -> SlskdTransfer:
        """One download by id (slskd finds removed ones too); NotFoundError when unknown."""
        user = quote(username, safe="")
        data = await self._async_request(
            "GET", f"/transfers/downloads/{user}/{quote(transfer_id, safe='')}"
        )
        transfer = SlskdTransfer.from_api(data)
        if transfer is None:
            raise ResponseError(f"slskd sent an unreadable transfer for {transfer_id}")
        return transfer

    async def async_get_place_in_queue(self, username: str, transfer_id: str) -> int | None:
        """Ask the peer for our place in its queue (slskd's own docs call it inaccurate)."""
        user = quote(username, safe="")
        data = await self._async_request(
            "GET", f"/transfers/downloads/{user}/{quote(transfer_id, safe='')}/position"
        )
        return as_int(data, high=1_000_000)

    async def async_cancel_download(
        self, username: str, transfer_id: str, *, remove: bool = True
    ) -> None:
        """Cancel (and by default remove) a download; slskd answers 204 even for unknown ids."""
        user = quote(username, safe="")
        suffix = "?remove=true" if remove else ""
        await self._async_request(
            "DELETE", f"/transfers/downloads/{user}/{quote(transfer_id, safe='')}{suffix}"
        )

    async def async_clear_completed_downloads(self) -> None:
        """Remove every finished download from slskd's list (files stay where they are)."""
        await self._async_request("DELETE", "/transfers/downloads/all/completed")


def _wanted(files: Sequence[SlskdFile | tuple[str, int]]) -> list[tuple[str, int]]:
    return [(f.filename, f.size) if isinstance(f, SlskdFile) else f for f in files]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
