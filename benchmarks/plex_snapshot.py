"""Plex snapshot benchmark: PlexClient against plexapi's default paging, in one run.

Run: `scripts/bench plex_snapshot` (or `.venv/bin/python -m benchmarks.plex_snapshot [--tracks N]`).

The Plex simulator serves a generated section of ``--tracks`` tracks from its own process (so
the client's time and memory are its own), over real sockets. Measured: a full snapshot
(requests, wall time, memory of the records), the statistics, the key listing, and an
incremental run (twice) after ``--changed`` tracks were updated and ``--removed`` deleted, and
one with nothing changed. The baseline, plexapi's ``section.searchTracks()`` with its default
container size (100), reads the same section in the same run; it builds a plexapi object per
track, which is slow, so ``--baseline-tracks N`` reads only the first N tracks and extrapolates
linearly to the whole section (the output says so).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import functools
import gc
import json
import math
import os
from pathlib import Path
import random
import re
import subprocess
import sys
import time
import tracemalloc
from typing import Any
import urllib.request

from plexapi.server import PlexServer
import requests  # type: ignore[import-untyped,unused-ignore]

from custom_components.harmony_music.clients.plex import (
    KEYS_PAGE_SIZE,
    SNAPSHOT_PAGE_SIZE,
    PlexClient,
)

ROOT = Path(__file__).resolve().parent.parent
PLEXAPI_CONTAINER_SIZE = 100  # plexapi's X_PLEX_CONTAINER_SIZE default


class Simulator:
    """The Plex simulator in a child process, driven over its ``/_sim`` control routes."""

    def __init__(self, tracks: int, seed: int) -> None:
        self._process = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.simulators.plex", "--port", "0"),
                *("--tracks", str(tracks), "--seed", str(seed)),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its access log
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        match = re.search(r"on (http://\S+) \(token (\S+)\)", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"the Plex simulator did not start: {line!r}")
        self.url, self.token = match.group(1), match.group(2)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def reset_counts(self) -> None:
        self._call("DELETE", "/_sim/requests")

    def counts(self) -> dict[str, int]:
        routes: dict[str, int] = self._call("GET", "/_sim/requests")["routes"]
        return routes

    def touch(self, keys: list[str], when: datetime) -> None:
        self._call(
            "POST", "/_sim/tracks/touch", {"rating_keys": keys, "updated_at": when.timestamp()}
        )

    def remove(self, keys: list[str]) -> None:
        self._call("POST", "/_sim/tracks/remove", {"rating_keys": keys})

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


@dataclass
class Phase:
    """One measured step."""

    name: str
    seconds: float
    requests: dict[str, int]
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def _rss_kib() -> int:
    """Resident set size of this process (Linux), KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def _timed[T](
    sim: Simulator, work: Callable[[], Awaitable[T]]
) -> tuple[T, float, dict[str, int]]:
    sim.reset_counts()
    started = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - started
    return result, elapsed, sim.counts()


def _baseline(sim: Simulator, section: str, limit: int) -> tuple[int, float, dict[str, int]]:
    """plexapi's own paging (runs in a worker thread: plexapi blocks)."""
    sim.reset_counts()
    started = time.perf_counter()
    with requests.Session() as session:
        server = PlexServer(sim.url, sim.token, session=session, timeout=120)
        items = server.library.sectionByID(int(section)).searchTracks(maxresults=limit)
        count = len(items)
    return count, time.perf_counter() - started, sim.counts()


async def run(args: argparse.Namespace) -> list[Phase]:
    sim = Simulator(args.tracks, args.seed)
    probe = PlexClient(sim.url, sim.token, timeout=120)
    try:
        section = (await probe.async_music_sections())[0].key
    finally:
        await probe.async_close()
    # A cold client: its first snapshot also pays for connecting (GET /, /library, sections).
    client = PlexClient(sim.url, sim.token, timeout=120)
    phases: list[Phase] = []
    try:
        rss = _rss_kib()
        tracks, seconds, counts = await _timed(sim, lambda: client.async_snapshot_tracks(section))
        phases.append(
            Phase(
                "full snapshot",
                seconds,
                counts,
                {"tracks": len(tracks), "rss_delta_mib": (_rss_kib() - rss) / 1024},
            )
        )
        keys_before = {t.rating_key for t in tracks}
        del tracks
        gc.collect()

        # Memory, separately: tracemalloc slows every allocation, so it is not timed.
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        again = await client.async_snapshot_tracks(section)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        retained = current - base
        phases[-1].notes |= {
            "records_mib": retained / 2**20,
            "bytes_per_record": retained / len(again),
            "peak_mib": (peak - base) / 2**20,
        }
        del again
        gc.collect()

        stats, seconds, counts = await _timed(sim, lambda: client.async_statistics(section))
        phases.append(Phase("statistics", seconds, counts, {"tracks": stats.tracks}))
        keys, seconds, counts = await _timed(sim, lambda: client.async_track_keys(section))
        phases.append(Phase("key listing", seconds, counts, {"keys": len(keys)}))

        # What a scan coordinator does each time: statistics first, and only when
        # contentChangedAt moved, the key listing (removals) and the changes since last time.
        mark = stats.content_changed_at
        known = set(keys_before)

        async def incremental(since: datetime) -> tuple[int, int]:
            nonlocal mark, known
            after = await client.async_statistics(section)
            if after.content_changed_at == mark:
                return 0, 0
            mark = after.content_changed_at
            now = await client.async_track_keys(section)
            fresh = await client.async_snapshot_tracks(section, since=since)
            gone, known = known - now.keys(), set(now)
            return len(fresh), len(gone)

        rng = random.Random(args.seed)
        since = datetime.fromtimestamp(0, UTC)
        for run_no in (1, 2):
            picked = rng.sample(sorted(known), args.changed + args.removed)
            changed, removed = picked[: args.changed], picked[args.changed :]
            # Plex keeps whole seconds: each run's changes get a second of their own.
            since = max(datetime.now(UTC).replace(microsecond=0), since + timedelta(seconds=1))
            sim.touch(changed, since)
            sim.remove(removed)
            (found, gone), seconds, counts = await _timed(
                sim, functools.partial(incremental, since)
            )
            if (found, gone) != (args.changed, args.removed):
                raise AssertionError(f"incremental run found {found} changed and {gone} removed")
            label = "first, checks the filter fields once" if run_no == 1 else "steady state"
            phases.append(
                Phase(
                    f"incremental, {args.changed} changed and {args.removed} removed ({label})",
                    seconds,
                    counts,
                    {"changed_found": found, "removed_found": gone},
                )
            )
        (found, gone), seconds, counts = await _timed(sim, lambda: incremental(since))
        phases.append(Phase("incremental, nothing changed", seconds, counts))

        total = args.tracks - 2 * args.removed
        limit = min(args.baseline_tracks or total, total)
        count, seconds, counts = await asyncio.to_thread(_baseline, sim, section, limit)
        factor = total / count
        pages = sum(v for k, v in counts.items() if k.endswith("/all"))
        phases.append(
            Phase(
                f"plexapi searchTracks() (container size {PLEXAPI_CONTAINER_SIZE})",
                seconds,
                counts,
                {
                    "tracks": count,
                    "extrapolated": factor > 1,
                    "full_seconds": seconds * factor,
                    "full_requests": sum(counts.values())
                    - pages
                    + math.ceil(total / PLEXAPI_CONTAINER_SIZE),
                    "of_tracks": total,
                },
            )
        )
    finally:
        await client.async_close()
        sim.stop()
    return phases


def report(args: argparse.Namespace, phases: list[Phase], load: tuple[float, ...]) -> None:
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in load)}")
    print(
        f"section: {args.tracks:,} tracks; PlexClient pages of {SNAPSHOT_PAGE_SIZE:,} "
        f"(keys {KEYS_PAGE_SIZE:,}); simulator in its own process"
    )
    for phase in phases:
        routes = ", ".join(f"{n} {route}" for route, n in sorted(phase.requests.items()))
        print(f"\n{phase.name}: {phase.total} requests, {phase.seconds:.2f} s\n  {routes}")
        for key, value in phase.notes.items():
            if isinstance(value, bool):
                shown = "yes" if value else "no"
            else:
                shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
            print(f"  {key}: {shown}")
    snapshot, baseline = phases[0], phases[-1]
    full_requests = baseline.notes["full_requests"]
    full_seconds = baseline.notes["full_seconds"]
    how = (
        f"extrapolated from {baseline.notes['tracks']:,} tracks"
        if baseline.notes["extrapolated"]
        else "measured"
    )
    print(
        f"\nplexapi default paging for all {baseline.notes['of_tracks']:,} tracks ({how}): "
        f"{full_requests:,} requests, {full_seconds:.1f} s\n"
        f"PlexClient snapshot: {snapshot.total} requests "
        f"({snapshot.total / full_requests:.3f} of plexapi's), {snapshot.seconds:.1f} s "
        f"({full_seconds / snapshot.seconds:.1f}x faster)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--removed", type=int, default=50)
    parser.add_argument(
        "--baseline-tracks",
        type=int,
        default=0,
        help="tracks plexapi reads before its figures are extrapolated (default 0: all)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    load = os.getloadavg()
    phases = asyncio.run(run(args))
    report(args, phases, load)
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {"name": p.name, "seconds": p.seconds, "requests": p.requests, **p.notes}
                    for p in phases
                ],
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
