"""The activity feed in the logbook: one line a happening, saying what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.harmony_music import logbook
from custom_components.harmony_music.activity import (
    EVENT_ACTIVITY,
    ActivityType,
    async_record_activity,
)
from custom_components.harmony_music.const import DOMAIN


async def test_every_activity_is_on_the_bus_and_described(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A recorded activity fires the bus event the logbook turns into a sentence."""
    described: dict[str, Callable[[Event], dict[str, str]]] = {}

    def register(domain: str, event_type: str, describe: Callable[[Event], dict[str, str]]) -> None:
        assert domain == DOMAIN
        described[event_type] = describe

    logbook.async_describe_events(hass, register)
    events = async_capture_events(hass, EVENT_ACTIVITY)
    store = init_integration.runtime_data.store
    cases: list[tuple[ActivityType, str, dict[str, Any], str]] = [
        (
            ActivityType.DOWNLOAD_COMPLETED,
            "ok",
            {"file": "01 - Signal Fire.mp3"},
            "downloaded and imported 01 - Signal Fire.mp3",
        ),
        (
            ActivityType.DOWNLOAD_FAILED,
            "error",
            {"file": "x.flac", "error": "peer offline"},
            "could not download x.flac: peer offline",
        ),
        (
            ActivityType.SOULSEEK_LOW_QUALITY,
            "skipped",
            {"search": "Nadia Rahman Signal Fire"},
            "found Nadia Rahman Signal Fire only below the quality rules",
        ),
        (
            ActivityType.AUTOSYNC_COMPLETED,
            "partial",
            {
                "status": "partial",
                "counts": {"imported": 3, "not_found": 2, "low_quality": 1, "already_owned": 40},
            },
            "auto-sync partial: 3 imported, 2 not found, 1 only in low quality, 40 already owned",
        ),
        (
            ActivityType.SCAN_FAILED,
            "failed",
            {"error": "Plex unreachable"},
            "library scan failed: Plex unreachable",
        ),
    ]
    for kind, status, details, _ in cases:
        await async_record_activity(hass, init_integration.entry_id, store, kind, status, details)
    await hass.async_block_till_done()
    assert [e.data["type"] for e in events] == [kind.value for kind, *_ in cases]
    assert all(e.data["config_entry_id"] == init_integration.entry_id for e in events)
    for event, (*_, message) in zip(events, cases, strict=True):
        line = described[EVENT_ACTIVITY](event)
        assert line == {
            "name": "Harmony Music",
            "message": message,
            "entity_id": "event.harmony_music_activity",  # the line sits with the event entity
        }
    assert set(logbook.MESSAGES) == set(ActivityType)  # every type that can happen has a line
