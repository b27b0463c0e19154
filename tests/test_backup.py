"""Backups get a consistent database: writes wait while a backup runs."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harmony_music.backup import async_post_backup, async_pre_backup


async def test_writes_wait_for_the_backup(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A write started during a backup completes only after it."""
    store = init_integration.runtime_data.store
    await async_pre_backup(hass)
    write = asyncio.ensure_future(store.activity.async_add("scan_failed", "error", {"why": "test"}))
    await asyncio.sleep(0.2)
    assert not write.done()
    await async_post_backup(hass)
    await asyncio.wait_for(write, 5)
    assert [row.type for row in await store.activity.async_list()] == ["scan_failed"]
