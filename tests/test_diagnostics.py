"""Diagnostics never leak secrets."""

from __future__ import annotations

import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.harmony_music.diagnostics import redact_url


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """Tokens, API keys and URL credentials are redacted; useful state is there."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = json.dumps(diagnostics)
    for secret in (
        "test-access-token",
        "test-refresh-token",
        "plex-secret-token",
        "slskd-secret-key",
        "user:pass",
    ):
        assert secret not in text
    data = diagnostics["entry"]["data"]
    assert data["slskd_url"] == "http://**REDACTED**@slskd.local:5030"
    assert data["plex_url"] == "http://plex.local:32400"
    assert diagnostics["workers"]["matching"]["status"] == "idle"
    assert diagnostics["jobs"]["matching"]["queued"] == 0
    assert diagnostics["entry"]["options"]["matching_worker_batch_size"] == 50


def test_redact_url_drops_query_tokens() -> None:
    """Plex tokens can travel in the query string."""
    assert redact_url("https://plex:32400/?X-Plex-Token=abc") == "https://plex:32400/?**REDACTED**"
    assert redact_url("http://host") == "http://host"


async def test_diagnostics_snapshot(
    frozen: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The whole diagnostics document of a freshly loaded entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    # Folder paths come from pytest's tmp_path and change between runs.
    assert diagnostics == snapshot(
        exclude=props("beets_directory", "beets_library", "slskd_downloads_dir")
    )
