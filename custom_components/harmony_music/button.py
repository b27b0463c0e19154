"""Buttons: scan the Plex library now."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import HarmonyConfigEntry
from .entity import device_info
from .scan import ScanCoordinator

# One press at a time per button; the coordinator refuses a second scan anyway.
PARALLEL_UPDATES = 1

SCAN_LIBRARY = ButtonEntityDescription(key="scan_library", translation_key="scan_library")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the scan button."""
    async_add_entities([ScanLibraryButton(entry.runtime_data.scan, entry)])


class ScanLibraryButton(CoordinatorEntity[ScanCoordinator], ButtonEntity):
    """Scans the Plex library now (a running scan is not started twice)."""

    _attr_has_entity_name = True
    entity_description = SCAN_LIBRARY

    def __init__(self, coordinator: ScanCoordinator, entry: HarmonyConfigEntry) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_{SCAN_LIBRARY.key}"
        self._attr_device_info = device_info(entry)

    @property
    def available(self) -> bool:
        """A button stays pressable while scans fail: pressing it is how a user retries."""
        return True

    async def async_press(self) -> None:
        """Scan now; raises a translated error when one runs or the scan fails."""
        await self.coordinator.async_scan_now()
