"""slskd client against the slskd simulator over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path

import aiohttp
import pytest

from custom_components.harmony_music.clients.errors import (
    CannotConnectError,
    InvalidAuthError,
    NotFoundError,
    NotLoggedInError,
    RateLimitedError,
)
from custom_components.harmony_music.clients.http import RetryPolicy
from custom_components.harmony_music.clients.slskd import SearchBudget, SlskdClient
from tests.simulators.slskd import SlskdSimulator

FAST = RetryPolicy(attempts=2, base_delay=0.01)


@pytest.fixture
async def sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    simulator = SlskdSimulator(tmp_path / "downloads", time_scale=0.02, transfer_seconds=20)
    await simulator.start()
    yield simulator
    await simulator.stop()


def client(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession, **kwargs: object
) -> SlskdClient:
    return SlskdClient(http_session, sim.url, sim.api_key, policy=FAST, **kwargs)  # type: ignore[arg-type]


async def test_application_state(sim: SlskdSimulator, http_session: aiohttp.ClientSession) -> None:
    """Version, login and shares as slskd reports them."""
    app = await client(sim, http_session).async_get_application()
    assert app.version == "0.24.1"
    assert app.server_connected
    assert app.logged_in
    assert app.shared_files == sum(len(p.files) for p in sim.peers)
    sim.logged_in = False
    assert not (await client(sim, http_session).async_get_application()).logged_in


async def test_search_collects_responses_over_time(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession
) -> None:
    """Responses arrive from several peers; the search ends Completed and is deleted."""
    slskd = client(sim, http_session)
    responses = await slskd.async_search("cure lullaby", timeout_ms=15000, poll_interval=0.05)
    assert {r.username for r in responses} == {"lossless_lover", "mp3_max", "scene_rips"}
    files = [f for r in responses for f in r.files]
    assert any(f.filename.endswith("05 - Lullaby.flac") and f.extension == "flac" for f in files)
    assert all("lullaby" in f.filename.lower() for f in files)
    candidate = responses[0].files[0].as_candidate(responses[0].username)
    assert candidate["kind"] == "soulseek"
    assert sim.searches == {}  # deleted when done


async def test_search_state_flags_and_budget(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession
) -> None:
    """A running search says InProgress; the budget holds the 35th search back."""
    slskd = client(sim, http_session)
    started = await slskd.async_start_search("phoenix 1901", timeout_ms=30000)
    assert started.state == "InProgress"
    assert not started.is_complete
    with pytest.raises(NotFoundError):
        await slskd.async_get_search("00000000-0000-0000-0000-000000000000")
    await slskd.async_delete_search(started.id)

    now = [0.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    budget = SearchBudget(limit=34, window=220, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(34):
        await budget.async_acquire()
    assert waits == []
    await budget.async_acquire()
    assert waits == [220.0]


async def test_logged_out_and_bad_key(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession
) -> None:
    """Not logged in to Soulseek and a wrong key give their own errors."""
    sim.logged_in = False
    with pytest.raises(NotLoggedInError):
        await client(sim, http_session).async_search("cure")
    with pytest.raises(InvalidAuthError):
        await SlskdClient(http_session, sim.url, "wrong", policy=FAST).async_get_application()


async def test_download_lifecycle_writes_real_audio(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession
) -> None:
    """Requested → … → Completed, Succeeded with growing bytes, and a decodable tagged file."""
    import mutagen
    import soundfile as sf

    slskd = client(sim, http_session)
    [response] = [
        r
        for r in await slskd.async_search("cure lullaby", poll_interval=0.05)
        if r.username == "lossless_lover"
    ]
    file = response.files[0]
    result = await slskd.async_enqueue_download(response.username, [file])
    assert result.confirmed
    [transfer] = result.enqueued
    seen: list[str] = []
    progress: list[int] = []
    async with asyncio.timeout(10):
        while not transfer.is_succeeded:
            transfer = await slskd.async_get_download(response.username, transfer.id)
            seen.append(transfer.state)
            progress.append(transfer.bytes_transferred)
            await asyncio.sleep(0.02)
    assert seen[0] in ("Requested", "Queued, Remotely")
    assert "InProgress" in seen
    assert progress == sorted(progress)
    assert [t.id for t in await slskd.async_list_downloads()] == [transfer.id]
    local = sim.local_path(next(f for f in sim.peers[0].files if f.filename == file.filename))
    assert local.parent.name == "The Cure - Disintegration (1989) [FLAC]"
    info = sf.info(local)
    assert abs(info.duration - file.length) < 1
    tags = mutagen.File(local, easy=True)
    assert tags["title"] == ["Lullaby"]
    assert tags["artist"] == ["The Cure"]
    await slskd.async_cancel_download(response.username, transfer.id, remove=True)
    assert await slskd.async_list_downloads() == []


@pytest.mark.parametrize(
    ("kind", "final"), [("reject", "Completed, Rejected"), ("error", "Completed, Errored")]
)
async def test_failing_transfers(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession, kind: str, final: str
) -> None:
    """Rejected and half-way errored transfers end failed; a stalled one never ends."""
    sim.fail_transfers("Lovesong", kind)
    sim.fail_transfers("Plainsong", "stall")
    slskd = client(sim, http_session)
    peer = sim.peers[0]
    files = [f for f in peer.files if "Lovesong" in f.filename or "Plainsong" in f.filename]
    from custom_components.harmony_music.clients.slskd import SlskdFile

    wanted = [
        SlskdFile(f.filename, f.size, "flac", None, 16, 44100, f.length, False) for f in files
    ]
    result = await slskd.async_enqueue_download(peer.username, wanted)
    await asyncio.sleep(20 * 0.02 * 1.2)
    states = {t.filename: t for t in await slskd.async_list_downloads()}
    failed = next(t for name, t in states.items() if "Lovesong" in name)
    stalled = next(t for name, t in states.items() if "Plainsong" in name)
    assert failed.state == final
    assert failed.is_failed
    assert stalled.state == "InProgress"
    assert stalled.percent_complete <= 50
    assert len(result.enqueued) == 2


async def test_legacy_enqueue_and_unknown_file(
    sim: SlskdSimulator, http_session: aiohttp.ClientSession
) -> None:
    """Before 0.24 enqueue answered an empty 201; a file the peer lacks is enqueued, then rejected.

    slskd does not look at the peer's shares when it enqueues: the peer refuses the request.
    """
    from custom_components.harmony_music.clients.slskd import SlskdFile, TransferOutcome

    slskd = client(sim, http_session)
    missing = SlskdFile("nope\\x.mp3", 1, "mp3", 320, None, None, 100, False)
    result = await slskd.async_enqueue_download("mp3_max", [missing])
    assert result.confirmed
    assert result.failed == ()
    [queued] = result.enqueued
    assert queued.state == "Queued, Locally"
    sim.advance(20)
    rejected = await slskd.async_get_download("mp3_max", queued.id)
    assert rejected.outcome is TransferOutcome.REJECTED
    assert rejected.exception == "File not shared."
    sim.legacy_enqueue = True
    real = sim.peers[1].files[0]
    legacy = await slskd.async_enqueue_download("mp3_max", [(real.filename, real.size)])
    assert not legacy.confirmed
    downloads = await slskd.async_list_downloads()  # reconcile with the list, as the note says
    assert [t.filename for t in downloads if not t.is_finished] == [real.filename]


async def test_faults(sim: SlskdSimulator, http_session: aiohttp.ClientSession) -> None:
    """5xx retried; 429 honoured then given up; hang times out; unreachable is CannotConnect."""
    sim.faults.add("GET /api/v0/application status=500 times=1")
    assert (await client(sim, http_session).async_get_application()).logged_in
    sim.faults.add("POST /api/v0/searches status=429 retry_after=0")
    with pytest.raises(RateLimitedError):
        await client(sim, http_session).async_start_search("cure")
    sim.faults.clear()
    sim.faults.add("GET /api/v0/application kind=hang delay=1")
    with pytest.raises(CannotConnectError):
        await SlskdClient(
            http_session, sim.url, sim.api_key, timeout=0.2, policy=FAST
        ).async_get_application()
    sim.faults.clear()
    sim.faults.add("GET /api/v0/transfers/downloads kind=drop times=1")
    assert await client(sim, http_session).async_list_downloads() == []
    with pytest.raises(CannotConnectError):
        await SlskdClient(
            http_session, "http://127.0.0.1:9", "k", policy=FAST
        ).async_get_application()


async def test_slskd_api_package_reads_the_simulator(sim: SlskdSimulator) -> None:
    """slskd-api, a client we did not write, works against the simulator unmodified."""
    import slskd_api

    def use() -> None:  # synchronous client: run it beside the simulator's loop
        api = slskd_api.SlskdClient(sim.url, sim.api_key)
        assert api.application.state()["server"]["isLoggedIn"] is True
        search = api.searches.search_text("kings leon somebody")
        assert search["state"] == "InProgress"
        import time

        time.sleep(15 * 0.02 + 0.1)
        assert "Completed" in api.searches.state(search["id"])["state"]
        responses = api.searches.search_responses(search["id"])
        assert responses
        first = responses[0]
        assert api.transfers.enqueue(first["username"], first["files"][:1])
        downloads = api.transfers.get_all_downloads()
        transfer = downloads[0]["directories"][0]["files"][0]
        assert api.transfers.cancel_download(first["username"], transfer["id"], remove=True)
        assert api.transfers.get_all_downloads() == []

    await asyncio.to_thread(use)
