"""Repairs of the database: a damaged file is set aside by the repair, an unwritable one explained.

Neither is retried on its own (no crash loop) and neither file is ever deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import sqlite3
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harmony_music import database_path
from custom_components.harmony_music.const import DOMAIN

GARBAGE = b"this is not a database" * 200


def issue(hass: HomeAssistant, key: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """The entry's repair of that kind, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{key}_{entry.entry_id}")


async def test_damaged_database_repair_sets_the_file_aside_and_starts_afresh(
    hass: HomeAssistant,
    hass_client: Callable[[], Any],
    socket_enabled: None,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Setup fails with a fixable repair; its fix renames the file and the entry loads empty."""
    mock_config_entry.add_to_hass(hass)
    path = database_path(hass, mock_config_entry.entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GARBAGE)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    raised = issue(hass, "database_damaged", mock_config_entry)
    assert raised is not None
    assert raised.is_fixable
    assert raised.severity is ir.IssueSeverity.ERROR
    assert raised.translation_placeholders is not None
    assert raised.translation_placeholders["path"] == str(path)

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": raised.issue_id}
    )
    assert response.status == 200, await response.text()
    step = await response.json()
    assert step["step_id"] == "confirm"
    assert step["description_placeholders"] == {"path": str(path)}
    response = await client.post(f"/api/repairs/issues/fix/{step['flow_id']}", json={})
    assert response.status == 200, await response.text()
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue(hass, "database_damaged", mock_config_entry) is None
    [kept] = path.parent.glob(f"{path.name}.damaged-*")
    assert kept.read_bytes() == GARBAGE  # set aside, byte for byte
    assert path.exists()  # the new, empty database


async def test_unwritable_database_is_explained_and_clears_once_writable(
    hass: HomeAssistant, setup_credentials: None, mock_config_entry: MockConfigEntry
) -> None:
    """A read-only database: a translated setup error and a repair, not retried, file kept;
    writable again, a reload starts the entry and the repair goes."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    path = database_path(hass, mock_config_entry.entry_id)
    before = path.read_bytes()
    real_connect = sqlite3.connect

    def read_only(database: Path, **kwargs: Any) -> sqlite3.Connection:
        # Tests run as root, for whom file modes change nothing: open the file read-only.
        return real_connect(f"file:{database}?mode=ro", uri=True, **kwargs)

    with patch("custom_components.harmony_music.store.database.sqlite3.connect", read_only):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.error_reason_translation_key == "database_read_only"
    assert mock_config_entry.reason is not None
    assert str(path) in mock_config_entry.reason
    raised = issue(hass, "database_read_only", mock_config_entry)
    assert raised is not None
    assert not raised.is_fixable
    assert path.read_bytes() == before

    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue(hass, "database_read_only", mock_config_entry) is None


async def test_empty_database_file_starts_anew_with_a_warning(
    hass: HomeAssistant,
    setup_credentials: None,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file truncated to 0 bytes holds nothing to save: the entry loads with a new database
    and the log says why the queues are empty."""
    mock_config_entry.add_to_hass(hass)
    path = database_path(hass, mock_config_entry.entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert f"The database {path} was an empty file" in caplog.text
    assert issue(hass, "database_damaged", mock_config_entry) is None
    assert path.stat().st_size > 0
