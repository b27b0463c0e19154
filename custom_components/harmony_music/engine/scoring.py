"""The decision: hard gates in order, then a weighted score of the parts both sides know.

``score``, ``score_details`` and ``best_match`` are the contract's entry points (re-exported by
``matching``); they never raise on odd input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .albums import generic_album
from .details import MatchDetails
from .fields import ODD_INPUT, is_mapping
from .gates import (
    album_named,
    artist_part,
    band_vouched,
    duration_part,
    edition_shown,
    extra_guest,
    missing_guest,
    other_take,
    subtitles_conflict,
    title_part,
    versions_compatible,
)
from .library_item import library_features
from .readings import CandidateFeatures, Reading
from .similarity import title_similarity
from .soulseek_path import soulseek_features
from .spotify_track import TrackFeatures, track_features
from .thresholds import (
    ALBUM_VOUCHED_ARTIST,
    DEFAULT_CONFIDENCE_THRESHOLD,
    NAMED_BAND,
    NO_ARTIST,
    SECONDARY_ARTIST,
    SHORT_TITLE,
    TITLE_GATE,
    UNTITLED_VOUCHED,
    WEIGHTS,
)


def candidate_features(candidate: Mapping[str, Any]) -> CandidateFeatures | None:
    """Features of either kind of candidate, or None for something we cannot read."""
    kind = candidate.get("kind")
    if kind == "library":
        return library_features(candidate)
    if kind == "soulseek" or (kind is None and "filename" in candidate):
        return soulseek_features(candidate)
    return None


def score_reading(track: TrackFeatures, cand: CandidateFeatures, reading: Reading) -> MatchDetails:
    """One reading of a candidate: the first gate that fails rejects it, else the weighted score."""
    # A live track matches a plain title on a live album and vice versa: compare classes.
    parts: dict[str, float] = {}
    if not versions_compatible(track, cand, reading):
        return MatchDetails(0.0, "version", {"version": 0.0})
    if not edition_shown(track, reading):
        return MatchDetails(0.0, "edition", {"version": 0.0})
    parts["version"] = 1.0

    title = title_part(track, reading)
    if reading.untitled and title < TITLE_GATE:
        return _untitled(track, cand, reading)
    parts["title"] = title
    if title < TITLE_GATE:
        return MatchDetails(0.0, "title", parts)
    if subtitles_conflict(track, reading):
        return MatchDetails(0.0, "subtitle", parts)
    if extra_guest(track, reading) or missing_guest(track, reading):
        return MatchDetails(0.0, "guest", parts)

    artist = artist_part(track, reading)
    if artist is not None:
        parts["artist"] = artist
        if artist == 0.0:
            return MatchDetails(0.0, "artist", parts)
        if artist == NAMED_BAND and not band_vouched(track, reading):
            return MatchDetails(0.0, "band", parts)
    if title == SHORT_TITLE and artist != 1.0:
        return MatchDetails(0.0, "evidence", parts)

    duration = duration_part(track, cand)
    if duration is not None:
        parts["duration"] = duration
        if duration == 0.0:
            return MatchDetails(0.0, "duration", parts)
        if other_take(track, reading, duration):
            return MatchDetails(0.0, "take", parts)
    if (artist is None or artist == SECONDARY_ARTIST or title < 1.0) and duration != 1.0:
        # A transliterated title, another credited artist or a near title: only with the
        # same length is it the same recording.
        return MatchDetails(0.0, "evidence", parts)

    if track.album and reading.album:
        album = album_named(track, reading)
        parts["album"] = 1.0 if album else 0.5
        if artist == NO_ARTIST and album and duration == 1.0 and not generic_album(album):
            # No artist in the path, but the album folder and the length agree.
            parts["artist"] = ALBUM_VOUCHED_ARTIST

    weighted = sum(WEIGHTS[k] * v for k, v in parts.items() if k in WEIGHTS)
    total = sum(WEIGHTS[k] for k in parts if k in WEIGHTS)
    score = weighted / total if total else 0.0
    if duration is not None and duration < 1.0:
        # Lengths a few seconds apart are doubt about the whole match, not one part of it.
        score *= 0.85 + 0.15 * duration
    if track.isrc and cand.isrc and track.isrc != cand.isrc:
        # A remaster gets a new ISRC: then a conflict only lowers the score.
        parts["isrc"] = 0.0
        if not (
            track.title.remaster
            or reading.title.remaster
            or track.album_remaster
            or reading.album_remaster
        ):
            return MatchDetails(0.0, "isrc", parts)
        score *= 0.9
    return MatchDetails(max(0.0, min(1.0, score)), None, parts)


def _untitled(track: TrackFeatures, cand: CandidateFeatures, reading: Reading) -> MatchDetails:
    """A file named only by its track number ("Track03.flac") is the track when its folders
    name the artist and the album (not a generic one) and its length is the track's."""
    parts: dict[str, float] = {"version": 1.0, "title": UNTITLED_VOUCHED}
    artist = artist_part(track, reading)
    parts["artist"] = artist or 0.0
    if artist != 1.0:
        return MatchDetails(0.0, "evidence", parts)
    same_album = bool(track.album and reading.album) and (
        title_similarity(track.album, reading.album) >= TITLE_GATE
    )
    parts["album"] = 1.0 if same_album else 0.0
    if not same_album or generic_album(track.album):
        return MatchDetails(0.0, "evidence", parts)
    duration = duration_part(track, cand)
    parts["duration"] = duration or 0.0
    if duration != 1.0:
        return MatchDetails(0.0, "duration" if duration == 0.0 else "evidence", parts)
    weighted = sum(WEIGHTS[k] * v for k, v in parts.items() if k in WEIGHTS)
    return MatchDetails(weighted / sum(WEIGHTS[k] for k in parts if k in WEIGHTS), None, parts)


def details_from_features(track: TrackFeatures, cand: CandidateFeatures | None) -> MatchDetails:
    """Decide with precomputed features."""
    if cand is None:
        return MatchDetails(0.0, "unreadable", {})
    if track.isrc and cand.isrc and track.isrc == cand.isrc:
        return MatchDetails(0.99, None, {"isrc": 1.0})
    best: MatchDetails | None = None
    for reading in cand.readings:
        details = score_reading(track, cand, reading)
        if best is None or details.score > best.score:
            best = details
    return best if best is not None else MatchDetails(0.0, "unreadable", {})


def score_details(track: Mapping[str, Any], candidate: Mapping[str, Any]) -> MatchDetails:
    """Score with an explanation; never raises on odd input."""
    try:
        if not is_mapping(track) or not is_mapping(candidate):
            return MatchDetails(0.0, "unreadable", {})
        return details_from_features(track_features(track), candidate_features(candidate))
    except ODD_INPUT:
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
    except ODD_INPUT:
        features = None
    if features is None or not isinstance(candidates, Sequence):
        return None
    best: tuple[int, float] | None = None
    for index, candidate in enumerate(candidates):
        if not is_mapping(candidate):
            continue
        try:
            value = details_from_features(features, candidate_features(candidate)).score
        except ODD_INPUT:
            continue
        if value >= limit and (best is None or value > best[1]):
            best = (index, value)
    return best
