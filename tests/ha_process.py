"""Home Assistant as a real process against the simulators (the SIGKILL test, the benchmarks).

The configuration directory is written as the config flow leaves it: the entry, its application
credentials, an HTTP port on loopback and our component linked in.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from typing import Any
import uuid

import aiohttp
import jwt
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harmony_music.const import DEFAULT_OPTIONS, DOMAIN
from tests.conftest import ENTRY_ID, entry_data
from tests.simulators.slskd import SlskdSimulator

REPO = Path(__file__).parents[1]


def free_port() -> int:
    """A free loopback port for Home Assistant's HTTP server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    config_dir: Path,
    tmp_path: Path,
    slskd: SlskdSimulator,
    options: dict[str, Any] | None = None,
    *,
    data: dict[str, Any] | None = None,
    client: tuple[str, str] = ("test-client-id", "test-client-secret"),
) -> None:
    """A configuration directory with the entry already added (as the config flow leaves it).

    ``data`` overrides fields of the entry's data (the Spotify token, Plex's URL), ``client``
    is the Spotify application's id and secret.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True)
    data = {
        **entry_data(str(tmp_path)),
        "slskd_url": slskd.url,
        "slskd_api_key": slskd.api_key,
        **(data or {}),
    }
    data["token"] = {**data["token"], "expires_at": time.time() + 7200}
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Harmony User",
        unique_id="harmony_user",
        data=data,
        options={
            **DEFAULT_OPTIONS,
            "sync_poll_interval": 0.5,
            "sync_min_free_gb": 0,
            **(options or {}),
        },
    )
    (storage / "core.config_entries").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 5,
                "key": "core.config_entries",
                "data": {"entries": [entry.as_dict()]},
            }
        )
    )
    (storage / "application_credentials").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": "application_credentials",
                "data": {
                    "items": [
                        {
                            "id": DOMAIN,
                            "domain": DOMAIN,
                            "client_id": client[0],
                            "client_secret": client[1],
                            "auth_domain": DOMAIN,
                            "name": "Spotify",
                        }
                    ]
                },
            }
        )
    )
    (config_dir / "configuration.yaml").write_text(
        f"http:\n  server_host: 127.0.0.1\n  server_port: {free_port()}\napi:\n"
        "logger:\n  default: warning\n  logs:\n    custom_components.harmony_music: info\n"
    )
    (config_dir / "custom_components").mkdir()
    (config_dir / "custom_components" / DOMAIN).symlink_to(REPO / "custom_components" / DOMAIN)


def write_auth(config_dir: Path) -> str:
    """An owner with a long-lived access token in the auth store; returns the token.

    The token is signed as Home Assistant signs it (HS256 with the refresh token's key), so the
    REST API (``call_service``) can be used without onboarding or a login flow.
    """
    user_id, token_id, jwt_key = uuid.uuid4().hex, uuid.uuid4().hex, secrets.token_hex(64)
    groups = [
        {"id": "system-admin", "name": "Administrators"},
        {"id": "system-users", "name": "Users"},
        {"id": "system-read-only", "name": "Read Only"},
    ]
    refresh_token = {
        "id": token_id,
        "user_id": user_id,
        "client_id": None,
        "client_name": "harmony tests",
        "client_icon": None,
        "token_type": "long_lived_access_token",
        "created_at": "2026-01-01T00:00:00+00:00",
        "access_token_expiration": 10 * 365 * 86400.0,
        "token": secrets.token_hex(64),
        "jwt_key": jwt_key,
        "last_used_at": None,
        "last_used_ip": None,
        "expire_at": None,
        "credential_id": None,
        "version": None,
    }
    user = {
        "id": user_id,
        "group_ids": ["system-admin"],
        "is_owner": True,
        "is_active": True,
        "name": "Harmony tests",
        "system_generated": False,
        "local_only": False,
    }
    data = {"users": [user], "groups": groups, "credentials": [], "refresh_tokens": [refresh_token]}
    (config_dir / ".storage" / "auth").write_text(
        json.dumps({"version": 1, "minor_version": 1, "key": "auth", "data": data})
    )
    now = int(time.time())
    return jwt.encode(
        {"iss": token_id, "iat": now, "exp": now + 10 * 365 * 86400}, jwt_key, algorithm="HS256"
    )


def http_url(config_dir: Path) -> str:
    """Home Assistant's URL, from the configuration ``write_config`` wrote."""
    text = (config_dir / "configuration.yaml").read_text()
    port = text.split("server_port:", 1)[1].split()[0]
    return f"http://127.0.0.1:{port}"


async def call_service(
    session: aiohttp.ClientSession,
    config_dir: Path,
    token: str,
    service: str,
    data: dict[str, Any],
) -> tuple[int, Any]:
    """``POST /api/services/harmony_music/<service>``: (HTTP status, body or None).

    A connection refused (Home Assistant is still starting) is status 0.
    """
    url = f"{http_url(config_dir)}/api/services/{DOMAIN}/{service}?return_response"
    try:
        async with session.post(
            url,
            json=data,
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            body = await response.json() if response.content_type == "application/json" else None
            return response.status, body
    except (aiohttp.ClientConnectionError, TimeoutError):
        return 0, None


def start(config_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Home Assistant in its own process, as a user runs it (``env``: extra variables)."""
    log = (config_dir / "run.log").open("ab")
    env = {**os.environ, "PYTHONPATH": "", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "homeassistant", "--config", str(config_dir), "--skip-pip"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def job_states(db: Path) -> dict[int, str]:
    """The jobs as stored (read-only: Home Assistant may be writing)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return dict(conn.execute("SELECT id, state FROM worker_jobs"))
    finally:
        conn.close()


def stored_transfer_ids(db: Path) -> set[str]:
    """The slskd transfer ids the download rows hold."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return {row[0] for row in conn.execute("SELECT transfer_id FROM downloads") if row[0]}
    finally:
        conn.close()


async def until(condition: object, seconds: float, what: str) -> None:
    """Wait (real time: another process does the work) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Home Assistant as a user would (SIGTERM), killing it if it hangs."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
