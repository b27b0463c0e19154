"""Event entity carrying the activity feed, for automations and the logbook."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .activity import ACTIVITY_ENTITY_KEY, ACTIVITY_TYPES, ActivityEvent, activity_signal
from .coordinator import HarmonyConfigEntry
from .entity import HarmonyEntity

PARALLEL_UPDATES = 0

ACTIVITY_DESCRIPTION = EventEntityDescription(
    key=ACTIVITY_ENTITY_KEY, translation_key="activity", event_types=ACTIVITY_TYPES
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the activity event entity."""
    async_add_entities([HarmonyActivityEvent(entry)])


class HarmonyActivityEvent(HarmonyEntity, EventEntity):
    """Fires once per activity entry (batch done, download failed, ...)."""

    def __init__(self, entry: HarmonyConfigEntry) -> None:
        super().__init__(entry, ACTIVITY_DESCRIPTION)
        self._entry_id = entry.entry_id

    async def async_added_to_hass(self) -> None:
        """Listen to the entry's activity feed."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, activity_signal(self._entry_id), self._handle)
        )

    @callback
    def _handle(self, event: ActivityEvent) -> None:
        self._trigger_event(event.type.value, {"status": event.status, **event.details})
        self.async_write_ha_state()
