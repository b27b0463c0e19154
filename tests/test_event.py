"""Event platform: the activity feed entity before and after an activity entry."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    load_json_object_fixture,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harmony_music.const import DOMAIN


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the event platform."""
    return [Platform.EVENT]


async def test_activity_event_entity(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """No event yet after setup; a matching batch fires one with its details."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    fixture = load_json_object_fixture("match_lullaby.json")
    await hass.services.async_call(
        DOMAIN,
        "match",
        {
            "config_entry_id": init_integration.entry_id,
            "spotify_track": fixture["spotify_track"],
            "candidates": fixture["library"],
            "wait": True,
        },
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    entity_id = entity_registry.async_get_entity_id(
        "event", DOMAIN, f"{init_integration.entry_id}_activity"
    )
    assert entity_id is not None
    assert hass.states.get(entity_id) == snapshot(name="after-match")
