"""Buttons: scan the Plex library now, run auto-sync now."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .autosync import AutoSyncCoordinator
from .coordinator import HarmonyConfigEntry
from .entity import device_info
from .scan import ScanCoordinator

# One press at a time per button; the coordinator refuses a second scan anyway.
PARALLEL_UPDATES = 1

SCAN_LIBRARY = ButtonEntityDescription(key="scan_library", translation_key="scan_library")
RUN_AUTOSYNC = ButtonEntityDescription(key="run_autosync", translation_key="run_autosync")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the scan and auto-sync buttons."""
    async_add_entities(
        [
            ScanLibraryButton(entry.runtime_data.scan, entry),
            RunAutoSyncButton(entry.runtime_data.autosync, entry),
        ]
    )


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


class RunAutoSyncButton(CoordinatorEntity[AutoSyncCoordinator], ButtonEntity):
    """Starts an auto-sync run now (a running one is not started twice)."""

    _attr_has_entity_name = True
    entity_description = RUN_AUTOSYNC

    def __init__(self, coordinator: AutoSyncCoordinator, entry: HarmonyConfigEntry) -> None:
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_{RUN_AUTOSYNC.key}"
        self._attr_device_info = device_info(entry)

    async def async_press(self) -> None:
        """Start a run; raises a translated error while one runs."""
        await self.coordinator.async_run_now()
