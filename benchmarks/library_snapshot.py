"""Stored library snapshot benchmark: SQLite size and memory of the snapshot and its index.

Run: `scripts/bench library_snapshot` (or `.venv/bin/python -m benchmarks.library_snapshot
[--tracks N]`).

What the scan coordinator keeps for ``--tracks`` generated tracks (10 a album, 5 albums an
artist, 80 % with an ISRC, as ``benchmarks.plex_snapshot``'s section): the time to write them
in one transaction and the database file's size; a load as after a restart (time, and the
memory the loaded records retain, by tracemalloc); the snapshot with its ``LibraryIndex`` as
the coordinator builds it in the executor (time, retained memory); an incremental write of
``--changed`` upserts and ``--removed`` deletes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from pathlib import Path
import random
import resource
import tempfile
import time
import tracemalloc
from typing import Any

from custom_components.harmony_music.scan import build_snapshot
from custom_components.harmony_music.store import LibraryTrack, Store

WORDS = [
    "love",
    "night",
    "heart",
    "fire",
    "blue",
    "rain",
    "gold",
    "dream",
    "light",
    "river",
    "shadow",
    "summer",
    "wild",
    "home",
    "road",
    "city",
    "stone",
    "song",
    "winter",
    "ocean",
    "star",
    "echo",
    "silver",
    "glass",
    "paper",
    "honey",
    "velvet",
    "thunder",
    "ghost",
]


def generate(count: int, seed: int) -> list[LibraryTrack]:
    """``count`` deterministic tracks with realistic string lengths."""
    rng = random.Random(seed)
    tracks: list[LibraryTrack] = []
    for n in range(count):
        artist_no, album_no = n // 50, n // 10
        artist = f"The {WORDS[artist_no % len(WORDS)].title()} {artist_no}"
        album = f"{' '.join(rng.sample(WORDS, 2)).title()} {album_no}"
        title = " ".join(rng.sample(WORDS, rng.randint(1, 4))).title()
        added = 1_600_000_000 + n * 60
        tracks.append(
            LibraryTrack(
                rating_key=str(10_000 + n),
                title=title,
                artist=artist,
                album=album,
                duration_ms=rng.randint(120_000, 420_000),
                isrc=f"GB{rng.choice('ABCDEFGH')}{n % 1000:03d}{n:07d}"[:12]
                if rng.random() < 0.8
                else None,
                file_path=f"/music/{artist}/{album}/{n % 10 + 1:02d} {title}.flac",
                added_at=added,
                updated_at=added,
            )
        )
    return tracks


def _mb(size: int) -> float:
    return round(size / 1_000_000, 1)


async def run(count: int, changed: int, removed: int, seed: int) -> dict[str, Any]:
    """Every measurement, as a dict (printed as JSON)."""
    tracks = generate(count, seed)
    results: dict[str, Any] = {"tracks": count}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = Store(path)
        await store.async_open()
        start = time.perf_counter()
        await store.library.async_apply(tracks, replace=True, state={"snapshot_version": "1"})
        results["write_full_s"] = round(time.perf_counter() - start, 2)
        await store.async_pause_for_backup()  # checkpoint: the WAL goes into the main file
        await store.async_resume_after_backup()
        results["db_file_mb"] = _mb(path.stat().st_size)
        del tracks
        await store.async_close()

        # A restart: a fresh Store reads the snapshot back.
        store = Store(path)
        await store.async_open()
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        loaded, _ = await store.library.async_load()
        results["load_s"] = round(time.perf_counter() - start, 2)
        gc.collect()
        records = tracemalloc.get_traced_memory()[0] - base
        results["load_retained_mb"] = _mb(records)
        results["load_bytes_per_track"] = round(records / count)

        start = time.perf_counter()
        snapshot = build_snapshot(1, loaded)
        results["index_build_s"] = round(time.perf_counter() - start, 2)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        index = current - base - records
        results["snapshot_and_index_retained_mb"] = _mb(index)
        results["snapshot_and_index_bytes_per_track"] = round(index / count)
        results["peak_mb"] = _mb(peak - base)
        tracemalloc.stop()

        upserts = [
            LibraryTrack(**{**_fields(t), "title": t.title + " (Remaster)"})
            for t in loaded[:changed]
        ]
        deletes = [t.rating_key for t in loaded[changed : changed + removed]]
        start = time.perf_counter()
        await store.library.async_apply(upserts, deletes, state={"snapshot_version": "2"})
        results["write_incremental_ms"] = round((time.perf_counter() - start) * 1000, 1)
        results["maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000)
        assert len(snapshot.tracks) == count
        await store.async_close()
    return results


def _fields(track: LibraryTrack) -> dict[str, Any]:
    return {name: getattr(track, name) for name in LibraryTrack.__slots__}


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--removed", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        json.dumps(asyncio.run(run(args.tracks, args.changed, args.removed, args.seed)), indent=2)
    )


if __name__ == "__main__":
    main()
