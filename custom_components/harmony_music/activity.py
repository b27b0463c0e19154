"""The activity feed: every notable happening is a stored row and an event for automations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import DOMAIN, LOGGER
from .store import Store, StoreError


class ActivityType(StrEnum):
    """Every activity type the integration emits; the event entity declares exactly these."""

    MATCHING_BATCH = "matching_batch"
    MATCHING_FAILED = "matching_failed"
    DOWNLOAD_COMPLETED = "download_completed"
    DOWNLOAD_FAILED = "download_failed"
    SCAN_FAILED = "scan_failed"
    SOULSEEK_LOW_QUALITY = "soulseek_low_quality"
    AUTOSYNC_COMPLETED = "autosync_completed"


ACTIVITY_TYPES: Final = [activity_type.value for activity_type in ActivityType]
# Fired on the bus with every activity entry: the logbook describes it (logbook.py), and
# automations may trigger on it as on the event entity.
EVENT_ACTIVITY: Final = "harmony_music_activity"
ACTIVITY_ENTITY_KEY: Final = "activity"  # the event entity's description key


@dataclass(frozen=True)
class ActivityEvent:
    """One activity entry as sent to entities."""

    type: ActivityType
    status: str
    details: dict[str, Any]


@callback
def activity_signal(entry_id: str) -> str:
    """Dispatcher signal carrying an entry's activity."""
    return f"harmony_music_activity_{entry_id}"


async def async_record_activity(
    hass: HomeAssistant,
    entry_id: str,
    store: Store,
    activity_type: ActivityType,
    status: str,
    details: dict[str, Any],
) -> None:
    """Store an activity row, then announce it; a store failure is logged, never raised."""
    try:
        await store.activity.async_add(activity_type, status, details)
    except StoreError as err:
        LOGGER.warning("Could not record %s activity: %s", activity_type, err)
    async_dispatcher_send(
        hass, activity_signal(entry_id), ActivityEvent(activity_type, status, details)
    )
    data = {"config_entry_id": entry_id, "type": activity_type.value, "status": status, **details}
    # Naming the event entity ties the logbook line to it: the line gets its name and icon, and
    # a logbook card showing that entity (the dashboard's) lists it.
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.EVENT, DOMAIN, f"{entry_id}_{ACTIVITY_ENTITY_KEY}"
    )
    if entity_id is not None:
        data[ATTR_ENTITY_ID] = entity_id
    hass.bus.async_fire(EVENT_ACTIVITY, data)
