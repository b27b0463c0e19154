"""Backup platform: pause the databases so Home Assistant copies consistent files."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .coordinator import HarmonyConfigEntry


def _loaded_entries(hass: HomeAssistant) -> list[HarmonyConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


async def async_pre_backup(hass: HomeAssistant) -> None:
    """Checkpoint the WAL into the main file and hold writes until the backup is done."""
    for entry in _loaded_entries(hass):
        await entry.runtime_data.store.async_pause_for_backup()


async def async_post_backup(hass: HomeAssistant) -> None:
    """Let writes go on."""
    for entry in _loaded_entries(hass):
        await entry.runtime_data.store.async_resume_after_backup()
