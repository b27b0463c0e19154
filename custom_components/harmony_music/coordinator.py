"""Coordinators feeding the entities, and the typed config entry they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import DOMAIN, LOGGER
from .store import JobType, Store
from .workers.state import WorkerState

if TYPE_CHECKING:
    from .autosync import AutoSyncCoordinator
    from .clients.beets import BeetsClient
    from .clients.plex import PlexClient
    from .clients.slskd import SlskdClient
    from .clients.spotify import SpotifyClient
    from .scan import ScanCoordinator
    from .workers.download import DownloadWorker
    from .workers.matching import MatchingWorker
    from .workers.queue import QueueWorker


@dataclass
class HarmonyData:
    """Everything a loaded entry owns; each part registers its own teardown."""

    store: Store
    spotify: SpotifyClient
    plex: PlexClient
    slskd: SlskdClient
    beets: BeetsClient
    matching: MatchingWorker
    download: DownloadWorker
    scan: ScanCoordinator
    autosync: AutoSyncCoordinator

    def worker_for(self, job_type: JobType) -> QueueWorker[Any] | None:
        """The worker that processes jobs of a type (None: no worker runs that type yet)."""
        workers: dict[JobType, QueueWorker[Any]] = {
            JobType.MATCHING: self.matching,
            JobType.DOWNLOAD: self.download,
        }
        return workers.get(job_type)


type HarmonyConfigEntry = ConfigEntry[HarmonyData]


class WorkerCoordinator[StateT: WorkerState](DataUpdateCoordinator[StateT]):
    """Carries a worker's published state to its entities; the worker pushes, nothing polls."""

    def __init__(
        self, hass: HomeAssistant, entry: HarmonyConfigEntry, name: str, state: StateT
    ) -> None:
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} {name} worker", update_interval=None
        )
        self.data = state

    async def _async_update_data(self) -> StateT:
        # An entity refresh asked for by a user has nothing to fetch: the last state stands.
        return self.data
