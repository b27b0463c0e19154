"""slskd REST client (``/api/v0``, header ``X-API-Key``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

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


class SlskdClient:
    """The parts of slskd's API Harmony Music uses."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        api_key: str,
        *,
        timeout: float = 10,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._session = session
        self._base = url.rstrip("/") + "/api/v0"
        self._headers = {"X-API-Key": api_key}
        self._timeout = timeout
        self._policy = policy or RetryPolicy(attempts=2)

    async def _request(self, method: str, path: str, json: Any = None) -> Any:
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

    async def get_application(self) -> SlskdApplication:
        """Server connection, login, shares and version."""
        data = await self._request("GET", "/application") or {}
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
