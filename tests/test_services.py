"""Actions: every action's responses and errors, and the matching worker behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    load_json_object_fixture,
)
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol

from custom_components.harmony_music import database_path
from custom_components.harmony_music.const import DOMAIN, OPT_MATCHING_BATCH_SIZE
from custom_components.harmony_music.store import JobType, Store, StoreError
from custom_components.harmony_music.workers.matching import payload_dedupe_key

FIXTURE = load_json_object_fixture("match_lullaby.json")
LULLABY: dict[str, Any] = FIXTURE["spotify_track"]  # type: ignore[assignment]
LIBRARY: list[dict[str, Any]] = FIXTURE["library"]  # type: ignore[assignment]
SOULSEEK: list[dict[str, Any]] = FIXTURE["soulseek"]  # type: ignore[assignment]


def track(n: int) -> dict[str, Any]:
    """A distinct Spotify track per n (see copy_of)."""
    return {**LULLABY, "id": f"track{n:04d}", "name": f"Lullaby {n}"}


def copy_of(n: int) -> list[dict[str, Any]]:
    """The library copy of track(n) among another song."""
    return [LIBRARY[0], {**LIBRARY[1], "title": f"Lullaby {n}"}]


async def match(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> dict[str, Any]:
    """Call the match action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "match",
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def sensor_state(hass: HomeAssistant, key: str) -> str:
    """State of one of the entry's sensors, found by its unique id key."""
    registry = er.async_get(hass)
    for entity in registry.entities.values():
        if entity.platform == DOMAIN and entity.unique_id.endswith(f"_{key}"):
            state = hass.states.get(entity.entity_id)
            assert state is not None
            return state.state
    raise AssertionError(f"no sensor {key}")


async def test_match_picks_the_right_library_item(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The same song is matched, another song from the album is not."""
    response = await match(
        hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY, wait=True
    )
    assert response["state"] == "completed"
    assert response["best_index"] == 1
    assert [m["index"] for m in response["matches"]] == [1]
    assert sensor_state(hass, "matches_saved") == "1"
    assert sensor_state(hass, "matching_jobs_completed") == "1"
    assert sensor_state(hass, "matching_queue_length") == "0"
    saved = await init_integration.runtime_data.store.matches.async_list(LULLABY["id"])
    assert len(saved) == 1
    assert saved[0].score >= 0.8
    assert saved[0].parts  # the per-criterion explanation is stored


async def test_match_rejects_live_version_on_soulseek(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A live recording is a different version: only the studio FLAC matches."""
    response = await match(
        hass, init_integration, spotify_track=LULLABY, candidates=SOULSEEK, wait=True
    )
    assert response["best_index"] == 0
    assert [m["index"] for m in response["matches"]] == [0]


async def test_match_without_wait_returns_job_and_dedupes(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Without wait the job id comes back at once; the same payload reuses the open job."""
    # With the worker stopped the first job stays open; its figures show as unavailable.
    await init_integration.runtime_data.matching.async_stop()
    first = await match(hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY)
    second = await match(hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY)
    assert first["created"] is True
    assert first["state"] == "queued"
    assert second == {**first, "created": False}
    assert await init_integration.runtime_data.store.jobs.async_count() == 1
    assert sensor_state(hass, "matching_queue_length") == "unavailable"
    assert sensor_state(hass, "matching_status") == "stopped"


async def test_invalid_payload_ends_invalid_with_reason(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A track without an id cannot be matched: the job says why, nothing is saved."""
    bad = {k: v for k, v in LULLABY.items() if k != "id"}
    response = await match(hass, init_integration, spotify_track=bad, candidates=LIBRARY, wait=True)
    assert response["state"] == "invalid_payload"
    assert "spotify_track.id" in response["reason"]
    bad_candidate = await match(
        hass, init_integration, spotify_track=LULLABY, candidates=[{"kind": "cd"}], wait=True
    )
    assert bad_candidate["state"] == "invalid_payload"
    assert "candidates[0].kind" in bad_candidate["reason"]
    assert sensor_state(hass, "matching_jobs_failed") == "2"
    assert sensor_state(hass, "matches_saved") == "0"


async def test_schema_rejects_non_list_candidates(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Candidates that are not a list of objects are refused before anything is stored."""
    with pytest.raises(Exception, match="candidates"):
        await match(hass, init_integration, spotify_track=LULLABY, candidates="nope")
    assert await init_integration.runtime_data.store.jobs.async_count() == 0


async def test_runtime_error_fails_one_job_and_worker_goes_on(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A scoring crash fails that job with an activity entry; the next job still works."""
    with patch(
        "custom_components.harmony_music.workers.matching.score_details",
        side_effect=RuntimeError("boom"),
    ):
        failed = await match(
            hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY, wait=True
        )
    assert failed["state"] == "failed"
    ok = await match(
        hass, init_integration, spotify_track=track(1), candidates=copy_of(1), wait=True
    )
    assert ok["state"] == "completed"
    store = init_integration.runtime_data.store
    failures = await store.activity.async_list(activity_type="matching_failed")
    assert len(failures) == 1
    assert "boom" in failures[0].details["error"]
    assert sensor_state(hass, "matching_status") in ("idle", "running")


async def test_batches_follow_the_option_and_each_writes_activity(
    hass: HomeAssistant, setup_credentials: None, mock_config_entry: MockConfigEntry
) -> None:
    """Five queued jobs with batch size 2 are done in batches of 2, 2 and 1."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**mock_config_entry.options, OPT_MATCHING_BATCH_SIZE: 2}
    )
    store = Store(database_path(hass, mock_config_entry.entry_id))
    await store.async_open()
    job_ids = []
    for n in range(5):
        payload = {"spotify_track": track(n), "candidates": copy_of(n)}
        job, _ = await store.jobs.async_enqueue(
            JobType.MATCHING, payload, dedupe_key=payload_dedupe_key(payload)
        )
        job_ids.append(job.id)
    await store.async_close()

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    runtime = mock_config_entry.runtime_data
    for job_id in job_ids:
        await runtime.matching.queue.async_wait(job_id, 10)
    await hass.async_block_till_done()
    batches = await runtime.store.activity.async_list(activity_type="matching_batch")
    assert sorted(row.details["jobs"] for row in batches) == [1, 2, 2]
    assert sensor_state(hass, "matching_jobs_completed") == "5"
    assert sensor_state(hass, "matching_last_batch_size") in ("1", "2")


async def test_restart_mid_batch_resumes_without_duplicates(
    hass: HomeAssistant, setup_credentials: None, mock_config_entry: MockConfigEntry
) -> None:
    """Jobs left running by a crash are requeued at start and matched exactly once."""
    mock_config_entry.add_to_hass(hass)
    store = Store(database_path(hass, mock_config_entry.entry_id))
    await store.async_open()
    job_ids = []
    for n in range(3):
        payload = {"spotify_track": track(n), "candidates": copy_of(n)}
        job, _ = await store.jobs.async_enqueue(
            JobType.MATCHING, payload, dedupe_key=payload_dedupe_key(payload)
        )
        job_ids.append(job.id)
    claimed = await store.jobs.async_claim(JobType.MATCHING, 2)  # "crash" with two running
    assert len(claimed) == 2
    await store.async_close()

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    runtime = mock_config_entry.runtime_data
    for job_id in job_ids:
        await runtime.matching.queue.async_wait(job_id, 10)
    await hass.async_block_till_done()
    assert sensor_state(hass, "matching_jobs_completed") == "3"
    for n in range(3):
        assert len(await runtime.store.matches.async_list(f"track{n:04d}")) == 1
    assert await runtime.store.matches.async_count() == 3
    assert sensor_state(hass, "matches_saved") == "3"

    # The total survives a reload of the entry.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert sensor_state(hass, "matches_saved") == "3"


async def test_activity_event_entity_fires(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each batch shows up on the activity event entity for automations."""
    await match(hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY, wait=True)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "event", DOMAIN, f"{init_integration.entry_id}_activity"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["event_type"] == "matching_batch"
    assert state.attributes["status"] == "ok"
    assert state.attributes["jobs"] == 1


async def test_list_retry_and_cancel_jobs(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Jobs can be listed, a queued one cancelled, and a cancelled one retried."""
    await init_integration.runtime_data.matching.async_stop()
    queued = await match(hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY)
    job_id = queued["job_id"]
    await hass.services.async_call(
        DOMAIN,
        "cancel_job",
        {"config_entry_id": init_integration.entry_id, "job_id": job_id},
        blocking=True,
    )
    listed = await hass.services.async_call(
        DOMAIN,
        "list_jobs",
        {"config_entry_id": init_integration.entry_id, "state": ["cancelled"]},
        blocking=True,
        return_response=True,
    )
    assert isinstance(listed, dict)
    assert [job["id"] for job in listed["jobs"]] == [job_id]
    assert listed["jobs"][0]["payload"]["spotify_track"]["id"] == LULLABY["id"]

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "cancel_job",
            {"config_entry_id": init_integration.entry_id, "job_id": job_id},
            blocking=True,
        )
    assert err.value.translation_key == "job_cannot_cancel"

    await hass.services.async_call(
        DOMAIN,
        "retry_job",
        {"config_entry_id": init_integration.entry_id, "job_id": job_id},
        blocking=True,
    )
    # A fresh worker (as after a restart) picks the retried job up.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    job = await init_integration.runtime_data.matching.queue.async_wait(job_id, 10)
    assert job is not None
    assert job.state == "completed"

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "retry_job",
            {"config_entry_id": init_integration.entry_id, "job_id": 999},
            blocking=True,
        )
    assert err.value.translation_key == "job_not_found"

    activity = await hass.services.async_call(
        DOMAIN,
        "list_activity",
        {"config_entry_id": init_integration.entry_id, "type": "matching_batch"},
        blocking=True,
        return_response=True,
    )
    assert isinstance(activity, dict)
    assert activity["activity"][0]["type"] == "matching_batch"


async def test_actions_need_a_loaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Unknown and unloaded entries give translated validation errors."""
    with pytest.raises(ServiceValidationError) as err:
        await match(
            hass, init_integration, config_entry_id="nope", spotify_track=LULLABY, candidates=[]
        )
    assert err.value.translation_key == "entry_not_found"
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as err:
        await match(hass, init_integration, spotify_track=LULLABY, candidates=[])
    assert err.value.translation_key == "entry_not_loaded"


async def test_database_failure_in_action_is_reported(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A database error becomes a translated HomeAssistantError, not a traceback."""
    store = init_integration.runtime_data.store
    with (
        patch.object(store.jobs, "async_list", side_effect=StoreError("disk I/O error")),
        pytest.raises(HomeAssistantError) as err,
    ):
        await hass.services.async_call(
            DOMAIN,
            "list_jobs",
            {"config_entry_id": init_integration.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "database_error_action"


def test_database_path_is_per_entry(tmp_path: Path) -> None:
    """Two entries never share a database file (one writer per file)."""

    class FakeConfig:
        def path(self, *parts: str) -> str:
            return str(tmp_path.joinpath(*parts))

    class FakeHass:
        config = FakeConfig()

    first = database_path(FakeHass(), "a")  # type: ignore[arg-type]
    second = database_path(FakeHass(), "b")  # type: ignore[arg-type]
    assert first != second
    assert first.parent == tmp_path / ".storage"


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


async def test_same_request_after_completion_saves_no_second_match(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Asking again for a finished match runs a new job but does not count the match twice."""
    first = await match(
        hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY, wait=True
    )
    second = await match(
        hass, init_integration, spotify_track=LULLABY, candidates=LIBRARY, wait=True
    )
    assert second["created"] is True
    assert second["job_id"] != first["job_id"]
    assert second["best_index"] == first["best_index"] == 1
    assert sensor_state(hass, "matches_saved") == "1"
    assert sensor_state(hass, "matching_jobs_completed") == "2"
    assert await init_integration.runtime_data.store.matches.async_count() == 1


async def test_retry_wakes_the_worker_of_the_job_type(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A retried job runs at once (the idle worker would otherwise look again only in 30 s)."""
    worker = init_integration.runtime_data.matching
    bad = {key: value for key, value in LULLABY.items() if key != "id"}
    invalid = await match(hass, init_integration, spotify_track=bad, candidates=LIBRARY, wait=True)
    assert invalid["state"] == "invalid_payload"
    await call(hass, init_integration, "retry_job", job_id=invalid["job_id"])
    job = await worker.queue.async_wait(invalid["job_id"], 5)
    assert job is not None
    assert (job.state, job.attempts) == ("invalid_payload", 2)


async def test_schema_refuses_unknown_job_state_and_type(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """list_jobs takes only real states and types; list_activity only real activity types."""
    for data in ({"state": ["done"]}, {"type": "upload"}):
        with pytest.raises(vol.Invalid):
            await call(hass, init_integration, "list_jobs", **data)
    with pytest.raises(vol.Invalid):
        await call(hass, init_integration, "list_activity", type="nothing")
