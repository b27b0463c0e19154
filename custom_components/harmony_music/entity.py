"""Base entity of Harmony Music: one service device per config entry."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .data import HarmonyConfigEntry


class HarmonyEntity(Entity):
    """An entity attached to the entry's Harmony Music device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: HarmonyConfigEntry, description: EntityDescription) -> None:
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Harmony Music",
            model="Music library sync",
            entry_type=DeviceEntryType.SERVICE,
        )
