"""Download pipeline benchmark: jobs per minute through enqueue, transfer, verify, beets, Plex.

Run: `scripts/bench download_pipeline` (or `.venv/bin/python -m benchmarks.download_pipeline
[--jobs N] [--concurrency 1 2 4]`). Home Assistant runs as a real process (as in the SIGKILL
test) against the slskd simulator with fast transfers and real beets; the jobs are in the
database before it starts. The clock runs from the first job leaving the queue to the last one
completed, so start-up is not counted. The baseline is concurrency 1, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
import os
from pathlib import Path
import sqlite3
import tempfile
import time

from custom_components.harmony_music.const import DOMAIN
from custom_components.harmony_music.store import JobType, Store
from custom_components.harmony_music.workers.download import peer_dedupe_key
from tests.conftest import ENTRY_ID
from tests.ha_process import start, stop, write_config
from tests.simulators.slskd import SharedFile, SlskdSimulator, SoulseekPeer

PEER = "bench_peer"


def bench_peer(jobs: int) -> SoulseekPeer:
    """One fast peer sharing ``jobs`` distinct 3-minute MP3s (distinct, so beets keeps each)."""
    peer = SoulseekPeer(PEER, upload_speed=50_000_000)
    for n in range(jobs):
        artist, album = f"Bench Artist {n // 10}", f"Bench Album {n // 10}"
        title = f"Bench Song {n}"
        peer.files.append(
            SharedFile(
                f"@@bench\\Music\\{artist} - {album}\\{n % 10 + 1:02d} - {title}.mp3",
                180 * 16_000,
                128,
                None,
                None,
                180,
                title=title,
                artist=artist,
                album=album,
                track_no=n % 10 + 1,
            )
        )
    return peer


def timings(db: Path) -> tuple[int, datetime | None, datetime | None]:
    """Completed jobs, when the first job left the queue, when the last one completed."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        done = conn.execute("SELECT count(*) FROM worker_jobs WHERE state = 'completed'").fetchone()
        first, last = conn.execute(
            "SELECT min(created_at), max(updated_at) FROM downloads"
        ).fetchone()
    finally:
        conn.close()
    parse = datetime.fromisoformat
    return int(done[0]), parse(first) if first else None, parse(last) if last else None


async def measure(jobs: int, concurrency: int) -> float:
    """Jobs per minute at one concurrency."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("beets", "music", "downloads"):
            (root / name).mkdir()
        peer = bench_peer(jobs)
        slskd = SlskdSimulator(root / "downloads", peers=[peer], time_scale=0.05, version="0.26.0")
        slskd.behave("Bench", bytes_per_second=50_000_000, queue_seconds=0.0)
        await slskd.start()
        config_dir = root / "config"
        write_config(
            config_dir,
            root,
            slskd,
            {"sync_worker_concurrency": concurrency, "sync_poll_interval": 0.5},
        )
        db = config_dir / ".storage" / f"{DOMAIN}.{ENTRY_ID}.db"
        store = Store(db)
        await store.async_open()
        for file in peer.files:
            await store.jobs.async_enqueue(
                JobType.DOWNLOAD,
                {"username": PEER, "files": [{"filename": file.filename, "size": file.size}]},
                dedupe_key=peer_dedupe_key(PEER, [file.filename]),
            )
        await store.async_close()
        process = start(config_dir)
        try:
            deadline = time.monotonic() + 60 + jobs * 20
            while True:
                await asyncio.sleep(0.25)
                if db.exists():
                    done, first, last = timings(db)
                    if done == jobs and first and last:
                        break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"concurrency {concurrency}: not every job completed")
        finally:
            stop(process)
            await slskd.stop()
        imported = sum(1 for _ in (root / "music").rglob("*.mp3"))
        if imported != jobs:
            raise SystemExit(f"concurrency {concurrency}: {imported} of {jobs} files imported")
        return jobs / ((last - first).total_seconds() / 60)


async def run(jobs: int, levels: list[int]) -> None:
    """Measure and print one row per concurrency."""
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, {jobs} jobs per run")
    rates = {level: await measure(jobs, level) for level in levels}
    base = rates[levels[0]]
    print(f"| concurrency | jobs/min | x concurrency {levels[0]} |")
    print("|---|---|---|")
    for level, rate in rates.items():
        print(f"| {level} | {rate:.1f} | {rate / base:.2f}x |")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.concurrency))


if __name__ == "__main__":
    main()
