"""Loopback slskd simulator: the application state behind an API key (`/api/v0`)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .faults import FaultInjector


class SlskdSimulator:
    """Enough of slskd for setup checks; searches and transfers are not simulated yet."""

    def __init__(
        self, downloads_dir: Path, *, api_key: str = "sim-slskd-key", version: str = "0.24.1"
    ) -> None:
        self.downloads_dir = downloads_dir
        self.api_key = api_key
        self.version = version
        self.logged_in = True
        self.shared_files = 1200
        self.faults = FaultInjector()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(middlewares=[self.faults.middleware])
        self.faults.add_routes(app)
        app.router.add_get("/api/v0/application", self._application)
        app.router.add_get("/api/v0/session/enabled", self._session_enabled)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _session_enabled(self, request: web.Request) -> web.Response:
        return web.json_response(True)

    async def _application(self, request: web.Request) -> web.Response:
        if request.headers.get("X-API-Key") != self.api_key:
            return web.Response(status=401)
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
                    "directories": self.shared_files // 12,
                    "files": self.shared_files,
                },
            }
        )
