"""The Plex scan coordinator against the Plex simulator over real sockets.

Statistics, the first full listing, skipped and incremental cycles (added, changed, removed),
a failure streak with one activity entry, a restart served from SQLite, options applied at the
next cycle, the repair issue for a rejected token, the button and the action.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol

from custom_components.harmony_music.clients.errors import CannotConnectError
from custom_components.harmony_music.clients.plex import PlexClient
from custom_components.harmony_music.const import (
    CONF_PLEX_SECTION,
    CONF_PLEX_TOKEN,
    CONF_PLEX_URL,
    DOMAIN,
    OPT_SCAN_INCREMENTAL,
    OPT_SCAN_INTERVAL,
)
from custom_components.harmony_music.scan import ScanCoordinator
from custom_components.harmony_music.store import Store
from tests.simulators.plex import PlexLibraryTrack, PlexSimulator, demo_library

DEMO_TRACKS = 6 * 2 * 8
INTERVAL = 900


@pytest.fixture
async def plex_sim(socket_enabled: None) -> AsyncGenerator[PlexSimulator]:
    """A Plex server with the demo library (no folder: a refresh only marks the scan)."""
    simulator = PlexSimulator(refresh_seconds=0.0, expose_isrc=True)
    simulator.add_tracks(
        simulator.music_section_key,
        demo_library(3, start=datetime(2026, 11, 1, tzinfo=UTC)),
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def mock_config_entry(
    mock_config_entry: MockConfigEntry, plex_sim: PlexSimulator
) -> MockConfigEntry:
    """The entry, pointed at the simulator."""
    assert plex_sim.url is not None
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        entry_id=mock_config_entry.entry_id,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data={
            **mock_config_entry.data,
            CONF_PLEX_URL: plex_sim.url,
            CONF_PLEX_TOKEN: plex_sim.token,
            CONF_PLEX_SECTION: str(plex_sim.music_section_key),
        },
        options=dict(mock_config_entry.options),
    )


def _scan(entry: MockConfigEntry) -> ScanCoordinator:
    coordinator: ScanCoordinator = entry.runtime_data.scan
    return coordinator


async def _settle(hass: HomeAssistant) -> None:
    """Wait for the scan's background cycles (the matching worker's task never ends)."""
    await hass.async_block_till_done()
    scans = [t for t in hass._background_tasks if "scan" in t.get_name()]
    if scans:
        await asyncio.wait(scans)
    await hass.async_block_till_done()


async def _next_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await _settle(hass)


def _listings(sim: PlexSimulator) -> list[dict[str, str]]:
    """Queries of track listings with metadata (the snapshot's), not the key-only ones."""
    return [
        dict(r.query)
        for r in sim.requests
        if r.path == f"/library/sections/{sim.music_section_key}/all"
        and r.query.get("type") == "10"
        and r.query.get("includeGuids") == "1"
    ]


def _state(hass: HomeAssistant, key: str) -> str:
    registry = er.async_get(hass)
    for entity in registry.entities.values():
        if entity.platform == DOMAIN and entity.unique_id.endswith(f"_{key}"):
            state = hass.states.get(entity.entity_id)
            assert state is not None, key
            return state.state
    raise AssertionError(f"no entity {key}")


async def test_first_scan_statistics_and_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The first cycle reads statistics and lists the section once; an unchanged one skips."""
    await _settle(hass)
    scan = _scan(init_integration)
    assert _state(hass, "library_tracks") == str(DEMO_TRACKS)
    assert _state(hass, "library_albums") == "12"
    assert _state(hass, "library_artists") == "6"
    assert _state(hass, "scan_consecutive_failures") == "0"
    assert _state(hass, "scan_status") == "idle"
    assert scan.snapshot_version == 1
    assert len(scan.snapshot.tracks) == DEMO_TRACKS
    assert scan.data.snapshot_tracks == DEMO_TRACKS
    assert len(_listings(plex_sim)) == 1
    assert "updatedAt>>" not in str(_listings(plex_sim)[0])
    # The index finds a library track by its Spotify shape.
    first = plex_sim.tracks()[0]
    found = scan.index.match(
        {
            "name": first.title,
            "artists": [{"name": first.artist}],
            "album": {"name": first.album},
            "duration_ms": first.duration_ms,
            "external_ids": {"isrc": first.isrc} if first.isrc else {},
        }
    )
    assert found is not None
    assert scan.snapshot.tracks[found[0]].title == first.title
    # Incremental (the default): Plex was asked to refresh the section first.
    assert plex_sim.refresh_calls == [(plex_sim.music_section_key, None)]

    plex_sim.requests.clear()
    await _next_cycle(hass, freezer, INTERVAL)
    assert _listings(plex_sim) == []
    assert plex_sim.count_requests(r"/library/sections/\d+/all") == 3  # the three counts only
    assert scan.snapshot_version == 1


async def test_incremental_added_changed_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Only what changed since the watermark is listed; removals come from the key listing."""
    await _settle(hass)
    scan = _scan(init_integration)
    keys = [int(t.rating_key) for t in scan.snapshot.tracks]
    later = datetime(2030, 1, 1, tzinfo=UTC)  # after every demo date
    plex_sim.add_tracks(
        plex_sim.music_section_key,
        [
            PlexLibraryTrack(
                "Brand New",
                "New Artist",
                "New Album",
                2026,
                1,
                180_000,
                "/music/new.flac",
                added_at=later,
            )
        ],
    )
    plex_sim.update_track(keys[0], when=later, title="Retitled")
    plex_sim.remove_tracks([keys[1]])
    plex_sim.requests.clear()

    await _next_cycle(hass, freezer, INTERVAL)
    listings = _listings(plex_sim)
    assert len(listings) == 1
    assert any(name.endswith("updatedAt>>") for name in listings[0])
    titles = {t.rating_key: t.title for t in scan.snapshot.tracks}
    assert len(titles) == DEMO_TRACKS
    assert titles[str(keys[0])] == "Retitled"
    assert str(keys[1]) not in titles
    assert "Brand New" in titles.values()
    assert scan.snapshot_version == 2
    assert _state(hass, "library_tracks") == str(DEMO_TRACKS)
    stored, state = await init_integration.runtime_data.store.library.async_load()
    assert len(stored) == DEMO_TRACKS
    assert state["snapshot_version"] == "2"
    # The watermark is Plex's newest time, not Home Assistant's clock.
    assert state["since_watermark"] == str(int(later.timestamp()))


async def test_tracks_older_than_the_watermark_trigger_one_full_listing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A track Plex dates before the watermark (moved in with old dates) is not missed."""
    await _settle(hass)
    old = datetime(2001, 1, 1, tzinfo=UTC)
    plex_sim.add_tracks(
        plex_sim.music_section_key,
        [
            PlexLibraryTrack(
                "Old", "Old Artist", "Old Album", 2001, 1, 1000, "/m/o.flac", added_at=old
            )
        ],
    )
    plex_sim.requests.clear()
    await _next_cycle(hass, freezer, INTERVAL)
    listings = _listings(plex_sim)
    # The incremental listing, then the whole section once.
    assert len(listings) == 2
    assert not any(name.endswith("updatedAt>>") for name in listings[1])
    scan = _scan(init_integration)
    assert "Old" in {t.title for t in scan.snapshot.tracks}
    assert scan.snapshot_version == 2


async def test_restart_loads_the_snapshot_without_listing(
    hass: HomeAssistant, plex_sim: PlexSimulator, init_integration: MockConfigEntry
) -> None:
    """After a reload the snapshot comes from SQLite; an unchanged library is not listed."""
    await _settle(hass)
    plex_sim.requests.clear()
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await _settle(hass)
    scan = _scan(init_integration)
    assert _listings(plex_sim) == []
    assert plex_sim.route_counts()["GET /library/sections/{key}/all"] == 3  # counts, no listing
    assert scan.snapshot_version == 1
    assert len(scan.snapshot.tracks) == DEMO_TRACKS
    assert scan.index.match(
        {"name": plex_sim.tracks()[0].title, "artists": [{"name": plex_sim.tracks()[0].artist}]}
    )


async def test_setup_does_not_wait_for_plex(
    hass: HomeAssistant,
    setup_credentials: None,
    plex_sim: PlexSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A Plex that hangs never holds up setup: the entry loads, the scan finishes later."""
    release = asyncio.Event()

    async def hang(*_: object, **__: object) -> None:
        await release.wait()

    mock_config_entry.add_to_hass(hass)
    with patch.object(PlexClient, "async_refresh", side_effect=hang):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.LOADED
        assert _state(hass, "scan_status") == "running"
        assert _scan(mock_config_entry).scanning
        release.set()
        await _settle(hass)
    assert _state(hass, "scan_status") == "idle"
    assert _state(hass, "library_tracks") == str(DEMO_TRACKS)


async def test_restart_with_plex_down_still_has_the_index(
    hass: HomeAssistant, plex_sim: PlexSimulator, init_integration: MockConfigEntry
) -> None:
    """The entry loads with Plex unreachable, and the stored snapshot serves the index."""
    await _settle(hass)
    with patch.object(PlexClient, "async_refresh", side_effect=CannotConnectError("down")):
        assert await hass.config_entries.async_reload(init_integration.entry_id)
        await _settle(hass)
    scan = _scan(init_integration)
    assert scan.data.consecutive_failures == 1
    assert scan.snapshot_version == 1
    assert len(scan.snapshot.tracks) == DEMO_TRACKS


async def test_failure_streak_and_recovery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two failures keep the entities; the third makes them unavailable and writes one activity."""
    await _settle(hass)
    store: Store = init_integration.runtime_data.store
    caplog.set_level(logging.INFO)
    with patch.object(
        PlexClient, "async_refresh", side_effect=CannotConnectError("Plex is unreachable")
    ):
        for failures in (1, 2):
            await _next_cycle(hass, freezer, INTERVAL)
            assert _state(hass, "scan_consecutive_failures") == str(failures)
            assert _state(hass, "library_tracks") == str(DEMO_TRACKS)
        for _ in range(3):
            await _next_cycle(hass, freezer, INTERVAL)
            assert _state(hass, "library_tracks") == STATE_UNAVAILABLE
        assert _scan(init_integration).data.consecutive_failures == 5
    activity = await store.activity.async_list(activity_type="scan_failed")
    assert len(activity) == 1
    assert activity[0].details["failures"] == 3
    assert caplog.text.count("Plex is lost") == 1

    await _next_cycle(hass, freezer, INTERVAL)
    assert _state(hass, "library_tracks") == str(DEMO_TRACKS)
    assert _state(hass, "scan_consecutive_failures") == "0"
    assert caplog.text.count("Plex is back") == 1
    # A new streak writes a new entry.
    with patch.object(PlexClient, "async_refresh", side_effect=CannotConnectError("down")):
        for _ in range(3):
            await _next_cycle(hass, freezer, INTERVAL)
    assert len(await store.activity.async_list(activity_type="scan_failed")) == 2


async def test_interval_option_applies_at_the_next_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new interval is read at the next cycle, without a reload."""
    await _settle(hass)
    hass.config_entries.async_update_entry(
        init_integration, options={**init_integration.options, OPT_SCAN_INTERVAL: 120}
    )
    await _settle(hass)
    assert init_integration.runtime_data.scan is _scan(init_integration)
    stats = "GET /library/sections"
    plex_sim.requests.clear()
    await _next_cycle(hass, freezer, INTERVAL)  # the old interval still times this cycle
    assert plex_sim.route_counts()[stats] == 1
    assert _state(hass, "scan_interval") == "120"
    plex_sim.requests.clear()
    await _next_cycle(hass, freezer, 120)
    assert plex_sim.route_counts()[stats] == 1


async def test_incremental_option_applies_at_the_next_cycle(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Turned off, a cycle asks Plex for no refresh and lists a changed library whole."""
    await _settle(hass)
    hass.config_entries.async_update_entry(
        init_integration, options={**init_integration.options, OPT_SCAN_INCREMENTAL: False}
    )
    plex_sim.update_track(int(_scan(init_integration).snapshot.tracks[0].rating_key), title="X")
    plex_sim.refresh_calls.clear()
    plex_sim.requests.clear()
    await _next_cycle(hass, freezer, INTERVAL)
    assert plex_sim.refresh_calls == []
    listings = _listings(plex_sim)
    assert len(listings) == 1
    assert not any(name.endswith("updatedAt>>") for name in listings[0])
    assert _scan(init_integration).snapshot_version == 2


async def test_rejected_token_raises_a_repair_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A rejected token: a repair issue, and automatic cycles stop calling Plex."""
    await _settle(hass)
    plex_sim.token = "rotated"
    await _next_cycle(hass, freezer, INTERVAL)
    issue_id = f"plex_auth_failed_{init_integration.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable is False
    plex_sim.requests.clear()
    for _ in range(3):
        await _next_cycle(hass, freezer, INTERVAL)
    assert plex_sim.requests == []
    assert _state(hass, "library_tracks") == STATE_UNAVAILABLE
    # A manual scan still tries; with the token back, it clears the issue.
    plex_sim.token = init_integration.data[CONF_PLEX_TOKEN]
    await hass.services.async_call(
        DOMAIN, "scan_library", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert _state(hass, "library_tracks") == str(DEMO_TRACKS)


async def test_action_scans_a_folder_and_refuses_a_second_scan(
    hass: HomeAssistant, plex_sim: PlexSimulator, init_integration: MockConfigEntry
) -> None:
    """The action refreshes one folder, then scans; while a scan runs it is refused."""
    await _settle(hass)
    plex_sim.refresh_calls.clear()
    seen: list[str] = []
    status_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{init_integration.entry_id}_scan_status"
    )
    assert status_id is not None
    unsub = async_track_state_change_event(
        hass, status_id, lambda event: seen.append(event.data["new_state"].state)
    )
    response = await hass.services.async_call(
        DOMAIN,
        "scan_library",
        {"config_entry_id": init_integration.entry_id, "path": "/music/Artist"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    unsub()
    assert seen == ["running", "idle"]
    assert plex_sim.refresh_calls == [(plex_sim.music_section_key, "/music/Artist")]
    assert response is not None
    assert response["tracks"] == DEMO_TRACKS
    assert response["snapshot_version"] == 1
    scan = _scan(init_integration)
    async with scan._lock:
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                "scan_library",
                {"config_entry_id": init_integration.entry_id},
                blocking=True,
            )
    assert err.value.translation_key == "scan_running"
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            "scan_library",
            {"config_entry_id": init_integration.entry_id, "path": "  "},
            blocking=True,
        )


async def test_button_scans_and_reports_a_failure(
    hass: HomeAssistant, plex_sim: PlexSimulator, init_integration: MockConfigEntry
) -> None:
    """Pressing the button scans now; a failed scan is a translated error."""
    await _settle(hass)
    entity_id = er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"{init_integration.entry_id}_scan_library"
    )
    assert entity_id is not None
    plex_sim.refresh_calls.clear()
    await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)
    assert plex_sim.refresh_calls == [(plex_sim.music_section_key, None)]
    with (
        patch.object(PlexClient, "async_refresh", side_effect=CannotConnectError("down")),
        pytest.raises(HomeAssistantError) as err,
    ):
        await hass.services.async_call("button", "press", {"entity_id": entity_id}, blocking=True)
    assert err.value.translation_key == "scan_failed"


@pytest.mark.parametrize("platforms", [[Platform.SENSOR], [Platform.BUTTON]])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_snapshot(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    plex_sim: PlexSimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platforms: list[Platform],
) -> None:
    """The scan's entities after a first scan of the simulator (all enabled)."""
    await _settle(hass)
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
