"""Home Assistant as a real process against the simulators (the SIGKILL test, the benchmarks).

The configuration directory is written as the config flow leaves it: the entry, its application
credentials, an HTTP port on loopback and our component linked in.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from typing import Any

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
) -> None:
    """A configuration directory with the entry already added (as the config flow leaves it)."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True)
    data = {**entry_data(str(tmp_path)), "slskd_url": slskd.url, "slskd_api_key": slskd.api_key}
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
                            "client_id": "test-client-id",
                            "client_secret": "test-client-secret",
                            "auth_domain": DOMAIN,
                            "name": "Spotify",
                        }
                    ]
                },
            }
        )
    )
    (config_dir / "configuration.yaml").write_text(
        f"http:\n  server_host: 127.0.0.1\n  server_port: {free_port()}\n"
        "logger:\n  default: warning\n  logs:\n    custom_components.harmony_music: info\n"
    )
    (config_dir / "custom_components").mkdir()
    (config_dir / "custom_components" / DOMAIN).symlink_to(REPO / "custom_components" / DOMAIN)


def start(config_dir: Path) -> subprocess.Popen[bytes]:
    """Home Assistant in its own process, as a user runs it."""
    log = (config_dir / "run.log").open("ab")
    env = {**os.environ, "PYTHONPATH": ""}
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
