"""Actions: the response of every action, as automations receive it."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    load_json_object_fixture,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.harmony_music.const import DOMAIN


async def call(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: Any
) -> dict[str, Any] | None:
    """Call one of our actions on the entry; return its response, if it gives one."""
    has_response = hass.services.supports_response(DOMAIN, service) != "none"
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=has_response,
    )
    return response if has_response else None


async def test_action_responses(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """match (waiting, not waiting, invalid), list_jobs, list_activity, cancel and retry."""
    fixture = load_json_object_fixture("match_lullaby.json")
    track, library, soulseek = fixture["spotify_track"], fixture["library"], fixture["soulseek"]
    assert await call(
        hass, init_integration, "match", spotify_track=track, candidates=library, wait=True
    ) == snapshot(name="match-wait")
    assert await call(
        hass, init_integration, "match", spotify_track=track, candidates=soulseek, wait=True
    ) == snapshot(name="match-soulseek")
    invalid = {key: value for key, value in track.items() if key != "id"}
    assert await call(
        hass, init_integration, "match", spotify_track=invalid, candidates=library, wait=True
    ) == snapshot(name="match-invalid")
    assert await call(hass, init_integration, "list_jobs") == snapshot(name="list_jobs")
    assert await call(hass, init_integration, "list_activity") == snapshot(name="list_activity")

    await init_integration.runtime_data.matching.async_stop()
    queued = await call(
        hass, init_integration, "match", spotify_track={**track, "id": "x"}, candidates=library
    )
    assert queued == snapshot(name="match-queued")
    assert queued is not None
    assert await call(hass, init_integration, "cancel_job", job_id=queued["job_id"]) is None
    assert await call(hass, init_integration, "retry_job", job_id=queued["job_id"]) is None
    assert await call(hass, init_integration, "list_jobs", state=["queued"]) == snapshot(
        name="list_jobs-queued"
    )
