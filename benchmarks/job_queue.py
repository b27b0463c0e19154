"""Job queue benchmark: enqueue, restart recovery and claim throughput with 10,000 jobs.

Run: `scripts/bench job_queue` (or `.venv/bin/python -m benchmarks.job_queue [--jobs N]`).
Everything goes through the store's writer thread, as in Home Assistant. Baselines measured in
the same run: claiming one job per transaction (what a naive consumer does) against claiming a
batch, and reading every job row back (what a loader that rebuilds an in-memory queue does)
against the queue's recovery (requeue interrupted jobs, then counts per state).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import tempfile
import time

from custom_components.harmony_music.store import JobState, JobType, Store


def payload(n: int) -> dict[str, object]:
    """A download job's payload of realistic size."""
    return {
        "username": f"peer{n % 97}",
        "files": [
            {
                "filename": f"@@share\\Music\\Artist {n % 500} - Album {n % 2000}\\{n % 12:02d} - Title {n}.flac",
                "size": 25_000_000 + n,
                "length": 180 + n % 120,
            }
        ],
    }


async def run(jobs: int, batch: int) -> None:
    """Measure and print."""
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, {jobs:,} jobs")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        await store.async_open()
        started = time.perf_counter()
        for n in range(jobs):
            await store.jobs.async_enqueue(
                JobType.DOWNLOAD, payload(n), dedupe_key=f"k{n}", priority=n % 3
            )
        enqueue = time.perf_counter() - started
        print(f"enqueue: {jobs / enqueue:,.0f} jobs/s ({enqueue:.2f} s, one transaction each)")

        # A crash with a batch of every job running: what a restart finds.
        await store.jobs.async_claim(JobType.DOWNLOAD, jobs)
        await store.async_close()
        reopened = Store(Path(tmp) / "bench.db")
        started = time.perf_counter()
        await reopened.async_open()
        requeued = await reopened.jobs.async_requeue_running(JobType.DOWNLOAD)
        counts = await reopened.jobs.async_counts(JobType.DOWNLOAD)
        recovery = time.perf_counter() - started
        assert requeued == jobs
        assert counts[JobState.QUEUED] == jobs
        started = time.perf_counter()
        rows = await reopened.jobs.async_list(limit=jobs)
        load_all = time.perf_counter() - started
        assert len(rows) == jobs
        print(
            f"restart recovery (open + requeue {jobs:,} + counts): {recovery:.3f} s (goal <= 2 s);"
            f" baseline reading every row back: {load_all:.3f} s"
            f" ({load_all / recovery:.1f}x the recovery)"
        )

        half = jobs // 2
        started = time.perf_counter()
        claimed = 0
        while claimed < half:
            got = await reopened.jobs.async_claim(JobType.DOWNLOAD, batch)
            if not got:
                break
            claimed += len(got)
        batched = time.perf_counter() - started
        started = time.perf_counter()
        single = 0
        while single < jobs - half:
            got = await reopened.jobs.async_claim(JobType.DOWNLOAD, 1)
            if not got:
                break
            single += len(got)
        one_by_one = time.perf_counter() - started
        print(
            f"claim: {claimed / batched:,.0f} jobs/s in batches of {batch};"
            f" baseline one per transaction: {single / one_by_one:,.0f} jobs/s"
            f" (batches {(claimed / batched) / (single / one_by_one):.1f}x faster)"
        )
        await reopened.async_close()


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.batch))


if __name__ == "__main__":
    main()
