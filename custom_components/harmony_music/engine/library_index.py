"""A whole-library diff without comparing every pair: blocking keys, then the scorer on a few.

Items are found by ISRC, by title key, and by near titles (prefix filtering over word postings,
consonant skeletons for romanisations); only those pass to ``details_from_features``, so the
index picks what ``best_match`` over the whole library picks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
import math
import re
from typing import Any

from .artists import artist_units
from .fields import ODD_INPUT, duration_seconds, is_mapping, normal_isrc, text, track_isrc
from .library_item import library_features
from .normalize import drop_article, fold, is_non_latin, japanese_reading
from .readings import CandidateFeatures
from .scoring import details_from_features
from .similarity import (
    CATALOGUE,
    TEXTESE,
    short_title,
    skeleton,
    textese,
    title_similarity,
    transliteration_similarity,
)
from .spotify_track import track_features
from .thresholds import (
    CROWDED_TITLE,
    DEFAULT_CONFIDENCE_THRESHOLD,
    DURATION_GATE_S,
    SHORT_TITLE_WORDS,
    SKELETON_MIN,
    TITLE_GATE,
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
        title = _KEY_STRIP.sub(" ", title)
    return drop_article(fold(title))


class LibraryIndex:
    """Blocking index over a library: ISRC map and title keys, so a diff never compares all pairs."""

    def __init__(self, library: Sequence[Mapping[str, Any]]) -> None:
        self._library = library
        self._features: dict[int, CandidateFeatures | None] = {}
        self._keys: list[str] = []
        self._by_isrc: dict[str, list[int]] = defaultdict(list)
        self._by_title: dict[str, list[int]] = defaultdict(list)  # by title key without spaces
        self._by_token: dict[str, list[int]] = defaultdict(list)
        # Durations and ISRCs by position make the duration gate a list lookup.
        self._durations: list[float | None] = []
        self._isrcs: list[str] = []
        self._non_latin: set[int] = set()  # items titled in a non-Latin script
        # Consonant skeletons of titles, by scope ("all", "non_latin"), built on first use.
        self._skeleton_scopes: dict[str, dict[str, list[int]]] = {}
        by_isrc, by_title, by_token, keys = (
            self._by_isrc,
            self._by_title,
            self._by_token,
            self._keys,
        )
        durations, isrcs = self._durations, self._isrcs
        items: Sequence[object] = library  # entries are checked at run time, whatever the hints
        for index, item in enumerate(items):  # the hot loop of a whole-library diff
            if not is_mapping(item):
                keys.append("")
                durations.append(None)
                isrcs.append("")
                continue
            durations.append(duration_seconds(item.get("duration_ms"), milliseconds=True))
            code = normal_isrc(item.get("isrc"))
            if code:
                by_isrc[code].append(index)
            isrcs.append(code or "")
            title = item.get("title")
            key = title_key(title) if isinstance(title, str) else ""
            keys.append(key)
            if key:
                if isinstance(title, str) and not title.isascii() and is_non_latin(title):
                    self._non_latin.add(index)
                by_title[key.replace(" ", "")].append(index)
                for token in key.split():  # words as text-speak spells them too ('2 U')
                    by_token[TEXTESE.get(token, token)].append(index)

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

    def _positions(
        self, name: str, isrc: str | None, *, near: bool = False
    ) -> tuple[list[int], bool]:
        """Candidate positions, and whether near titles were searched for them."""
        key = title_key(name)
        found: dict[int, None] = {}
        for index in self._by_isrc.get(isrc, []) if isrc else []:
            found[index] = None
        for index in self._by_title.get(key.replace(" ", ""), []):
            found[index] = None
        if _KEY_HINT.search(name):
            # Other names in the title: "Untitled #3 - Samskeyti" may be filed as "Samskeyti".
            # "La-La (Means I Love You)" may be filed as "La La Means I Love You".
            parsed = parse_title(name)
            for alias in parsed.aliases:
                for other_name in (alias, f"{parsed.base} {alias}"):
                    for index in self._by_title.get(title_key(other_name).replace(" ", ""), []):
                        found[index] = None
        transliterated = is_non_latin(name)
        keys = [key]
        if transliterated and (japanese := japanese_reading(name)):
            keys.append(title_key(japanese))
            for index in self._by_title.get(keys[-1].replace(" ", ""), []):
                found[index] = None
        searched = near or not found
        if searched:
            for near_key in keys:
                self._near_titles(near_key, transliterated, found)
        return list(found), searched

    def _byskeleton(self, key: str, transliterated: bool) -> list[int]:
        """Items whose title has the same consonants ('tmly m k' / 'Tamally Maak').

        Romanisations may share no whole word. The map is built on first use: over the items
        tagged in a non-Latin script, and over the whole library once a non-Latin track asks."""
        wanted = skeleton(key)
        if len(wanted) < SKELETON_MIN:
            return []
        scope = "all" if transliterated else "non_latin"
        if scope not in self._skeleton_scopes:
            indices = range(len(self._keys)) if transliterated else sorted(self._non_latin)
            skeletons: dict[str, list[int]] = defaultdict(list)
            for index in indices:
                if self._keys[index]:
                    skeletons[skeleton(self._keys[index])].append(index)
            self._skeleton_scopes[scope] = skeletons
        return self._skeleton_scopes[scope].get(wanted, [])

    def _near_titles(self, key: str, transliterated: bool, found: dict[int, None]) -> None:
        """Titles that could pass the title gate, found by prefix filtering."""
        words = textese(key).split()  # the index holds words as text-speak spells them
        pool = self._prefix_pool(set(words))
        if transliterated or self._non_latin:
            pool.update(self._byskeleton(key, transliterated))
            # Romanisations differ letter by letter ('hii'/'hi'): any of the rarer words will do,
            # for a non-Latin track, or for items tagged in a non-Latin script.
            present = sorted(
                (posting for token in set(words) if (posting := self._by_token.get(token))),
                key=len,
            )
            lenient: set[int] = set()
            for posting in present[:2]:
                lenient.update(posting)
            pool |= lenient if transliterated else lenient & self._non_latin
        stripped = set(textese(CATALOGUE.sub(" ", key)).split())
        if stripped and len(stripped) < len(key.split()):
            # title_similarity drops catalogue numbers ("BWV 1007") when the numbers differ.
            pool |= self._prefix_pool(stripped)
        for index in pool:
            other = self._keys[index]
            if (
                title_similarity(key, other) >= TITLE_GATE
                or short_title(key, other)
                or (
                    (transliterated or index in self._non_latin)
                    and transliteration_similarity(key, other) >= TITLE_GATE
                )
            ):
                found[index] = None
        # A library item filed under the title's first words ("Killing Me Softly").
        leading = drop_article(key).split()
        for size in range(SHORT_TITLE_WORDS, len(leading)):
            for index in self._by_title.get("".join(leading[:size]), []):
                found[index] = None

    def _prefix_pool(self, tokens: set[str]) -> set[int]:
        """Items holding one of the n - ceil(0.8 n) + 1 rarest words.

        A title passing the gate shares at least ceil(0.8 n) of the n words, so it holds one of
        them: only their postings are read. Words the library never uses sort first (empty).
        """
        needed = len(tokens) - math.ceil(TITLE_GATE * len(tokens) - 1e-9) + 1
        postings = sorted((self._by_token.get(token, []) for token in tokens), key=len)
        if not postings:
            return set()
        pool = set(postings[0])
        if needed == 1:  # every word is needed (short titles): intersect them all
            for posting in postings[1:]:
                if not pool:
                    break
                pool.intersection_update(posting)
        else:
            for posting in postings[1:needed]:
                pool.update(posting)
        return pool

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
            found, searched_near = self._positions(name, isrc)
            positions = [i for i in found if not self._duration_gated(length_s, isrc, i)]
            if not positions and not searched_near:
                # Every same-titled item has another length: look at near titles as well.
                positions = [
                    index
                    for index in self._positions(name, isrc, near=True)[0]
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
            for index in positions:
                value = details_from_features(features, self._candidate(index)).score
                if value >= limit and (best is None or value > best[1]):
                    best = (index, value)
        except ODD_INPUT:
            return None
        return best
