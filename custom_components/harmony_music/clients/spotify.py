"""Spotify Web API client over an access-token provider (Home Assistant's OAuth2Session)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .errors import NotFoundError
from .http import RetryPolicy, request_json

TokenProvider = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class SpotifyUser:
    """The account the token belongs to."""

    id: str
    display_name: str


@dataclass(frozen=True)
class SpotifyPlaylist:
    """A playlist the user owns or follows."""

    id: str
    name: str
    owner_id: str
    snapshot_id: str
    total: int


@dataclass(frozen=True)
class SpotifyTrack:
    """A playable track; ``raw`` is the Web API object the matching engine reads."""

    id: str
    name: str
    artists: tuple[str, ...]
    album: str
    duration_ms: int
    isrc: str | None
    added_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


def _track(item: dict[str, Any]) -> SpotifyTrack | None:
    """A usable track from a playlist/saved item, or None for local files, episodes, gaps."""
    track = item.get("track")
    if not isinstance(track, dict) or track.get("type", "track") != "track":
        return None
    if track.get("is_local") or not track.get("id") or track.get("is_playable") is False:
        return None
    return SpotifyTrack(
        id=track["id"],
        name=track.get("name", ""),
        artists=tuple(a.get("name", "") for a in track.get("artists", [])),
        album=(track.get("album") or {}).get("name", ""),
        duration_ms=int(track.get("duration_ms") or 0),
        isrc=(track.get("external_ids") or {}).get("isrc"),
        added_at=item.get("added_at"),
        raw=track,
    )


class SpotifyClient:
    """The parts of the Web API Harmony Music reads."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token_provider: TokenProvider,
        *,
        base_url: str = "https://api.spotify.com/v1",
        policy: RetryPolicy | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._session = session
        self._token = token_provider
        self._base = base_url.rstrip("/")
        self._policy = policy or RetryPolicy()
        self._timeout = timeout

    async def _get(self, url: str, params: dict[str, str] | None = None) -> Any:
        full = url if url.startswith("http") else f"{self._base}{url}"
        headers = {"Authorization": f"Bearer {await self._token()}"}
        return await request_json(
            self._session,
            "GET",
            full,
            headers=headers,
            params=params,
            timeout=self._timeout,
            policy=self._policy,
            service="Spotify",
        )

    async def _pages(self, url: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        page = await self._get(url, params)
        while True:
            for item in page.get("items") or []:
                if isinstance(item, dict):
                    yield item
            next_url = page.get("next")
            if not next_url:
                return
            page = await self._get(next_url)

    async def current_user(self) -> SpotifyUser:
        """The token's user."""
        data = await self._get("/me")
        return SpotifyUser(id=data["id"], display_name=data.get("display_name") or data["id"])

    async def playlists(self) -> list[SpotifyPlaylist]:
        """Every playlist of the user, owned and followed."""
        return [
            SpotifyPlaylist(
                id=item["id"],
                name=item.get("name", ""),
                owner_id=(item.get("owner") or {}).get("id", ""),
                snapshot_id=item.get("snapshot_id", ""),
                total=int(((item.get("tracks") or item.get("items") or {}).get("total")) or 0),
            )
            async for item in self._pages("/me/playlists", {"limit": "50"})
        ]

    async def playlist_tracks(self, playlist_id: str) -> list[SpotifyTrack]:
        """A playlist's playable tracks (``/items``, falling back to ``/tracks`` on 404)."""
        params = {"limit": "100", "market": "from_token"}
        try:
            items = [item async for item in self._pages(f"/playlists/{playlist_id}/items", params)]
        except NotFoundError:
            items = [item async for item in self._pages(f"/playlists/{playlist_id}/tracks", params)]
        return [track for item in items if (track := _track(item)) is not None]

    async def saved_tracks(self) -> list[SpotifyTrack]:
        """The user's saved tracks with ``added_at``."""
        params = {"limit": "50", "market": "from_token"}
        return [
            track async for item in self._pages("/me/tracks", params) if (track := _track(item))
        ]

    @staticmethod
    def playlist_changed(playlist: SpotifyPlaylist, known_snapshot_id: str | None) -> bool:
        """Whether a playlist must be fetched again."""
        return playlist.snapshot_id != known_snapshot_id
