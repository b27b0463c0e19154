"""What to ask Soulseek for a wanted track, cheapest and most precise query first.

Soulseek matches every word of a query against the whole path, so fewer, sharper words find
more: brackets ("(feat. X)", "(2011 Remaster)") and punctuation are dropped. The ladder stops
at the first query whose results hold the recording; the title-only rung is the loosest and
is only trusted when the file's path names the artist.

The title rung exists for artists whose name the network spells differently from Spotify. Once a
query with the artist's words has returned a file whose path names the artist, the network is
known to spell it our way, and every file the title rung could accept (it must name the artist)
holds all the words of the artist + title query already searched: the rung would spend a search
on results already seen, so it is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import re
from typing import Any

from .normalize import fold

_BRACKETS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]")
_DASH_SUFFIX = re.compile(r"\s+[-\u2013\u2014]\s+.*$")
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.?|featuring|with)\s+.*$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"[^\w\s]+", re.UNICODE)
# Soulseek servers drop queries whose words are all this short; one-letter words are noise.
_MIN_WORD = 2


@dataclass(frozen=True)
class Query:
    """One rung of the ladder."""

    text: str
    rung: str  # artist_title, plain, artist_album, title
    strict_artist: bool = False  # only files whose path names the artist count


def bare_title(title: str) -> str:
    """The title without "(feat. …)", "[Live]", "- 2011 Remaster"."""
    stripped = _FEATURING.sub("", _DASH_SUFFIX.sub("", _BRACKETS.sub("", title))).strip()
    return stripped or title.strip()


def plain(text: str) -> str:
    """Without diacritics or punctuation, lower case (what many shares' names look like)."""
    words = _PUNCTUATION.sub(" ", fold(text)).split()
    return " ".join(word for word in words if len(word) >= _MIN_WORD or word.isdigit())


def first_artist(track: Mapping[str, Any]) -> str:
    """The main credited artist."""
    artists = track.get("artists")
    if isinstance(artists, list) and artists and isinstance(artists[0], Mapping):
        return str(artists[0].get("name") or "")
    return ""


def album_name(track: Mapping[str, Any]) -> str:
    """The track's album title."""
    album = track.get("album")
    return str(album.get("name") or "") if isinstance(album, Mapping) else ""


def album_query(track: Mapping[str, Any]) -> Query | None:
    """One search for an album of which several tracks are wanted."""
    artist, album = first_artist(track), bare_title(album_name(track))
    if not artist or not album:
        return None
    return Query(f"{artist} {album}", "artist_album")


def ladder(track: Mapping[str, Any]) -> list[Query]:
    """The queries for one track, in order, without repeats."""
    artist = first_artist(track)
    title = bare_title(str(track.get("name") or ""))
    rungs: list[Query] = []
    if artist and title:
        rungs.append(Query(f"{artist} {title}", "artist_title"))
        rungs.append(Query(f"{plain(artist)} {plain(title)}", "plain"))
    if (album := album_query(track)) is not None:
        rungs.append(album)
    if title:
        rungs.append(Query(title, "title", strict_artist=bool(artist)))
    seen: set[str] = set()
    unique: list[Query] = []
    for query in rungs:
        key = " ".join(query.text.casefold().split())
        if key and key not in seen:
            seen.add(key)
            unique.append(query)
    return unique


def path_names_artist(filename: str, artist: str) -> bool:
    """Whether a remote path mentions the artist (for the title-only rung)."""
    return any_names_artist((filename,), artist)


def any_names_artist(filenames: Iterable[str], artist: str) -> bool:
    """Whether any of the remote paths mentions the artist."""
    wanted = plain(artist)
    return bool(wanted) and any(
        wanted in plain(name.replace("\\", " ").replace("_", " ")) for name in filenames
    )
