"""Plain data the Plex client returns, so callers never touch plexapi objects on the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import re
from typing import Any
from xml.etree.ElementTree import Element

from ..engine.library_item import library_candidate

_ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")


@dataclass(frozen=True, slots=True)
class PlexIdentity:
    """Who the server is."""

    machine_identifier: str
    friendly_name: str
    version: str


@dataclass(frozen=True, slots=True)
class PlexSection:
    """A music library section (Plex type "artist")."""

    key: str
    title: str
    uuid: str | None = None
    locations: tuple[str, ...] = ()
    refreshing: bool = False


@dataclass(frozen=True, slots=True)
class PlexLibraryStats:
    """What a music section holds and when it last changed, as Plex reports it.

    ``content_changed_at`` is Plex's ``contentChangedAt``: a change sequence number that grows
    whenever the section's content changes (not a time), so an unchanged value means nothing
    was added, changed or removed. ``duration_ms`` and ``size_bytes`` are None when the server
    does not report totals (``/media/providers?includeStorage=1``).
    """

    artists: int
    albums: int
    tracks: int
    duration_ms: int | None = None
    size_bytes: int | None = None
    updated_at: datetime | None = None
    scanned_at: datetime | None = None
    content_changed_at: int | None = None
    refreshing: bool = False


@dataclass(frozen=True, slots=True)
class PlexTrack:
    """One track of a music section as the matching engine needs it."""

    rating_key: str
    title: str
    artist: str
    album: str
    album_artist: str
    duration_ms: int | None
    file_paths: tuple[str, ...]
    added_at: datetime | None
    updated_at: datetime | None
    guids: tuple[str, ...]
    isrc: str | None
    year: int | None = None
    track_no: int | None = None
    disc_no: int | None = None
    # Bytes of each file in ``file_paths`` (None where Plex gave no size).
    file_sizes: tuple[int | None, ...] = ()

    @property
    def file_path(self) -> str | None:
        """The first file of the track (Plex may hold several versions)."""
        return self.file_paths[0] if self.file_paths else None

    @property
    def size_bytes(self) -> int | None:
        """Bytes of all its files, or None when Plex gave no size."""
        sizes = [size for size in self.file_sizes if size is not None]
        return sum(sizes) if sizes else None

    def as_candidate(self) -> dict[str, Any]:
        """The library candidate shape of the matching engine."""
        return library_candidate(self.title, self.artist, self.album, self.duration_ms, self.isrc)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _same(value: str, _: str) -> str:
    return value


def plex_time(value: str | None) -> datetime | None:
    """A Plex time attribute (Unix seconds) as an aware UTC datetime."""
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def isrc_from_guids(guids: tuple[str, ...]) -> str | None:
    """An ISRC carried by a guid (``isrc://CODE``); Plex's own agents do not add one."""
    for guid in guids:
        scheme, _, value = guid.partition("://")
        if scheme.lower() == "isrc" and _ISRC_RE.match(value.strip().upper()):
            return value.strip().upper()
    return None


def track_from_xml(elem: Element, strings: dict[str, str] | None = None) -> PlexTrack:
    """Build a track from a ``<Track>`` element of a Plex listing.

    Reading the XML directly is an order of magnitude cheaper than building plexapi objects
    and never triggers plexapi's per-item reloads of missing attributes. With ``strings``
    (one dict per listing), artist and album names are shared between tracks: a 100,000-track
    snapshot repeats each album name about ten times.
    """
    attrs = elem.attrib
    share = strings.setdefault if strings is not None else _same
    album_artist = share(attrs.get("grandparentTitle", ""), attrs.get("grandparentTitle", ""))
    artist = attrs.get("originalTitle") or album_artist
    album = attrs.get("parentTitle", "")
    guids = tuple(g.attrib["id"] for g in elem.iter("Guid") if g.attrib.get("id"))
    added_raw, updated_raw = attrs.get("addedAt"), attrs.get("updatedAt")
    added_at = plex_time(added_raw)
    parts = [
        part.attrib
        for media in elem.iter("Media")
        for part in media.iter("Part")
        if part.attrib.get("file")
    ]
    return PlexTrack(
        rating_key=attrs.get("ratingKey", ""),
        title=attrs.get("title", ""),
        # originalTitle is the track artist when it differs from the album artist.
        artist=share(artist, artist),
        album=share(album, album),
        album_artist=album_artist,
        duration_ms=_int(attrs.get("duration")),
        file_paths=tuple(part["file"] for part in parts),
        file_sizes=tuple(_int(part.get("size")) for part in parts),
        added_at=added_at,
        # Usually the same second: one datetime object then (48 bytes a track in a snapshot).
        updated_at=added_at if updated_raw == added_raw else plex_time(updated_raw),
        guids=guids,
        isrc=isrc_from_guids(guids),
        year=_int(attrs.get("parentYear") or attrs.get("year")),
        track_no=_int(attrs.get("index")),
        disc_no=_int(attrs.get("parentIndex")),
    )
