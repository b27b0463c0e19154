"""Spotify Web API client over an access-token provider (Home Assistant's OAuth2Session).

Token refresh is the provider's job. Errors: 401 (or a refresh the accounts service refuses) raises
InvalidAuthError so the caller starts a reauth; 403 raises SpotifyForbiddenError, because
re-authenticating does not help there (a Development Mode app reading a playlist the user only
follows, a missing scope); 404 raises NotFoundError; 429 waits for ``Retry-After`` and retries,
RateLimitedError if it persists or asks for a longer wait than we accept; 5xx, timeouts and dropped
connections retry with capped exponential backoff, then CannotConnectError.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final
from urllib.parse import quote, urlsplit

import aiohttp

from ..const import LOGGER
from .errors import (
    ClientError,
    InvalidAuthError,
    NotFoundError,
    ResponseError,
)
from .http import RetryPolicy, request_json
from .spotify_models import (
    JsonObject,
    SpotifyAlbum,
    SpotifyArtist,
    SpotifyPlaylist,
    SpotifyPlaylistItem,
    SpotifySavedTrack,
    SpotifyTrack,
    SpotifyUser,
    added_at,
    playable_track,
)

__all__ = [
    "RetryPolicy",
    "SpotifyAlbum",
    "SpotifyArtist",
    "SpotifyClient",
    "SpotifyForbiddenError",
    "SpotifyPlaylist",
    "SpotifyPlaylistItem",
    "SpotifySavedTrack",
    "SpotifyTrack",
    "SpotifyUser",
    "TokenProvider",
]


TokenProvider = Callable[[], Awaitable[str]]

# Page sizes. Playlists and saved tracks allow 50. Playlist items allowed 100 before 2026; the
# current reference for GET /playlists/{id}/items documents a maximum of 50, which every version
# of the API accepts.
PLAYLISTS_PAGE: Final = 50
ITEMS_PAGE: Final = 50
SAVED_PAGE: Final = 50
# A guard against a server whose ``next`` never ends.
MAX_PAGES: Final = 5_000


class SpotifyForbiddenError(ClientError):
    """Spotify refused the request (403); signing in again would not change that."""


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
        origin = urlsplit(self._base)
        self._origin = (origin.scheme, origin.netloc)
        self._policy = policy or RetryPolicy()
        self._timeout = timeout

    # --- transport ---------------------------------------------------------------------------

    async def _async_access_token(self) -> str:
        """A valid token; a refresh the accounts service refuses means the grant is gone."""
        try:
            return await self._token()
        except aiohttp.ClientResponseError as err:
            if 400 <= err.status < 500:
                raise InvalidAuthError(
                    f"Spotify refused to refresh the access token ({err.status})"
                ) from err
            raise

    async def _async_auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._async_access_token()}"}

    async def _async_get(self, url: str, params: dict[str, str] | None = None) -> JsonObject:
        """GET a JSON object, with the retry policy described in the module docstring."""
        full = url if url.startswith(("http://", "https://")) else f"{self._base}{url}"
        data = await request_json(
            self._session,
            "GET",
            full,
            headers=self._async_auth_header,
            params=params,
            timeout=self._timeout,
            policy=self._policy,
            service="Spotify",
            forbidden=SpotifyForbiddenError,
        )
        if not isinstance(data, dict):
            raise ResponseError(f"Spotify sent no JSON object for {full}")
        return data

    async def _pages(self, path: str, params: dict[str, str]) -> AsyncIterator[JsonObject]:
        """Every item of a paged list, following ``next`` until it ends."""
        page = await self._async_get(path, params)
        for _ in range(MAX_PAGES):
            for item in page.get("items") or []:
                if isinstance(item, dict):
                    yield item
            next_url = page.get("next")
            if not next_url or not page.get("items"):
                return
            if not isinstance(next_url, str) or self._origin != (
                (parts := urlsplit(next_url)).scheme,
                parts.netloc,
            ):
                # Never send the token anywhere but the API we were configured with.
                raise ResponseError(f"Spotify sent a next page on another host: {next_url!r}")
            page = await self._async_get(next_url)
        raise ResponseError(f"Spotify kept paging {path} past {MAX_PAGES} pages")

    # --- API -----------------------------------------------------------------------------------

    async def async_current_user(self) -> SpotifyUser:
        """The token's user."""
        return SpotifyUser.from_api(await self._async_get("/me"))

    async def async_track(self, track_id: str) -> JsonObject:
        """One track as the Web API serves it (the matching engine reads this shape)."""
        return await self._async_get(f"/tracks/{quote(track_id, safe='')}")

    async def async_playlists(self) -> list[SpotifyPlaylist]:
        """Every playlist in the user's library, owned and followed."""
        return [
            SpotifyPlaylist.from_api(item)
            async for item in self._pages("/me/playlists", {"limit": str(PLAYLISTS_PAGE)})
        ]

    async def async_playlist_tracks(self, playlist_id: str) -> list[SpotifyPlaylistItem]:
        """A playlist's playable tracks in order.

        Reads ``/items`` (the route since 2026) and falls back to ``/tracks`` when the server does
        not know it (404). Local files, episodes, removed and unavailable tracks are left out;
        ``market=from_token`` makes Spotify mark tracks the user cannot play.
        """
        params = {
            "limit": str(ITEMS_PAGE),
            "market": "from_token",
            "additional_types": "track,episode",
        }
        try:
            entries = [e async for e in self._pages(f"/playlists/{playlist_id}/items", params)]
        except NotFoundError:
            LOGGER.debug("No /items route for playlist %s; reading /tracks", playlist_id)
            entries = [e async for e in self._pages(f"/playlists/{playlist_id}/tracks", params)]
        items = [
            SpotifyPlaylistItem(added_at(entry), track, entry)
            for entry in entries
            if (track := playable_track(entry)) is not None
        ]
        if len(items) < len(entries):
            LOGGER.debug(
                "Playlist %s: skipped %d of %d entries (local, episode, unavailable)",
                playlist_id,
                len(entries) - len(items),
                len(entries),
            )
        return items

    async def async_saved_tracks(self) -> list[SpotifySavedTrack]:
        """The user's saved tracks ("Liked Songs") that are playable, newest first."""
        return [saved async for saved in self.async_iter_saved_tracks() if saved is not None]

    async def async_iter_saved_tracks(self) -> AsyncIterator[SpotifySavedTrack | None]:
        """The saved tracks page by page, newest first; None for an entry left out (a local
        file, an episode, an unplayable or removed track).

        A page's JSON is dropped once its tracks are handed on: 20,000 saved tracks read into
        one list keep some 300,000 objects alive for the garbage collector to walk."""
        params = {"limit": str(SAVED_PAGE), "market": "from_token"}
        async for entry in self._pages("/me/tracks", params):
            track = playable_track(entry)
            yield None if track is None else SpotifySavedTrack(added_at(entry), track, entry)

    @staticmethod
    def playlist_changed(playlist: SpotifyPlaylist, known_snapshot_id: str | None) -> bool:
        """Whether a playlist's items must be fetched again (its snapshot id moved on)."""
        return not known_snapshot_id or playlist.snapshot_id != known_snapshot_id
