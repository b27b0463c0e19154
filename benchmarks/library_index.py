"""Whole-library diff benchmark: LibraryIndex against pairwise baselines, in one run.

Run: `scripts/bench` (or `.venv/bin/python -m benchmarks.library_index [--tracks N --library N]`).
The baselines compare every pair, which is impossible at full size: they are timed on a random
sample of Spotify tracks against the whole library and extrapolated linearly (said in the output).
"""

from __future__ import annotations

import argparse
from difflib import SequenceMatcher
import os
import random
import statistics
import time
from typing import Any

from rapidfuzz import fuzz, process

from custom_components.harmony_music.engine.matching import LibraryIndex, clear_caches

WORDS = [
    "love",
    "night",
    "heart",
    "fire",
    "dream",
    "light",
    "rain",
    "river",
    "blue",
    "gold",
    "city",
    "road",
    "summer",
    "wild",
    "girl",
    "boy",
    "time",
    "life",
    "world",
    "star",
    "moon",
    "sun",
    "shadow",
    "ghost",
    "angel",
    "devil",
    "home",
    "sky",
    "ocean",
    "storm",
    "black",
    "white",
    "red",
    "run",
    "dance",
    "kiss",
    "cry",
    "fall",
    "rise",
    "lost",
    "found",
    "dark",
    "song",
    "sweet",
    "little",
]
SUFFIXES = ["", "", "", "", " - Remastered 2011", " (Live)", " (Radio Edit)", " - Mono"]


def make_words(rng: random.Random, count: int) -> list[str]:
    """A vocabulary as varied as real song titles (mostly distinct words, some very common)."""
    syllables = [
        "ka",
        "lo",
        "mi",
        "ra",
        "ne",
        "to",
        "sha",
        "vin",
        "dor",
        "el",
        "yu",
        "tra",
        "ph",
        "ost",
    ]
    made = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(count)}
    return WORDS * 20 + sorted(made)


def make_world(
    n_library: int, n_tracks: int, seed: int = 1
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int | None]]:
    """A messy library and Spotify tracks, 70% of which the library holds (with their positions)."""
    rng = random.Random(seed)
    words = make_words(rng, 6000)
    artists = [
        " ".join(rng.choice(words).title() for _ in range(rng.randint(1, 3)))
        for _ in range(n_library // 20)
    ]
    library: list[dict[str, Any]] = []
    for n in range(n_library):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4))).title()
        library.append(
            {
                "kind": "library",
                "title": title + rng.choice(SUFFIXES),
                "artist": rng.choice(artists),
                "album": rng.choice(WORDS).title(),
                "duration_ms": rng.randint(120, 420) * 1000,
                "isrc": f"US{rng.choice('ABCDEFG')}{n:09d}" if rng.random() < 0.5 else None,
            }
        )
    tracks = []
    truth: list[int | None] = []
    for n in range(n_tracks):
        if rng.random() < 0.7:
            position = rng.randrange(len(library))
            truth.append(position)
            item = library[position]
            tracks.append(
                {
                    "id": f"t{n}",
                    "name": item["title"].split(" - ")[0].upper()
                    if rng.random() < 0.3
                    else item["title"],
                    "artists": [{"name": item["artist"]}],
                    "album": {"name": item["album"]},
                    "duration_ms": item["duration_ms"] + rng.randint(-1500, 1500),
                    "external_ids": {"isrc": item["isrc"] or ""},
                }
            )
        else:
            truth.append(None)
            tracks.append(
                {
                    "id": f"t{n}",
                    "name": " ".join(rng.choice(words) for _ in range(3)).title(),
                    "artists": [{"name": rng.choice(artists)}],
                    "album": {"name": "Other"},
                    "duration_ms": rng.randint(120, 420) * 1000,
                    "external_ids": {"isrc": ""},
                }
            )
    return library, tracks, truth


def key(title: str, artist: str) -> str:
    return f"{artist} {title}".lower()


def time_index(
    library: list[dict[str, Any]], tracks: list[dict[str, Any]]
) -> tuple[float, float, list[tuple[int, float] | None]]:
    """Build the index and match every track: (build seconds, match seconds, results)."""
    start = time.perf_counter()
    index = LibraryIndex(library)
    built = time.perf_counter()
    results = [index.match(track) for track in tracks]
    return built - start, time.perf_counter() - built, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--library", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20, help="tracks timed for the baselines")
    parser.add_argument("--repeat", type=int, default=3, help="LibraryIndex runs (median counts)")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} CPUs, load average {load:.2f} before the run (busy machines time slower)"
    )
    library, tracks, truth = make_world(args.library, args.tracks)
    runs = []
    for _ in range(max(1, args.repeat)):
        clear_caches()  # every run starts cold, as a first diff after start-up does
        runs.append(time_index(library, tracks))
    totals = sorted(build + match for build, match, _ in runs)
    ours = statistics.median(totals)
    build, match, results = runs[0]
    pairs = list(zip(results, truth, strict=True))
    right = sum(r is not None and r[0] == t for r, t in pairs)
    other = sum(r is not None and t is not None and r[0] != t for r, t in pairs)
    phantom = sum(r is not None and t is None for r, t in pairs)
    present = sum(t is not None for t in truth)
    print(
        f"LibraryIndex: {args.tracks:,} tracks x {args.library:,} library items: "
        f"build {build:.2f} s + match {match:.2f} s; {len(runs)} runs "
        f"{', '.join(f'{t:.2f}' for t in totals)} s, median {ours:.2f} s"
    )
    print(
        f"  found {right:,} of {present:,} tracks the library holds ({other:,} matched to another "
        f"item); {phantom:,} of {len(truth) - present:,} tracks it lacks matched something"
    )

    rng = random.Random(2)
    sample = rng.sample(tracks, args.sample)
    lib_keys = [key(item["title"], item["artist"]) for item in library]

    start = time.perf_counter()
    for track in sample:
        process.extractOne(
            key(track["name"], track["artists"][0]["name"]), lib_keys, scorer=fuzz.WRatio
        )
    per_track_rf = (time.perf_counter() - start) / len(sample)
    rapidfuzz_total = per_track_rf * args.tracks

    difflib_sample = sample[: max(1, args.sample // 10)]
    start = time.perf_counter()
    for track in difflib_sample:
        query = key(track["name"], track["artists"][0]["name"])
        matcher = SequenceMatcher(None, "", query)
        best = 0.0
        for candidate in lib_keys:
            matcher.set_seq1(candidate)
            best = max(best, matcher.ratio())
    per_track_dl = (time.perf_counter() - start) / len(difflib_sample)
    difflib_total = per_track_dl * args.tracks

    print(
        f"rapidfuzz brute force (extractOne WRatio over all items), timed on {len(sample)} tracks, "
        f"extrapolated: {rapidfuzz_total:,.1f} s"
    )
    print(
        f"difflib pairwise (SequenceMatcher.ratio over all items), timed on {len(difflib_sample)} tracks, "
        f"extrapolated: {difflib_total:,.1f} s"
    )
    print(
        f"speed-up: {rapidfuzz_total / ours:,.0f}x vs rapidfuzz brute force, {difflib_total / ours:,.0f}x vs difflib"
    )


if __name__ == "__main__":
    main()
