"""Home Assistant as a real process, SIGKILLed mid-download and started again.

The entry, its application credentials and three queued download jobs are written to a fresh
configuration directory; slskd is the simulator in this test process, beets is real. The process
is killed while a transfer runs and again while a file is being imported; after the last start
every job must end completed, slskd must have been asked for each file exactly once, and beets
must hold each file once. Marked slow; `.ci/run` runs it with the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import os
from pathlib import Path
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harmony_music.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.harmony_music.store import JobType, Store
from custom_components.harmony_music.workers.download import peer_dedupe_key
from tests.conftest import ENTRY_ID, entry_data
from tests.simulators.slskd import SlskdSimulator

pytestmark = [pytest.mark.real_services, pytest.mark.slow]

REPO = Path(__file__).parents[1]
FILES = [
    "@@flac\\Music\\The Cure - Disintegration (1989) [FLAC]\\05 - Lullaby.flac",
    "@@flac\\Music\\Kings of Leon - Only by the Night (2008) [FLAC]\\04 - Use Somebody.flac",
    "@@flac\\Music\\Phoenix - Wolfgang Amadeus Phoenix (2009) [FLAC]\\01 - Lisztomania.flac",
]


def free_port() -> int:
    """A free loopback port for Home Assistant's HTTP server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def slskd(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    """slskd 10x faster than real time; transfers take a few wall seconds."""
    simulator = SlskdSimulator(tmp_path / "downloads", time_scale=0.1, version="0.26.0")
    for pattern in ("Lullaby", "Use Somebody", "Lisztomania"):
        simulator.behave(pattern, bytes_per_second=1_000_000)
    await simulator.start()
    yield simulator
    await simulator.stop()


def write_config(config_dir: Path, tmp_path: Path, slskd: SlskdSimulator) -> None:
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
        options={**DEFAULT_OPTIONS, "sync_poll_interval": 0.5, "sync_min_free_gb": 0},
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


async def until(condition: object, seconds: float, what: str) -> None:
    """Wait (real time: another process does the work) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_sigkill_mid_download_loses_nothing_and_repeats_nothing(
    tmp_path: Path, slskd: SlskdSimulator
) -> None:
    """Killed during a transfer and during an import: every job completes, nothing twice."""
    for name in ("beets", "music", "downloads"):
        (tmp_path / name).mkdir(exist_ok=True)
    config_dir = tmp_path / "config"
    write_config(config_dir, tmp_path, slskd)
    db = config_dir / ".storage" / f"{DOMAIN}.{ENTRY_ID}.db"
    store = Store(db)
    await store.async_open()
    sizes = {f.filename: f.size for p in slskd.peers for f in p.files}
    for filename in FILES:
        payload = {
            "username": "lossless_lover",
            "files": [{"filename": filename, "size": sizes[filename]}],
        }
        await store.jobs.async_enqueue(
            JobType.DOWNLOAD, payload, dedupe_key=peer_dedupe_key("lossless_lover", [filename])
        )
    await store.async_close()

    def transferring() -> bool:
        return any("InProgress" in t.state for t in slskd.transfers.values())

    def importing() -> bool:
        staging = tmp_path / "downloads" / ".harmony_music" / "staging"
        return staging.exists() and any(staging.rglob("*.flac"))

    for kill_when, what in ((transferring, "a transfer"), (importing, "an import")):
        process = start(config_dir)
        try:
            await until(kill_when, 120, what)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    process = start(config_dir)
    try:
        await until(
            lambda: db.exists() and set(job_states(db).values()) == {"completed"},
            180,
            "every job completed",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    for filename in FILES:
        asked = [t for t in slskd.transfers.values() if t.file.filename == filename]
        assert len(asked) == 1, f"{filename} was enqueued {len(asked)} times"
    imported = sorted(p.name for p in (tmp_path / "music").rglob("*.flac"))
    assert len(imported) == len(FILES), imported
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
