"""Home Assistant as a real process, SIGKILLed mid-download and started again.

The entry, its application credentials and three queued download jobs are written to a fresh
configuration directory; slskd is the simulator in this test process, beets is real. The process
is killed after slskd took an enqueue but before its answer (so before the transfer id is stored),
while a transfer runs, and while a file is being imported; after the last start
every job must end completed, slskd must have been asked for each file exactly once, and beets
must hold each file once. Marked slow; `.ci/run` runs it with the rest.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import os
from pathlib import Path
import signal
import sqlite3

import pytest

from custom_components.harmony_music.const import DOMAIN
from custom_components.harmony_music.store import JobType, Store
from custom_components.harmony_music.workers.download import peer_dedupe_key
from tests.conftest import ENTRY_ID
from tests.ha_process import (
    job_states,
    start,
    stop,
    stored_transfer_ids,
    until,
    write_config,
)
from tests.simulators.slskd import SlskdSimulator

# A loaded CI machine can push a retried file past one backoff step (30 s, then 1 and 2 min).
pytestmark = [pytest.mark.real_services, pytest.mark.slow, pytest.mark.timeout(600)]

FILES = [
    "@@flac\\Music\\The Cure - Disintegration (1989) [FLAC]\\05 - Lullaby.flac",
    "@@flac\\Music\\Kings of Leon - Only by the Night (2008) [FLAC]\\04 - Use Somebody.flac",
    "@@flac\\Music\\Phoenix - Wolfgang Amadeus Phoenix (2009) [FLAC]\\01 - Lisztomania.flac",
]


@pytest.fixture
async def slskd(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    """slskd 10x faster than real time; transfers take a few wall seconds."""
    simulator = SlskdSimulator(tmp_path / "downloads", time_scale=0.1, version="0.26.0")
    for pattern in ("Lullaby", "Use Somebody", "Lisztomania"):
        simulator.behave(pattern, bytes_per_second=1_000_000)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_sigkill_mid_download_loses_nothing_and_repeats_nothing(
    tmp_path: Path, slskd: SlskdSimulator
) -> None:
    """Killed before an enqueue commits, mid-transfer and mid-import: all complete, none twice."""
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

    def enqueued_unanswered() -> bool:
        # slskd holds the transfer; its answer (and so the stored transfer id) is delayed.
        return bool(slskd.transfers)

    def transferring() -> bool:
        return any("InProgress" in t.state for t in slskd.transfers.values())

    def importing() -> bool:
        staging = tmp_path / "downloads" / ".harmony_music" / "staging"
        return staging.exists() and any(staging.rglob("*.flac"))

    slskd.enqueue_answer_delay = 5.0
    process = start(config_dir)
    try:
        await until(enqueued_unanswered, 120, "an enqueue slskd has not answered yet")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    slskd.enqueue_answer_delay = 0.0
    assert stored_transfer_ids(db) == set(), "killed too late: a transfer id was stored"

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
            420,
            "every job completed",
        )
    finally:
        stop(process)

    for filename in FILES:
        asked = [t for t in slskd.transfers.values() if t.file.filename == filename]
        assert len(asked) == 1, f"{filename} was enqueued {len(asked)} times"
    imported = sorted(p.name for p in (tmp_path / "music").rglob("*.flac"))
    assert len(imported) == len(FILES), imported
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
