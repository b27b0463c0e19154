"""Generated libraries and Spotify tracks with ground truth, for the whole-library diff.

Two worlds, both seeded:

- ``plain``: titles from a 6,000-word vocabulary plus very common words (most titles rare);
- ``crowded``: titles and artists from a small Zipf-distributed vocabulary, so common titles
  ("Love", "Home", "Intro") are held by hundreds of items by different artists, as in a real
  library of 100,000 tracks.

A world is (library, tracks, truth): ``truth[n]`` is the library position track ``n`` was taken
from, or None for a track the library lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate
import random
from typing import Any

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
# Common first: the crowded world's Zipf ranks start here ("Intro" is as common as "Love").
CROWDED_HEAD = ["love", "home", "intro", "night", "heart", "baby", "forever", "alone", "wait"]
SUFFIXES = ["", "", "", "", " - Remastered 2011", " (Live)", " (Radio Edit)", " - Mono"]
SYLLABLES = [
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
World = tuple[list[dict[str, Any]], list[dict[str, Any]], list[int | None]]


def make_words(rng: random.Random, count: int) -> list[str]:
    """A vocabulary as varied as real song titles (mostly distinct words, some very common)."""
    made = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(count)}
    return WORDS * 20 + sorted(made)


def make_world(n_library: int, n_tracks: int, seed: int = 1) -> World:
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
            tracks.append(present_track(library[position], n, rng))
        else:
            truth.append(None)
            tracks.append(
                absent_track(
                    n,
                    " ".join(rng.choice(words) for _ in range(3)).title(),
                    rng.choice(artists),
                    rng,
                )
            )
    return library, tracks, truth


def present_track(item: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    """A Spotify track for a library item: upper-cased or suffix-less, a second or so off."""
    name = item["title"].split(" - ")[0].upper() if rng.random() < 0.3 else item["title"]
    return {
        "id": f"t{n}",
        "name": name,
        "artists": [{"name": item["artist"]}],
        "album": {"name": item["album"]},
        "duration_ms": item["duration_ms"] + rng.randint(-1500, 1500),
        "external_ids": {"isrc": item["isrc"] or ""},
    }


def absent_track(n: int, title: str, artist: str, rng: random.Random) -> dict[str, Any]:
    """A Spotify track the library does not hold."""
    return {
        "id": f"t{n}",
        "name": title,
        "artists": [{"name": artist}],
        "album": {"name": "Other"},
        "duration_ms": rng.randint(120, 420) * 1000,
        "external_ids": {"isrc": ""},
    }


class _Zipf:
    """Draws from a ranked list with probability proportional to 1 / rank ** exponent."""

    def __init__(self, items: list[str], exponent: float) -> None:
        self.items = items
        self.cumulative = list(accumulate(1 / rank**exponent for rank in range(1, len(items) + 1)))

    def draw(self, rng: random.Random, count: int = 1) -> list[str]:
        return rng.choices(self.items, cum_weights=self.cumulative, k=count)


def crowded_vocabulary(rng: random.Random, size: int) -> list[str]:
    """Ranked words: the common title words first, then made-up ones (no word the artist or
    version parsers treat specially: no 'and', 'with', 'live', 'mix', digits)."""
    made = sorted(
        {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(size * 2)}
    )
    rng.shuffle(made)
    head = CROWDED_HEAD + [w for w in WORDS if w not in CROWDED_HEAD]
    return (head + [w for w in made if w not in head])[:size]


def make_crowded_world(
    n_library: int, n_tracks: int, seed: int = 1, *, vocabulary: int = 1500
) -> World:
    """A library whose titles and artists share a small Zipf-distributed vocabulary.

    One title in ten is a single word, so "Love" or "Intro" is the title of hundreds of items
    by different artists; artists are two words of the same vocabulary, some of them prolific.
    Ground truth stays unambiguous: an artist never holds two titles with the same set of words
    (the engine reads "Love Night" and "Night Love" as one title), and a track the library
    lacks shares neither its word set nor its first three words with any title of its artist.
    """
    rng = random.Random(seed)
    words = _Zipf(crowded_vocabulary(rng, vocabulary), 0.9)
    names: set[str] = set()
    while len(names) < max(50, n_library // 8):
        first, second = words.draw(rng, 2)
        if first != second:
            names.add(f"{first.title()} {second.title()}")
    ordered = sorted(names)
    rng.shuffle(ordered)
    # Artists the library never credits, for half the tracks it lacks.
    strangers = [
        name
        for _ in range(n_tracks // 4 + 10)
        if (pair := words.draw(rng, 2))[0] != pair[1]
        if (name := f"{pair[0].title()} {pair[1].title()}") not in names
    ]
    artists = _Zipf(ordered, 0.6)
    held: dict[str, set[frozenset[str]]] = {}
    leads: dict[str, set[tuple[str, ...]]] = {}

    def title_words() -> list[str]:
        count = rng.choices((1, 2, 3, 4), weights=(10, 40, 30, 20))[0]
        drawn: list[str] = []
        while len(drawn) < count:
            word = words.draw(rng)[0]
            if word not in drawn:
                drawn.append(word)
        return drawn

    library: list[dict[str, Any]] = []
    for n in range(n_library):
        artist = artists.draw(rng)[0]
        taken = held.setdefault(artist, set())
        chosen = title_words()
        while frozenset(chosen) in taken:
            chosen = title_words()
        taken.add(frozenset(chosen))
        leads.setdefault(artist, set()).add(tuple(chosen[:3]))
        library.append(
            {
                "kind": "library",
                "title": " ".join(chosen).title() + rng.choice(SUFFIXES),
                "artist": artist,
                "album": " ".join(words.draw(rng, rng.randint(1, 2))).title(),
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
            tracks.append(present_track(library[position], n, rng))
            continue
        truth.append(None)
        artist = rng.choice(strangers) if rng.random() < 0.5 else artists.draw(rng)[0]
        chosen = title_words()
        while frozenset(chosen) in held.get(artist, ()) or tuple(chosen[:3]) in leads.get(
            artist, ()
        ):
            chosen = title_words()
        tracks.append(absent_track(n, " ".join(chosen).title(), artist, rng))
    return library, tracks, truth


WORLDS: dict[str, Callable[[int, int], World]] = {
    "plain": make_world,
    "crowded": make_crowded_world,
}
