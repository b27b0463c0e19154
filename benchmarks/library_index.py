"""Whole-library diff benchmark: LibraryIndex against pairwise baselines, in one run.

Run: `scripts/bench` (or `.venv/bin/python -m benchmarks.library_index [--world crowded]
[--tracks N --library N]`); `--curve` times the crowded world at growing library sizes.
The baselines compare every pair, which is impossible at full size: they are timed on a random
sample of Spotify tracks against the whole library and extrapolated linearly (said in the output).
"""

from __future__ import annotations

import argparse
from collections import Counter
from difflib import SequenceMatcher
import os
import random
import re
import statistics
import time

from rapidfuzz import fuzz, process

from custom_components.harmony_music.engine.matching import LibraryIndex, clear_caches

from .worlds import WORLDS, World

_DESCRIPTOR = re.compile(r"\s+-\s+.*$|\s*\(.*?\)")


def key(title: str, artist: str) -> str:
    """What the brute-force baselines compare."""
    return f"{artist} {title}".lower()


def same_title(title: str) -> frozenset[str]:
    """The benchmark's own notion of one title: its words without descriptors, in any order."""
    return frozenset(_DESCRIPTOR.sub("", title).lower().split())


def true_candidates(world: World) -> float:
    """Mean number of library items per track that carry the track's title: what any correct
    method must tell apart, and what the index's work may grow with."""
    library, tracks, _ = world
    held = Counter(same_title(item["title"]) for item in library)
    return sum(held[same_title(track["name"])] for track in tracks) / max(1, len(tracks))


class Run:
    """One cold build and diff: timings per kind of track and the answers."""

    def __init__(self, world: World) -> None:
        library, tracks, truth = world
        clear_caches()  # every run starts cold, as a first diff after start-up does
        start = time.perf_counter()
        index = LibraryIndex(library)
        self.build = time.perf_counter() - start
        self.present_s = self.absent_s = 0.0
        self.results: list[tuple[int, float] | None] = []
        for track, expected in zip(tracks, truth, strict=True):
            began = time.perf_counter()
            self.results.append(index.match(track))
            spent = time.perf_counter() - began
            if expected is None:
                self.absent_s += spent
            else:
                self.present_s += spent
        self.match = self.present_s + self.absent_s
        self.total = self.build + self.match

    def answers(self, truth: list[int | None]) -> tuple[int, int, int]:
        """(right, matched to another item, matched though absent)."""
        pairs = list(zip(self.results, truth, strict=True))
        right = sum(r is not None and r[0] == t for r, t in pairs)
        other = sum(r is not None and t is not None and r[0] != t for r, t in pairs)
        phantom = sum(r is not None and t is None for r, t in pairs)
        return right, other, phantom


def bench_world(name: str, args: argparse.Namespace) -> None:
    """Time LibraryIndex and the baselines on one world."""
    world = WORLDS[name](args.library, args.tracks)
    library, tracks, truth = world
    runs = [Run(world) for _ in range(max(1, args.repeat))]
    totals = sorted(run.total for run in runs)
    ours = statistics.median(totals)
    first = runs[0]
    right, other, phantom = first.answers(truth)
    present = sum(t is not None for t in truth)
    absent = len(truth) - present
    median = min(runs, key=lambda run: abs(run.total - ours))
    print(f"[{name}] {args.tracks:,} tracks x {args.library:,} library items")
    print(
        f"  LibraryIndex: build {median.build:.2f} s + match {median.match:.2f} s; "
        f"{len(runs)} runs {', '.join(f'{t:.2f}' for t in totals)} s, median {ours:.2f} s"
    )
    print(
        f"  per track: present {1000 * median.present_s / max(1, present):.3f} ms, "
        f"absent {1000 * median.absent_s / max(1, absent):.3f} ms; "
        f"{true_candidates(world):.1f} same-titled items per track"
    )
    print(
        f"  found {right:,} of {present:,} tracks the library holds ({other:,} matched to another "
        f"item); {phantom:,} of {absent:,} tracks it lacks matched something"
    )

    rng = random.Random(2)
    sample = rng.sample(tracks, args.sample)
    lib_keys = [key(item["title"], item["artist"]) for item in library]
    start = time.perf_counter()
    for track in sample:
        process.extractOne(
            key(track["name"], track["artists"][0]["name"]), lib_keys, scorer=fuzz.WRatio
        )
    rapidfuzz_total = (time.perf_counter() - start) / len(sample) * args.tracks
    print(
        f"  rapidfuzz brute force (extractOne WRatio over all items), timed on {len(sample)} "
        f"tracks, extrapolated: {rapidfuzz_total:,.1f} s = {rapidfuzz_total / ours:,.0f}x LibraryIndex"
    )
    if args.difflib:
        difflib_sample = sample[: max(1, args.sample // 10)]
        start = time.perf_counter()
        for track in difflib_sample:
            matcher = SequenceMatcher(None, "", key(track["name"], track["artists"][0]["name"]))
            best = 0.0
            for candidate in lib_keys:
                matcher.set_seq1(candidate)
                best = max(best, matcher.ratio())
        difflib_total = (time.perf_counter() - start) / len(difflib_sample) * args.tracks
        print(
            f"  difflib pairwise (SequenceMatcher.ratio over all items), timed on "
            f"{len(difflib_sample)} tracks, extrapolated: {difflib_total:,.1f} s = "
            f"{difflib_total / ours:,.0f}x LibraryIndex"
        )


def curve(name: str, args: argparse.Namespace) -> None:
    """Time against library size, beside the number of same-titled items per track."""
    print(f"[{name}] {args.tracks:,} tracks against growing libraries (one cold run each)")
    print(
        f"{'items':>9}{'build s':>9}{'match s':>9}{'present ms':>12}{'absent ms':>11}"
        f"{'same-titled':>13}{'time x':>8}{'cand. x':>9}{'right':>8}"
    )
    base: tuple[float, float] | None = None
    for size in args.sizes:
        world = WORLDS[name](size, args.tracks)
        _, _, truth = world
        run = Run(world)
        candidates = true_candidates(world)
        base = base or (run.total, candidates)
        present = sum(t is not None for t in truth)
        right, other, phantom = run.answers(truth)
        print(
            f"{size:>9,}{run.build:>9.2f}{run.match:>9.2f}"
            f"{1000 * run.present_s / max(1, present):>12.3f}"
            f"{1000 * run.absent_s / max(1, len(truth) - present):>11.3f}"
            f"{candidates:>13.1f}{run.total / base[0]:>8.1f}{candidates / base[1]:>9.1f}"
            f"{'yes' if right == present and not other and not phantom else 'NO':>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--world", choices=[*WORLDS, "both"], default="both")
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--library", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20, help="tracks timed for the baselines")
    parser.add_argument("--repeat", type=int, default=3, help="LibraryIndex runs (median counts)")
    parser.add_argument("--no-difflib", dest="difflib", action="store_false")
    parser.add_argument("--curve", action="store_true", help="time against library size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000])
    args = parser.parse_args()

    load = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before "
        f"the run (busy machines time slower), {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    names = list(WORLDS) if args.world == "both" else [args.world]
    for name in names:
        if args.curve:
            curve("crowded" if args.world == "both" else name, args)
            break
        bench_world(name, args)


if __name__ == "__main__":
    main()
