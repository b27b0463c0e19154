"""Loopback Spotify simulator: the accounts service (authorize + token) and the Web API we read.

One port serves what Spotify splits over two hosts: ``/authorize`` and ``/api/token``
(accounts.spotify.com) and ``/v1/...`` (api.spotify.com). Paging objects, limits, error bodies,
market handling and the token grants follow Spotify's Web API reference.

Which era of the playlist API it speaks is ``playlist_api``:

- ``"both"`` (default, Spotify during the 2026 deprecation window): ``/items`` and ``/tracks``
  both answer; playlists carry ``items`` and ``tracks`` counts, entries ``item`` and ``track``.
- ``"tracks"`` (before 2026): ``/items`` is 404, only the old field names; items page up to 100.
- ``"items"`` (after the deprecation): ``/tracks`` is 403, only the new field names.

``dev_mode`` adds the Development Mode rule of March 2026: a playlist the user neither owns nor
collaborates on lists no items (403). Faults come from ``faults`` (tests, ``/_sim/faults``, the
CLI); ``revoke_tokens()`` / ``POST /_sim/spotify/revoke`` withdraw every grant, as when the user
removes the app's access, and ``expire_tokens()`` / ``POST /_sim/spotify/expire`` end the
current access tokens.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
import hashlib
import random
import re
import secrets
import time
from typing import Any, Literal
from urllib.parse import urlencode

from aiohttp import web

from .faults import FaultInjector, Handler
from .server import LoopbackServer

PlaylistApi = Literal["tracks", "both", "items"]
SCOPES = "user-read-private playlist-read-private playlist-read-collaborative user-library-read"
_MARKET = re.compile(r"^[A-Z]{2}$")


@dataclass
class SpotifyTrackRecord:
    """A track (or, with ``is_episode``, a podcast episode) of the simulated catalogue.

    ``artists`` are (id, name); ``album`` is (id, name, release_date). For an episode the album
    stands for the show and the first artist for its publisher.
    """

    id: str
    name: str
    artists: list[tuple[str, str]]
    album: tuple[str, str, str]
    duration_ms: int
    isrc: str | None
    is_local: bool = False
    is_playable: bool = True
    is_episode: bool = False


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
    snapshot: int = 1  # revision; bumped by every change made through the methods below
    added_at: dict[str, str] = field(default_factory=dict)  # track id -> ISO time

    @property
    def snapshot_id(self) -> str:
        """Opaque version id; follows the revision and the content (even if mutated directly)."""
        digest = hashlib.sha1("\n".join([self.id, *self.track_ids]).encode()).hexdigest()[:12]
        return base64.b64encode(f"{self.snapshot}:{digest}".encode()).decode()

    def set_tracks(self, track_ids: Iterable[str]) -> None:
        """Replace the items."""
        self.track_ids = list(track_ids)
        self.snapshot += 1

    def add_tracks(self, track_ids: Iterable[str], added_at: str | None = None) -> None:
        """Append items (added now unless told otherwise)."""
        when = added_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for track_id in track_ids:
            self.track_ids.append(track_id)
            self.added_at.setdefault(track_id, when)
        self.snapshot += 1

    def remove_tracks(self, track_ids: Iterable[str]) -> None:
        """Remove every occurrence of these tracks."""
        gone = set(track_ids)
        self.track_ids = [t for t in self.track_ids if t not in gone]
        self.snapshot += 1

    def item_added_at(self, index: int) -> str:
        """When the item at ``index`` was added (recorded, or a stable made-up date)."""
        recorded = self.added_at.get(self.track_ids[index])
        if recorded:
            return recorded
        day = int(hashlib.sha1(self.id.encode()).hexdigest()[:4], 16) % 28 + 1
        return f"2024-{1 + index // 28 % 12:02d}-{day:02d}T{index % 24:02d}:00:00Z"


@dataclass
class SpotifyUserRecord:
    """The account the tokens belong to."""

    id: str = "harmony_user"
    display_name: str = "Harmony User"
    saved: list[tuple[str, str]] = field(default_factory=list)  # (track id, added_at)
    playlist_ids: list[str] = field(default_factory=list)  # owned and followed, in library order
    country: str = "DE"


@dataclass
class _Grant:
    """What an authorization code stands for."""

    redirect_uri: str
    scope: str
    code_challenge: str | None = None


def _error(status: int, message: str) -> web.Response:
    """Spotify's regular error object."""
    return web.json_response({"error": {"status": status, "message": message}}, status=status)


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    """The accounts service's error shape (RFC 6749)."""
    return web.json_response({"error": error, "error_description": description}, status=status)


def _precision(release_date: str) -> str:
    return {4: "year", 7: "month"}.get(len(release_date), "day")


class SpotifySimulator(LoopbackServer):
    """Accounts + Web API on one loopback port."""

    def __init__(
        self,
        *,
        client_id: str = "sim-client-id",
        client_secret: str = "sim-client-secret",
        playlist_api: PlaylistApi = "both",
        dev_mode: bool = False,
        token_lifetime: int = 3600,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.playlist_api: PlaylistApi = playlist_api
        self.dev_mode = dev_mode
        self.token_lifetime = token_lifetime
        self.deny_consent = False  # /authorize answers error=access_denied
        self.faults = FaultInjector()
        self.user = SpotifyUserRecord()
        self.tracks: dict[str, SpotifyTrackRecord] = {}
        self.playlists: dict[str, SpotifyPlaylistRecord] = {}
        self.requests: list[str] = []  # "GET /v1/me?x=y" for every API/accounts request
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, float] = {}  # token -> expiry (time.monotonic)
        self._refresh: dict[str, str] = {}  # token -> scope

    # --- content and control -----------------------------------------------------------------

    def add_track(self, track: SpotifyTrackRecord) -> None:
        """Add a track to the catalogue."""
        self.tracks[track.id] = track

    def add_playlist(self, playlist: SpotifyPlaylistRecord) -> None:
        """Add a playlist to the user's library (owned or followed, after its owner id)."""
        self.playlists[playlist.id] = playlist
        if playlist.id not in self.user.playlist_ids:
            self.user.playlist_ids.append(playlist.id)

    @property
    def items_max_limit(self) -> int:
        """Largest page of playlist items: 100 before 2026, 50 in the current reference."""
        return 100 if self.playlist_api == "tracks" else 50

    def issue_tokens(self, scope: str = SCOPES) -> dict[str, Any]:
        """A fresh token response, as the token endpoint returns it."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._access[access] = time.monotonic() + self.token_lifetime
        self._refresh[refresh] = scope
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "refresh_token": refresh,
            "scope": scope,
        }

    def saved_tokens(self) -> dict[str, Any]:
        """The issued tokens (access expiries in wall-clock seconds), for ``restore_tokens``."""
        offset = time.time() - time.monotonic()
        return {
            "access": {token: expiry + offset for token, expiry in self._access.items()},
            "refresh": dict(self._refresh),
        }

    def restore_tokens(self, saved: dict[str, Any]) -> None:
        """Tokens issued by an earlier run keep working, as Spotify's do across restarts."""
        offset = time.time() - time.monotonic()
        for token, expiry in saved.get("access", {}).items():
            self._access[token] = float(expiry) - offset
        self._refresh.update(saved.get("refresh", {}))

    def revoke_tokens(self) -> None:
        """Every issued token stops working (as when the user removes the app's access)."""
        self._access.clear()
        self._refresh.clear()
        self._codes.clear()

    def expire_tokens(self) -> None:
        """Current access tokens expire now; refresh tokens keep working."""
        for token in self._access:
            self._access[token] = 0.0

    def count(self, pattern: str) -> int:
        """How many recorded requests match a regex (e.g. ``"GET /v1/me/tracks"``)."""
        return sum(1 for line in self.requests if re.search(pattern, line))

    # --- server ------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._record, self.faults.middleware])
        self.faults.add_routes(app)
        app.router.add_post("/_sim/spotify/revoke", self._control_revoke)
        app.router.add_post("/_sim/spotify/expire", self._control_expire)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/api/token", self._token)
        # Spotify answers with or without a trailing slash (spotipy sends "/v1/me/").
        for path, handler in (
            ("/v1/me", self._me),
            ("/v1/me/playlists", self._my_playlists),
            ("/v1/me/tracks", self._saved),
            ("/v1/tracks/{id}", self._track),
            ("/v1/playlists/{id}", self._playlist),
            ("/v1/playlists/{id}/items", self._items_route),
            ("/v1/playlists/{id}/tracks", self._tracks_route),
        ):
            app.router.add_get(path, handler)
            app.router.add_get(f"{path}/", handler)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/_sim/"):
            self.requests.append(f"{request.method} {request.path_qs}")
        return await handler(request)

    async def _control_revoke(self, _: web.Request) -> web.Response:
        self.revoke_tokens()
        return web.Response(status=204)

    async def _control_expire(self, _: web.Request) -> web.Response:
        self.expire_tokens()
        return web.Response(status=204)

    # --- accounts ----------------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        """Auto-consent: redirect straight back with a code (or ``access_denied``)."""
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="INVALID_CLIENT: Invalid client")
        redirect_uri = query.get("redirect_uri")
        if not redirect_uri:
            return web.Response(status=400, text="INVALID_CLIENT: Invalid redirect URI")
        if query.get("response_type") != "code":
            return web.Response(status=400, text="unsupported_response_type")
        params: dict[str, str] = {}
        if self.deny_consent:
            params["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            challenge = query.get("code_challenge")
            if challenge and query.get("code_challenge_method") != "S256":
                return web.Response(status=400, text="code_challenge_method must be S256")
            self._codes[code] = _Grant(redirect_uri, query.get("scope") or SCOPES, challenge)
            params["code"] = code
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{separator}{urlencode(params)}")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
            except ValueError:
                return _oauth_error("invalid_client", "Invalid client")
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id:
            return _oauth_error("invalid_client", "Invalid client")
        if client_secret and client_secret != self.client_secret:
            return _oauth_error("invalid_client", "Invalid client secret")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = str(form.get("code", ""))
            pending = self._codes.pop(code, None)
            if pending is None:
                return _oauth_error("invalid_grant", "Invalid authorization code")
            if form.get("redirect_uri") != pending.redirect_uri:
                return _oauth_error("invalid_grant", "Invalid redirect URI")
            if pending.code_challenge is not None:  # PKCE: the verifier replaces the secret
                verifier = str(form.get("code_verifier", ""))
                digest = hashlib.sha256(verifier.encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != (
                    pending.code_challenge
                ):
                    return _oauth_error("invalid_grant", "code_verifier was incorrect")
            elif not client_secret:
                return _oauth_error("invalid_client", "Invalid client secret")
            return web.json_response(self.issue_tokens(pending.scope))
        if grant == "refresh_token":
            refresh = str(form.get("refresh_token", ""))
            if refresh not in self._refresh:
                return _oauth_error("invalid_grant", "Refresh token revoked")
            tokens = self.issue_tokens(self._refresh[refresh])
            # Spotify usually keeps the refresh token; the new one is dropped, the old stays.
            del self._refresh[tokens.pop("refresh_token")]
            return web.json_response(tokens)
        if not grant:
            return _oauth_error("invalid_request", "grant_type must be provided")
        return _oauth_error("unsupported_grant_type", f"grant_type {grant} is not supported")

    # --- Web API helpers ---------------------------------------------------------------------

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "No token provided")
        expiry = self._access.get(header[7:])
        if expiry is None:
            return _error(401, "Invalid access token")
        if expiry <= time.monotonic():
            return _error(401, "The access token expired")
        return None

    @staticmethod
    def _origin(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def _page(self, request: web.Request, items: list[Any], max_limit: int) -> web.Response:
        """A paging object over ``items`` with absolute ``next``/``previous`` links."""
        try:
            limit = int(request.query.get("limit", "20"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return _error(400, "Invalid limit or offset")
        if not 1 <= limit <= max_limit:
            return _error(400, f"Invalid limit: must be between 1 and {max_limit}")
        if offset < 0:
            return _error(400, "Invalid offset")
        base = f"{self._origin(request)}{request.path}"
        others = {k: v for k, v in request.query.items() if k not in ("limit", "offset")}

        def link(start: int) -> str:
            return f"{base}?{urlencode({**others, 'offset': start, 'limit': limit})}"

        return web.json_response(
            {
                "href": link(offset),
                "items": items[offset : offset + limit],
                "limit": limit,
                "next": link(offset + limit) if offset + limit < len(items) else None,
                "offset": offset,
                "previous": link(max(0, offset - limit)) if offset else None,
                "total": len(items),
            }
        )

    @staticmethod
    def _market(request: web.Request) -> tuple[str | None, web.Response | None]:
        market = request.query.get("market")
        if market is None or market == "from_token" or _MARKET.match(market):
            return market, None
        return None, _error(400, "Invalid market code")

    def _artist_json(self, origin: str, artist_id: str | None, name: str) -> dict[str, Any]:
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"}
            if artist_id
            else {},
            "href": f"{origin}/v1/artists/{artist_id}" if artist_id else None,
            "id": artist_id,
            "name": name,
            "type": "artist",
            "uri": f"spotify:artist:{artist_id}" if artist_id else None,
        }

    def _track_json(
        self,
        origin: str,
        track: SpotifyTrackRecord,
        market: str | None,
        episodes_as_episodes: bool = True,
    ) -> dict[str, Any]:
        """A full track object (or episode object) as Spotify serves it."""
        album_id, album_name, release_date = track.album
        if track.is_episode and episodes_as_episodes:
            return {
                "type": "episode",
                "id": track.id,
                "uri": f"spotify:episode:{track.id}",
                "href": f"{origin}/v1/episodes/{track.id}",
                "name": track.name,
                "description": "",
                "duration_ms": track.duration_ms,
                "explicit": False,
                "release_date": release_date,
                "release_date_precision": _precision(release_date),
                "is_playable": track.is_playable,
                "show": {
                    "id": album_id,
                    "name": album_name,
                    "publisher": track.artists[0][1] if track.artists else "",
                    "type": "show",
                    "uri": f"spotify:show:{album_id}",
                },
            }
        local = track.is_local
        artists = [
            self._artist_json(origin, None if local else a_id, a_name)
            for a_id, a_name in track.artists
        ]
        kind = "episode" if track.is_episode else "track"
        if local:
            first = track.artists[0][1] if track.artists else ""
            uri = f"spotify:local:{first}:{album_name}:{track.name}:{track.duration_ms // 1000}"
        else:
            uri = f"spotify:{kind}:{track.id}"
        data: dict[str, Any] = {
            "album": {
                "album_type": "album",
                "artists": artists[:1],
                "external_urls": {}
                if local
                else {"spotify": f"https://open.spotify.com/album/{album_id}"},
                "href": None if local else f"{origin}/v1/albums/{album_id}",
                "id": None if local else album_id,
                "images": [],
                "name": album_name,
                "release_date": None if local else release_date,
                "release_date_precision": None if local else _precision(release_date),
                "type": "album",
                "uri": None if local else f"spotify:album:{album_id}",
            },
            "artists": artists,
            "disc_number": 0 if local else 1,
            "duration_ms": track.duration_ms,
            "episode": track.is_episode,
            "explicit": False,
            "external_ids": {"isrc": track.isrc} if track.isrc and not local else {},
            "external_urls": {}
            if local
            else {"spotify": f"https://open.spotify.com/{kind}/{track.id}"},
            "href": None if local else f"{origin}/v1/{kind}s/{track.id}",
            "id": None if local else track.id,
            "is_local": local,
            "name": track.name,
            "preview_url": None,
            "track": not track.is_episode,
            "track_number": 0 if local else 1,
            "type": "track",
            "uri": uri,
        }
        if market is not None:
            # With a market Spotify says whether the user can play it (and why not).
            data["is_playable"] = track.is_playable
            if not track.is_playable:
                data["restrictions"] = {"reason": "market"}
        elif self.playlist_api != "items":
            data["available_markets"] = [self.user.country] if track.is_playable else []
        return data

    def _playlist_json(self, origin: str, playlist: SpotifyPlaylistRecord) -> dict[str, Any]:
        """A simplified playlist object."""
        owner = playlist.owner_id
        data: dict[str, Any] = {
            "collaborative": playlist.collaborative,
            "description": "",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist.id}"},
            "href": f"{origin}/v1/playlists/{playlist.id}",
            "id": playlist.id,
            "images": [],
            "name": playlist.name,
            "owner": {
                "display_name": playlist.owner_name,
                "external_urls": {"spotify": f"https://open.spotify.com/user/{owner}"},
                "href": f"{origin}/v1/users/{owner}",
                "id": owner,
                "type": "user",
                "uri": f"spotify:user:{owner}",
            },
            "primary_color": None,
            "public": playlist.public,
            "snapshot_id": playlist.snapshot_id,
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist.id}",
        }
        for name in self._field_names("tracks", "items"):
            data[name] = {
                "href": f"{origin}/v1/playlists/{playlist.id}/{name}",
                "total": len(playlist.track_ids),
            }
        return data

    def _field_names(self, old: str, new: str) -> list[str]:
        """The field names this era of the API uses for a renamed field."""
        return {"tracks": [old], "both": [new, old], "items": [new]}[self.playlist_api]

    def _entries(
        self, request: web.Request, playlist: SpotifyPlaylistRecord, market: str | None
    ) -> list[dict[str, Any]]:
        """Playlist track objects; a track the catalogue lacks comes back as ``null``."""
        origin = self._origin(request)
        types = request.query.get("additional_types", "track").split(",")
        names = self._field_names("track", "item")
        adder = {
            "external_urls": {},
            "href": f"{origin}/v1/users/{playlist.owner_id}",
            "id": playlist.owner_id,
            "type": "user",
            "uri": f"spotify:user:{playlist.owner_id}",
        }
        entries = []
        for index, track_id in enumerate(playlist.track_ids):
            record = self.tracks.get(track_id)
            data = self._track_json(origin, record, market, "episode" in types) if record else None
            entry: dict[str, Any] = {
                "added_at": playlist.item_added_at(index),
                "added_by": adder,
                "is_local": bool(record and record.is_local),
                "primary_color": None,
                "video_thumbnail": {"url": None},
            }
            entry.update(dict.fromkeys(names, data))
            entries.append(entry)
        return entries

    def _readable(self, playlist: SpotifyPlaylistRecord) -> bool:
        """Development Mode lists items only of playlists the user owns or collaborates on."""
        return not self.dev_mode or playlist.owner_id == self.user.id or playlist.collaborative

    # --- Web API -----------------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        user, origin = self.user, self._origin(request)
        return web.json_response(
            {
                "country": user.country,
                "display_name": user.display_name,
                "external_urls": {"spotify": f"https://open.spotify.com/user/{user.id}"},
                "followers": {"href": None, "total": 0},
                "href": f"{origin}/v1/users/{user.id}",
                "id": user.id,
                "images": [],
                "product": "premium",
                "type": "user",
                "uri": f"spotify:user:{user.id}",
            }
        )

    async def _my_playlists(self, request: web.Request) -> web.Response:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        origin = self._origin(request)
        items = [
            self._playlist_json(origin, self.playlists[i])
            for i in self.user.playlist_ids
            if i in self.playlists
        ]
        return self._page(request, items, 50)

    async def _playlist(self, request: web.Request) -> web.Response:
        """A full playlist object with the first page of its items (or metadata only)."""
        if (denied := self._unauthorized(request)) is not None:
            return denied
        playlist = self.playlists.get(request.match_info["id"])
        if playlist is None:
            return _error(404, "Resource not found")
        market, bad = self._market(request)
        if bad is not None:
            return bad
        origin = self._origin(request)
        data = self._playlist_json(origin, playlist)
        data["followers"] = {"href": None, "total": 0}
        if self._readable(playlist):
            entries = self._entries(request, playlist, market)
            limit = self.items_max_limit
            for name in self._field_names("tracks", "items"):
                href = f"{origin}/v1/playlists/{playlist.id}/{name}"
                data[name] = {
                    "href": f"{href}?offset=0&limit={limit}",
                    "items": entries[:limit],
                    "limit": limit,
                    "next": f"{href}?offset={limit}&limit={limit}"
                    if len(entries) > limit
                    else None,
                    "offset": 0,
                    "previous": None,
                    "total": len(entries),
                }
        return web.json_response(data)

    async def _items_route(self, request: web.Request) -> web.Response:
        if self.playlist_api == "tracks":
            return _error(404, "Service not found")
        return await self._playlist_items(request)

    async def _tracks_route(self, request: web.Request) -> web.Response:
        if self.playlist_api == "items":
            return _error(403, "Forbidden")
        return await self._playlist_items(request)

    async def _playlist_items(self, request: web.Request) -> web.Response:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        playlist = self.playlists.get(request.match_info["id"])
        if playlist is None:
            return _error(404, "Resource not found")
        if not self._readable(playlist):
            return _error(403, "Forbidden")
        market, bad = self._market(request)
        if bad is not None:
            return bad
        return self._page(request, self._entries(request, playlist, market), self.items_max_limit)

    async def _track(self, request: web.Request) -> web.Response:
        """One catalogue track (GET /v1/tracks/{id}); 404 as Spotify answers for unknown ids."""
        if (denied := self._unauthorized(request)) is not None:
            return denied
        market, bad = self._market(request)
        if bad is not None:
            return bad
        record = self.tracks.get(request.match_info["id"])
        if record is None or record.is_episode:
            return web.json_response(
                {"error": {"status": 404, "message": "Non existing id"}}, status=404
            )
        return web.json_response(self._track_json(self._origin(request), record, market))

    async def _saved(self, request: web.Request) -> web.Response:
        """Saved tracks, most recently saved first (as Spotify lists them)."""
        if (denied := self._unauthorized(request)) is not None:
            return denied
        market, bad = self._market(request)
        if bad is not None:
            return bad
        origin = self._origin(request)
        newest_first = sorted(self.user.saved, key=lambda saved: saved[1], reverse=True)
        items = [
            {"added_at": added, "track": self._track_json(origin, self.tracks[t], market)}
            for t, added in newest_first
            if t in self.tracks
        ]
        return self._page(request, items, 50)


# --- a small seeded demo library ---------------------------------------------------------------

# Spotify ids are 22 base-62 characters.
PLAYLIST_OWNED = (
    "3cEYpjA9oz9GiPac4AsH4n"  # 120 items, incl. a local file, an episode, one unavailable
)
PLAYLIST_LARGE = "1Pz9XjTvKqL6b2cDnM4aRs"  # 250 items, owned
PLAYLIST_FOLLOWED = "37i9dQZF1DX0XUsuxWHRQd"  # 150 items, followed (owned by a curator)
PLAYLIST_COLLAB = "6qHt2sWvB8nRkYd0LmE3uZ"  # 30 items, collaborative, owned by a friend
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(_BASE62) for _ in range(22))


def demo_catalogue(sim: SpotifySimulator, seed: int = 0, tracks: int = 300) -> None:
    """A seeded library: owned, followed and collaborative playlists and 120 saved tracks.

    ``tracks`` catalogue tracks (at least 260), plus one local file, one podcast episode and
    one track unavailable in the user's market, all three in ``PLAYLIST_OWNED``.
    """
    rng = random.Random(seed)
    words = ["Night", "Blue", "Fire", "River", "Gold", "Summer", "Ghost", "Heart", "Moon", "Rain"]
    bands = [f"{w} {k}" for w in words for k in ("Band", "Kids", "Collective", "Society")]
    artist_ids = {band: _spotify_id(rng) for band in bands}
    ids: list[str] = []
    for n in range(max(tracks, 260)):
        artist = rng.choice(bands)
        track_id = _spotify_id(rng)
        sim.add_track(
            SpotifyTrackRecord(
                id=track_id,
                name=f"{rng.choice(words)} {rng.choice(words).lower()} {n}",
                artists=[(artist_ids[artist], artist)],
                album=(
                    _spotify_id(rng),
                    f"{rng.choice(words)} Album {n // 10}",
                    str(rng.randint(1970, 2025)),
                ),
                duration_ms=rng.randint(120_000, 420_000),
                isrc=f"QZ{rng.choice('ABCDEF')}{rng.randint(10, 99)}{n:07d}"[:12],
            )
        )
        ids.append(track_id)
    specials = [
        SpotifyTrackRecord(
            _spotify_id(rng),
            "Home Demo",
            [("", "Me")],
            ("", "Voice Memos", "2020"),
            95_000,
            None,
            is_local=True,
        ),
        SpotifyTrackRecord(
            _spotify_id(rng),
            "Episode 12: Tape Loops",
            [(_spotify_id(rng), "Sound Talk")],
            (_spotify_id(rng), "Sound Talk Podcast", "2024-03-01"),
            2_400_000,
            None,
            is_episode=True,
        ),
        SpotifyTrackRecord(
            _spotify_id(rng),
            "Region Locked",
            [(artist_ids[bands[0]], bands[0])],
            (_spotify_id(rng), "Elsewhere", "2019-05-17"),
            200_000,
            "QZX991900001",
            is_playable=False,
        ),
    ]
    for special in specials:
        sim.add_track(special)
    user = sim.user
    owned = ids[:117]
    for position, special in zip((5, 20, 40), specials, strict=True):
        owned.insert(position, special.id)
    sim.add_playlist(
        SpotifyPlaylistRecord(PLAYLIST_OWNED, "My Favourites", user.id, user.display_name, owned)
    )
    sim.add_playlist(
        SpotifyPlaylistRecord(PLAYLIST_LARGE, "Everything", user.id, user.display_name, ids[:250])
    )
    sim.add_playlist(
        SpotifyPlaylistRecord(
            PLAYLIST_FOLLOWED, "Indie Mix", "indiemixtapes", "Indie Mixtapes", ids[100:250]
        )
    )
    sim.add_playlist(
        SpotifyPlaylistRecord(
            PLAYLIST_COLLAB,
            "Road Trip",
            "d4ve",
            "Dave",
            ids[230:260],
            collaborative=True,
            public=False,
        )
    )
    user.saved = [
        (t, f"2025-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}T12:00:00Z")
        for i, t in enumerate(ids[140:260])
    ]
