"""Does a library item or Soulseek file hold the same recording as a Spotify track?

Hard gates first (version, ISRC conflict, artist, title, duration), then a weighted score of the
criteria both sides know. ``score_details`` explains a decision part by part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
import re
from typing import Any

from .normalize import drop_article, fold, is_non_latin
from .versions import ParsedTitle, album_versions, classify, parse_title

DEFAULT_CONFIDENCE_THRESHOLD: float = 0.8

WEIGHTS = {"title": 0.40, "artist": 0.35, "duration": 0.15, "album": 0.10}
TITLE_GATE = 0.8
CROWDED_TITLE = 25
DURATION_EXACT_S = 3.0
DURATION_GATE_S = 8.0
AUDIO_EXTENSIONS = frozenset(
    {"mp3", "flac", "m4a", "aac", "ogg", "opus", "wav", "wma", "alac", "aiff", "aif", "ape", "wv"}
)
_ARTIST_SPLIT = re.compile(
    r"\s*(?:,|;|/|\bfeat\b\.?|\bft\b\.?|\bfeaturing\b|\bwith\b|\bx\b|\band\b|\bvs\b\.?)\s*"
)
_TRACK_NUMBER = re.compile(r"^\s*(?:[a-d]?\d{1,3}|\d{1,2}[-.]\d{1,2})(?:\s*[-._)]\s*|\s+)(?=\S)")
_DISC_DIR = re.compile(r"^(cd|disc|disk)\s*\d+$")
_YEAR_PREFIX = re.compile(r"^\s*[\(\[]?(19|20)\d{2}[\)\]]?\s*[-.]?\s*")
_NUMBER = re.compile(r"\d+")
_BRACKETED = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")


@dataclass(frozen=True)
class MatchDetails:
    """A decision with its explanation."""

    score: float
    gate: str | None = None
    parts: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage and action responses."""
        return {"score": round(self.score, 4), "gate": self.gate, "parts": dict(self.parts)}


def _is_mapping(value: object) -> bool:
    """Inputs come from users and peers: check shapes at run time whatever the annotations say."""
    return isinstance(value, Mapping)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


@lru_cache(maxsize=65536)
def artist_units(text: str) -> frozenset[str]:
    """Compact names of every artist a credit string names, and of the whole credit."""
    folded = fold(text)
    if not folded:
        return frozenset()
    units = {drop_article(folded).replace(" ", "")}
    units.update(drop_article(p).replace(" ", "") for p in _ARTIST_SPLIT.split(folded) if p)
    units.discard("")
    return frozenset(units)


@dataclass(frozen=True)
class TrackFeatures:
    """What the matcher needs from a Spotify track; rarely needed parts are computed on demand."""

    title: ParsedTitle
    primary: str
    names: tuple[str, ...]
    primary_units: frozenset[str]
    album: str
    album_versions: frozenset[str]
    duration_s: float | None
    isrc: str | None

    @cached_property
    def primary_tokens(self) -> tuple[str, ...]:
        """The primary artist's words, to find it in folder names."""
        return tuple(drop_article(fold(self.primary)).split())

    @cached_property
    def non_latin_artist(self) -> bool:
        """Whether the primary artist is written in a script transliteration may not bridge."""
        return is_non_latin(self.primary)

    @cached_property
    def all_units(self) -> frozenset[str]:
        """Every credited artist, featured ones from the title included."""
        units: set[str] = set()
        for artist in (*self.names, *self.title.featured):
            units |= artist_units(artist)
        return frozenset(units)


def _raw_isrc(track: Mapping[str, Any]) -> str | None:
    ids = track.get("external_ids")
    isrc = _str(ids.get("isrc")) if isinstance(ids, Mapping) else ""
    return isrc.upper().replace("-", "") or None


def _raw_duration_s(track: Mapping[str, Any]) -> float | None:
    duration_ms = _num(track.get("duration_ms"))
    return duration_ms / 1000 if duration_ms else None


def _primary_artist(track: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    artists_raw = track.get("artists")
    names: tuple[str, ...] = ()
    if isinstance(artists_raw, list):
        names = tuple(
            n for a in artists_raw if isinstance(a, Mapping) if (n := _str(a.get("name")))
        )
    return (names[0] if names else ""), names


def track_features(track: Mapping[str, Any]) -> TrackFeatures:
    """Features of a Spotify track object (missing or odd fields are tolerated)."""
    primary, names = _primary_artist(track)
    album_raw = track.get("album")
    album = _str(album_raw.get("name")) if isinstance(album_raw, Mapping) else _str(album_raw)
    return TrackFeatures(
        title=parse_title(_str(track.get("name"))),
        primary=primary,
        names=names,
        primary_units=artist_units(primary),
        album=fold(album),
        album_versions=album_versions(album),
        duration_s=_raw_duration_s(track),
        isrc=_raw_isrc(track),
    )


@dataclass(frozen=True)
class Reading:
    """One way to read a candidate: title, credited artists, album, folder context."""

    title: ParsedTitle
    artist_units: frozenset[str]
    context_tokens: tuple[str, ...]
    album: str
    album_versions: frozenset[str]


@dataclass(frozen=True)
class CandidateFeatures:
    """Readings of a candidate (Soulseek names can be read several ways) and its hard facts."""

    readings: tuple[Reading, ...]
    duration_s: float | None
    isrc: str | None


def library_features(candidate: Mapping[str, Any]) -> CandidateFeatures:
    """Features of a library item."""
    album = _str(candidate.get("album"))
    reading = Reading(
        title=parse_title(_str(candidate.get("title"))),
        artist_units=artist_units(_str(candidate.get("artist"))),
        context_tokens=(),
        album=fold(album),
        album_versions=album_versions(album),
    )
    duration_ms = _num(candidate.get("duration_ms"))
    isrc = _str(candidate.get("isrc")).upper().replace("-", "")
    return CandidateFeatures((reading,), duration_ms / 1000 if duration_ms else None, isrc or None)


def _strip_extension(name: str, extension: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if dot and (ext.lower() in AUDIO_EXTENSIONS or ext.lower() == extension.lower().lstrip(".")):
        return stem
    return name


def _folder_album(folder: str) -> tuple[str, str]:
    """(artist, album) read from a folder name like 'Artist - Album (Year) [FLAC]'."""
    plain = re.sub(r"[\(\[\{][^\)\]\}]*[\)\]\}]", " ", folder).strip()
    plain = _YEAR_PREFIX.sub("", plain)
    if " - " in plain:
        artist, _, album = plain.partition(" - ")
        return artist, _YEAR_PREFIX.sub("", album)
    if " " not in plain and plain.count("-") >= 2:  # scene: artist-album-source-year-group
        parts = plain.replace("_", " ").split("-")
        return parts[0], parts[1]
    return "", plain


def soulseek_features(candidate: Mapping[str, Any]) -> CandidateFeatures:
    """Features of a Soulseek file as slskd reports it."""
    path = _str(candidate.get("filename")).replace("/", "\\")
    parts = [p for p in path.split("\\") if p]
    name = parts[-1] if parts else ""
    folders = [p for p in reversed(parts[:-1]) if not _DISC_DIR.match(fold(p))][:3]
    stem = _strip_extension(name, _str(candidate.get("extension")))
    if " " not in stem:
        stem = stem.replace("_", " ")
    stem = _TRACK_NUMBER.sub("", stem, count=1)

    context: list[str] = []
    album = ""
    folder_artist = ""
    for depth, folder in enumerate(folders):
        artist_part, album_part = _folder_album(folder)
        if depth == 0:
            album = album_part
            folder_artist = artist_part
        context.extend(fold(folder.replace("_", " ")).split())
    album_vers = album_versions(album)

    splits: list[tuple[str, str]] = []
    if " - " in stem:
        segments = [s for s in stem.split(" - ") if s.strip()]
        if segments and _NUMBER.fullmatch(segments[0].strip()):
            segments = segments[1:]
        if len(segments) >= 2:
            splits.append((segments[0], " - ".join(segments[1:])))
            splits.append((segments[-1], " - ".join(segments[:-1])))
    elif "-" in stem and stem.count("-") <= 3 and not re.search(r"\s-|-\s", stem):
        segments = [s for s in stem.split("-") if s.strip()]
        if len(segments) >= 2:
            splits.append((segments[0], segments[-1]))
    splits.append((folder_artist, stem))

    # Descriptors anywhere in the name ("Hello - Lionel Richie (Karaoke)") hold for every reading.
    stem_versions = parse_title(stem, dash_suffix=False).versions
    readings = tuple(
        Reading(
            title=_with_versions(parse_title(title, dash_suffix=False), stem_versions),
            artist_units=artist_units(_BRACKETED.sub(" ", artist)),
            context_tokens=tuple(context),
            album=fold(album),
            album_versions=album_vers,
        )
        for artist, title in splits
    )
    return CandidateFeatures(readings, _num(candidate.get("length")), None)


def _with_versions(title: ParsedTitle, versions: frozenset[str]) -> ParsedTitle:
    return ParsedTitle(title.base, title.versions | versions, title.featured, title.remaster)


def candidate_features(candidate: Mapping[str, Any]) -> CandidateFeatures | None:
    """Features of either kind of candidate, or None for something we cannot read."""
    kind = candidate.get("kind")
    if kind == "library":
        return library_features(candidate)
    if kind == "soulseek" or (kind is None and "filename" in candidate):
        return soulseek_features(candidate)
    return None


def title_similarity(a: str, b: str) -> float:
    """1.0 for equal titles; strict otherwise (one changed letter or number is another song)."""
    if not a or not b:
        return 0.0
    a2, b2 = drop_article(a), drop_article(b)
    if a2 == b2 or a2.replace(" ", "") == b2.replace(" ", ""):
        return 1.0
    if _NUMBER.findall(a2) != _NUMBER.findall(b2):
        return 0.0
    # Whole words only: 'Parabol' vs 'Parabola' are two songs, so no letter-level fuzziness.
    ta, tb = set(a2.split()), set(b2.split())
    return len(ta & tb) / len(ta | tb)


def _contains_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    if not phrase or len(phrase) > len(tokens):
        return False
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))


def _artist_part(track: TrackFeatures, reading: Reading) -> float | None:
    """1.0 same artist, 0.0 another artist, 0.35 no artist known, None: scripts differ."""
    units = reading.artist_units
    if track.primary_units and (
        track.primary_units & units
        or (len(track.primary_units) > 1 and track.primary_units - {""} <= units)
    ):
        return 1.0
    if _contains_phrase(reading.context_tokens, track.primary_tokens):
        return 1.0
    if track.non_latin_artist:
        return None
    if not units:
        return 0.35
    if track.all_units & units:  # credited to a featured artist only: likely their own version
        return 0.3
    return 0.0


def _duration_part(track: TrackFeatures, cand: CandidateFeatures) -> float | None:
    if track.duration_s is None or cand.duration_s is None:
        return None
    diff = abs(track.duration_s - cand.duration_s)
    if diff <= DURATION_EXACT_S:
        return 1.0
    if diff > DURATION_GATE_S:
        return 0.0
    return 1.0 - (diff - DURATION_EXACT_S) / (DURATION_GATE_S - DURATION_EXACT_S)


def _score_reading(track: TrackFeatures, cand: CandidateFeatures, reading: Reading) -> MatchDetails:
    track_versions = track.title.versions | track.album_versions
    cand_versions = reading.title.versions | reading.album_versions
    # A live track matches a plain title on a live album and vice versa: compare classes.
    parts: dict[str, float] = {}
    if track_versions != cand_versions:
        return MatchDetails(0.0, "version", {"version": 0.0})
    parts["version"] = 1.0

    title = title_similarity(track.title.base, reading.title.base)
    parts["title"] = title
    if title < TITLE_GATE:
        return MatchDetails(0.0, "title", parts)

    artist = _artist_part(track, reading)
    if artist is not None:
        parts["artist"] = artist
        if artist == 0.0:
            return MatchDetails(0.0, "artist", parts)

    duration = _duration_part(track, cand)
    if duration is not None:
        parts["duration"] = duration
        if duration == 0.0:
            return MatchDetails(0.0, "duration", parts)
    elif artist is None:
        # Neither artist nor duration can confirm a transliterated title: not enough evidence.
        return MatchDetails(0.0, "evidence", parts)

    if track.album and reading.album:
        album_sim = title_similarity(track.album, reading.album)
        parts["album"] = 1.0 if album_sim >= 0.8 else 0.5

    weighted = sum(WEIGHTS[k] * v for k, v in parts.items() if k in WEIGHTS)
    total = sum(WEIGHTS[k] for k in parts if k in WEIGHTS)
    score = weighted / total if total else 0.0
    if track.isrc and cand.isrc and track.isrc != cand.isrc:
        # A remaster gets a new ISRC: then a conflict only lowers the score.
        parts["isrc"] = 0.0
        if not (track.title.remaster or reading.title.remaster):
            return MatchDetails(0.0, "isrc", parts)
        score *= 0.9
    return MatchDetails(max(0.0, min(1.0, score)), None, parts)


def details_from_features(track: TrackFeatures, cand: CandidateFeatures | None) -> MatchDetails:
    """Decide with precomputed features."""
    if cand is None:
        return MatchDetails(0.0, "unreadable", {})
    if track.isrc and cand.isrc and track.isrc == cand.isrc:
        return MatchDetails(0.99, None, {"isrc": 1.0})
    best: MatchDetails | None = None
    for reading in cand.readings:
        details = _score_reading(track, cand, reading)
        if best is None or details.score > best.score:
            best = details
    return best if best is not None else MatchDetails(0.0, "unreadable", {})


def score_details(track: Mapping[str, Any], candidate: Mapping[str, Any]) -> MatchDetails:
    """Score with an explanation; never raises on odd input."""
    try:
        if not _is_mapping(track) or not _is_mapping(candidate):
            return MatchDetails(0.0, "unreadable", {})
        return details_from_features(track_features(track), candidate_features(candidate))
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError):
        return MatchDetails(0.0, "unreadable", {})


def score(track: Mapping[str, Any], candidate: Mapping[str, Any]) -> float:
    """Confidence 0.0 .. 1.0 that the candidate is the track's recording."""
    return score_details(track, candidate).score


def best_match(
    track: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    threshold: float | None = None,
) -> tuple[int, float] | None:
    """Index and score of the best candidate at or above the threshold."""
    limit = DEFAULT_CONFIDENCE_THRESHOLD if threshold is None else threshold
    try:
        features = track_features(track) if isinstance(track, Mapping) else None
    except (TypeError, ValueError, AttributeError):
        features = None
    if features is None or not isinstance(candidates, Sequence):
        return None
    best: tuple[int, float] | None = None
    for index, candidate in enumerate(candidates):
        if not _is_mapping(candidate):
            continue
        try:
            value = details_from_features(features, candidate_features(candidate)).score
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            continue
        if value >= limit and (best is None or value > best[1]):
            best = (index, value)
    return best


class LibraryIndex:
    """Blocking index over a library: ISRC map and title keys, so a diff never compares all pairs."""

    def __init__(self, library: Sequence[Mapping[str, Any]]) -> None:
        self._library = library
        self._features: dict[int, CandidateFeatures | None] = {}
        self._keys: list[str] = []
        self._by_isrc: dict[str, list[int]] = defaultdict(list)
        self._by_title: dict[str, list[int]] = defaultdict(list)
        self._by_token: dict[str, list[int]] = defaultdict(list)
        # Durations and ISRCs by position make the duration gate a list lookup.
        self._durations: list[float | None] = []
        self._isrcs: list[str] = []
        by_isrc, by_title, by_token, keys = (
            self._by_isrc,
            self._by_title,
            self._by_token,
            self._keys,
        )
        durations, isrcs = self._durations, self._isrcs
        items: Sequence[object] = library  # entries are checked at run time, whatever the hints
        for index, item in enumerate(items):  # the hot loop of a whole-library diff
            if not isinstance(item, Mapping):
                keys.append("")
                durations.append(None)
                isrcs.append("")
                continue
            duration_ms = item.get("duration_ms")
            durations.append(
                duration_ms / 1000
                if isinstance(duration_ms, int | float)
                and not isinstance(duration_ms, bool)
                and duration_ms > 0
                else None
            )
            isrc = item.get("isrc")
            if isrc and isinstance(isrc, str):
                isrc = isrc.upper().replace("-", "")
                by_isrc[isrc].append(index)
                isrcs.append(isrc)
            else:
                isrcs.append("")
            title = item.get("title")
            key = _title_key(title) if isinstance(title, str) else ""
            keys.append(key)
            if key:
                by_title[key].append(index)
                for token in key.split():
                    by_token[token].append(index)

    def _candidate(self, index: int) -> CandidateFeatures | None:
        if index not in self._features:
            item = self._library[index]
            self._features[index] = library_features(item) if _is_mapping(item) else None
        return self._features[index]

    def _duration_gated(self, duration_s: float | None, isrc: str | None, index: int) -> bool:
        """The duration gate, checked on raw fields before any parsing (same rule as scoring)."""
        item_s = self._durations[index]
        if duration_s is None or item_s is None or abs(duration_s - item_s) <= DURATION_GATE_S:
            return False
        return not (isrc and self._isrcs[index] == isrc)

    def candidates(self, track: Mapping[str, Any]) -> list[int]:
        """Library positions worth scoring for this track (a handful, never the whole library)."""
        return self._positions(_title_key(_str(track.get("name"))), _raw_isrc(track))

    def _positions(self, key: str, isrc: str | None) -> list[int]:
        found: dict[int, None] = {}
        for index in self._by_isrc.get(isrc, []) if isrc else []:
            found[index] = None
        for index in self._by_title.get(key, []):
            found[index] = None
        if not found and key:
            # Near titles need most words in common (see title_similarity): intersect the two
            # rarest word lists, then keep keys that could pass the title gate.
            tokens = set(key.split())
            postings = sorted((self._by_token.get(token, []) for token in tokens), key=len)
            pool = set(postings[0])
            if len(postings) > 1:
                pool.intersection_update(postings[1])
            for index in pool:
                if title_similarity(key, self._keys[index]) >= TITLE_GATE:
                    found[index] = None
        return list(found)

    def match(
        self, track: Mapping[str, Any], threshold: float | None = None
    ) -> tuple[int, float] | None:
        """Best library position and score for the track, or None."""
        limit = DEFAULT_CONFIDENCE_THRESHOLD if threshold is None else threshold
        if not _is_mapping(track):
            return None
        try:
            duration_s, isrc = _raw_duration_s(track), _raw_isrc(track)
            positions = [
                index
                for index in self._positions(_title_key(_str(track.get("name"))), isrc)
                if not self._duration_gated(duration_s, isrc, index)
            ]
            if not positions:
                return None
            features = track_features(track)
            if len(positions) > CROWDED_TITLE:
                # A common title ("Intro"): score only items by the same artist.
                positions = [
                    index
                    for index in positions
                    if artist_units(_str(self._library[index].get("artist")))
                    & features.primary_units
                ]
            best: tuple[int, float] | None = None
            for index in positions:
                value = details_from_features(features, self._candidate(index)).score
                if value >= limit and (best is None or value > best[1]):
                    best = (index, value)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            return None
        return best


_KEY_STRIP = re.compile(
    r"[\(\[\{](?!\s*(?:part|pt|vol|volume|chapter|no|book|act)\b\.?\s*[\divx]+\s*[\)\]\}])"
    r"[^\)\]\}]*[\)\]\}]|\s+[-\u2013\u2014]\s+.*$|\s+(?:feat\.?|ft\.?|featuring)\s+.*$",
    re.IGNORECASE,
)


_KEY_HINT = re.compile("[\\(\\[\\{\\-\u2013\u2014]| [fF]")


@lru_cache(maxsize=262144)
def _title_key(title: str) -> str:
    """Blocking key: the folded title without version descriptors, features or article."""
    if _KEY_HINT.search(title):
        title = _KEY_STRIP.sub(" ", title)
    return drop_article(fold(title))


def clear_caches() -> None:
    """Forget memoised text features: benchmarks time cold runs, long-lived callers free memory."""
    for cached in (_title_key, artist_units, fold, parse_title, album_versions, classify):
        cached.cache_clear()
