"""The transfer poll loop: one list request for every watched row, mapped by id then by name."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging
from typing import Any

import pytest

from custom_components.harmony_music.clients.errors import CannotConnectError, ClientError
from custom_components.harmony_music.clients.slskd_models import SlskdTransfer
from custom_components.harmony_music.workers.transfers import (
    TransferPoller,
    WatchedFile,
    find_transfer,
)

CREATED = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def transfer(**fields: Any) -> SlskdTransfer:
    """A transfer as slskd's API sends it (defaults: 40 % of a 1,000-byte file)."""
    data = {
        "id": "7f1c2a9e-0000-4000-8000-000000000001",
        "username": "peer",
        "filename": "@@music\\Album\\01 - Song.flac",
        "size": 1000,
        "state": "InProgress",
        "bytesTransferred": 400,
        "percentComplete": 40.0,
        "requestedAt": "2026-12-03T12:00:05",
        **fields,
    }
    parsed = SlskdTransfer.from_api(data)
    assert parsed is not None
    return parsed


def watched(transfer_id: str | None = "7f1c2a9e-0000-4000-8000-000000000001") -> WatchedFile:
    """Row 1, waiting for the demo transfer."""
    return WatchedFile(1, "peer", "@@music\\Album\\01 - Song.flac", transfer_id, CREATED)


class FakeSlskd:
    """Answers list and by-id reads from a list the test sets; counts the requests."""

    def __init__(self) -> None:
        self.listed: list[SlskdTransfer] = []
        self.by_id: dict[str, SlskdTransfer] = {}
        self.error: ClientError | None = None
        self.list_calls = 0

    async def async_list_downloads(self) -> list[SlskdTransfer]:
        self.list_calls += 1
        if self.error is not None:
            raise self.error
        return list(self.listed)

    async def async_get_download(self, username: str, transfer_id: str) -> SlskdTransfer:
        from custom_components.harmony_music.clients.errors import NotFoundError

        if transfer_id in self.by_id:
            return self.by_id[transfer_id]
        raise NotFoundError(transfer_id)


def poller(fake: FakeSlskd, outages: list[ClientError | None] | None = None) -> TransferPoller:
    """A poller over the fake, 2 s active and 30 s idle."""
    seen = outages if outages is not None else []
    return TransferPoller(fake, lambda: 2.0, lambda: 30.0, seen.append)  # type: ignore[arg-type]


async def poll_once(p: TransferPoller, *rows: WatchedFile) -> list[Any]:
    """Register the rows, run one poll, return what each row got."""
    tasks = [asyncio.create_task(p.async_next(row)) for row in rows]
    await asyncio.sleep(0)
    await p.refresh_downloads()
    return [await task for task in tasks]


def test_found_by_id_first_then_by_peer_and_file() -> None:
    """The GUID wins; without it the newest same-file transfer since the row was created."""
    mine = transfer()
    other_id = transfer(id="7f1c2a9e-0000-4000-8000-000000000002", requestedAt="2026-12-03T12:03")
    assert find_transfer([other_id, mine], watched()) is mine
    assert find_transfer([mine, other_id], watched(None)) is other_id
    older = transfer(id="7f1c2a9e-0000-4000-8000-000000000003", requestedAt="2026-11-30T08:00")
    assert find_transfer([older], watched(None)) is None  # an earlier job's transfer
    gone = transfer(id="7f1c2a9e-0000-4000-8000-000000000004", removed=True)
    assert find_transfer([gone], watched(None)) is None
    stranger = transfer(username="someone else")
    assert find_transfer([stranger], watched(None)) is None


async def test_one_list_request_serves_every_watched_row() -> None:
    """Three rows in flight cost slskd one request per poll, not three."""
    fake = FakeSlskd()
    rows = [
        WatchedFile(n, "peer", f"@@music\\Album\\0{n} - Song.flac", f"id-{n}", CREATED)
        for n in (1, 2, 3)
    ]
    fake.listed = [
        transfer(id=f"id-{n}", filename=f"@@music\\Album\\0{n} - Song.flac", bytesTransferred=n)
        for n in (1, 2, 3)
    ]
    p = poller(fake)
    results = await poll_once(p, *rows)
    assert fake.list_calls == 1
    assert [r.transfer.bytes_transferred for r in results] == [1, 2, 3]


async def test_interval_is_active_while_a_row_waits_and_idle_otherwise() -> None:
    """2 s while anything is in flight, 30 s when nothing is."""
    p = poller(FakeSlskd())
    assert p.interval == 30.0
    task = asyncio.create_task(p.async_next(watched()))
    await asyncio.sleep(0)
    assert p.interval == 2.0
    await p.refresh_downloads()
    await task
    assert p.interval == 30.0


async def test_impossible_progress_is_corrected_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Progress of 140 % reads as the byte count says (40 %), with one warning for many polls."""
    fake = FakeSlskd()
    fake.listed = [transfer(percentComplete=140.0)]
    p = poller(fake)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            [result] = await poll_once(p, watched())
            assert result.transfer.percent_complete == 40.0
    warnings = [r for r in caplog.records if "impossible state" in r.getMessage()]
    assert len(warnings) == 1
    assert "140" in warnings[0].getMessage()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"state": "Completed"}, "names no outcome"),
        ({"state": "Sideways"}, "unknown state"),
        ({"bytesTransferred": 5000}, "5000 bytes transferred of 1000"),
    ],
)
def test_impossible_states_are_named(fields: dict[str, Any], words: str) -> None:
    """Each impossible report carries what was wrong; the values are clamped."""
    parsed = transfer(**fields)
    assert any(words in anomaly for anomaly in parsed.anomalies)
    assert 0 <= parsed.percent_complete <= 100
    assert parsed.bytes_transferred <= parsed.size


def test_a_sane_transfer_has_no_anomalies() -> None:
    """Nothing is logged for what real slskd sends."""
    assert transfer().anomalies == ()
    assert transfer(state="Completed, Succeeded", bytesTransferred=1000).anomalies == ()
    assert transfer(state="Queued, Remotely", bytesTransferred=0).anomalies == ()


async def test_outage_is_one_warning_and_every_row_is_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failing polls warn once; each waiting row learns of the outage; recovery is reported."""
    fake = FakeSlskd()
    outages: list[ClientError | None] = []
    p = poller(fake, outages)
    fake.error = CannotConnectError("connection refused")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            [result] = await poll_once(p, watched())
            assert result.error is fake.error
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1
    fake.error = None
    fake.listed = [transfer()]
    [result] = await poll_once(p, watched())
    assert result.transfer is not None
    assert outages[-1] is None
    assert len(outages) == 4


async def test_a_removed_transfer_is_read_by_id() -> None:
    """Cancelled with remove, a transfer leaves the list; its end is still read by its id."""
    fake = FakeSlskd()
    ended = transfer(state="Completed, Cancelled", removed=True)
    fake.by_id[ended.id] = ended
    [result] = await poll_once(poller(fake), watched())
    assert result.transfer is ended
    [unknown] = await poll_once(poller(FakeSlskd()), watched())
    assert unknown.transfer is None
    assert unknown.error is None


async def test_an_idle_loop_switches_to_the_active_interval_when_a_row_waits() -> None:
    """Idle polls come every 30 s; a new transfer is read after the active interval instead."""
    fake = FakeSlskd()
    fake.listed = [transfer()]
    p = TransferPoller(fake, lambda: 0.05, lambda: 30.0, lambda _err: None)  # type: ignore[arg-type]
    loop_task = asyncio.create_task(p.async_run())
    try:
        await asyncio.sleep(0.2)
        assert fake.list_calls == 1  # the first poll at start, then the idle wait
        async with asyncio.timeout(1):
            result = await p.async_next(watched())
        assert result.transfer is not None
        assert fake.list_calls == 2
    finally:
        loop_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop_task
