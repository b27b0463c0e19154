"""The daily auto-sync time: read at every minute's tick, so a changed option moves the next run."""

from __future__ import annotations

from datetime import datetime
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.harmony_music.autosync import AutoSyncCoordinator


async def _at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: str) -> None:
    freezer.move_to(
        dt_util.as_utc(
            datetime.fromisoformat(moment).replace(tzinfo=dt_util.get_default_time_zone())
        )
    )
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_a_changed_run_time_applies_at_the_next_run(
    hass: HomeAssistant, frozen: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """03:00 by default; moved to 04:10 the run starts at 04:10 and not at 03:00.

    Time is frozen before the entry loads: the minute's tick is scheduled from the load's time,
    so moving the clock back before it would never fire it.
    """
    freezer = frozen
    coordinator: AutoSyncCoordinator = init_integration.runtime_data.autosync
    with patch.object(AutoSyncCoordinator, "async_run_now", AsyncMock(return_value=1)) as run:
        await _at(hass, freezer, "2026-12-04T02:58:00")
        assert dt_util.as_local(coordinator.data.next_run).strftime("%H:%M") == "03:00"

        hass.config_entries.async_update_entry(
            init_integration, options={**init_integration.options, "autosync_time": "04:10:00"}
        )
        await _at(hass, freezer, "2026-12-04T02:59:00")  # the next tick reads the option
        next_run = dt_util.as_local(coordinator.data.next_run)
        assert next_run.isoformat().startswith("2026-12-04T04:10")
        await _at(hass, freezer, "2026-12-04T03:00:00")
        run.assert_not_called()
        await _at(hass, freezer, "2026-12-04T04:10:00")
        run.assert_called_once()
        await _at(hass, freezer, "2026-12-04T04:10:00")  # the same minute again: once a day
        run.assert_called_once()
        assert (
            dt_util.as_local(coordinator.data.next_run).isoformat().startswith("2026-12-05T04:10")
        )
