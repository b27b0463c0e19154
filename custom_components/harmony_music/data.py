"""Runtime data held by a loaded config entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .clients.beets import BeetsClient
from .clients.plex import PlexClient
from .clients.slskd import SlskdClient
from .clients.spotify import SpotifyClient
from .store import Store
from .workers.matching import MatchingWorker


@dataclass
class HarmonyData:
    """Everything a loaded entry owns; built in async_setup_entry, torn down on unload."""

    store: Store
    spotify: SpotifyClient
    plex: PlexClient
    slskd: SlskdClient
    beets: BeetsClient
    matching: MatchingWorker


type HarmonyConfigEntry = ConfigEntry[HarmonyData]
