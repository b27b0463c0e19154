"""One poll of slskd's download list for every transfer being watched.

Reading the whole list once per interval costs slskd one request however many files are in
flight (a request per transfer per second would be dozens). Each watched download row is matched
to its transfer by id (a GUID), else by peer and file name; what slskd sends that cannot be true
is corrected by the parser and logged here once per transfer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
import math

from ..clients.errors import ClientError, NotFoundError
from ..clients.slskd import SlskdClient, SlskdTransfer
from ..const import LOGGER

# Clocks of Home Assistant and slskd may differ a little.
ATTACH_CLOCK_SLACK = timedelta(minutes=1)
# Corrections remembered so each is logged once; old ones are forgotten beyond this many.
MAX_LOGGED_ANOMALIES = 1000


@dataclass(frozen=True)
class WatchedFile:
    """What identifies a download row's transfer."""

    row_id: int
    username: str
    filename: str
    transfer_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class PollResult:
    """One poll as one watched row sees it."""

    transfer: SlskdTransfer | None  # None: slskd has no such transfer (removed)
    error: ClientError | None = None  # the poll failed; the transfer goes on at slskd


def find_transfer(listed: Sequence[SlskdTransfer], watched: WatchedFile) -> SlskdTransfer | None:
    """The row's transfer: by id, else the newest one of the same peer and file since the row."""
    if watched.transfer_id:
        for transfer in listed:
            if transfer.id == watched.transfer_id:
                return transfer
    since = watched.created_at - ATTACH_CLOCK_SLACK
    same = [
        t
        for t in listed
        if t.username == watched.username
        and t.filename == watched.filename
        and not t.removed
        and (t.requested_at is None or t.requested_at >= since)
    ]
    if not same:
        return None
    return max(same, key=lambda t: t.requested_at.timestamp() if t.requested_at else 0.0)


class TransferPoller:
    """Polls slskd's downloads: every active interval while a row waits, else every idle one."""

    def __init__(
        self,
        slskd: SlskdClient,
        active_interval: Callable[[], float],
        idle_interval: Callable[[], float],
        on_outage: Callable[[ClientError | None], None],
    ) -> None:
        self.slskd = slskd
        self._active_interval = active_interval
        self._idle_interval = idle_interval
        self._on_outage = on_outage  # the error while slskd is unreachable, None once it is back
        self._waiting: dict[int, tuple[WatchedFile, asyncio.Future[PollResult]]] = {}
        self._wake = asyncio.Event()
        self._logged: dict[tuple[str, str], None] = {}
        self._failing = False
        self.polls = 0
        self.last: dict[int, SlskdTransfer] = {}  # row id -> its transfer at the last poll

    @property
    def interval(self) -> float:
        """Seconds until the next poll."""
        return self._active_interval() if self._waiting else self._idle_interval()

    async def async_next(self, watched: WatchedFile) -> PollResult:
        """The row's transfer at the next poll."""
        future: asyncio.Future[PollResult] = asyncio.get_running_loop().create_future()
        self._waiting[watched.row_id] = (watched, future)
        self._wake.set()  # an idle sleep is cut short
        try:
            return await future
        finally:
            if self._waiting.get(watched.row_id, (None, None))[1] is future:
                del self._waiting[watched.row_id]

    def forget(self, row_id: int) -> None:
        """The row is no longer watched (its transfer ended)."""
        self.last.pop(row_id, None)

    async def async_run(self) -> None:
        """Poll until cancelled."""
        loop = asyncio.get_running_loop()
        last_poll = -math.inf  # the first poll at once
        while True:
            self._wake.clear()
            due = last_poll + self.interval
            if (wait := due - loop.time()) > 0:
                try:
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                if loop.time() < last_poll + self.interval:
                    continue  # woken early: the interval may have become shorter
            last_poll = loop.time()
            try:
                await self.refresh_downloads()
            except Exception:  # one bad poll never ends the loop
                LOGGER.exception("Polling slskd's downloads failed")

    async def refresh_downloads(self) -> None:
        """Read slskd's downloads once and hand each waiting row its transfer."""
        waiting = list(self._waiting.values())
        self.polls += 1
        try:
            listed = await self.slskd.async_list_downloads()
        except ClientError as err:
            if not self._failing:
                self._failing = True
                LOGGER.warning("slskd unreachable while polling downloads: %s", err)
            self._on_outage(err)
            for _watched, future in waiting:
                if not future.done():
                    future.set_result(PollResult(None, err))
            return
        if self._failing:
            self._failing = False
            LOGGER.info("slskd reachable again")
            self._on_outage(None)
        for watched, future in waiting:
            result = PollResult(find_transfer(listed, watched))
            if result.transfer is None and watched.transfer_id:
                # Removed transfers leave the list; asked by id, slskd still knows how they ended.
                result = await self._async_by_id(watched.username, watched.transfer_id)
            if result.transfer is not None:
                self._log_anomalies(result.transfer)
                self.last[watched.row_id] = result.transfer
            if not future.done():
                future.set_result(result)

    async def _async_by_id(self, username: str, transfer_id: str) -> PollResult:
        try:
            return PollResult(await self.slskd.async_get_download(username, transfer_id))
        except NotFoundError:
            return PollResult(None)
        except ClientError as err:
            return PollResult(None, err)

    def _log_anomalies(self, transfer: SlskdTransfer) -> None:
        for anomaly in transfer.anomalies:
            key = (transfer.id, anomaly)
            if key in self._logged:
                continue
            self._logged[key] = None
            if len(self._logged) > MAX_LOGGED_ANOMALIES:
                del self._logged[next(iter(self._logged))]
            LOGGER.warning(
                "slskd reported an impossible state for %s (%s), corrected",
                transfer.filename,
                anomaly,
            )
