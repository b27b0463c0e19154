"""A whole-library diff without comparing every pair: blocking keys, then the scorer on a few.

Items are found by ISRC, by title key, and by near titles (prefix filtering over word postings,
consonant skeletons for romanisations); only those pass to ``details_from_features``, so the
index picks what ``best_match`` over the whole library picks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
import re
from typing import Any

from .artists import artist_units
from .collector import collection_paused
from .fields import ODD_INPUT, duration_seconds, is_mapping, normal_isrc, text, track_isrc
from .length_windows import WINDOWED, LengthWindow
from .library_item import library_features
from .near_titles import NearTitles
from .normalize import drop_article, flatten_brackets, fold, is_non_latin, japanese_reading
from .postings import file_under, seal
from .readings import CandidateFeatures
from .scoring import details_from_features
from .spotify_track import track_features
from .thresholds import (
    CROWDED_TITLE,
    DEFAULT_CONFIDENCE_THRESHOLD,
    DURATION_GATE_S,
)
from .versions import parse_title

_KEY_STRIP = re.compile(
    r"[\(\[\{](?!\s*(?:part|pt|vol|volume|chapter|no|book|act)\b\.?\s*[\divx]+\s*[\)\]\}])"
    r"[^\)\]\}]*[\)\]\}]|\s+[-\u2013\u2014]\s+.*$|\s+(?:feat\.?|ft\.?|featuring)\s+.*$",
    re.IGNORECASE,
)
_KEY_HINT = re.compile("[\\(\\[\\{\\-\u2013\u2014]| [fF]")


@lru_cache(maxsize=262144)
def title_key(title: str) -> str:
    """Blocking key: the folded title without version descriptors, features or article."""
    if _KEY_HINT.search(title):
        title = _KEY_STRIP.sub(" ", flatten_brackets(title))
    return drop_article(fold(title))


class LibraryIndex:
    """Blocking index over a library: ISRC map and title keys, so a diff never compares all pairs."""

    def __init__(self, library: Sequence[Mapping[str, Any]]) -> None:
        with collection_paused():  # see collector.py
            self._build(library)

    def _build(self, library: Sequence[Mapping[str, Any]]) -> None:
        self._library = library
        self._features: dict[int, CandidateFeatures | None] = {}
        self._keys: list[str] = []
        self._by_isrc: dict[str, Sequence[int]] = {}
        self._by_title: dict[str, Sequence[int]] = {}  # title key, no spaces
        # Durations and ISRCs by position make the duration gate a list lookup.
        self._durations: list[float | None] = []
        self._isrcs: list[str] = []
        self._non_latin: set[int] = set()  # items titled in a non-Latin script
        self._windows: dict[str, LengthWindow] = {}  # by title key, for long lists only
        self._near = NearTitles(self._keys, self._by_title, self._non_latin)
        by_isrc, by_title, keys, near = self._by_isrc, self._by_title, self._keys, self._near
        durations, isrcs = self._durations, self._isrcs
        items: Sequence[object] = library  # entries are checked at run time, whatever the hints
        for index, item in enumerate(items):  # the hot loop of a whole-library diff
            if type(item) is not dict and not is_mapping(item):
                keys.append("")
                durations.append(None)
                isrcs.append("")
                continue
            durations.append(duration_seconds(item.get("duration_ms"), milliseconds=True))
            code = normal_isrc(item.get("isrc"))
            if code:
                file_under(by_isrc, code, index)
            isrcs.append(code or "")
            title = item.get("title")
            key = title_key(title) if isinstance(title, str) else ""
            keys.append(key)
            if key:
                if isinstance(title, str) and not title.isascii() and is_non_latin(title):
                    self._non_latin.add(index)
                compact = key.replace(" ", "")
                file_under(by_title, compact, index)
                near.add(index, key, compact)
        seal(by_isrc)
        seal(by_title)
        near.seal()

    def forget_features(self) -> None:
        """Drop the features parsed so far (after a whole-library pass: see ``caches.py``)."""
        self._features.clear()

    def _candidate(self, index: int) -> CandidateFeatures | None:
        if index not in self._features:
            item = self._library[index]
            self._features[index] = library_features(item) if is_mapping(item) else None
        return self._features[index]

    def _duration_gated(self, length_s: float | None, isrc: str | None, index: int) -> bool:
        """The duration gate, checked on raw fields before any parsing (same rule as scoring)."""
        item_s = self._durations[index]
        if length_s is None or item_s is None or abs(length_s - item_s) <= DURATION_GATE_S:
            return False
        return not (isrc and self._isrcs[index] == isrc)

    def candidates(self, track: Mapping[str, Any]) -> list[int]:
        """Library positions worth scoring for this track (a handful, never the whole library)."""
        return self._positions(text(track.get("name")), track_isrc(track))[0]

    def _titled(self, key: str, length_s: float | None) -> Sequence[int]:
        """Items filed under a title key; of a long list, only those the length gate may pass."""
        compact = key.replace(" ", "")
        positions = self._by_title.get(compact, ())
        if length_s is None or len(positions) < WINDOWED:
            return positions
        window = self._windows.get(compact)
        if window is None:
            window = self._windows[compact] = LengthWindow(positions, self._durations)
        return window.around(length_s)

    def _positions(
        self, name: str, isrc: str | None, length_s: float | None = None, *, near: bool = False
    ) -> tuple[list[int], bool]:
        """Candidate positions, and whether near titles were searched for them.

        With ``length_s``, same-titled items of other lengths may be left out (never others)."""
        key = title_key(name)
        found: dict[int, None] = {}
        for index in self._by_isrc.get(isrc, ()) if isrc else ():
            found[index] = None
        for index in self._titled(key, length_s):
            found[index] = None
        if _KEY_HINT.search(name):
            # Other names in the title: "Untitled #3 - Samskeyti" may be filed as "Samskeyti".
            # "La-La (Means I Love You)" may be filed as "La La Means I Love You".
            parsed = parse_title(name)
            for alias in parsed.aliases:
                for other_name in (alias, f"{parsed.base} {alias}"):
                    for index in self._titled(title_key(other_name), length_s):
                        found[index] = None
        transliterated = is_non_latin(name)
        keys = [key]
        if transliterated and (japanese := japanese_reading(name)):
            keys.append(title_key(japanese))
            for index in self._titled(keys[-1], length_s):
                found[index] = None
        searched = near or not found
        if searched:
            for near_key in keys:
                self._near.search(near_key, transliterated, found)
        return list(found), searched

    def match(
        self, track: Mapping[str, Any], threshold: float | None = None
    ) -> tuple[int, float] | None:
        """Best library position and score for the track, or None."""
        limit = DEFAULT_CONFIDENCE_THRESHOLD if threshold is None else threshold
        if not is_mapping(track):
            return None
        try:
            length_s = duration_seconds(track.get("duration_ms"), milliseconds=True)
            isrc = track_isrc(track)
            name = text(track.get("name"))
            found, searched_near = self._positions(name, isrc, length_s)
            positions = [i for i in found if not self._duration_gated(length_s, isrc, i)]
            if not positions and not searched_near:
                # Every same-titled item has another length: look at near titles as well.
                positions = [
                    index
                    for index in self._positions(name, isrc, length_s, near=True)[0]
                    if not self._duration_gated(length_s, isrc, index)
                ]
            if not positions:
                return None
            features = track_features(track)
            if len(positions) > CROWDED_TITLE:
                # A common title ("Intro"): score only items by the same artist.
                positions = [
                    index
                    for index in positions
                    if artist_units(text(self._library[index].get("artist")))
                    & features.primary_units
                ]
            best: tuple[int, float] | None = None
            for index in sorted(positions):  # ties go to the first, as in best_match
                value = details_from_features(features, self._candidate(index)).score
                if value >= limit and (best is None or value > best[1]):
                    best = (index, value)
        except ODD_INPUT:
            return None
        return best
