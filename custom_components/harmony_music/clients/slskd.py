"""slskd REST client (``/api/v0``, header ``X-API-Key``)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass
import time
from typing import Any
from urllib.parse import quote
import uuid

import aiohttp

from .errors import ClientError, NotLoggedInError
from .http import RetryPolicy, request_json


@dataclass(frozen=True)
class SlskdApplication:
    """What ``GET /application`` says about the daemon."""

    version: str
    server_connected: bool
    logged_in: bool
    shares_ready: bool
    shared_files: int
    shared_directories: int


SUCCEEDED = "Completed, Succeeded"


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


@dataclass(frozen=True)
class SlskdTransfer:
    """A download as slskd reports it; ids are GUID strings."""

    id: str
    username: str
    filename: str
    size: int
    state: str
    bytes_transferred: int
    percent_complete: float

    @property
    def is_succeeded(self) -> bool:
        return self.state == SUCCEEDED

    @property
    def is_failed(self) -> bool:
        return self.state.startswith("Completed") and not self.is_succeeded

    @property
    def is_active(self) -> bool:
        return self.state in ("Initializing", "InProgress")

    @property
    def is_queued(self) -> bool:
        return self.state == "Requested" or self.state.startswith("Queued")


@dataclass(frozen=True)
class EnqueueResult:
    """What an enqueue returned: 0.24+ lists transfers; older versions return an empty body."""

    enqueued: tuple[SlskdTransfer, ...]
    failed: tuple[Any, ...]
    confirmed: bool


def _file(data: dict[str, Any]) -> SlskdFile:
    filename = str(data.get("filename", ""))
    extension = str(data.get("extension") or "").lstrip(".")
    if not extension and "." in filename.rsplit("\\", 1)[-1]:
        extension = filename.rsplit(".", 1)[-1].lower()  # slskd often leaves it empty
    return SlskdFile(
        filename=filename,
        size=int(data.get("size") or 0),
        extension=extension,
        bit_rate=data.get("bitRate"),
        bit_depth=data.get("bitDepth"),
        sample_rate=data.get("sampleRate"),
        length=data.get("length"),
        is_locked=bool(data.get("isLocked")),
    )


def _transfer(data: dict[str, Any]) -> SlskdTransfer:
    return SlskdTransfer(
        id=str(data["id"]),
        username=str(data.get("username", "")),
        filename=str(data.get("filename", "")),
        size=int(data.get("size") or 0),
        state=str(data.get("state", "")),
        bytes_transferred=int(data.get("bytesTransferred") or 0),
        percent_complete=float(data.get("percentComplete") or 0.0),
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

    async def async_acquire(self) -> None:
        """Wait until one more search fits in the window (call with ``lock`` held)."""
        while True:
            now = self._clock()
            while self._starts and now - self._starts[0] >= self.window:
                self._starts.popleft()
            if len(self._starts) < self.limit:
                self._starts.append(now)
                return
            await self._sleep(self.window - (now - self._starts[0]))


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
        data = await self._async_request("GET", "/application") or {}
        server = data.get("server") or {}
        shares = data.get("shares") or {}
        version = data.get("version") or {}
        return SlskdApplication(
            version=str(version.get("current") or version.get("full") or ""),
            server_connected=bool(server.get("isConnected")),
            logged_in=bool(server.get("isLoggedIn")),
            shares_ready=bool(shares.get("ready")),
            shared_files=int(shares.get("files") or 0),
            shared_directories=int(shares.get("directories") or 0),
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
    def _search(data: dict[str, Any]) -> SlskdSearch:
        return SlskdSearch(
            id=str(data["id"]),
            search_text=str(data.get("searchText", "")),
            state=str(data.get("state", "")),
            response_count=int(data.get("responseCount") or 0),
            file_count=int(data.get("fileCount") or 0),
        )

    async def async_get_search(self, search_id: str) -> SlskdSearch:
        return self._search(await self._async_request("GET", f"/searches/{search_id}"))

    async def async_get_search_responses(self, search_id: str) -> list[SlskdSearchResponse]:
        data = await self._async_request("GET", f"/searches/{search_id}/responses") or []
        return [
            SlskdSearchResponse(
                username=str(item.get("username", "")),
                files=tuple(
                    _file(f) for f in [*(item.get("files") or []), *(item.get("lockedFiles") or [])]
                ),
                has_free_upload_slot=bool(item.get("hasFreeUploadSlot")),
                queue_length=int(item.get("queueLength") or 0),
                upload_speed=int(item.get("uploadSpeed") or 0),
            )
            for item in data
        ]

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
        self, username: str, files: Sequence[SlskdFile]
    ) -> EnqueueResult:
        """POST /transfers/downloads/{username}; handles both 201 bodies."""
        body = [{"filename": f.filename, "size": f.size} for f in files]
        data = await self._async_request(
            "POST", f"/transfers/downloads/{quote(username, safe='')}", body
        )
        if not isinstance(data, dict):
            return EnqueueResult((), (), confirmed=False)
        return EnqueueResult(
            tuple(_transfer(t) for t in data.get("enqueued") or []),
            tuple(data.get("failed") or []),
            confirmed=True,
        )

    async def async_list_downloads(self) -> list[SlskdTransfer]:
        """Every download, flattened from users → directories → files."""
        data = await self._async_request("GET", "/transfers/downloads") or []
        return [
            _transfer(item)
            for user in data
            for directory in user.get("directories") or []
            for item in directory.get("files") or []
        ]

    async def async_get_download(self, username: str, transfer_id: str) -> SlskdTransfer:
        user = quote(username, safe="")
        return _transfer(
            await self._async_request("GET", f"/transfers/downloads/{user}/{transfer_id}")
        )

    async def async_cancel_download(
        self, username: str, transfer_id: str, *, remove: bool = True
    ) -> None:
        user = quote(username, safe="")
        suffix = "?remove=true" if remove else ""
        await self._async_request("DELETE", f"/transfers/downloads/{user}/{transfer_id}{suffix}")
