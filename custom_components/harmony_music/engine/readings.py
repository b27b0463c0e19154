"""What the matcher reads from a candidate: one or more readings, and its hard facts."""

from __future__ import annotations

from dataclasses import dataclass

from .versions import ParsedTitle


@dataclass(frozen=True)
class Reading:
    """One way to read a candidate: title, credited artists, album, folder context."""

    title: ParsedTitle
    artist_units: frozenset[str]
    context_tokens: tuple[str, ...]
    album: str
    album_versions: frozenset[str]
    artist_words: str = ""  # the credit folded, without article
    artist_non_latin: bool = False
    folder_names: frozenset[str] = frozenset()  # compact names of the parent folders
    album_remaster: bool = False
    # The album or folder names as written, for the years they give ("JoJo (2004)"): read only
    # when a track names its edition's year, so kept raw.
    edition_text: tuple[str, ...] = ()
    untitled: bool = False  # named by a number only ("Track03.flac"), unless that is the title
    credited: frozenset[str] = frozenset()  # artists billed side by side (artists.co_billed)
    guests: frozenset[str] = frozenset()  # guests the credit names after "feat." (credit_guests)


@dataclass(frozen=True)
class CandidateFeatures:
    """Readings of a candidate (Soulseek names can be read several ways) and its hard facts."""

    readings: tuple[Reading, ...]
    duration_s: float | None
    isrc: str | None
