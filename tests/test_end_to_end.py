"""A user's first run, over real sockets: add the integration against the three simulators.

No client is mocked: Spotify OAuth2 runs against the Spotify simulator (authorize, code exchange,
token refresh), Plex through plexapi against the Plex simulator, slskd over HTTP, beets as a real
subprocess. This is what `scripts/develop` lets a person do in the browser.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.harmony_music.const import DOMAIN
from tests.simulators.plex import PlexSimulator, demo_library
from tests.simulators.slskd import SlskdSimulator
from tests.simulators.spotify import SpotifySimulator

pytestmark = pytest.mark.real_services


@pytest.fixture
async def plex_sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[PlexSimulator]:
    """A Plex server with a small music library."""
    simulator = PlexSimulator(library_dir=tmp_path / "music", refresh_seconds=0.1)
    simulator.add_tracks(simulator.music_section_key, demo_library(3))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def slskd_sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    """An slskd daemon."""
    simulator = SlskdSimulator(tmp_path / "downloads", time_scale=0.02)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.mark.usefixtures("current_request_with_host")
async def test_add_integration_against_simulators(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    http_session: aiohttp.ClientSession,
    spotify_sim: SpotifySimulator,
    plex_sim: PlexSimulator,
    slskd_sim: SlskdSimulator,
) -> None:
    """OAuth → Plex → section → slskd → beets, then the entry runs and answers an action."""
    monkeypatch.setenv("HARMONY_MUSIC_SPOTIFY_API_URL", f"{spotify_sim.url}/v1")
    monkeypatch.setenv("HARMONY_MUSIC_SPOTIFY_ACCOUNTS_URL", spotify_sim.url)
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(spotify_sim.client_id, spotify_sim.client_secret), DOMAIN
    )
    for name in ("beets", "music", "downloads"):
        (tmp_path / name).mkdir(exist_ok=True)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    # The browser: Spotify's consent page redirects back to Home Assistant with a code.
    async with http_session.get(result["url"], allow_redirects=False) as response:
        assert response.status == 302
        callback = urlsplit(response.headers["Location"])
    query = parse_qs(callback.query)
    client = await hass_client_no_auth()
    response = await client.get(
        f"/auth/external/callback?code={query['code'][0]}&state={query['state'][0]}"
    )
    assert response.status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "plex"

    steps: list[tuple[str, dict[str, Any]]] = [
        ("plex", {"plex_url": plex_sim.url, "plex_token": plex_sim.token}),
        ("plex_section", {"plex_section": str(plex_sim.music_section_key)}),
        (
            "slskd",
            {
                "slskd_url": slskd_sim.url,
                "slskd_api_key": slskd_sim.api_key,
                "slskd_downloads_dir": str(tmp_path / "downloads"),
            },
        ),
        (
            "beets",
            {
                "beets_library": str(tmp_path / "beets" / "library.db"),
                "beets_directory": str(tmp_path / "music"),
            },
        ),
    ]
    for step_id, user_input in steps:
        assert result["step_id"] == step_id, result.get("errors")
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
        assert not result.get("errors"), (step_id, result.get("errors"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == spotify_sim.user.id
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The running entry reads Spotify with the token the flow obtained.
    user = await entry.runtime_data.spotify.async_current_user()
    assert user.id == spotify_sim.user.id
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert {e.domain for e in entities} == {"button", "sensor", "event", "switch"}

    track = {
        "id": "4uLU6hMCjMI75M1A2tKUQC",
        "name": "Lullaby - 2010 Remaster",
        "artists": [{"name": "The Cure"}],
        "album": {"name": "Disintegration"},
        "duration_ms": 248372,
        "external_ids": {"isrc": ""},
    }
    candidates = [
        {"kind": "library", "title": "Lovesong", "artist": "The Cure", "album": "Disintegration",
         "duration_ms": 209517, "isrc": None},
        {"kind": "library", "title": "Lullaby", "artist": "Cure, The", "album": "Disintegration",
         "duration_ms": 248609, "isrc": None},
    ]  # fmt: skip
    response = await hass.services.async_call(
        DOMAIN,
        "match",
        {
            "config_entry_id": entry.entry_id,
            "spotify_track": track,
            "candidates": candidates,
            "wait": True,
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["state"] == "completed"
    assert [m["index"] for m in response["matches"]] == [1]

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
