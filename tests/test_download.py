"""The download worker against the slskd simulator (real sockets) and real beets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
import re
import threading
import time
from typing import Any
from unittest.mock import AsyncMock, call, patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.harmony_music.clients.errors import BeetsError
from custom_components.harmony_music.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.harmony_music.store import Download, DownloadState, JobState
from custom_components.harmony_music.workers.download import FILE_APPEAR_TIMEOUT, DownloadWorker
from tests.conftest import ENTRY_ID, entry_data
from tests.simulators.faults import FaultRule
from tests.simulators.slskd import PeerBehaviour, SlskdSimulator, SoulseekPeer, demo_peers
from tests.simulators.spotify import SpotifySimulator, SpotifyTrackRecord

pytestmark = pytest.mark.real_services

LULLABY = "@@flac\\Music\\The Cure - Disintegration (1989) [FLAC]\\05 - Lullaby.flac"


@pytest.fixture
async def slskd_sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    """slskd with the demo peers, 50x faster than real time."""
    simulator = SlskdSimulator(tmp_path / "downloads", time_scale=0.02, version="0.26.0")
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def plex_refresh(plex_offline: None) -> AsyncMock:
    """Plex's partial refresh, recorded (over conftest's offline Plex, so this one answers)."""
    refresh = AsyncMock()
    with (
        patch("custom_components.harmony_music.clients.plex.PlexClient.async_refresh", refresh),
        patch("custom_components.harmony_music.workers.download.PLEX_REFRESH_COOLDOWN", 0.2),
        patch("custom_components.harmony_music.workers.download.FAILURE_CONFIRM_DELAY", 0.05),
    ):
        yield refresh


LULLABY_TRACK = SpotifyTrackRecord(
    id="VPbIoespD6rXkQWJLTbxsG",
    name="Lullaby",
    artists=[("7bu3H8JO7d0UbMoVzbo70s", "The Cure")],
    album=("0aKnsCd1VHx4Jy1bmNYK1k", "Disintegration", "1989-05-02"),
    duration_ms=233_000,
    isrc=None,
)


@pytest.fixture
async def spotify(
    spotify_sim: SpotifySimulator, monkeypatch: pytest.MonkeyPatch
) -> SpotifySimulator:
    """The Spotify simulator, knowing Lullaby and the test entry's access token."""
    spotify_sim.add_track(LULLABY_TRACK)
    spotify_sim._access["test-access-token"] = time.monotonic() + 3600
    monkeypatch.setenv("HARMONY_MUSIC_SPOTIFY_API_URL", f"{spotify_sim.url}/v1")
    return spotify_sim


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    setup_credentials: None,
    tmp_path: Path,
    slskd_sim: SlskdSimulator,
    spotify: SpotifySimulator,
    plex_refresh: AsyncMock,
) -> MockConfigEntry:
    """The integration loaded against the simulators, with fast polling."""
    for name in ("beets", "music", "downloads"):
        (tmp_path / name).mkdir(exist_ok=True)
    data = {
        **entry_data(str(tmp_path)),
        "slskd_url": slskd_sim.url,
        "slskd_api_key": slskd_sim.api_key,
    }
    config_entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Harmony User",
        unique_id="harmony_user",
        data=data,
        options={**DEFAULT_OPTIONS, "sync_poll_interval": 0.5, "sync_min_free_gb": 0},
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def worker_of(entry: MockConfigEntry) -> DownloadWorker:
    """The entry's download worker."""
    worker: DownloadWorker = entry.runtime_data.download
    return worker


def shared(sim: SlskdSimulator, filename: str) -> dict[str, Any]:
    """A file as slskd's search reports it (filename, size, length)."""
    for peer in sim.peers:
        for file in peer.files:
            if file.filename == filename:
                return {"filename": file.filename, "size": file.size, "length": file.length}
    raise AssertionError(filename)


async def download(
    hass: HomeAssistant, entry: MockConfigEntry, username: str, files: list[dict[str, Any]]
) -> dict[str, Any]:
    """Call the download action."""
    response = await hass.services.async_call(
        DOMAIN,
        "download",
        {"config_entry_id": entry.entry_id, "username": username, "files": files},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


async def transfer_started(worker: DownloadWorker, job_id: int) -> list[Download]:
    """The job's rows once slskd has its first transfer (the id is stored before it is watched)."""
    async with asyncio.timeout(10):
        while True:
            rows = await worker.store.downloads.async_for_job(job_id)
            if rows and rows[0].transfer_id:
                return rows
            await asyncio.sleep(0.02)


def transfers_of(sim: SlskdSimulator, filename: str) -> int:
    """How many times slskd was asked to download the file."""
    return sum(1 for t in sim.transfers.values() if t.file.filename == filename)


async def test_download_verify_import_and_refresh_plex(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator, plex_refresh: AsyncMock
) -> None:
    """A peer's FLAC lands in the beets library; Plex gets one refresh; entities count it."""
    worker = worker_of(entry)
    file = shared(slskd_sim, LULLABY)
    first = await download(hass, entry, "lossless_lover", [file])
    again = await download(hass, entry, "lossless_lover", [file])
    assert first["created"] is True
    # The same open request is the same job (it may have started running meanwhile).
    assert (again["job_id"], again["created"]) == (first["job_id"], False)

    job = await worker.queue.async_wait(first["job_id"], 30)
    assert job is not None
    assert job.state is JobState.COMPLETED, job.last_error
    [landed] = job.result["files"]  # type: ignore[index]
    library_path = Path(landed["library_path"])
    assert library_path.is_file()
    assert library_path.is_relative_to(Path(entry.data["beets_directory"]))
    [row] = await worker.store.downloads.async_for_job(job.id)
    assert row.state is DownloadState.COMPLETED
    assert row.transfer_id in slskd_sim.transfers  # slskd's GUID, kept as a string
    assert transfers_of(slskd_sim, LULLABY) == 1
    assert worker.coordinator.data.jobs_completed == 1
    activity = await worker.store.activity.async_list(activity_type="download_completed")
    assert activity[0].details["library_path"] == str(library_path)
    items = await entry.runtime_data.beets.async_query(artist="The Cure", title="Lullaby")
    assert [item.path for item in items] == [library_path]

    wanted = call(entry.data["plex_section"], str(library_path.parent))
    async with asyncio.timeout(10):  # the debounced refresh follows the import
        while wanted not in plex_refresh.await_args_list:
            await asyncio.sleep(0.05)
    # One refresh of the imported folder (the scan's own section refreshes are not ours).
    assert plex_refresh.await_args_list.count(wanted) == 1

    # Asked again after it completed: a new job, but no second copy in the library.
    second = await download(hass, entry, "lossless_lover", [file])
    assert second["created"] is True
    job2 = await worker.queue.async_wait(second["job_id"], 30)
    assert job2 is not None
    assert job2.state is JobState.COMPLETED, job2.last_error
    assert job2.result["files"][0]["library_path"] == str(library_path)  # type: ignore[index]
    assert len(await entry.runtime_data.beets.async_query(artist="The Cure", title="Lullaby")) == 1
    assert not list(library_path.parent.glob("*.1.flac"))


async def test_rejected_file_fails_with_reason_and_activity(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """A peer's rejection is final: failed with the reason, a download_failed entry (transfer)."""
    slskd_sim.fail_transfers("Lullaby", "reject")
    worker = worker_of(entry)
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    job = await worker.queue.async_wait(response["job_id"], 30)
    assert job is not None
    assert job.state is JobState.FAILED
    assert "rejected" in (job.last_error or "")
    [entry_row] = await worker.store.activity.async_list(activity_type="download_failed")
    assert entry_row.details["phase"] == "transfer"
    assert worker.coordinator.data.jobs_failed == 1


async def test_corrupt_file_is_quarantined(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator, tmp_path: Path
) -> None:
    """A file no audio library can read fails verification and goes to quarantine."""
    slskd_sim.fail_transfers("Lullaby", "corrupt")
    worker = worker_of(entry)
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    job = await worker.queue.async_wait(response["job_id"], 30)
    assert job is not None
    assert job.state is JobState.FAILED
    assert "verification failed" in (job.last_error or "")
    [failure] = await worker.store.activity.async_list(activity_type="download_failed")
    assert failure.details["phase"] == "verify"
    quarantined = list((tmp_path / "downloads" / ".harmony_music" / "quarantine").iterdir())
    assert len(quarantined) == 1
    assert not list((tmp_path / "music").rglob("*.flac"))


async def test_slskd_restart_mid_transfer_is_retried_not_failed(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """'Application shut down' is slskd restarting: the file is enqueued again and lands."""
    worker = worker_of(entry)
    worker.queue.backoff = timedelta(milliseconds=100)
    slskd_sim.behave("Lullaby", bytes_per_second=2_000_000)  # a few slskd seconds
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    await transfer_started(worker, response["job_id"])
    slskd_sim.restart()
    slskd_sim.behave("Lullaby", bytes_per_second=None)
    job = await worker.queue.async_wait(response["job_id"], 30)
    assert job is not None
    assert job.state is JobState.COMPLETED, job.last_error
    assert job.attempts == 2
    assert transfers_of(slskd_sim, LULLABY) == 2


async def test_restart_of_home_assistant_reattaches_instead_of_enqueueing_again(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """A job running when the entry stops resumes at the next start on the same transfer."""
    worker = worker_of(entry)
    slskd_sim.behave("Lullaby", bytes_per_second=1_000_000)
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    rows = await transfer_started(worker, response["job_id"])
    transfer_id = rows[0].transfer_id
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    job = await worker_of(entry).queue.async_wait(response["job_id"], 60)
    assert job is not None
    assert job.state is JobState.COMPLETED, job.last_error
    assert transfers_of(slskd_sim, LULLABY) == 1
    [row] = await worker_of(entry).store.downloads.async_for_job(job.id)
    assert row.transfer_id == transfer_id


async def test_stopped_between_staging_and_its_row_imports_the_staged_file(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Moved into staging, stopped before the row says so: the next start imports that file.

    Found by the SIGKILL test under load: the restart looked only where slskd had put the
    file (gone: it was staged), waited a minute, then downloaded it from the peer again.
    """
    moved, release = threading.Event(), threading.Event()
    original = DownloadWorker._stage
    calls = 0

    def stage_then_hold(self: DownloadWorker, source: Path, row: Download) -> Path:
        nonlocal calls
        calls += 1
        target = original(self, source, row)
        if calls == 1:  # the first start moves the file and stops before the row is written
            moved.set()
            release.wait(30)
        return target

    with patch.object(DownloadWorker, "_stage", stage_then_hold):
        response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
        async with asyncio.timeout(30):
            while not moved.is_set():
                await asyncio.sleep(0.05)
        assert await hass.config_entries.async_reload(entry.entry_id)
        release.set()
        started = time.monotonic()
        job = await worker_of(entry).queue.async_wait(response["job_id"], FILE_APPEAR_TIMEOUT / 2)
        await hass.async_block_till_done()
    assert job is not None
    assert job.state is JobState.COMPLETED, job.last_error
    assert time.monotonic() - started < FILE_APPEAR_TIMEOUT / 2
    assert transfers_of(slskd_sim, LULLABY) == 1
    items = await entry.runtime_data.beets.async_query(artist="The Cure", title="Lullaby")
    assert len(items) == 1


async def test_cancel_cancels_the_transfer_at_slskd(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Cancelling a running download job cancels and removes its slskd transfer."""
    worker = worker_of(entry)
    slskd_sim.fail_transfers("Lullaby", "stuck")
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    rows = await transfer_started(worker, response["job_id"])
    await hass.services.async_call(
        DOMAIN,
        "cancel_job",
        {"config_entry_id": entry.entry_id, "job_id": response["job_id"]},
        blocking=True,
    )
    transfer = slskd_sim.transfers[rows[0].transfer_id]  # type: ignore[index]
    assert transfer.removed
    assert "Cancelled" in transfer.state
    job = await worker.queue.async_wait(response["job_id"], 10)
    assert job is not None
    assert job.state is JobState.CANCELLED
    # A cancellation is not a failure: no download_failed entry.
    assert not await worker.store.activity.async_list(activity_type="download_failed")


async def test_active_downloads_show_each_file_and_its_progress(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    slskd_sim: SlskdSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The active-downloads sensor lists the file in progress with its peer and percent."""
    # Progress is published every 10 s of real time; this test watches every poll.
    monkeypatch.setattr("custom_components.harmony_music.workers.download.PROGRESS_INTERVAL", 0)
    worker = worker_of(entry)
    slskd_sim.behave("Lullaby", stall_at=0.5)  # half the file arrives, then nothing
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    sensor = "sensor.harmony_music_active_downloads"
    async with asyncio.timeout(10):
        while True:
            state = hass.states.get(sensor)
            assert state is not None
            listed = state.attributes.get("downloads") or []
            if listed and listed[0]["percent"] > 0:
                break
            await asyncio.sleep(0.05)
    assert state.state == "1"
    assert listed == [
        {
            "file": "05 - Lullaby.flac",
            "username": "lossless_lover",
            "percent": listed[0]["percent"],
            "speed_kb_s": listed[0]["speed_kb_s"],
        }
    ]
    assert 0 < listed[0]["percent"] <= 50
    await hass.services.async_call(
        DOMAIN,
        "cancel_job",
        {"config_entry_id": entry.entry_id, "job_id": response["job_id"]},
        blocking=True,
    )
    await worker.queue.async_wait(response["job_id"], 10)
    async with asyncio.timeout(5):  # the transfer's watch ends at its next poll
        while (state := hass.states.get(sensor)) is not None and state.state != "0":
            await asyncio.sleep(0.05)
    assert state is not None
    assert state.attributes["downloads"] == []


async def test_logged_out_slskd_pauses_with_a_repair(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """While slskd is logged out nothing starts; a repair says why; it resumes by itself."""
    worker = worker_of(entry)
    slskd_sim.logged_in = False
    worker._slskd_checked = 0.0
    await worker._async_update_pause()
    assert worker.coordinator.data.status == "paused"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"slskd_not_logged_in_{entry.entry_id}")
    assert issue is not None
    slskd_sim.logged_in = True
    await worker._async_update_pause()
    assert worker.coordinator.data.status == "idle"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"slskd_not_logged_in_{entry.entry_id}") is None
    )


async def test_slskd_sharing_nothing_raises_a_repair_without_pausing(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Peers ban leechers: a share of no files is a repair; downloads go on; sharing clears it."""
    worker = worker_of(entry)
    issue_id = f"slskd_sharing_nothing_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    slskd_sim.own_shared_files = 0
    worker._slskd_checked = 0.0
    await worker._async_update_pause()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert worker.coordinator.data.status == "idle"
    slskd_sim.own_shared_files = 40
    worker._slskd_checked = 0.0
    await worker._async_update_pause()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_beets_failing_again_and_again_raises_a_repair_until_an_import_works(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Three failed imports in a row: a repair with beets' error; the file is kept and retried,
    and the import that works clears the repair."""
    worker = worker_of(entry)
    worker.queue.backoff = timedelta(milliseconds=50)
    worker.queue.max_backoff = timedelta(milliseconds=100)
    worker.queue.max_attempts = 10
    issue_id = f"beets_import_failing_{entry.entry_id}"
    real_import = worker.beets.async_import
    failing = True

    async def flaky_import(paths: list[Path], **kwargs: Any) -> Any:
        if failing:
            raise BeetsError("database is locked")
        return await real_import(paths, **kwargs)

    with patch.object(worker.beets, "async_import", flaky_import):
        response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
        async with asyncio.timeout(30):
            while (raised := ir.async_get(hass).async_get_issue(DOMAIN, issue_id)) is None:
                await asyncio.sleep(0.05)
        assert raised.translation_placeholders is not None
        assert raised.translation_placeholders["error"] == "database is locked"
        assert int(raised.translation_placeholders["count"]) >= 3
        job = await worker.store.jobs.async_get(response["job_id"])
        assert job is not None
        assert job.state is not JobState.FAILED
        failing = False
        done = await worker.queue.async_wait(response["job_id"], 30)
    assert done is not None
    assert done.state is JobState.COMPLETED, done.last_error
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_downloads_folder_home_assistant_cannot_see_raises_a_repair(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator, tmp_path: Path
) -> None:
    """slskd saves into a folder Home Assistant does not see: a repair names the folder it
    looked in; once the files arrive there the download completes and the repair goes."""
    worker = worker_of(entry)
    worker.queue.backoff = timedelta(milliseconds=50)
    worker.queue.max_backoff = timedelta(milliseconds=100)
    worker.queue.max_attempts = 20
    issue_id = f"downloads_folder_invisible_{entry.entry_id}"
    seen_by_home_assistant = slskd_sim.downloads_dir
    slskd_sim.downloads_dir = tmp_path / "only-slskd-sees-this"
    with patch("custom_components.harmony_music.workers.download.FILE_APPEAR_TIMEOUT", 0.3):
        response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
        async with asyncio.timeout(30):
            while (raised := ir.async_get(hass).async_get_issue(DOMAIN, issue_id)) is None:
                await asyncio.sleep(0.05)
        assert raised.translation_placeholders is not None
        assert raised.translation_placeholders["path"] == str(worker.downloads_dir)
        slskd_sim.downloads_dir = seen_by_home_assistant
        done = await worker.queue.async_wait(response["job_id"], 30)
    assert done is not None
    assert done.state is JobState.COMPLETED, done.last_error
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_bad_requests_are_refused_and_nothing_is_stored(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Missing files, sizes that are not numbers, empty names: refused before any row exists."""
    for files in (
        [],
        [{"filename": "x"}],
        [{"filename": "", "size": 5}],
        [{"filename": "a", "size": "big"}],
    ):
        with pytest.raises((vol.Invalid, ServiceValidationError)):
            await download(hass, entry, "peer", files)  # type: ignore[arg-type]
    assert await entry.runtime_data.store.jobs.async_count() == 0


async def download_track(hass: HomeAssistant, entry: MockConfigEntry, track: str) -> dict[str, Any]:
    """Call the download action for a Spotify track."""
    response = await hass.services.async_call(
        DOMAIN,
        "download",
        {"config_entry_id": entry.entry_id, "spotify_track": track},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


async def test_spotify_track_is_searched_and_the_best_file_downloaded(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """A track URL: one search, the FLAC of the studio recording (not a live or MP3 copy)."""
    worker = worker_of(entry)
    searches = patch.object(worker.slskd, "async_search", wraps=worker.slskd.async_search)
    url = f"https://open.spotify.com/track/{LULLABY_TRACK.id}?si=abc"
    with searches as search:
        response = await download_track(hass, entry, url)
        again = await download_track(hass, entry, f"spotify:track:{LULLABY_TRACK.id}")
        assert (again["job_id"], again["created"]) == (response["job_id"], False)
        job = await worker.queue.async_wait(response["job_id"], 60)
    search.assert_awaited_once_with("The Cure Lullaby")
    assert job is not None
    assert job.state is JobState.COMPLETED, job.last_error
    assert job.result is not None
    assert job.result["files"][0]["filename"] == LULLABY
    assert job.result["username"] == "lossless_lover"
    # The ranked files were kept on the job: a failure moves on without searching again.
    assert job.payload["candidates"][0]["filename"] == LULLABY


async def test_only_low_quality_downloads_nothing(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """The right song only outside the quality rules: an activity entry says what was found."""
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "autosync_preferred_formats": ["opus"]}
    )
    worker = worker_of(entry)
    response = await download_track(hass, entry, LULLABY_TRACK.id)
    job = await worker.queue.async_wait(response["job_id"], 60)
    assert job is not None
    assert job.state is JobState.FAILED
    assert "below the quality rules" in (job.last_error or "")
    [low] = await worker.store.activity.async_list(activity_type="soulseek_low_quality")
    assert low.details["found"]
    assert not slskd_sim.transfers


async def test_unknown_spotify_track_fails_in_the_search_phase(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A track Spotify does not know: failed at once, with a download_failed (search) entry."""
    worker = worker_of(entry)
    response = await download_track(hass, entry, "0" * 22)
    job = await worker.queue.async_wait(response["job_id"], 30)
    assert job is not None
    assert job.state is JobState.FAILED
    [failure] = await worker.store.activity.async_list(activity_type="download_failed")
    assert failure.details["phase"] == "search"


def test_peers_in_demo_world_share_lullaby() -> None:
    """The tests above rely on the demo world's FLAC peer sharing Lullaby."""
    names = {f.filename for p in demo_peers() if p.username == "lossless_lover" for f in p.files}
    assert LULLABY in names
    assert SoulseekPeer("x").behaviour == PeerBehaviour()


async def test_download_options_apply_at_the_next_cycle(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Concurrency, polling and stuck limits are read at every cycle: no reload needed."""
    worker = worker_of(entry)
    assert worker.concurrency == 2
    with patch.object(hass.config_entries, "async_reload") as reload:
        hass.config_entries.async_update_entry(
            entry,
            options={
                **entry.options,
                "sync_worker_concurrency": 4,
                "sync_stuck_stalled_seconds": 30,
            },
        )
        await hass.async_block_till_done()
    reload.assert_not_called()
    assert worker.concurrency == 4
    assert worker._option("sync_stuck_stalled_seconds") == 30


async def test_stuck_in_queue_is_cancelled_at_slskd(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """A transfer queued at the peer past the limit is cancelled with remove and retried."""
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "sync_stuck_queued_seconds": 1}
    )
    worker = worker_of(entry)
    worker.queue.max_attempts = 1  # fail after the first give-up, to look at it
    slskd_sim.fail_transfers("Lullaby", "stuck")
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    job = await worker.queue.async_wait(response["job_id"], 30)
    assert job is not None
    assert job.state is JobState.FAILED
    assert "stuck in the peer's queue" in (job.last_error or "")
    [transfer] = slskd_sim.transfers.values()
    assert transfer.removed
    assert "Cancelled" in transfer.state


async def test_slskd_outage_while_polling_is_waited_out(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Polls failing for a while: the worker says so, keeps the transfer and carries on."""
    worker = worker_of(entry)
    slskd_sim.behave("Lullaby", bytes_per_second=2_000_000)
    response = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    await transfer_started(worker, response["job_id"])
    rule = slskd_sim.faults.add(FaultRule(path=r"/transfers/downloads$", method="GET", times=4))
    job = await worker.queue.async_wait(response["job_id"], 60)
    assert job is not None
    assert job.state is JobState.COMPLETED, job.last_error
    assert rule.hits == 4
    assert job.attempts == 1  # the outage did not cost an attempt
    assert transfers_of(slskd_sim, LULLABY) == 1
    assert worker.coordinator.data.last_error is None


async def test_a_file_that_failed_verification_is_never_chosen_again(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """A corrupt FLAC is blocked for good: the track's next search takes another file."""
    worker = worker_of(entry)
    slskd_sim.fail_transfers("Lullaby.flac", "corrupt")
    first = await download_track(hass, entry, LULLABY_TRACK.id)
    job = await worker.queue.async_wait(first["job_id"], 60)
    assert job is not None
    # The corrupt FLAC failed; the job went on to the next ranked file without a new search.
    rows = await worker.store.downloads.async_for_job(job.id)
    assert rows[0].state is DownloadState.FAILED
    assert rows[0].filename == LULLABY
    assert (rows[0].username, LULLABY) in await worker.store.peers.async_bad_files()
    assert await worker.store.peers.async_recent_failures(timedelta(hours=1)) == {
        "lossless_lover": 1
    }
    assert job.state is JobState.COMPLETED, job.last_error
    assert job.result is not None
    assert job.result["files"][0]["filename"] != LULLABY


async def test_transfers_in_flight_share_one_list_request_per_poll(
    hass: HomeAssistant, entry: MockConfigEntry, slskd_sim: SlskdSimulator
) -> None:
    """Two files downloading at once: slskd is read once per interval, never per transfer."""
    worker = worker_of(entry)
    use_somebody = next(
        f.filename for p in slskd_sim.peers for f in p.files if "Use Somebody.flac" in f.filename
    )
    for pattern in ("Lullaby", "Use Somebody"):
        slskd_sim.behave(pattern, bytes_per_second=1_000_000)
    slskd_sim.requests.clear()
    started = time.monotonic()
    first = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
    second = await download(hass, entry, "lossless_lover", [shared(slskd_sim, use_somebody)])
    for response in (first, second):
        job = await worker.queue.async_wait(response["job_id"], 60)
        assert job is not None
        assert job.state is JobState.COMPLETED, job.last_error
    elapsed = time.monotonic() - started
    per_transfer = [r for r in slskd_sim.requests if re.match(r"GET .*/downloads/[^/]+/", r)]
    listings = [
        r for r in slskd_sim.requests if re.fullmatch(r"GET /api/v0/transfers/downloads", r)
    ]
    assert per_transfer == []
    # One poll per 0.5 s interval while they ran, plus the attach look-ups (one per file).
    assert len(listings) <= elapsed / 0.5 + 4, (len(listings), elapsed)
    assert worker.poller.polls >= 2


async def test_revoked_spotify_access_keeps_the_job_and_asks_to_sign_in_again(
    hass: HomeAssistant, entry: MockConfigEntry, spotify: SpotifySimulator
) -> None:
    """A Spotify-track download while access is revoked: the job waits (it is retried, not
    failed) and a reauth flow asks the user to sign in again."""
    spotify.revoke_tokens()
    response = await download_track(hass, entry, LULLABY_TRACK.id)
    worker = worker_of(entry)
    async with asyncio.timeout(10):
        while (
            not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            or (job := await worker.store.jobs.async_get(response["job_id"])) is None
            or job.last_error is None
        ):
            await asyncio.sleep(0.05)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert job.state is not JobState.FAILED
    assert job.last_error is not None
    assert "revoked" in job.last_error
