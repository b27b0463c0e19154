"""Spotify client against the Spotify simulator over real loopback sockets."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import time

import aiohttp
import pytest

from custom_components.harmony_music.clients.errors import (
    CannotConnectError,
    InvalidAuthError,
    RateLimitedError,
)
from custom_components.harmony_music.clients.http import RetryPolicy
from custom_components.harmony_music.clients.spotify import SpotifyClient
from tests.simulators.spotify import (
    PLAYLIST_FOLLOWED,
    PLAYLIST_OWNED,
    SpotifySimulator,
    SpotifyTrackRecord,
    demo_catalogue,
)

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncGenerator[SpotifySimulator]:
    simulator = SpotifySimulator()
    demo_catalogue(simulator, tracks=300)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def login(sim: SpotifySimulator, session: aiohttp.ClientSession) -> str:
    """Authorize and exchange the code, as Home Assistant's OAuth2 flow does."""
    async with session.get(
        f"{sim.url}/authorize",
        params={
            "client_id": sim.client_id,
            "response_type": "code",
            "redirect_uri": "http://ha/cb",
            "state": "s",
        },
        allow_redirects=False,
    ) as response:
        assert response.status == 302
        code = response.headers["Location"].split("code=")[1].split("&")[0]
    async with session.post(
        f"{sim.url}/api/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        },
    ) as response:
        return str((await response.json())["access_token"])


async def client_for(
    sim: SpotifySimulator, session: aiohttp.ClientSession, token: str | None = None
) -> SpotifyClient:
    access = token or await login(sim, session)

    async def provider() -> str:
        return access

    return SpotifyClient(session, provider, base_url=f"{sim.url}/v1", policy=FAST)


async def test_user_playlists_items_and_saved_tracks(sim: SpotifySimulator) -> None:
    """Everything is fetched across pages; local and unplayable tracks are skipped."""
    sim.tracks["trk000005"].is_local = True
    sim.tracks["trk000006"].is_playable = False
    async with aiohttp.ClientSession() as session:
        client = await client_for(sim, session)
        user = await client.current_user()
        assert (user.id, user.display_name) == ("harmony_user", "Harmony User")
        playlists = await client.playlists()
        assert {p.id for p in playlists} == {PLAYLIST_OWNED, PLAYLIST_FOLLOWED}
        owned = next(p for p in playlists if p.id == PLAYLIST_OWNED)
        assert owned.total == 120
        items = await client.playlist_tracks(PLAYLIST_OWNED)
        assert len(items) == 118  # 120 minus the local file and the unavailable track
        assert items[0].raw["name"] == sim.tracks["trk000000"].name
        assert items[0].isrc == sim.tracks["trk000000"].isrc
        followed = await client.playlist_tracks(PLAYLIST_FOLLOWED)
        assert len(followed) == 150  # two pages of 100
        saved = await client.saved_tracks()
        assert len(saved) == 60
        assert saved[0].added_at is not None
        assert not client.playlist_changed(owned, owned.snapshot_id)
        assert client.playlist_changed(owned, "old-snapshot")


async def test_items_route_falls_back_to_tracks(sim: SpotifySimulator) -> None:
    """A server without the 2026 /items route still works through /tracks."""
    sim.faults.add(f"GET /v1/playlists/{PLAYLIST_OWNED}/items status=404")
    async with aiohttp.ClientSession() as session:
        client = await client_for(sim, session)
        assert len(await client.playlist_tracks(PLAYLIST_OWNED)) == 120


async def test_retries_5xx_and_honours_retry_after(sim: SpotifySimulator) -> None:
    """A 503 then a 429 with Retry-After: 1 are ridden out; the wait is honoured."""
    async with aiohttp.ClientSession() as session:
        client = await client_for(sim, session)
        sim.faults.add("GET /v1/me status=503 times=1")
        sim.faults.add("GET /v1/me status=429 retry_after=1 times=1")
        started = time.monotonic()
        assert (await client.current_user()).id == "harmony_user"
        assert time.monotonic() - started >= 1.0


async def test_hang_times_out_then_retries(sim: SpotifySimulator) -> None:
    """A request that hangs past the timeout is retried and the retry succeeds."""
    async with aiohttp.ClientSession() as session:
        token = await login(sim, session)

        async def provider() -> str:
            return token

        client = SpotifyClient(
            session, provider, base_url=f"{sim.url}/v1", policy=FAST, timeout=0.3
        )
        sim.faults.add("GET /v1/me kind=hang delay=1 times=1")
        assert (await client.current_user()).id == "harmony_user"


async def test_persistent_429_and_outage(sim: SpotifySimulator) -> None:
    """Rate limiting that never ends and a dead server give clear errors."""
    async with aiohttp.ClientSession() as session:
        client = await client_for(sim, session)
        sim.faults.add("GET /v1/me status=429 retry_after=0")
        with pytest.raises(RateLimitedError):
            await client.current_user()
        sim.faults.clear()
        sim.faults.add("GET /v1/me kind=drop")
        with pytest.raises(CannotConnectError):
            await client.current_user()


async def test_revoked_token_is_invalid_auth(sim: SpotifySimulator) -> None:
    """A revoked token raises InvalidAuthError (Home Assistant then asks to re-authenticate)."""
    async with aiohttp.ClientSession() as session:
        client = await client_for(sim, session)
        sim.revoke_tokens()
        with pytest.raises(InvalidAuthError):
            await client.current_user()


async def test_token_endpoint_grants(sim: SpotifySimulator) -> None:
    """Refresh works until the grant is revoked; wrong client credentials are refused."""
    async with aiohttp.ClientSession() as session:
        await login(sim, session)
        refresh = next(iter(sim._refresh))
        form = {"grant_type": "refresh_token", "refresh_token": refresh}
        auth = aiohttp.BasicAuth(sim.client_id, sim.client_secret)
        async with session.post(f"{sim.url}/api/token", data=form, auth=auth) as response:
            assert response.status == 200
        sim.revoke_tokens()
        async with session.post(f"{sim.url}/api/token", data=form, auth=auth) as response:
            assert (await response.json())["error"] == "invalid_grant"
        async with session.post(
            f"{sim.url}/api/token", data=form, auth=aiohttp.BasicAuth("x", "y")
        ) as response:
            assert (await response.json())["error"] == "invalid_client"


async def test_limits_like_spotify(sim: SpotifySimulator) -> None:
    """Limits above Spotify's maximum are refused with a 400."""
    async with aiohttp.ClientSession() as session:
        token = await login(sim, session)
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(f"{sim.url}/v1/me/tracks?limit=51", headers=headers) as response:
            assert response.status == 400
        sim.add_track(SpotifyTrackRecord("x", "X", [("a", "A")], ("b", "B", "2020"), 1000, None))
        async with session.get(
            f"{sim.url}/v1/playlists/{PLAYLIST_OWNED}/items?limit=100", headers=headers
        ) as response:
            assert response.status == 200


async def test_spotipy_reads_the_simulator(sim: SpotifySimulator) -> None:
    """spotipy, a client we did not write, pages through the simulator unmodified."""
    import asyncio

    import spotipy

    async with aiohttp.ClientSession() as session:
        access = await login(sim, session)

    def read() -> None:  # spotipy is synchronous: run it beside the simulator's loop
        api = spotipy.Spotify(auth=access, retries=0, requests_timeout=5)
        api.prefix = f"{sim.url}/v1/"
        assert api.me()["id"] == "harmony_user"
        page = api.current_user_playlists(limit=1)
        assert page["total"] == 2
        assert api.next(page)["items"][0]["id"] == PLAYLIST_FOLLOWED
        items = api.playlist_items(PLAYLIST_FOLLOWED, limit=100)
        assert len(items["items"]) == 100
        assert len(api.next(items)["items"]) == 50
        assert api.current_user_saved_tracks(limit=50)["total"] == 60

    await asyncio.to_thread(read)
