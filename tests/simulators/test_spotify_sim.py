"""The Spotify simulator speaks Spotify's contract: OAuth grants, paging, errors, eras; and a
client we did not write (spotipy) reads it unmodified."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import spotipy

from tests.simulators.spotify import (
    PLAYLIST_FOLLOWED,
    PLAYLIST_LARGE,
    PLAYLIST_OWNED,
    SpotifySimulator,
)

REDIRECT = "http://127.0.0.1:8123/auth/external/callback"


async def authorize(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession, **extra: str
) -> dict[str, list[str]]:
    """Walk /authorize as a browser would, returning the redirect's query."""
    params = {
        "client_id": spotify_sim.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "flow-state",
        **extra,
    }
    async with http_session.get(
        f"{spotify_sim.url}/authorize", params=params, allow_redirects=False
    ) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
    assert location.startswith(f"{REDIRECT}?")
    return parse_qs(urlsplit(location).query)


async def token(
    spotify_sim: SpotifySimulator,
    http_session: aiohttp.ClientSession,
    form: dict[str, str],
    auth: aiohttp.BasicAuth | None = None,
) -> tuple[int, dict[str, Any]]:
    async with http_session.post(f"{spotify_sim.url}/api/token", data=form, auth=auth) as resp:
        return resp.status, await resp.json()


async def api(
    spotify_sim: SpotifySimulator,
    http_session: aiohttp.ClientSession,
    path: str,
    access: str | None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {access}"} if access else {}
    async with http_session.get(f"{spotify_sim.url}/v1{path}", headers=headers) as resp:
        return resp.status, await resp.json()


async def test_authorization_code_grant_and_refresh(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Code exchange (form credentials), refresh (Basic auth), then revocation."""
    query = await authorize(spotify_sim, http_session, scope="user-library-read")
    assert query["state"] == ["flow-state"]
    code = query["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    creds = {"client_id": spotify_sim.client_id, "client_secret": spotify_sim.client_secret}
    status, body = await token(spotify_sim, http_session, {**form, **creds})
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "user-library-read"
    assert (await api(spotify_sim, http_session, "/me", body["access_token"]))[1][
        "id"
    ] == spotify_sim.user.id
    # A code works once.
    status, again = await token(spotify_sim, http_session, {**form, **creds})
    assert (status, again["error"]) == (400, "invalid_grant")

    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    basic = aiohttp.BasicAuth(spotify_sim.client_id, spotify_sim.client_secret)
    status, renewed = await token(spotify_sim, http_session, refresh, basic)
    assert status == 200
    assert renewed["access_token"] != body["access_token"]
    assert "refresh_token" not in renewed  # the old one stays valid, as Spotify usually does
    status, bad = await token(
        spotify_sim, http_session, refresh, aiohttp.BasicAuth(spotify_sim.client_id, "wrong")
    )
    assert (status, bad["error"]) == (400, "invalid_client")

    spotify_sim.revoke_tokens()
    status, revoked = await token(spotify_sim, http_session, refresh, basic)
    assert (status, revoked["error"]) == (400, "invalid_grant")
    status, denied = await api(spotify_sim, http_session, "/me", renewed["access_token"])
    assert denied == {"error": {"status": 401, "message": "Invalid access token"}}


async def test_authorization_errors(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Wrong redirect URI, wrong client, refused consent, unsupported grant."""
    code = (await authorize(spotify_sim, http_session))["code"][0]
    status, body = await token(
        spotify_sim,
        http_session,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://evil/cb"},
        aiohttp.BasicAuth(spotify_sim.client_id, spotify_sim.client_secret),
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    async with http_session.get(
        f"{spotify_sim.url}/authorize",
        params={"client_id": "nope", "response_type": "code", "redirect_uri": REDIRECT},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 400
    spotify_sim.deny_consent = True
    assert (await authorize(spotify_sim, http_session))["error"] == ["access_denied"]
    status, body = await token(
        spotify_sim,
        http_session,
        {"grant_type": "password"},
        aiohttp.BasicAuth(spotify_sim.client_id, spotify_sim.client_secret),
    )
    assert (status, body["error"]) == (400, "unsupported_grant_type")


async def test_pkce_grant(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """PKCE: the verifier stands in for the client secret."""
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}
    form["client_id"] = spotify_sim.client_id
    code = (await authorize(spotify_sim, http_session, **pkce))["code"][0]
    status, body = await token(
        spotify_sim, http_session, {**form, "code": code, "code_verifier": "x" * 64}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    code = (await authorize(spotify_sim, http_session, **pkce))["code"][0]
    status, body = await token(
        spotify_sim, http_session, {**form, "code": code, "code_verifier": verifier}
    )
    assert status == 200
    assert body["access_token"]


async def test_bearer_errors_use_spotify_error_object(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Missing, expired and revoked tokens; the control route revokes too."""
    assert await api(spotify_sim, http_session, "/me", None) == (
        401,
        {"error": {"status": 401, "message": "No token provided"}},
    )
    access = str(spotify_sim.issue_tokens()["access_token"])
    spotify_sim.expire_tokens()
    assert (await api(spotify_sim, http_session, "/me", access))[1]["error"]["message"] == (
        "The access token expired"
    )
    access = str(spotify_sim.issue_tokens()["access_token"])
    async with http_session.post(f"{spotify_sim.url}/_sim/spotify/revoke") as resp:
        assert resp.status == 204
    assert (await api(spotify_sim, http_session, "/me", access))[0] == 401


async def test_paging_objects_and_limits(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """href/items/limit/next/offset/previous/total; absolute links; Spotify's maximum limits."""
    access = str(spotify_sim.issue_tokens()["access_token"])
    status, page = await api(
        spotify_sim, http_session, "/me/tracks?limit=50&offset=50&market=from_token", access
    )
    assert status == 200
    assert set(page) == {"href", "items", "limit", "next", "offset", "previous", "total"}
    assert (page["limit"], page["offset"], page["total"], len(page["items"])) == (50, 50, 120, 50)
    assert page["next"].startswith(f"{spotify_sim.url}/v1/me/tracks?")
    assert parse_qs(urlsplit(page["next"]).query)["offset"] == ["100"]
    assert parse_qs(urlsplit(page["previous"]).query)["offset"] == ["0"]
    assert "market=from_token" in page["next"]
    async with http_session.get(
        page["next"], headers={"Authorization": f"Bearer {access}"}
    ) as resp:
        last = await resp.json()
    assert len(last["items"]) == 20
    assert last["next"] is None
    for path in (
        "/me/tracks?limit=51",
        "/me/playlists?limit=51",
        f"/playlists/{PLAYLIST_LARGE}/items?limit=51",
        f"/playlists/{PLAYLIST_LARGE}/items?market=Germany",
    ):
        status, body = await api(spotify_sim, http_session, path, access)
        assert (status, body["error"]["status"]) == (400, 400), path
    assert (
        await api(spotify_sim, http_session, "/playlists/0000000000000000000000/items", access)
    )[0] == 404


async def test_eras_markets_and_episodes(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Field names and routes per era; is_playable only with a market; episode forms."""
    access = str(spotify_sim.issue_tokens()["access_token"])
    path = f"/playlists/{PLAYLIST_OWNED}"
    _, page = await api(spotify_sim, http_session, f"{path}/items?limit=50", access)
    entry = page["items"][0]
    assert entry["item"] == entry["track"]  # the transition: both names
    assert "is_playable" not in entry["track"]  # no market, no verdict
    unavailable = next(e for e in page["items"] if e["track"]["name"] == "Region Locked")
    assert unavailable["track"]["available_markets"] == []
    _, page = await api(
        spotify_sim, http_session, f"{path}/items?limit=50&market=from_token", access
    )
    unavailable = next(e for e in page["items"] if e["track"]["name"] == "Region Locked")
    assert unavailable["track"]["is_playable"] is False
    assert unavailable["track"]["restrictions"] == {"reason": "market"}
    local = next(e for e in page["items"] if e["is_local"])
    assert local["track"]["id"] is None
    assert local["track"]["uri"].startswith("spotify:local:")
    legacy_episode = next(e for e in page["items"] if e["track"]["episode"])
    assert legacy_episode["track"]["type"] == "track"
    _, page = await api(
        spotify_sim, http_session, f"{path}/items?limit=50&additional_types=track,episode", access
    )
    assert sum(e["track"]["type"] == "episode" for e in page["items"]) == 1

    spotify_sim.playlist_api = "items"
    _, page = await api(spotify_sim, http_session, f"{path}/items?limit=50", access)
    assert "track" not in page["items"][0]
    assert page["items"][0]["item"]["type"] == "track"
    assert (await api(spotify_sim, http_session, f"{path}/tracks", access))[0] == 403
    _, listing = await api(spotify_sim, http_session, "/me/playlists", access)
    assert "items" in listing["items"][0]
    assert "tracks" not in listing["items"][0]

    spotify_sim.playlist_api = "tracks"
    assert (await api(spotify_sim, http_session, f"{path}/items", access))[0] == 404
    _, page = await api(spotify_sim, http_session, f"{path}/tracks?limit=100", access)
    assert len(page["items"]) == 100
    assert "item" not in page["items"][0]


async def test_snapshot_id_follows_changes(spotify_sim: SpotifySimulator) -> None:
    """Every change of a playlist's items gives a new snapshot id."""
    playlist = spotify_sim.playlists[PLAYLIST_OWNED]
    seen = {playlist.snapshot_id}
    playlist.add_tracks([playlist.track_ids[0]])
    seen.add(playlist.snapshot_id)
    playlist.remove_tracks([playlist.track_ids[0]])
    seen.add(playlist.snapshot_id)
    playlist.track_ids.append(playlist.track_ids[1])  # a direct edit counts too
    seen.add(playlist.snapshot_id)
    assert len(seen) == 4


async def test_spotipy_reads_the_simulator(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> None:
    """spotipy (synchronous, requests) pages playlists, items and saved tracks unmodified."""
    query = await authorize(spotify_sim, http_session)
    _, tokens = await token(
        spotify_sim,
        http_session,
        {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT},
        aiohttp.BasicAuth(spotify_sim.client_id, spotify_sim.client_secret),
    )
    access = tokens["access_token"]

    def read() -> dict[str, Any]:
        client = spotipy.Spotify(auth=access, retries=0, status_retries=0, requests_timeout=5)
        client.prefix = f"{spotify_sim.url}/v1/"
        try:
            out: dict[str, Any] = {"me": client.me()["id"]}
            page = client.current_user_playlists(limit=3)
            playlists = page["items"]
            while page["next"]:
                page = client.next(page)
                playlists += page["items"]
            out["playlists"] = [p["id"] for p in playlists]
            # spotipy still calls the pre-2026 /tracks route; its default limit (100) is
            # beyond the current maximum, so it has to ask for 50.
            with pytest.raises(spotipy.SpotifyException) as too_many:
                client.playlist_items(PLAYLIST_LARGE)
            out["limit_100"] = too_many.value.http_status
            page = client.playlist_items(PLAYLIST_LARGE, limit=50)
            items = page["items"]
            while page["next"]:
                page = client.next(page)
                items += page["items"]
            out["items"] = [i["track"]["id"] for i in items]
            page = client.current_user_saved_tracks(limit=50)
            saved = page["items"]
            while page["next"]:
                page = client.next(page)
                saved += page["items"]
            out["saved"] = [(s["track"]["id"], s["added_at"]) for s in saved]
            out["playlist"] = client.playlist(PLAYLIST_FOLLOWED)["owner"]["id"]
            return out
        finally:
            client._session.close()

    out = await asyncio.to_thread(read)
    assert out["me"] == spotify_sim.user.id
    assert out["playlists"] == spotify_sim.user.playlist_ids
    assert out["limit_100"] == 400
    assert out["items"] == spotify_sim.playlists[PLAYLIST_LARGE].track_ids
    assert sorted(out["saved"]) == sorted(spotify_sim.user.saved)
    assert out["saved"][0][1] == max(added for _, added in spotify_sim.user.saved)
    assert out["playlist"] == "indiemixtapes"


async def test_spotipy_on_a_pre_2026_server_and_retry_after(
    spotify_sim: SpotifySimulator,
) -> None:
    """The old contract (100 per page) works with spotipy's defaults; spotipy's own retry
    logic honours the simulator's Retry-After."""
    spotify_sim.playlist_api = "tracks"
    spotify_sim.faults.add("GET /v1/me/$ status=429 retry_after=1 times=1")
    access = spotify_sim.issue_tokens()["access_token"]

    def read() -> tuple[int, float, str]:
        client = spotipy.Spotify(auth=access, retries=2, status_retries=2, requests_timeout=5)
        client.prefix = f"{spotify_sim.url}/v1/"
        try:
            started = time.monotonic()
            me = client.me()["id"]
            waited = time.monotonic() - started
            page = client.playlist_items(PLAYLIST_LARGE)
            return len(page["items"]), waited, me
        finally:
            client._session.close()

    count, waited, me = await asyncio.to_thread(read)
    assert (count, me) == (100, spotify_sim.user.id)
    assert waited >= 1.0
