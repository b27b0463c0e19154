"""Spotify client against the Spotify simulator over real loopback sockets."""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    LocalOAuth2Implementation,
    OAuth2Session,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harmony_music.clients.errors import (
    CannotConnectError,
    InvalidAuthError,
    NotFoundError,
    RateLimitedError,
)
from custom_components.harmony_music.clients.spotify import (
    RetryPolicy,
    SpotifyClient,
    SpotifyForbiddenError,
)
from custom_components.harmony_music.const import DOMAIN
from tests.simulators.spotify import (
    PLAYLIST_COLLAB,
    PLAYLIST_FOLLOWED,
    PLAYLIST_LARGE,
    PLAYLIST_OWNED,
    SpotifyPlaylistRecord,
    SpotifySimulator,
)

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=5)


@pytest.fixture
def make_client(
    spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession
) -> Callable[..., SpotifyClient]:
    """A client with a freshly granted token (or the given one)."""

    def make(token: str | None = None, **kwargs: Any) -> SpotifyClient:
        access = token or str(spotify_sim.issue_tokens()["access_token"])

        async def provider() -> str:
            return access

        kwargs.setdefault("policy", FAST)
        return SpotifyClient(http_session, provider, base_url=f"{spotify_sim.url}/v1", **kwargs)

    return make


def playable_ids(spotify_sim: SpotifySimulator, playlist_id: str) -> list[str]:
    """What the user can play from a playlist, by the simulator's own records."""
    tracks = spotify_sim.tracks
    return [
        t
        for t in spotify_sim.playlists[playlist_id].track_ids
        if not (tracks[t].is_local or tracks[t].is_episode or not tracks[t].is_playable)
    ]


async def test_user_and_every_playlist_owned_and_followed(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """The account and all playlists of its library, across pages of 50."""
    for n in range(60):
        spotify_sim.add_playlist(
            SpotifyPlaylistRecord(f"extra{n:017d}", f"Extra {n}", "someone", "Someone", [])
        )
    client = make_client()
    user = await client.async_current_user()
    assert (user.id, user.display_name) == ("harmony_user", "Harmony User")
    playlists = await client.async_playlists()
    assert [p.id for p in playlists] == spotify_sim.user.playlist_ids  # 64, library order
    assert spotify_sim.count(r"GET /v1/me/playlists") == 2
    by_id = {p.id: p for p in playlists}
    owned = by_id[PLAYLIST_OWNED]
    assert owned.owned_by(user.id)
    assert owned.total == 120
    assert owned.public is True
    followed = by_id[PLAYLIST_FOLLOWED]
    assert not followed.owned_by(user.id)
    assert (followed.owner_id, followed.owner_name, followed.total) == (
        "indiemixtapes",
        "Indie Mixtapes",
        150,
    )
    collab = by_id[PLAYLIST_COLLAB]
    assert collab.collaborative
    assert collab.public is False
    assert owned.snapshot_id == spotify_sim.playlists[PLAYLIST_OWNED].snapshot_id


async def test_playlist_items_skip_local_files_episodes_and_unavailable(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """120 entries, three of which cannot be downloaded: 117 typed tracks in order."""
    items = await make_client().async_playlist_tracks(PLAYLIST_OWNED)
    assert [i.track.id for i in items] == playable_ids(spotify_sim, PLAYLIST_OWNED)
    assert len(items) == 117
    assert all("market=from_token" in r for r in spotify_sim.requests if "/items" in r)
    first, record = items[0], spotify_sim.tracks[items[0].track.id]
    assert first.track.name == record.name
    assert [(a.id, a.name) for a in first.track.artists] == record.artists
    assert (first.track.album.id, first.track.album.name, first.track.album.release_date) == (
        record.album
    )
    assert first.track.duration_ms == record.duration_ms
    assert first.track.isrc == record.isrc
    assert first.track.uri == f"spotify:track:{record.id}"
    assert first.track.is_playable is True
    assert not first.track.is_local
    assert first.added_at == spotify_sim.playlists[PLAYLIST_OWNED].item_added_at(0)
    # The engine reads the raw Spotify track object.
    raw = first.track.raw
    assert raw["artists"][0]["name"] == record.artists[0][1]
    assert raw["album"]["name"] == record.album[1]
    assert raw["external_ids"]["isrc"] == record.isrc


async def test_large_playlist_is_read_page_by_page(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """250 items arrive complete and in order, in pages of 50."""
    items = await make_client().async_playlist_tracks(PLAYLIST_LARGE)
    assert [i.track.id for i in items] == spotify_sim.playlists[PLAYLIST_LARGE].track_ids
    assert spotify_sim.count(rf"GET /v1/playlists/{PLAYLIST_LARGE}/items") == 5


@pytest.mark.parametrize("era", ["tracks", "both", "items"])
async def test_every_era_of_the_playlist_api(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient], era: Any
) -> None:
    """Before 2026 (/items is 404: fall back to /tracks), the transition, and after it."""
    spotify_sim.playlist_api = era
    client = make_client()
    playlists = {p.id: p for p in await client.async_playlists()}
    assert playlists[PLAYLIST_LARGE].total == 250
    items = await client.async_playlist_tracks(PLAYLIST_OWNED)
    assert [i.track.id for i in items] == playable_ids(spotify_sim, PLAYLIST_OWNED)
    old_route = spotify_sim.count(rf"/playlists/{PLAYLIST_OWNED}/tracks")
    if era == "tracks":
        assert spotify_sim.count(rf"/playlists/{PLAYLIST_OWNED}/items") == 1  # the 404
        assert old_route == 3  # 120 items in pages of 50
    else:
        assert old_route == 0


async def test_items_fallback_when_the_route_is_missing(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """A bare 404 on /items (an injected fault) also falls back to /tracks."""
    spotify_sim.faults.add(f"GET /v1/playlists/{PLAYLIST_FOLLOWED}/items status=404")
    items = await make_client().async_playlist_tracks(PLAYLIST_FOLLOWED)
    assert len(items) == 150
    assert spotify_sim.count(rf"/playlists/{PLAYLIST_FOLLOWED}/tracks") == 3


async def test_unknown_playlist_and_development_mode_refusal(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """A missing playlist is NotFound; a followed one in Development Mode is Forbidden."""
    client = make_client()
    with pytest.raises(NotFoundError):
        await client.async_playlist_tracks("0000000000000000000000")
    spotify_sim.dev_mode = True
    with pytest.raises(SpotifyForbiddenError):
        await client.async_playlist_tracks(PLAYLIST_FOLLOWED)
    # Not a credentials problem: owned and collaborative playlists still read fine.
    assert len(await client.async_playlist_tracks(PLAYLIST_COLLAB)) == 30
    assert (await client.async_current_user()).id == "harmony_user"


async def test_saved_tracks_every_page_with_added_at(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """120 saved tracks in pages of 50, newest first; an unavailable one is left out."""
    gone = spotify_sim.user.saved[7][0]
    spotify_sim.tracks[gone].is_playable = False
    saved = await make_client().async_saved_tracks()
    assert spotify_sim.count(r"GET /v1/me/tracks") == 3
    expected = sorted(
        (entry for entry in spotify_sim.user.saved if entry[0] != gone),
        key=lambda e: e[1],
        reverse=True,
    )
    assert [(s.track.id, s.added_at) for s in saved] == expected
    assert saved[0].track.raw["name"] == spotify_sim.tracks[saved[0].track.id].name


async def test_unchanged_snapshot_needs_no_refetch(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """After a sync, only the playlist that changed is read again."""
    client = make_client()
    known = {p.id: p.snapshot_id for p in await client.async_playlists()}
    new_track = spotify_sim.playlists[PLAYLIST_FOLLOWED].track_ids[0]
    spotify_sim.playlists[PLAYLIST_OWNED].add_tracks([new_track])
    spotify_sim.requests.clear()
    changed = [p for p in await client.async_playlists() if client.playlist_changed(p, known[p.id])]
    assert [p.id for p in changed] == [PLAYLIST_OWNED]
    items = await client.async_playlist_tracks(PLAYLIST_OWNED)
    assert items[-1].track.id == new_track
    assert (
        spotify_sim.count(r"/items")
        == spotify_sim.count(rf"/playlists/{PLAYLIST_OWNED}/items")
        == 3
    )
    assert client.playlist_changed(changed[0], None)


async def test_429_waits_for_retry_after(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """Retry-After: 1 is honoured (the second request comes a second later)."""
    client = make_client()
    spotify_sim.faults.add("GET /v1/me$ status=429 retry_after=1 times=1")
    started = time.monotonic()
    assert (await client.async_current_user()).id == "harmony_user"
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.5
    assert spotify_sim.count(r"GET /v1/me$") == 2


async def test_429_that_persists_or_asks_too_much(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """A wait beyond our cap is not slept through; endless 429s end as RateLimitedError."""
    client = make_client()
    spotify_sim.faults.add("GET /v1/me$ status=429 retry_after=3600")
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as err:
        await client.async_current_user()
    assert err.value.retry_after == 3600
    assert time.monotonic() - started < 0.5
    assert spotify_sim.count(r"GET /v1/me$") == 1
    spotify_sim.faults.clear()
    spotify_sim.faults.add("GET /v1/me$ status=429 retry_after=0")
    with pytest.raises(RateLimitedError):
        await client.async_current_user()
    assert spotify_sim.count(r"GET /v1/me$") == 1 + FAST.attempts


async def test_5xx_retried_then_given_up(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """Two 503s are ridden out; a server that keeps failing is CannotConnect."""
    client = make_client()
    spotify_sim.faults.add("GET /v1/me/tracks status=503 times=2")
    assert len(await client.async_saved_tracks()) == 120
    spotify_sim.faults.add("GET /v1/me$ status=500")
    with pytest.raises(CannotConnectError):
        await client.async_current_user()
    assert spotify_sim.count(r"GET /v1/me$") == FAST.attempts


async def test_hang_times_out_then_retries(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """A request that hangs past the timeout is retried and the retry succeeds."""
    client = make_client(timeout=0.3)
    spotify_sim.faults.add("GET /v1/me$ kind=hang delay=2 times=1")
    started = time.monotonic()
    assert (await client.async_current_user()).id == "harmony_user"
    assert 0.3 <= time.monotonic() - started < 1.5  # not the 2 s the server hangs


async def test_dropped_connection(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """A dropped connection is retried; one that always drops is CannotConnect."""
    client = make_client()
    spotify_sim.faults.add(f"GET /v1/playlists/{PLAYLIST_OWNED}/items kind=drop times=1")
    assert len(await client.async_playlist_tracks(PLAYLIST_OWNED)) == 117
    spotify_sim.faults.add("GET /v1/me$ kind=drop")
    with pytest.raises(CannotConnectError):
        await client.async_current_user()


async def test_revoked_or_expired_token_is_invalid_auth_without_retries(
    spotify_sim: SpotifySimulator, make_client: Callable[..., SpotifyClient]
) -> None:
    """A 401 raises InvalidAuthError at once (Home Assistant then asks to re-authenticate)."""
    client = make_client()
    spotify_sim.revoke_tokens()
    with pytest.raises(InvalidAuthError, match="Invalid access token"):
        await client.async_playlists()
    client = make_client()
    spotify_sim.expire_tokens()
    with pytest.raises(InvalidAuthError, match="expired"):
        await client.async_current_user()
    assert spotify_sim.count(r"GET /v1/") == 2


async def test_home_assistant_oauth_session_refreshes_and_reauth_on_revoke(
    hass: HomeAssistant, spotify_sim: SpotifySimulator
) -> None:
    """Home Assistant's own OAuth2Session refreshes against the simulator; a revoked grant
    makes the refresh fail, which the client reports as InvalidAuthError."""
    implementation = LocalOAuth2Implementation(
        hass,
        DOMAIN,
        spotify_sim.client_id,
        spotify_sim.client_secret,
        f"{spotify_sim.url}/authorize",
        f"{spotify_sim.url}/api/token",
    )
    tokens = spotify_sim.issue_tokens()
    spotify_sim.expire_tokens()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=spotify_sim.user.id,
        data={"auth_implementation": DOMAIN, "token": {**tokens, "expires_at": time.time() - 5}},
    )
    entry.add_to_hass(hass)
    oauth = OAuth2Session(hass, entry, implementation)

    async def provider() -> str:
        await oauth.async_ensure_token_valid()
        return str(oauth.token["access_token"])

    client = SpotifyClient(
        async_get_clientsession(hass), provider, base_url=f"{spotify_sim.url}/v1", policy=FAST
    )
    assert (await client.async_current_user()).id == spotify_sim.user.id
    assert spotify_sim.count(r"POST /api/token") == 1
    assert entry.data["token"]["access_token"] != tokens["access_token"]
    spotify_sim.revoke_tokens()
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "token": {**entry.data["token"], "expires_at": 0}}
    )
    with pytest.raises(InvalidAuthError):
        await client.async_current_user()
    assert (
        spotify_sim.count(r"GET /v1/me") == 1
    )  # no API call with a token that cannot be refreshed
