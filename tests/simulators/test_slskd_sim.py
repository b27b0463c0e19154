"""The facts of real slskd the simulator models, each checked over real sockets with our client.

Time is a frozen SimClock moved by ``sim.advance``: no test sleeps for slskd's seconds. With
``transfer_seconds=20`` a download is Requested 2 s, Queued remotely 2 s, Initializing 2 s and
transfers for 14 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
from datetime import UTC
from pathlib import Path
import re

import aiohttp
import pytest

from custom_components.harmony_music.clients.errors import (
    CannotConnectError,
    EnqueueRefusedError,
    RateLimitedError,
    ResponseError,
)
from custom_components.harmony_music.clients.http import RetryPolicy
from custom_components.harmony_music.clients.slskd import (
    EnqueueResult,
    SearchBudget,
    SlskdClient,
    SlskdTransfer,
    TransferOutcome,
    TransferPhase,
)
from tests.simulators.slskd import (
    SHUTDOWN,
    PeerBehaviour,
    SharedFile,
    SimClock,
    SlskdSimulator,
)

FAST = RetryPolicy(attempts=2, base_delay=0.01)


@pytest.fixture
async def sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    simulator = SlskdSimulator(
        tmp_path / "downloads", version="0.26.0", clock=SimClock(None), transfer_seconds=20
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def slskd(sim: SlskdSimulator, http_session: aiohttp.ClientSession) -> SlskdClient:
    return SlskdClient(http_session, sim.url, sim.api_key, policy=FAST)


def shared(sim: SlskdSimulator, part: str, peer: int = 0) -> SharedFile:
    return next(f for f in sim.peers[peer].files if part in f.filename)


async def enqueue(
    slskd: SlskdClient, sim: SlskdSimulator, part: str, peer: int = 0
) -> SlskdTransfer:
    file = shared(sim, part, peer)
    result = await slskd.async_enqueue_download(
        sim.peers[peer].username, [(file.filename, file.size)]
    )
    [transfer] = result.enqueued
    return transfer


async def step(
    slskd: SlskdClient, sim: SlskdSimulator, transfer: SlskdTransfer, seconds: float
) -> SlskdTransfer:
    sim.advance(seconds)
    return await slskd.async_get_download(transfer.username, transfer.id)


async def test_states_until_completed_and_fields(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """Only a state with Completed is finished; timestamps, attempts and speed as slskd sends them."""
    transfer = await enqueue(slskd, sim, "Lullaby")
    assert re.fullmatch(r"[0-9a-f-]{36}", transfer.id)
    assert (transfer.phase, transfer.attempts) == (TransferPhase.QUEUED_LOCALLY, 0)
    seen = []
    for _ in range(12):
        transfer = await step(slskd, sim, transfer, 2)
        seen.append(transfer.phase)
        assert transfer.is_finished == (transfer.phase is TransferPhase.COMPLETED)
        assert (transfer.outcome is None) == (not transfer.is_finished)
    assert seen[:4] == [
        TransferPhase.QUEUED_REMOTELY,
        TransferPhase.INITIALIZING,
        TransferPhase.IN_PROGRESS,
        TransferPhase.IN_PROGRESS,
    ]
    assert transfer.outcome is TransferOutcome.SUCCEEDED
    assert transfer.state == "Completed, Succeeded"
    assert transfer.attempts == 1
    assert transfer.bytes_transferred == transfer.size
    assert transfer.percent_complete == 100
    stamps = [transfer.requested_at, transfer.enqueued_at, transfer.started_at, transfer.ended_at]
    assert all(s is not None and s.tzinfo is UTC for s in stamps)
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    assert transfer.next_attempt_at is None  # in the API, never filled in
    raw = await _raw(sim, transfer)
    assert not raw["requestedAt"].endswith("Z")
    assert raw["endedAt"].endswith("Z")
    assert re.fullmatch(r".*\.\d{7}Z", raw["endedAt"])


async def _raw(sim: SlskdSimulator, transfer: SlskdTransfer) -> dict[str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sim.url}/api/v0/transfers/downloads/{transfer.username}/{transfer.id}",
            headers={"X-API-Key": sim.api_key},
        ) as response,
    ):
        data: dict[str, str] = await response.json()
        return data


async def test_026_retries_failed_attempts_itself(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """A dropped connection is retried (Queued, Locally, attempts 2), resumed, and succeeds."""
    sim.peers[0].behaviour = PeerBehaviour(fail_at=0.5, fail_attempts=1)
    transfer = await enqueue(slskd, sim, "Lullaby")
    transfer = await step(slskd, sim, transfer, 6 + 7)  # half of the 14 s transfer
    assert transfer.phase is TransferPhase.QUEUED_LOCALLY
    assert not transfer.is_finished
    assert transfer.attempts == 2
    assert transfer.exception == "Remote connection closed"  # kept while the retry waits
    partial = transfer.bytes_transferred
    assert partial == transfer.size // 2
    waited = 0.0
    while transfer.phase is TransferPhase.QUEUED_LOCALLY:
        transfer = await step(slskd, sim, transfer, 0.25)
        waited += 0.25
    assert waited <= 5  # first retry: no base delay, jitter below 5 s
    assert transfer.exception is None
    for _ in range(20):
        transfer = await step(slskd, sim, transfer, 1)
        assert transfer.bytes_transferred >= partial  # resumed, not restarted
    assert transfer.outcome is TransferOutcome.SUCCEEDED
    assert transfer.attempts == 2


async def test_026_gives_up_after_three_attempts(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """Every attempt fails: three attempts, the third waits 5-10 s, then Completed, Errored."""
    sim.peers[0].behaviour = PeerBehaviour(fail_at=0.0)
    transfer = await enqueue(slskd, sim, "Lullaby")
    retry_waits: list[float] = []
    queued_since: float | None = None
    for tick in range(200):
        transfer = await step(slskd, sim, transfer, 0.25)
        if transfer.phase is TransferPhase.QUEUED_LOCALLY and queued_since is None:
            queued_since = tick * 0.25
        if transfer.phase is TransferPhase.REQUESTED and queued_since is not None:
            retry_waits.append(tick * 0.25 - queued_since)
            queued_since = None
        if transfer.is_finished:
            break
    assert transfer.outcome is TransferOutcome.ERRORED
    assert transfer.attempts == 3
    assert len(retry_waits) == 2
    assert retry_waits[0] < 5.25
    assert 4.75 <= retry_waits[1] < 10.25


async def test_retry_glitch_and_older_versions(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """0.26 stores a failed attempt as Completed, Errored before the retry resets it; 0.24 never retries."""
    sim.peers[0].behaviour = PeerBehaviour(fail_at=0.5, fail_attempts=1)
    sim.retry_glitch = 1.0
    transfer = await enqueue(slskd, sim, "Lullaby")
    transfer = await step(slskd, sim, transfer, 13)
    assert transfer.outcome is TransferOutcome.ERRORED  # looks final ...
    transfer = await step(slskd, sim, transfer, 1)
    assert transfer.phase is TransferPhase.QUEUED_LOCALLY  # ... but is retried
    sim.version = "0.24.1"
    old = await enqueue(slskd, sim, "Plainsong")
    old = await step(slskd, sim, old, 13)
    assert old.outcome is TransferOutcome.ERRORED
    assert old.attempts == 0
    assert (await step(slskd, sim, old, 120)).outcome is TransferOutcome.ERRORED


async def test_rejected_is_never_retried(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """A peer's refusal ends Completed, Rejected with its reason, after one attempt."""
    sim.peers[0].behaviour = PeerBehaviour(reject_reason="Queue full")
    transfer = await step(slskd, sim, await enqueue(slskd, sim, "Lullaby"), 2)
    assert (transfer.outcome, transfer.exception) == (TransferOutcome.REJECTED, "Queue full")
    transfer = await step(slskd, sim, transfer, 300)
    assert transfer.outcome is TransferOutcome.REJECTED
    assert transfer.attempts == 1


async def test_succeeded_before_the_file_is_moved(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """Succeeded is stored while the file is still in incomplete/; a clash gets _<ticks>."""
    sim.move_delay = 3
    file = shared(sim, "Lullaby")
    final = sim.local_path(file)
    final.parent.mkdir(parents=True)
    final.write_bytes(b"already here")
    transfer = await step(slskd, sim, await enqueue(slskd, sim, "Lullaby"), 20)
    assert transfer.is_succeeded
    waiting = sim.transfer_path(transfer.id)
    assert waiting is not None
    assert waiting.is_relative_to(sim.incomplete_dir / "lossless_lover" / "@@flac" / "Music")
    assert waiting.name == "05 - Lullaby.flac"
    sim.advance(3)
    moved = sim.transfer_path(transfer.id)
    assert moved is not None
    assert moved.parent == final.parent  # <downloads>/<last remote directory>/
    assert re.fullmatch(r"05 - Lullaby_\d{18}\.flac", moved.name)
    assert final.read_bytes() == b"already here"
    assert not waiting.exists()
    assert not waiting.parent.exists()  # emptied folders of incomplete/ are deleted


async def test_restart_fails_everything_unfinished(
    sim: SlskdSimulator, slskd: SlskdClient, http_session: aiohttp.ClientSession
) -> None:
    """After a restart: unfinished downloads Completed, Errored 'Application shut down'."""
    sim.move_delay = 100
    search = await slskd.async_start_search("cure", timeout_ms=60_000)
    done = await step(slskd, sim, await enqueue(slskd, sim, "Lullaby"), 20)
    running = await step(slskd, sim, await enqueue(slskd, sim, "Plainsong"), 8)
    queued = await enqueue(slskd, sim, "Lovesong")
    assert await slskd.async_get_search_responses(search.id)  # answers arrived
    async with http_session.post(f"{sim.url}/_sim/restart") as response:
        assert response.status == 204
    after = {t.id: t for t in await slskd.async_list_downloads()}
    assert after[done.id].outcome is TransferOutcome.SUCCEEDED
    for transfer in (running, queued):
        assert after[transfer.id].outcome is TransferOutcome.ERRORED
        assert after[transfer.id].exception == SHUTDOWN
    waiting = sim.transfer_path(done.id)
    assert waiting is not None
    assert waiting.is_relative_to(sim.incomplete_dir)  # the move never happens
    sim.advance(60)
    assert sim.transfer_path(done.id) == waiting
    ended = await slskd.async_get_search(search.id)
    assert ended.is_complete
    assert await slskd.async_get_search_responses(search.id) == []


async def test_unacknowledged_enqueue_times_out(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """A peer that never answers: Requested for 3 minutes, then Completed, TimedOut."""
    sim.fail_transfers("Lullaby", "no_ack")
    transfer = await step(slskd, sim, await enqueue(slskd, sim, "Lullaby"), 179)
    assert transfer.phase is TransferPhase.REQUESTED
    transfer = await step(slskd, sim, transfer, 1)
    assert transfer.outcome is TransferOutcome.TIMED_OUT
    assert transfer.exception == (
        "Download failed to enqueue remotely after hard time limit of 180 secs"
    )
    sim.enqueue_ack_timeout = 5  # configurable, for tests that want it short
    sim.fail_transfers("Plainsong", "no_ack")
    quick = await step(slskd, sim, await enqueue(slskd, sim, "Plainsong"), 5)
    assert quick.outcome is TransferOutcome.TIMED_OUT


@pytest.mark.parametrize("version", ["0.24.1", "0.26.0"])
async def test_already_in_progress_and_superseded(
    sim: SlskdSimulator, slskd: SlskdClient, version: str
) -> None:
    """A second enqueue of a file in flight is skipped; a finished one is superseded."""
    sim.version = version
    file = shared(sim, "Lullaby")
    other = shared(sim, "Closedown")
    first = await enqueue(slskd, sim, "Lullaby")
    again = await slskd.async_enqueue_download(
        "lossless_lover", [(file.filename, file.size), (other.filename, other.size)]
    )
    assert [t.filename for t in again.enqueued] == [other.filename]
    [skipped] = again.failed
    assert skipped.filename == file.filename  # 0.26 sends '{}'; the client names it
    assert skipped.reason == ""
    sim.advance(20)
    replaced = await enqueue(slskd, sim, "Lullaby")
    assert replaced.id != first.id
    listed = [t.id for t in await slskd.async_list_downloads()]
    assert first.id not in listed
    assert replaced.id in listed
    everything = {t.id: t for t in await slskd.async_list_downloads(include_removed=True)}
    assert everything[first.id].removed


def test_enqueue_result_of_every_version() -> None:
    """0.24-0.25 list names; 0.26 sends '{}' per failure; a message is kept when given."""
    requested = ["a\\1.flac", "a\\2.flac", "a\\3.flac"]
    enqueued = {"id": "6c1a", "filename": "a\\2.flac", "size": 3, "state": "Queued, Locally"}
    v26 = EnqueueResult.from_api({"enqueued": [enqueued], "failed": [{}, {}]}, requested)
    assert [f.filename for f in v26.failed] == ["a\\1.flac", "a\\3.flac"]
    v24 = EnqueueResult.from_api({"enqueued": [], "failed": ["a\\3.flac"]}, requested)
    assert [(f.filename, f.reason) for f in v24.failed] == [("a\\3.flac", "")]
    batch = EnqueueResult.from_api(
        {"failed": [{"filename": "a\\1.flac", "message": "Skipped: Already in progress"}]},
        requested,
    )
    assert batch.failed[0].reason == "Skipped: Already in progress"
    assert not EnqueueResult.from_api(None, requested).confirmed


async def test_stuck_in_queue_and_no_bytes(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """Queued, Remotely forever, and InProgress with no bytes forever: for stuck detection."""
    sim.fail_transfers("Lullaby", "stuck")
    sim.fail_transfers("Plainsong", "no_bytes")
    sim.fail_transfers("Lovesong", "stall")
    stuck = await enqueue(slskd, sim, "Lullaby")
    empty = await enqueue(slskd, sim, "Plainsong")
    stalled = await enqueue(slskd, sim, "Lovesong")
    sim.advance(3600)
    stuck = await slskd.async_get_download(stuck.username, stuck.id)
    empty = await slskd.async_get_download(empty.username, empty.id)
    stalled = await slskd.async_get_download(stalled.username, stalled.id)
    assert stuck.phase is TransferPhase.QUEUED_REMOTELY
    assert (empty.phase, empty.bytes_transferred, empty.average_speed) == (
        TransferPhase.IN_PROGRESS,
        0,
        0.0,
    )
    assert stalled.phase is TransferPhase.IN_PROGRESS
    assert stalled.bytes_transferred == stalled.size // 2
    assert stalled.average_speed == 0.0


async def test_busy_limits_answer_429(
    sim: SlskdSimulator, slskd: SlskdClient, http_session: aiohttp.ClientSession
) -> None:
    """A third enqueue while two are in flight, a second search POST while one is: 429."""
    sim.request_delay = 0.5
    files = [shared(sim, name) for name in ("Lullaby", "Plainsong", "Lovesong")]
    results = await asyncio.gather(
        *(slskd.async_enqueue_download("lossless_lover", [(f.filename, f.size)]) for f in files),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RateLimitedError) for r in results) == 1
    assert sum(isinstance(r, EnqueueResult) for r in results) == 2
    # Our client holds one search at a time; a second client (another program) gets 429.
    other = SlskdClient(http_session, sim.url, sim.api_key, policy=FAST, budget=SearchBudget())
    searches = await asyncio.gather(
        slskd.async_start_search("cure"),
        other.async_start_search("phoenix"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RateLimitedError) for r in searches) == 1
    together = await asyncio.gather(slskd.async_start_search("a"), slskd.async_start_search("b"))
    assert len(together) == 2


async def test_cancel_with_remove(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """DELETE ...?remove=true cancels and removes; the record is still found by id."""
    transfer = await step(slskd, sim, await enqueue(slskd, sim, "Lullaby"), 10)
    assert transfer.phase is TransferPhase.IN_PROGRESS
    await slskd.async_cancel_download(transfer.username, transfer.id, remove=True)
    assert await slskd.async_list_downloads() == []
    gone = await slskd.async_get_download(transfer.username, transfer.id)
    assert (gone.outcome, gone.removed) == (TransferOutcome.CANCELLED, True)
    assert gone.exception == "The operation was canceled."
    await slskd.async_cancel_download("nobody", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(ResponseError):
        await slskd.async_cancel_download("nobody", "not-a-guid")


async def test_peer_knobs(sim: SlskdSimulator, slskd: SlskdClient) -> None:
    """Offline, slow to connect, slow to send, queued behind others, corrupt, wrong length."""
    import mutagen
    import soundfile as sf

    flac, mp3, scene = sim.peers
    mp3.behaviour = PeerBehaviour(online=False)
    with pytest.raises(EnqueueRefusedError, match="mp3_max appears to be offline"):
        await enqueue(slskd, sim, "Lullaby", peer=1)
    scene.behaviour = PeerBehaviour(connect_delay=0.5)
    slow_client = SlskdClient(slskd._session, sim.url, sim.api_key, policy=FAST, timeout=0.1)
    with pytest.raises(CannotConnectError):
        await enqueue(slow_client, sim, "lullaby", peer=2)
    scene.behaviour = PeerBehaviour()

    flac.behaviour = PeerBehaviour(bytes_per_second=100_000)
    slow = await step(slskd, sim, await enqueue(slskd, sim, "Lullaby"), 6 + 10)
    assert slow.bytes_transferred == 1_000_000
    assert slow.average_speed == 100_000

    flac.behaviour = PeerBehaviour()
    flac.has_free_upload_slot, flac.queue_length = False, 5
    queued = await step(slskd, sim, await enqueue(slskd, sim, "Plainsong"), 2)
    assert await slskd.async_get_place_in_queue(queued.username, queued.id) == 5
    assert (await slskd.async_get_download(queued.username, queued.id)).place_in_queue == 5
    queued = await step(slskd, sim, queued, 4)
    assert queued.place_in_queue == 5  # stale until asked again
    assert await slskd.async_get_place_in_queue(queued.username, queued.id) == 3
    queued = await step(slskd, sim, queued, 8)
    assert queued.phase is TransferPhase.INITIALIZING
    assert queued.place_in_queue is None  # a state change rewrites the record without it
    flac.has_free_upload_slot, flac.queue_length = True, 0

    sim.fail_transfers("Closedown", "corrupt")
    sim.behave("Pictures of You", actual_length=30)
    bad = await enqueue(slskd, sim, "Closedown")
    short = await enqueue(slskd, sim, "Pictures of You")
    sim.advance(20)
    bad_path, short_path = sim.transfer_path(bad.id), sim.transfer_path(short.id)
    assert bad_path is not None
    assert short_path is not None
    with contextlib.suppress(mutagen.MutagenError):  # unreadable either way
        assert mutagen.File(bad_path) is None
    with pytest.raises(RuntimeError):  # soundfile's LibsndfileError
        sf.info(bad_path)
    assert abs(sf.info(short_path).duration - 30) < 0.1
    assert shared(sim, "Pictures of You").length != 30


async def test_untrusted_values_are_skipped_or_clamped(
    sim: SlskdSimulator, slskd: SlskdClient
) -> None:
    """Peers' wrong types, missing fields and absurd sizes never crash the client."""
    junk = [
        SharedFile("x\\huge.flac", 10**20, None, 16, 44100, 200),
        SharedFile("x\\negative.mp3", -5, 320, None, None, 10**12),
        SharedFile("x\\fine.mp3", 5_000_000, 320, None, None, 200),
    ]
    sim.peers[0].files.extend(junk)
    search = await slskd.async_start_search("x\\")
    sim.advance(20)
    responses = await slskd.async_get_search_responses(search.id)
    [mine] = [r for r in responses if r.username == "lossless_lover"]
    names = {f.filename: f for f in mine.files}
    assert "x\\huge.flac" not in names
    assert names["x\\negative.mp3"].size == 0
    assert names["x\\negative.mp3"].length == 7 * 24 * 3600
    assert names["x\\fine.mp3"].extension == "mp3"

    bad: list[object] = [
        None,
        "text",
        {"id": 7, "filename": "a.mp3"},  # an int id is not slskd's
        {"filename": "no id.mp3"},
        {"id": "b", "filename": ["list"]},
        {
            "id": "c",
            "filename": "a\\c.mp3",
            "size": "12",
            "bytesTransferred": 10**30,
            "percentComplete": float("nan"),
            "averageSpeed": True,
            "state": 5,
            "attempts": -3,
            "requestedAt": "yesterday",
            "startedAt": "2026-12-03T12:00:00.1234567",
            "exception": {"nested": 1},
        },
    ]
    parsed = [t for item in bad if (t := SlskdTransfer.from_api(item)) is not None]
    [only] = parsed
    assert (only.id, only.size, only.bytes_transferred, only.percent_complete) == ("c", 0, 0, 0.0)
    assert (only.state, only.phase, only.attempts, only.exception) == (
        "",
        TransferPhase.UNKNOWN,
        0,
        None,
    )
    assert only.requested_at is None
    assert only.started_at is not None
    assert only.started_at.tzinfo is UTC
    clamped = SlskdTransfer.from_api(
        {
            "id": "d",
            "filename": "f",
            "size": 100,
            "bytesTransferred": 10**30,
            "state": "x, InProgress",
        }
    )
    assert clamped is not None
    assert clamped.bytes_transferred == 100
    assert clamped.phase is TransferPhase.IN_PROGRESS


async def test_slskd_api_package_sees_the_same_facts(sim: SlskdSimulator) -> None:
    """slskd-api, a client we did not write, reads retries, restarts and removal the same way."""
    import slskd_api

    sim.peers[0].behaviour = PeerBehaviour(fail_at=0.5, fail_attempts=1)
    file = shared(sim, "Lullaby")

    def use() -> None:
        api = slskd_api.SlskdClient(sim.url, sim.api_key)
        assert api.transfers.enqueue(
            "lossless_lover", [{"filename": file.filename, "size": file.size}]
        )
        [user] = api.transfers.get_all_downloads()
        transfer = user["directories"][0]["files"][0]
        sim.advance(13)
        retrying = api.transfers.get_download("lossless_lover", transfer["id"])
        assert (retrying["state"], retrying["attempts"]) == ("Queued, Locally", 2)
        sim.restart()
        dead = api.transfers.get_download("lossless_lover", transfer["id"])
        assert (dead["state"], dead["exception"]) == ("Completed, Errored", SHUTDOWN)
        assert api.transfers.cancel_download("lossless_lover", transfer["id"], remove=True)
        assert api.transfers.get_all_downloads() == []
        assert len(api.transfers.get_all_downloads(includeRemoved=True)) == 1

    await asyncio.to_thread(use)


async def test_026_batches_name_failures_and_choose_the_folder(
    sim: SlskdSimulator, slskd: SlskdClient
) -> None:
    """Batches: our id, a destination folder, failures with their message, 409 on a resend."""
    lullaby, closedown = shared(sim, "Lullaby"), shared(sim, "Closedown")
    first = await enqueue(slskd, sim, "Lullaby")
    batch_id = "3f2c8a4e-1d7b-4c55-9a66-0c1f5e9b2a10"
    result = await slskd.async_enqueue_batch(
        "lossless_lover",
        [(lullaby.filename, lullaby.size), (closedown.filename, closedown.size)],
        batch_id=batch_id,
        destination="harmony/job-7",
    )
    assert result.batch_id == batch_id
    [queued] = result.enqueued
    assert queued.batch_id == batch_id
    assert [(f.filename, f.reason) for f in result.failed] == [
        (lullaby.filename, "Skipped: Already in progress")
    ]
    with pytest.raises(ResponseError, match="already exists"):
        await slskd.async_enqueue_batch(
            "lossless_lover", [(closedown.filename, closedown.size)], batch_id=batch_id
        )
    sim.advance(20)
    path = sim.transfer_path(queued.id)
    assert path == sim.downloads_dir / "harmony" / "job-7" / "03 - Closedown.flac"
    assert path.is_file()
    assert sim.transfer_path(first.id) == sim.local_path(lullaby)
    sim.peers[1].behaviour = PeerBehaviour(online=False)
    with pytest.raises(EnqueueRefusedError):
        await slskd.async_enqueue_batch("mp3_max", [(lullaby.filename, 1)])
    sim.version = "0.25.1"  # no batches route: 'batches' is taken for a username
    with pytest.raises(ResponseError):
        await slskd.async_enqueue_batch("lossless_lover", [(closedown.filename, 1)])
