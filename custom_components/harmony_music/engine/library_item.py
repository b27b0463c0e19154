"""What the matcher reads from a library item ({kind: library, title, artist, album, ...})."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .artists import artist_units, co_billed, credit_guests
from .fields import duration_seconds, normal_isrc, text
from .normalize import drop_article, fold, is_non_latin
from .readings import CandidateFeatures, Reading
from .versions import album_versions, parse_title


def library_candidate(
    title: str, artist: str, album: str, duration_ms: int | None, isrc: str | None
) -> dict[str, Any]:
    """A library item in the shape the matcher reads (the contract's library candidate)."""
    return {
        "kind": "library",
        "title": title,
        "artist": artist,
        "album": album,
        "duration_ms": duration_ms,
        "isrc": isrc,
    }


def library_features(candidate: Mapping[str, Any]) -> CandidateFeatures:
    """Features of a library item."""
    album = text(candidate.get("album"))
    album_title = parse_title(album)
    artist = text(candidate.get("artist"))
    reading = Reading(
        title=parse_title(text(candidate.get("title"))),
        artist_units=artist_units(artist),
        context_tokens=(),
        album=album_title.base,
        album_versions=album_versions(album),
        artist_words=drop_article(fold(artist)),
        artist_non_latin=is_non_latin(artist),
        album_remaster=album_title.remaster,
        credited=co_billed(artist),
        guests=credit_guests(artist),
        edition_text=(album,),
    )
    return CandidateFeatures(
        (reading,),
        duration_seconds(candidate.get("duration_ms"), milliseconds=True),
        normal_isrc(candidate.get("isrc")),
    )
