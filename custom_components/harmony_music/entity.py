"""Base entities of Harmony Music: one service device per config entry."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import DEVICE_NAME, DOMAIN
from .coordinator import HarmonyConfigEntry
from .workers.state import WorkerState, WorkerStatus


def device_info(entry: HarmonyConfigEntry) -> DeviceInfo:
    """The entry's service device.

    Its name is the same for every account, so entity ids are too (``sensor.harmony_music_…``,
    as the README's examples use them); the entry's title names the Spotify account.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=DEVICE_NAME,
        manufacturer="Harmony Music",
        model="Music library sync",
        entry_type=DeviceEntryType.SERVICE,
    )


class HarmonyEntity(Entity):
    """An entity attached to the entry's Harmony Music device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: HarmonyConfigEntry, description: EntityDescription) -> None:
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = device_info(entry)


class HarmonyWorkerEntity[StateT: WorkerState](CoordinatorEntity[DataUpdateCoordinator[StateT]]):
    """An entity showing part of a worker's or coordinator's published state."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: DataUpdateCoordinator[StateT],
        entry: HarmonyConfigEntry,
        description: EntityDescription,
    ) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = device_info(entry)

    @property
    def available(self) -> bool:
        """Unavailable while the worker is stopped (its figures would go stale)."""
        return super().available and self.coordinator.data.status is not WorkerStatus.STOPPED
