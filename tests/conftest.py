"""Shared fixtures. Importing custom_components first makes our package win over the harness's."""

from __future__ import annotations

import custom_components  # noqa: F401  (must precede the harness's own custom_components)

# isort: split
from collections.abc import AsyncGenerator, Generator
import time
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.harmony_music.clients.errors import CannotConnectError
from custom_components.harmony_music.clients.plex import PlexClient
from custom_components.harmony_music.const import (
    CONF_BEETS_CONFIG,
    CONF_BEETS_DIRECTORY,
    CONF_BEETS_LIBRARY,
    CONF_PLEX_SECTION,
    CONF_PLEX_TOKEN,
    CONF_PLEX_URL,
    CONF_PLEX_VERIFY_SSL,
    CONF_SLSKD_API_KEY,
    CONF_SLSKD_DOWNLOADS_DIR,
    CONF_SLSKD_URL,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from tests.simulators.spotify import SpotifySimulator, demo_catalogue


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load our integration in every test that runs a Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
        # Each test gets its own config dir, so databases never leak between tests.
        hass = request.getfixturevalue("hass")
        hass.config.config_dir = str(request.getfixturevalue("tmp_path"))


@pytest.fixture(autouse=True)
def plex_offline(request: pytest.FixtureRequest) -> Generator[None]:
    """The scan coordinator finds Plex unreachable at once, unless a test brings a simulator.

    Without this the scan would try plex.local (blocked sockets) through urllib3's retries;
    a test using the ``plex_sim`` fixture talks to the simulator over real sockets instead.
    """
    if "hass" not in request.fixturenames or "plex_sim" in request.fixturenames:
        yield
        return
    error = CannotConnectError("Plex is unreachable (tests)")
    with (
        patch.object(PlexClient, "async_refresh", side_effect=error),
        patch.object(PlexClient, "async_statistics", side_effect=error),
        patch.object(PlexClient, "async_snapshot_tracks", side_effect=error),
        patch.object(PlexClient, "async_track_keys", side_effect=error),
    ):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Every entity enabled, as Home Assistant core's fixture of that name does."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's serializer (registry entries, states, devices)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def offline_services(request: pytest.FixtureRequest) -> Generator[None]:
    """The fake hosts of ``entry_data`` are unreachable at once (no DNS lookups).

    Tests marked ``real_services`` run simulators and talk to them for real.
    """
    if request.node.get_closest_marker("real_services") or "hass" not in request.fixturenames:
        yield
        return
    from custom_components.harmony_music.clients.errors import CannotConnectError

    offline = CannotConnectError("slskd is not running in this test")
    client = "custom_components.harmony_music.clients.slskd.SlskdClient"
    with (
        patch(f"{client}.async_get_application", side_effect=offline),
        patch(f"{client}.async_list_downloads", side_effect=offline),
    ):
        yield


CLIENT_ID = "test-client-id"
# A fixed entry id keeps unique ids (and so snapshots) stable between runs.
ENTRY_ID = "01JHARMONYMUSICTESTENTRY01"
# Snapshot tests freeze time here so timestamps in states and responses are stable.
FROZEN_TIME = "2026-12-01T12:00:00+00:00"
CLIENT_SECRET = "test-client-secret"


def entry_data(tmp_dir: str = "/tmp") -> dict[str, Any]:
    """Config entry data as the config flow stores it."""
    return {
        "auth_implementation": DOMAIN,
        "token": {
            "access_token": "test-access-token",
            "refresh_token": "test-refresh-token",
            "token_type": "Bearer",
            "expires_in": 3600,
            "expires_at": time.time() + 3600,
            "scope": "user-library-read playlist-read-private",
        },
        CONF_PLEX_URL: "http://plex.local:32400",
        CONF_PLEX_TOKEN: "plex-secret-token",
        CONF_PLEX_VERIFY_SSL: True,
        CONF_PLEX_SECTION: "1",
        CONF_SLSKD_URL: "http://user:pass@slskd.local:5030",
        CONF_SLSKD_API_KEY: "slskd-secret-key",
        CONF_SLSKD_DOWNLOADS_DIR: f"{tmp_dir}/downloads",
        CONF_BEETS_LIBRARY: f"{tmp_dir}/beets/library.db",
        CONF_BEETS_DIRECTORY: f"{tmp_dir}/music",
        CONF_BEETS_CONFIG: None,
    }


@pytest.fixture
async def setup_credentials(hass: HomeAssistant) -> None:
    """Application credentials for the Spotify OAuth2 implementation."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET), DOMAIN
    )


@pytest.fixture
def mock_config_entry(tmp_path: Any) -> MockConfigEntry:
    """A Harmony Music entry for the account 'harmony_user'."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Harmony User",
        unique_id="harmony_user",
        data=entry_data(str(tmp_path)),
        options=dict(DEFAULT_OPTIONS),
    )


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Time frozen at FROZEN_TIME (request it before the entry loads)."""
    freezer.move_to(FROZEN_TIME)
    return freezer


@pytest.fixture
def platforms() -> list[Platform] | None:
    """Platforms to load; a platform test overrides this to load only its own."""
    return None


@pytest.fixture
def _limit_platforms(platforms: list[Platform] | None) -> Generator[None]:
    if platforms is None:
        yield
        return
    with patch("custom_components.harmony_music.PLATFORMS", platforms):
        yield


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
    _limit_platforms: None,
) -> MockConfigEntry:
    """The entry, set up and loaded."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def http_session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session for client and simulator tests (outside Home Assistant)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def spotify_sim(socket_enabled: None) -> AsyncGenerator[SpotifySimulator]:
    """A running Spotify simulator with the demo catalogue."""
    simulator = SpotifySimulator()
    demo_catalogue(simulator)
    await simulator.start()
    yield simulator
    await simulator.stop()
