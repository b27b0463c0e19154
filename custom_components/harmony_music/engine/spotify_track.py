"""What the matcher reads from a Spotify track object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .artists import artist_units
from .fields import duration_seconds, is_mapping, text, track_isrc
from .normalize import drop_article, fold, is_non_latin, japanese_reading
from .versions import ParsedTitle, album_versions, parse_title


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
    non_latin_title: bool = False
    name: str = ""  # the title as Spotify wrote it
    album_remaster: bool = False

    @cached_property
    def reading_forms(self) -> tuple[str, ...]:
        """Romanisations of a non-Latin title: unidecode's, and the Japanese reading."""
        if not self.non_latin_title:
            return ()
        japanese = japanese_reading(self.name)
        forms = [self.title.base]
        if japanese:
            forms.append(parse_title(japanese).base)
        return tuple(forms)

    @cached_property
    def primary_words(self) -> str:
        """The primary artist folded, without article."""
        return drop_article(fold(self.primary))

    @cached_property
    def secondary_units(self) -> frozenset[str]:
        """The other artists Spotify credits (a duet partner, the performer of a classical work)."""
        units: set[str] = set()
        for artist in self.names[1:]:
            units |= artist_units(artist)
        return frozenset(units - self.primary_units)

    @cached_property
    def secondary_tokens(self) -> tuple[tuple[str, ...], ...]:
        """The other credited artists' words, to find them in folder names."""
        return tuple(
            words for name in self.names[1:] if (words := tuple(drop_article(fold(name)).split()))
        )

    @cached_property
    def primary_tokens(self) -> tuple[str, ...]:
        """The primary artist's words, to find it in folder names."""
        return tuple(self.primary_words.split())

    @cached_property
    def non_latin_artist(self) -> bool:
        """Whether the primary artist is written in a script transliteration may not bridge."""
        return is_non_latin(self.primary)

    @cached_property
    def title_forms(self) -> tuple[str, ...]:
        """The title, its other names (subtitle, translation) and both run together."""
        base, aliases = self.title.base, self.title.aliases
        return (base, *aliases, *(f"{base} {alias}" for alias in aliases))

    @cached_property
    def all_units(self) -> frozenset[str]:
        """Every credited artist, featured ones from the title included."""
        units: set[str] = set()
        for artist in (*self.names, *self.title.featured):
            units |= artist_units(artist)
        return frozenset(units)


def artist_names(track: Mapping[str, Any]) -> tuple[str, ...]:
    """The names in ``artists``, primary first (entries without a name are skipped)."""
    artists_raw = track.get("artists")
    if not isinstance(artists_raw, list):
        return ()
    return tuple(n for a in artists_raw if is_mapping(a) if (n := text(a.get("name"))))


def track_features(track: Mapping[str, Any]) -> TrackFeatures:
    """Features of a Spotify track object (missing or odd fields are tolerated)."""
    names = artist_names(track)
    primary = names[0] if names else ""
    album_raw = track.get("album")
    album = text(album_raw.get("name")) if is_mapping(album_raw) else text(album_raw)
    name = text(track.get("name"))
    album_title = parse_title(album)
    return TrackFeatures(
        title=parse_title(name),
        primary=primary,
        names=names,
        primary_units=artist_units(primary),
        album=album_title.base,
        album_versions=album_versions(album),
        duration_s=duration_seconds(track.get("duration_ms"), milliseconds=True),
        isrc=track_isrc(track),
        non_latin_title=is_non_latin(name),
        name=name,
        album_remaster=album_title.remaster,
    )
