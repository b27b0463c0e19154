"""Typed views of the Spotify Web API objects Harmony Music reads.

Each model keeps ``raw``, the object exactly as Spotify sent it: the matching engine consumes the
raw track shape (name, artists[].name, album.name, duration_ms, external_ids.isrc).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ResponseError

JsonObject = dict[str, Any]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _obj(value: Any) -> JsonObject:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class SpotifyUser:
    """The account the token belongs to."""

    id: str
    display_name: str
    raw: JsonObject = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: Any) -> SpotifyUser:
        """Parse a user object; a profile without an id is not one we can use."""
        user_id = _str(_obj(data).get("id"))
        if user_id is None:
            raise ResponseError("Spotify sent a user profile without an id")
        return cls(user_id, _str(data.get("display_name")) or user_id, data)


@dataclass(frozen=True, slots=True)
class SpotifyArtist:
    """An artist credited on a track."""

    id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class SpotifyAlbum:
    """The album a track appears on."""

    id: str | None
    name: str
    release_date: str | None


@dataclass(frozen=True, slots=True)
class SpotifyTrack:
    """A track object (only playable catalogue tracks leave the client)."""

    id: str | None
    name: str
    artists: tuple[SpotifyArtist, ...]
    album: SpotifyAlbum
    duration_ms: int
    isrc: str | None
    uri: str | None
    is_local: bool
    is_playable: bool | None  # None when Spotify was not asked about a market
    raw: JsonObject = field(default_factory=dict, compare=False, repr=False)

    @property
    def artist_names(self) -> tuple[str, ...]:
        """The credited artists' names, main artist first."""
        return tuple(artist.name for artist in self.artists)

    @property
    def usable(self) -> bool:
        """A catalogue track the user can play: not a local file, not unavailable."""
        return self.id is not None and not self.is_local and self.is_playable is not False

    @classmethod
    def from_api(cls, data: JsonObject) -> SpotifyTrack:
        """Parse a (full) track object."""
        album = _obj(data.get("album"))
        duration = data.get("duration_ms")
        playable = data.get("is_playable")
        return cls(
            id=_str(data.get("id")),
            name=_str(data.get("name")) or "",
            artists=tuple(
                SpotifyArtist(_str(a.get("id")), _str(a.get("name")) or "")
                for a in data.get("artists") or []
                if isinstance(a, dict)
            ),
            album=SpotifyAlbum(
                _str(album.get("id")),
                _str(album.get("name")) or "",
                _str(album.get("release_date")),
            ),
            duration_ms=duration if isinstance(duration, int) else 0,
            isrc=_str(_obj(data.get("external_ids")).get("isrc")),
            uri=_str(data.get("uri")),
            is_local=data.get("is_local") is True,
            is_playable=playable if isinstance(playable, bool) else None,
            raw=data,
        )


def added_at(entry: JsonObject) -> str | None:
    """When a track was added to a playlist or saved (ISO 8601; null for very old playlists)."""
    return _str(entry.get("added_at"))


def playable_track(entry: JsonObject) -> SpotifyTrack | None:
    """The usable track of a playlist or saved-track entry, or None.

    None for removed tracks (null), episodes (as episode objects, or in the legacy track-shaped
    form with ``episode: true``), local files and tracks unavailable in the user's market.
    Spotify's 2026 API names the entry's object ``item``; older responses call it ``track``.
    """
    data = entry.get("item") if isinstance(entry.get("item"), dict) else entry.get("track")
    if not isinstance(data, dict) or data.get("type", "track") != "track":
        return None
    if data.get("episode") is True or entry.get("is_local") is True:
        return None
    track = SpotifyTrack.from_api(data)
    return track if track.usable else None


@dataclass(frozen=True, slots=True)
class SpotifyPlaylistItem:
    """A track in a playlist, with when it was added."""

    added_at: str | None
    track: SpotifyTrack
    raw: JsonObject = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SpotifySavedTrack:
    """A track in the user's library ("Liked Songs"), with when it was saved."""

    added_at: str | None
    track: SpotifyTrack
    raw: JsonObject = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SpotifyPlaylist:
    """A playlist the user owns or follows (a simplified playlist object)."""

    id: str
    name: str
    owner_id: str
    owner_name: str
    snapshot_id: str
    total: int  # number of items, as the playlist listing reports it
    collaborative: bool
    public: bool | None
    raw: JsonObject = field(default_factory=dict, compare=False, repr=False)

    def owned_by(self, user_id: str) -> bool:
        """Whether ``user_id`` owns this playlist."""
        return self.owner_id == user_id

    @classmethod
    def from_api(cls, data: JsonObject) -> SpotifyPlaylist:
        """Parse a simplified playlist object (``items`` since 2026, ``tracks`` before)."""
        playlist_id = _str(data.get("id"))
        if playlist_id is None:
            raise ResponseError("Spotify sent a playlist without an id")
        owner = _obj(data.get("owner"))
        owner_id = _str(owner.get("id")) or ""
        counts = _obj(data.get("items")) or _obj(data.get("tracks"))
        total = counts.get("total")
        public = data.get("public")
        return cls(
            id=playlist_id,
            name=_str(data.get("name")) or "",
            owner_id=owner_id,
            owner_name=_str(owner.get("display_name")) or owner_id,
            snapshot_id=_str(data.get("snapshot_id")) or "",
            total=total if isinstance(total, int) else 0,
            collaborative=data.get("collaborative") is True,
            public=public if isinstance(public, bool) else None,
            raw=data,
        )
