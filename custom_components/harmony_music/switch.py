"""Switch: downloads on (running) or off (paused), as download clients offer."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import HarmonyConfigEntry
from .entity import HarmonyWorkerEntity
from .workers.download import DownloadWorker, DownloadWorkerState

PARALLEL_UPDATES = 0

DOWNLOADS_SWITCH = SwitchEntityDescription(key="downloads", translation_key="downloads")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmonyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the downloads switch."""
    async_add_entities([HarmonyDownloadsSwitch(entry.runtime_data.download, entry)])


class HarmonyDownloadsSwitch(HarmonyWorkerEntity[DownloadWorkerState], SwitchEntity):
    """Off pauses new downloads (transfers already running finish); on resumes."""

    def __init__(self, worker: DownloadWorker, entry: HarmonyConfigEntry) -> None:
        super().__init__(worker.coordinator, entry, DOWNLOADS_SWITCH)
        self._worker = worker

    @property
    def is_on(self) -> bool:
        """On unless the user paused downloads."""
        return not self._worker.user_paused

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume downloads."""
        await self._worker.async_set_paused(False)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause downloads."""
        await self._worker.async_set_paused(True)
