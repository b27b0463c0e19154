"""Setting up, unloading and removing a Harmony Music entry."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from syrupy.assertion import SnapshotAssertion

from custom_components.harmony_music import database_path
from custom_components.harmony_music.const import DOMAIN
from custom_components.harmony_music.store import StoreLockedError
from custom_components.harmony_music.workers.base import WorkerStatus


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """A loaded entry has its device, sensors and event entity; unload stops everything."""
    assert init_integration.state is ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, init_integration.entry_id)})
    assert device is not None
    assert device.name == "Harmony Music"  # the same for every account: stable entity ids
    assert init_integration.title == "Harmony User"  # the entry names the account
    entities = er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
    assert {entity.domain for entity in entities} == {"button", "sensor", "event", "switch"}
    worker = init_integration.runtime_data.matching
    assert worker.state.status is WorkerStatus.IDLE

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert worker.state.status is WorkerStatus.STOPPED
    # The database was closed: it can be opened again by someone else at once.
    assert database_path(hass, init_integration.entry_id).exists()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (HTTPStatus.BAD_REQUEST, ConfigEntryState.SETUP_ERROR),
        (HTTPStatus.INTERNAL_SERVER_ERROR, ConfigEntryState.SETUP_RETRY),
    ],
)
async def test_token_refresh_failure(
    hass: HomeAssistant,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    status: HTTPStatus,
    expected: ConfigEntryState,
) -> None:
    """A revoked token starts reauth; a Spotify outage retries later."""
    token = {**mock_config_entry.data["token"], "expires_at": 0}
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, "token": token}
    )
    aioclient_mock.post("https://accounts.spotify.com/api/token", status=status)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is expected
    flows = hass.config_entries.flow.async_progress()
    assert any(flow["context"]["source"] == "reauth" for flow in flows) is (
        expected is ConfigEntryState.SETUP_ERROR
    )


async def test_token_refresh_network_error_retries(
    hass: HomeAssistant,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Spotify unreachable at start: retry later."""
    token = {**mock_config_entry.data["token"], "expires_at": 0}
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, "token": token}
    )
    aioclient_mock.post("https://accounts.spotify.com/api/token", exc=aiohttp.ClientError())
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_corrupt_database_is_reported_and_kept(
    hass: HomeAssistant, setup_credentials: None, mock_config_entry: MockConfigEntry
) -> None:
    """A damaged database stops setup with a clear error and is never deleted."""
    mock_config_entry.add_to_hass(hass)
    path = database_path(hass, mock_config_entry.entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert str(path) in mock_config_entry.reason
    assert path.read_bytes().startswith(b"this is not a database")


async def test_locked_database_retries(
    hass: HomeAssistant, setup_credentials: None, mock_config_entry: MockConfigEntry
) -> None:
    """Another process holding the database: setup is retried, not failed."""
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.harmony_music.Store.async_open",
        side_effect=StoreLockedError("locked"),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_remove_entry_deletes_database(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Removing the integration removes its database files."""
    path: Path = database_path(hass, init_integration.entry_id)
    assert path.exists()
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not path.exists()


async def test_options_change_applies_without_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Workers read options each cycle: saving options never reloads the entry."""
    worker = init_integration.runtime_data.matching
    with patch.object(hass.config_entries, "async_reload") as reload:
        hass.config_entries.async_update_entry(
            init_integration,
            options={**init_integration.options, "matching_worker_batch_size": 7},
        )
        await hass.async_block_till_done()
    reload.assert_not_called()
    assert worker.claim_limit == 7
    assert init_integration.runtime_data.matching is worker


async def test_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One service device per entry, named after the Spotify account."""
    device = device_registry.async_get_device(identifiers={(DOMAIN, init_integration.entry_id)})
    assert device == snapshot
