"""Loopback Spotify simulator: OAuth (authorize + token) and the Web API routes we read.

Serves `/authorize` and `/api/token` (accounts.spotify.com) and `/v1/...` (api.spotify.com) on one
port. Paging objects, limits, error bodies and token grants follow Spotify's Web API reference.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import random
import secrets
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .faults import FaultInjector
from .server import LoopbackServer


@dataclass
class SpotifyTrackRecord:
    """A track of the simulated catalogue."""

    id: str
    name: str
    artists: list[tuple[str, str]]
    album: tuple[str, str, str]
    duration_ms: int
    isrc: str | None
    is_local: bool = False
    is_playable: bool = True


@dataclass
class SpotifyPlaylistRecord:
    """A playlist; its snapshot id changes whenever its items change."""

    id: str
    name: str
    owner_id: str
    owner_name: str
    track_ids: list[str]
    collaborative: bool = False
    public: bool = True
    snapshot: int = 1

    @property
    def snapshot_id(self) -> str:
        return base64.b64encode(f"{self.id}:{self.snapshot}".encode()).decode()


@dataclass
class SpotifyUserRecord:
    """The account the tokens belong to."""

    id: str = "harmony_user"
    display_name: str = "Harmony User"
    saved: list[tuple[str, str]] = field(default_factory=list)  # (track id, added_at)
    playlist_ids: list[str] = field(default_factory=list)  # owned and followed


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"status": status, "message": message}}, status=status)


class SpotifySimulator(LoopbackServer):
    """Accounts + Web API on one loopback port."""

    def __init__(
        self, *, client_id: str = "sim-client-id", client_secret: str = "sim-client-secret"
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.faults = FaultInjector()
        self.user = SpotifyUserRecord()
        self.tracks: dict[str, SpotifyTrackRecord] = {}
        self.playlists: dict[str, SpotifyPlaylistRecord] = {}
        self._codes: set[str] = set()
        self._access: set[str] = set()
        self._refresh: set[str] = set()

    # --- content ---------------------------------------------------------------------------
    def add_track(self, track: SpotifyTrackRecord) -> None:
        self.tracks[track.id] = track

    def add_playlist(self, playlist: SpotifyPlaylistRecord) -> None:
        self.playlists[playlist.id] = playlist
        self.user.playlist_ids.append(playlist.id)

    def revoke_tokens(self) -> None:
        """Every issued token stops working (as when the user removes the app's access)."""
        self._access.clear()
        self._refresh.clear()

    # --- server ----------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware])
        self.faults.add_routes(app)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/api/token", self._token)
        # Spotify answers with or without a trailing slash (spotipy sends "/v1/me/").
        for path, handler in (
            ("/v1/me", self._me),
            ("/v1/me/playlists", self._my_playlists),
            ("/v1/me/tracks", self._saved),
            ("/v1/playlists/{id}/items", self._playlist_items),
            ("/v1/playlists/{id}/tracks", self._playlist_items),
        ):
            app.router.add_get(path, handler)
            app.router.add_get(f"{path}/", handler)
        return app

    # --- accounts --------------------------------------------------------------------------
    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="INVALID_CLIENT: Invalid client")
        if query.get("response_type") != "code" or "redirect_uri" not in query:
            return web.Response(
                status=400, text="unsupported response_type or missing redirect_uri"
            )
        code = secrets.token_urlsafe(16)
        self._codes.add(code)
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode(params)}")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return web.json_response(
                {"error": "invalid_client", "error_description": "Invalid client"}, status=400
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if form.get("code") not in self._codes:
                return web.json_response(
                    {"error": "invalid_grant", "error_description": "Invalid authorization code"},
                    status=400,
                )
            self._codes.discard(str(form.get("code")))
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self._refresh:
                return web.json_response(
                    {"error": "invalid_grant", "error_description": "Refresh token revoked"},
                    status=400,
                )
        else:
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        self._access.add(access)
        self._refresh.add(refresh)
        return web.json_response(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": refresh,
                "scope": "user-read-private playlist-read-private playlist-read-collaborative user-library-read",
            }
        )

    # --- Web API ---------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self._access

    def _page(self, request: web.Request, items: list[Any], max_limit: int) -> web.Response:
        try:
            limit = int(request.query.get("limit", "20"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return _error(400, "Invalid limit or offset")
        if not 1 <= limit <= max_limit or offset < 0:
            return _error(400, f"Invalid limit: must be between 1 and {max_limit}")
        base = f"{self.url}{request.path}"

        def link(start: int) -> str:
            params = {k: v for k, v in request.query.items() if k not in ("limit", "offset")}
            return f"{base}?{urlencode({**params, 'offset': start, 'limit': limit})}"

        return web.json_response(
            {
                "href": link(offset),
                "items": items[offset : offset + limit],
                "limit": limit,
                "offset": offset,
                "total": len(items),
                "next": link(offset + limit) if offset + limit < len(items) else None,
                "previous": link(max(0, offset - limit)) if offset else None,
            }
        )

    def _track_json(self, track: SpotifyTrackRecord) -> dict[str, Any]:
        album_id, album_name, release_date = track.album
        return {
            "type": "track",
            "id": None if track.is_local else track.id,
            "uri": f"spotify:{'local' if track.is_local else 'track'}:{track.id}",
            "name": track.name,
            "artists": [
                {"id": a_id, "name": a_name, "type": "artist"} for a_id, a_name in track.artists
            ],
            "album": {
                "id": album_id,
                "name": album_name,
                "release_date": release_date,
                "type": "album",
            },
            "duration_ms": track.duration_ms,
            "external_ids": {"isrc": track.isrc} if track.isrc else {},
            "is_local": track.is_local,
            "is_playable": track.is_playable,
        }

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Invalid access token")
        return web.json_response(
            {"id": self.user.id, "display_name": self.user.display_name, "type": "user"}
        )

    async def _my_playlists(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Invalid access token")
        items = [
            {
                "id": p.id,
                "name": p.name,
                "owner": {"id": p.owner_id, "display_name": p.owner_name},
                "snapshot_id": p.snapshot_id,
                "collaborative": p.collaborative,
                "public": p.public,
                "tracks": {
                    "href": f"{self.url}/v1/playlists/{p.id}/tracks",
                    "total": len(p.track_ids),
                },
                "items": {
                    "href": f"{self.url}/v1/playlists/{p.id}/items",
                    "total": len(p.track_ids),
                },
            }
            for p in (self.playlists[i] for i in self.user.playlist_ids)
        ]
        return self._page(request, items, 50)

    async def _playlist_items(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Invalid access token")
        playlist = self.playlists.get(request.match_info["id"])
        if playlist is None:
            return _error(404, "Resource not found")
        items = [
            {
                "added_at": "2025-01-01T00:00:00Z",
                "is_local": self.tracks[t].is_local,
                "track": self._track_json(self.tracks[t]),
            }
            for t in playlist.track_ids
        ]
        return self._page(request, items, 100)

    async def _saved(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Invalid access token")
        items = [
            {"added_at": added, "track": self._track_json(self.tracks[t])}
            for t, added in self.user.saved
        ]
        return self._page(request, items, 50)


# Spotify ids are 22 base-62 characters (spotipy checks).
PLAYLIST_OWNED = "3cEYpjA9oz9GiPac4AsH4n"
PLAYLIST_FOLLOWED = "37i9dQZF1DX0XUsuxWHRQd"


def demo_catalogue(sim: SpotifySimulator, seed: int = 0, tracks: int = 300) -> None:
    """A small seeded catalogue: owned and followed playlists and saved tracks."""
    rng = random.Random(seed)
    words = ["Night", "Blue", "Fire", "River", "Gold", "Summer", "Ghost", "Heart", "Moon", "Rain"]
    for n in range(tracks):
        artist = f"{rng.choice(words)} {rng.choice(['Band', 'Kids', 'Collective', 'Society'])}"
        sim.add_track(
            SpotifyTrackRecord(
                id=f"trk{n:06d}",
                name=f"{rng.choice(words)} {rng.choice(words).lower()} {n}",
                artists=[(f"art{hash(artist) % 10**6:06d}", artist)],
                album=(
                    f"alb{n // 10:05d}",
                    f"{rng.choice(words)} Album",
                    str(rng.randint(1970, 2025)),
                ),
                duration_ms=rng.randint(120_000, 420_000),
                isrc=f"QZ{rng.choice('ABCDEF')}{rng.randint(10, 99)}{n:07d}"[:12],
            )
        )
    ids = list(sim.tracks)
    sim.add_playlist(
        SpotifyPlaylistRecord(
            PLAYLIST_OWNED, "My Favourites", sim.user.id, sim.user.display_name, ids[:120]
        )
    )
    sim.add_playlist(
        SpotifyPlaylistRecord(PLAYLIST_FOLLOWED, "Indie Mix", "spotify", "Spotify", ids[100:250])
    )
    sim.user.saved = [(t, f"2025-0{1 + i % 9}-01T00:00:00Z") for i, t in enumerate(ids[200:260])]
