"""What the matcher reads from a Spotify track object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
import re
from typing import Any

from .artists import artist_units
from .fields import duration_seconds, is_mapping, text, track_isrc, years
from .normalize import drop_article, fold, is_non_latin, japanese_reading
from .similarity import title_similarity
from .thresholds import TITLE_GATE
from .versions import ParsedTitle, album_versions, parse_title

# A bare year as the title's last descriptor: "Leave (Get Out) - 2018", "Song (2018)".
_YEAR_SUFFIX = re.compile("(?:\\s[-\u2013\u2014]\\s*|[\\(\\[])((?:19|20)\\d{2})[\\)\\]]?\\s*$")


# 'Happy - From "Despicable Me 2"', '(From the Motion Picture "Top Gun")', '(From Frozen)'.
_FROM_QUOTED = re.compile(
    '\\bfrom\\b[^"\u201c\u201d]*["\u201c\u201d]([^"\u201c\u201d]+)["\u201c\u201d]', re.I
)
_FROM_PLAIN = re.compile(
    r"[\(\[-]\s*from (?:the )?(?:original )?(?:motion picture |film |movie |series |musical )?"
    r"(?:soundtrack )?([^\)\]]+?)\s*(?:soundtrack)?\s*[\)\]]?$",
    re.I,
)


def _source(name: str) -> str:
    """The film, show or album a title says it is from, folded, or ''."""
    if "from" not in name.lower():
        return ""
    found = _FROM_QUOTED.search(name) or _FROM_PLAIN.search(name)
    return parse_title(found.group(1)).base if found else ""


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
    # Which edition the title says it is, by repeating its album's name or year ("Summer of '69
    # (Classic)" on "Classic", "Leave (Get Out) - 2018" on "JoJo (2018)"): a re-recording.
    edition_name: str = ""
    edition_year: str = ""
    source: str = ""  # the film or show the title says it is from, folded

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
    def credit_compacts(self) -> tuple[str, ...]:
        """Every credited artist's whole name, compact ("johannsebastianbach")."""
        return tuple(
            compact
            for artist in (*self.names, *self.title.featured)
            if (compact := drop_article(fold(artist)).replace(" ", ""))
        )

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
    title = parse_title(name)
    edition_name = ""
    for alias in title.aliases:  # usually none
        if title_similarity(alias, album_title.base) >= TITLE_GATE:
            edition_name = alias
            break
    year = _YEAR_SUFFIX.search(name)
    edition_year = (
        year.group(1)
        if year and not album_title.remaster and year.group(1) in years((album,))
        else ""
    )
    return TrackFeatures(
        title=title,
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
        edition_name=edition_name,
        edition_year=edition_year,
        source=_source(name),
    )
