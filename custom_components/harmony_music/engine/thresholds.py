"""The numbers the matcher's decisions turn on, in one place (const.py reads the default here)."""

from __future__ import annotations

from typing import Final

DEFAULT_CONFIDENCE_THRESHOLD: Final[float] = 0.8

# Weights of the parts both sides know; missing parts drop out of the average.
WEIGHTS: Final[dict[str, float]] = {"title": 0.40, "artist": 0.35, "duration": 0.15, "album": 0.10}
TITLE_GATE: Final = 0.8
DURATION_EXACT_S: Final = 3.0
DURATION_GATE_S: Final = 7.0
SECONDARY_ARTIST: Final = 0.9  # another artist the track credits
FEATURED_ONLY_ARTIST: Final = 0.3  # credited to a guest of the title only: likely their version
NO_ARTIST: Final = 0.35
NAMED_BAND: Final = 0.85  # a band named after the artist, vouched for by its album
ALBUM_VOUCHED_ARTIST: Final = 0.6
# The title part of a file named by its number alone, in its artist's album folder.
UNTITLED_VOUCHED: Final = 0.8
SHORT_TITLE: Final = 0.8  # the title part of a short name (see similarity.short_title)
SHORT_TITLE_WORDS: Final = 3
SKELETON_MIN: Final = 2  # shorter consonant skeletons ('Oui' -> '') say nothing
# More same-titled library items than this ("Intro"): only the same artist's are scored.
CROWDED_TITLE: Final = 25
