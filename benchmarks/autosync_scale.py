"""Auto-sync at account scale: collect (Spotify) and library diff, and how long they block the loop.

Run: `.venv/bin/python -m benchmarks.autosync_scale [--tracks 20000] [--library 100000]`.

World: the crowded library of ``--library`` items (``benchmarks/worlds.py``: same-titled songs by
the hundred) and a Spotify account of ``--tracks`` tracks drawn from it, ~70% of them held by the
library. Three quarters of the account are saved tracks; the rest are only in ``--playlists``
(40) playlists of 100-500 tracks (scaled with ``--tracks``) that also hold saved tracks and each
other's tracks, as real accounts do.

The Spotify simulator (``tests/simulators/spotify.py``) serves the account from a child process
over loopback sockets, as the real API is another machine: its CPU time is not the client's and
does not block the client's loop. The simulator renders every saved track for each page of
``/me/tracks`` (0.19 s a page at 15,000 saved tracks, ~56 s for the 300 pages), so the child
memoises ``_track_json`` per record (the records never change during the run); ``--raw-simulator``
turns that off. Even so each saved-tracks page costs the simulator ~63 ms (it sorts and wraps all
15,000 saved entries per request), so a collect's wall time is mostly the simulator's: the
"client CPU" column (this process's CPU time, every thread) is the client's own share.

Measured in one asyncio loop, run in debug mode with ``slow_callback_duration = 0.1``:
(a) a full ``async_collect`` against a fresh store, (b) a second one with every playlist
unchanged, (c) ``LibraryIndex`` build + ``library_diff`` in ``loop.run_in_executor`` and, as the
baseline, the same call made directly on the loop. Each step reports its wall time, the requests
the simulator received, the longest heartbeat lateness (a task sleeping 10 ms in a loop: a
lateness of L means the loop was blocked at least L, at most L + 10 ms), the asyncio debug
warnings "Executing ... took" (callbacks over 100 ms), and peak memory as the rise of the
process's peak RSS (VmHWM, reset through /proc/self/clear_refs) over its RSS at the step's start.
Cyclic garbage collections are timed through ``gc.callbacks`` (a collection holds the GIL, so one
in the executor thread stalls the loop as well); "lateness outside GC" is the longest lateness
once the collections inside it are taken out. ``--freeze`` calls ``gc.freeze()`` after the world
is generated (the library then no longer counts in full collections).
Last, an untimed unchanged collect under tracemalloc gives the memory the collected tracks retain.
The diff's answer is checked against the world's ground truth.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
import concurrent.futures
import contextlib
from dataclasses import dataclass, field
import gc
import hashlib
import logging
import multiprocessing
from multiprocessing.connection import Connection
import os
from pathlib import Path
import random
import re
import tempfile
import threading
import time
import tracemalloc
from typing import Any

import aiohttp

from custom_components.harmony_music.autosync_collect import SAVED, Collected, async_collect
from custom_components.harmony_music.clients.spotify import SpotifyClient
from custom_components.harmony_music.engine.library_index import LibraryIndex
from custom_components.harmony_music.engine.matching import clear_caches
from custom_components.harmony_music.engine.wanted import Diff, library_diff
from custom_components.harmony_music.store import Store

from .worlds import make_crowded_world

TOKEN = "autosync-scale-token"
HEARTBEAT_S = 0.01
SLOW_CALLBACK_S = 0.1
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def spotify_id(text: str) -> str:
    """A stable 22-character base-62 id, as Spotify's look."""
    number = int.from_bytes(hashlib.sha1(text.encode()).digest())
    chars = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


# --- the world -------------------------------------------------------------------------------


@dataclass
class Account:
    """A Spotify account drawn from a library world, with the ground truth."""

    library: list[dict[str, Any]]
    records: list[Any]  # SpotifyTrackRecord
    playlists: list[Any]  # SpotifyPlaylistRecord
    saved: list[tuple[str, str]]  # (track id, added_at)
    present: dict[str, bool]  # track id -> the library holds it
    sources: dict[str, set[str]]  # track id -> {"saved", playlist ids}: what collect must find

    @property
    def playlist_items(self) -> int:
        return sum(len(p.track_ids) for p in self.playlists)


def make_account(
    n_tracks: int, n_library: int, *, seed: int = 1, playlists: int = 40, saved_share: float = 0.75
) -> Account:
    """The crowded library and an account of ``n_tracks`` tracks (about 70% held)."""
    from tests.simulators.spotify import SpotifyPlaylistRecord, SpotifyTrackRecord

    library, tracks, truth = make_crowded_world(n_library, n_tracks, seed)
    rng = random.Random(seed + 1000)
    records = []
    present: dict[str, bool] = {}
    for n, (track, position) in enumerate(zip(tracks, truth, strict=True)):
        track_id = spotify_id(f"track:{n}")
        artist = track["artists"][0]["name"]
        album = track["album"]["name"]
        isrc = track["external_ids"].get("isrc") or None
        records.append(
            SpotifyTrackRecord(
                id=track_id,
                name=track["name"],
                artists=[(spotify_id(f"artist:{artist}"), artist)],
                album=(spotify_id(f"album:{artist}:{album}"), album, str(rng.randint(1965, 2025))),
                duration_ms=track["duration_ms"],
                isrc=isrc,
            )
        )
        present[track_id] = position is not None
    ids = [r.id for r in records]
    rng.shuffle(ids)  # which tracks are saved does not follow the world's order
    n_saved = round(n_tracks * saved_share)
    saved_ids, only_listed = ids[:n_saved], ids[n_saved:]
    start = 1_750_000_000  # newest first: saved i was saved i minutes before this
    saved = [
        (t, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start - 60 * i)))
        for i, t in enumerate(saved_ids)
    ]
    scale = n_tracks / 20_000
    sizes = [max(2, round(rng.randint(100, 500) * scale)) for _ in range(playlists)]
    while playlists and sum(sizes) < len(only_listed) * 1.5:
        sizes = [size + max(1, size // 10) for size in sizes]
    members: list[list[str]] = [[] for _ in range(playlists)]
    if playlists:
        # Every playlist-only track goes to one playlist (weighted by size), then playlists fill
        # up with saved tracks and each other's tracks.
        for track_id in only_listed:
            members[rng.choices(range(playlists), weights=sizes)[0]].append(track_id)
        for number, size in enumerate(sizes):
            chosen = set(members[number])
            while len(members[number]) < size:
                pool = saved_ids if rng.random() < 0.7 or not only_listed else only_listed
                candidate = rng.choice(pool) if pool else rng.choice(ids)
                if candidate not in chosen:
                    chosen.add(candidate)
                    members[number].append(candidate)
            rng.shuffle(members[number])
    playlist_records = []
    sources: dict[str, set[str]] = {t: {SAVED} for t in saved_ids}
    for number, track_ids in enumerate(members):
        playlist_id = spotify_id(f"playlist:{number}")
        followed = number % 8 == 7  # some followed playlists, owned by a curator
        playlist_records.append(
            SpotifyPlaylistRecord(
                id=playlist_id,
                name=f"Playlist {number}",
                owner_id="curator" if followed else "harmony_user",
                owner_name="Curator" if followed else "Harmony User",
                track_ids=track_ids,
            )
        )
        for track_id in track_ids:
            sources.setdefault(track_id, set()).add(playlist_id)
    return Account(library, records, playlist_records, saved, present, sources)


# --- the simulator in a child process ----------------------------------------------------------


def _serve(
    records: list[Any],
    playlists: list[Any],
    saved: list[tuple[str, str]],
    raw: bool,
    conn: Connection,
) -> None:
    """Child process: serve the account until told to stop; answers request-log queries."""
    from tests.simulators.spotify import SpotifySimulator

    async def main() -> None:
        sim = SpotifySimulator()
        for record in records:
            sim.add_track(record)
        for playlist in playlists:
            sim.add_playlist(playlist)
        sim.user.saved = saved
        sim._access[TOKEN] = time.monotonic() + 86_400
        if not raw:
            # The records never change here, so a track object renders once.
            render = sim._track_json
            rendered: dict[tuple[Any, ...], Any] = {}

            def memoised(origin: str, track: Any, market: str | None, episodes: bool = True) -> Any:
                key = (origin, track.id, market, episodes)
                if key not in rendered:
                    rendered[key] = render(origin, track, market, episodes)
                return rendered[key]

            sim._track_json = memoised
        url = await sim.start()
        conn.send(url)
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "requests":
                conn.send(list(sim.requests))
                sim.requests.clear()
            else:
                break
        await sim.stop()
        conn.send("stopped")

    asyncio.run(main())


class SimulatorProcess:
    """The Spotify simulator in a spawned child process."""

    def __init__(self, account: Account, *, raw: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        self._records = account.records
        self._conn, self._child = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(account.records, account.playlists, account.saved, raw, self._child),
            daemon=True,
        )
        self.url = ""

    async def async_started(self) -> str:
        """Start the process (off the loop: spawning pickles the account); its base URL."""
        await asyncio.get_running_loop().run_in_executor(None, self._process.start)
        self._child.close()
        # The child has its copy; the parent keeping 20,000 records would only lengthen its
        # garbage collections, which Home Assistant (that never holds them) would not have.
        self._records.clear()
        self.url = str(await self._ask(None))
        return self.url

    async def _ask(self, command: str | None) -> Any:
        loop = asyncio.get_running_loop()
        if command is not None:
            self._conn.send(command)
        if not await loop.run_in_executor(None, self._conn.poll, 120):
            raise RuntimeError("the Spotify simulator did not answer")
        return self._conn.recv()

    async def async_requests(self) -> list[str]:
        """Requests received since the last call ("GET /v1/...?...")."""
        answer: list[str] = await self._ask("requests")
        return answer

    async def async_stop(self) -> None:
        """Stop the server and the process."""
        with contextlib.suppress(OSError, RuntimeError, EOFError):
            await self._ask("stop")
        await asyncio.get_running_loop().run_in_executor(None, self._join)
        self._conn.close()

    def _join(self) -> None:
        if self._process.pid is None:
            return
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)


def route(request: str) -> str:
    """A request line reduced to its route: "GET /v1/playlists/{id}/items"."""
    path = request.split(" ", 1)[-1].split("?", 1)[0]
    return re.sub(r"^/v1/playlists/[^/]+", "/v1/playlists/{id}", path)


# --- what blocks the loop ----------------------------------------------------------------------


class Heartbeat:
    """Sleeps 10 ms in a loop and records how late it wakes (the loop was blocked meanwhile)."""

    def __init__(self, interval: float = HEARTBEAT_S) -> None:
        self.interval = interval
        self.max_late = 0.0
        self.beats = 0
        self.late: list[tuple[float, float]] = []  # (due, woke) of wake-ups over 5 ms late
        self._due: float | None = None
        self._task: asyncio.Task[None] | None = None

    def _woke(self, now: float) -> None:
        if self._due is not None and now - self._due > 0.005:
            self.late.append((self._due, now))
        if self._due is not None:
            self.max_late = max(self.max_late, now - self._due)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()  # its time() is time.monotonic()
        while True:
            self._due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._woke(loop.time())
            self.beats += 1

    def start(self) -> None:
        self.max_late, self.beats, self.late, self._due = 0.0, 0, [], None
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> float:
        """Stop; the longest lateness seen (seconds), counting a wake-up still overdue."""
        self._woke(asyncio.get_running_loop().time())
        self._due = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        return self.max_late


class SlowCallbacks(logging.Handler):
    """Counts asyncio debug mode's "Executing <handle> took N seconds" warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.durations: list[tuple[float, str]] = []  # (seconds, the handle, shortened)

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Executing") and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            last = args[-1]
            seconds = float(last) if isinstance(last, int | float) else float("nan")
            self.durations.append((seconds, str(args[0])[:300]))

    def take(self) -> list[tuple[float, str]]:
        taken, self.durations = self.durations, []
        return taken


@contextlib.contextmanager
def slow_callbacks(*, quiet: bool) -> Any:
    """Attach a SlowCallbacks handler to the asyncio logger for the duration."""
    logger = logging.getLogger("asyncio")
    handler = SlowCallbacks()
    logger.addHandler(handler)
    propagate = logger.propagate
    if quiet:
        logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


GcPause = tuple[float, float, int, str]  # (start, end) in time.monotonic(), generation, thread


class GcPauses:
    """Every cyclic garbage collection (they hold the GIL: every thread, the loop's too, waits)."""

    def __init__(self) -> None:
        self.pauses: list[GcPause] = []
        self._started: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        now = time.monotonic()
        if phase == "start":
            self._started[threading.get_ident()] = now
        elif (began := self._started.pop(threading.get_ident(), None)) is not None:
            self.pauses.append((began, now, info["generation"], threading.current_thread().name))

    def take(self) -> list[GcPause]:
        taken, self.pauses = self.pauses, []
        return taken


@contextlib.contextmanager
def gc_pauses() -> Any:
    """Record collections for the duration."""
    tracker = GcPauses()
    gc.callbacks.append(tracker)
    try:
        yield tracker
    finally:
        gc.callbacks.remove(tracker)


def outside_gc(late: list[tuple[float, float]], pauses: list[GcPause]) -> float:
    """The longest heartbeat lateness once the GC pauses within it are taken out."""
    longest = 0.0
    for due, woke in late:
        inside = sum(max(0.0, min(end, woke) - max(start, due)) for start, end, _, _ in pauses)
        longest = max(longest, woke - due - inside)
    return longest


def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field_name}:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


@dataclass
class Step:
    """One measured step."""

    name: str
    seconds: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    max_late: float = 0.0
    slow: list[tuple[float, str]] = field(default_factory=list)
    gc: list[GcPause] = field(default_factory=list)
    outside_gc: float = 0.0  # longest lateness not spent in a GC pause
    cpu_s: float = 0.0  # this process's CPU time (every thread), not the simulator's
    peak_rss_mib: float | None = None
    result: Any = None

    @property
    def longest_gc(self) -> GcPause | None:
        if not self.gc:
            return None
        return max(self.gc, key=lambda pause: pause[1] - pause[0])

    @property
    def request_total(self) -> int:
        return sum(self.requests.values())


async def measure(
    name: str,
    work: Callable[[], Awaitable[Any]],
    heartbeat: Heartbeat,
    watcher: SlowCallbacks,
    collections: GcPauses,
    simulator: SimulatorProcess | None = None,
) -> Step:
    """Run ``work`` with the heartbeat and the slow-callback watch; collect what it cost."""
    step = Step(name)
    if simulator is not None:
        await simulator.async_requests()  # forget earlier requests
    gc.collect()  # not the step's: its callback ends (and is logged) before the watch starts
    await asyncio.sleep(0)
    rss_before = _status_kib("VmRSS")
    resettable = reset_peak_rss()
    watcher.take()
    collections.take()
    heartbeat.start()
    await asyncio.sleep(0)  # the heartbeat's first sleep is under way
    started, cpu = time.perf_counter(), time.process_time()
    step.result = await work()
    step.seconds = time.perf_counter() - started
    step.cpu_s = time.process_time() - cpu
    step.max_late = await heartbeat.stop()
    step.slow = watcher.take()  # the callback that ran the end of ``work`` is logged by now
    step.gc = collections.take()
    step.outside_gc = outside_gc(heartbeat.late, step.gc)
    peak = _status_kib("VmHWM")
    if resettable and peak is not None and rss_before is not None:
        step.peak_rss_mib = (peak - rss_before) / 1024
    if simulator is not None:
        step.requests = Counter(route(r) for r in await simulator.async_requests())
    return step


# --- the work ----------------------------------------------------------------------------------


@dataclass
class DiffResult:
    """What ``build_and_diff`` returns."""

    diff: Diff
    build_s: float
    diff_s: float


def build_and_diff(
    library: list[dict[str, Any]],
    tracks: Mapping[str, dict[str, Any]],
    sources: Mapping[str, Collection[str]],
) -> DiffResult:
    """What auto-sync runs in the executor: a cold index over the library, then the diff."""
    clear_caches()  # cold, as the first diff after a start
    started = time.perf_counter()
    index = LibraryIndex(library)
    built = time.perf_counter()
    diff = library_diff(tracks, sources, index, threshold=None)
    return DiffResult(diff, built - started, time.perf_counter() - built)


@dataclass
class Answers:
    """The diff against the ground truth."""

    present: int
    absent: int
    present_owned: int  # present tracks the diff counted as owned
    absent_missing: int  # absent tracks the diff reported missing
    owned: int
    missing: int


def check_answers(account: Account, diff: Diff) -> Answers:
    """Compare the diff with what the world says the library holds."""
    missing_ids = {str(t["id"]) for t in diff.missing}
    present = [t for t, held in account.present.items() if held]
    absent = [t for t, held in account.present.items() if not held]
    return Answers(
        present=len(present),
        absent=len(absent),
        present_owned=sum(t not in missing_ids for t in present),
        absent_missing=sum(t in missing_ids for t in absent),
        owned=diff.owned,
        missing=len(diff.missing),
    )


def collected_once(account: Account, collected: Collected) -> tuple[bool, str]:
    """Every track of the account collected once, with exactly the sources it is in."""
    if set(collected.tracks) != set(account.sources):
        lacking = len(set(account.sources) - set(collected.tracks))
        extra = len(set(collected.tracks) - set(account.sources))
        return False, f"{lacking} tracks not collected, {extra} unknown ones"
    wrong = sum(collected.sources.get(t) != s for t, s in account.sources.items())
    if wrong:
        return False, f"{wrong} tracks with the wrong sources"
    return True, f"{len(collected.tracks):,} tracks, each once, sources exact"


def spotify_client(session: aiohttp.ClientSession, url: str) -> SpotifyClient:
    """The real client, pointed at the simulator with a granted token."""

    async def token() -> str:
        return TOKEN

    return SpotifyClient(session, token, base_url=f"{url}/v1")


@dataclass
class Report:
    """Everything one run measured."""

    full: Step
    unchanged: Step
    executor: Step
    on_loop: Step | None
    answers: Answers
    once: tuple[bool, str]
    unchanged_once: tuple[bool, str]
    retained_mib: float | None = None
    traced_peak_mib: float | None = None


async def run_scale(
    account: Account,
    store_path: Path,
    *,
    baseline: bool = True,
    raw_simulator: bool = False,
    executor: concurrent.futures.Executor | None = None,
    traced: bool = True,
    quiet: bool = True,
) -> Report:
    """Steps (a)-(c) and the baseline in the running loop (which the caller set to debug mode)."""
    loop = asyncio.get_running_loop()
    simulator = SimulatorProcess(account, raw=raw_simulator)
    store = Store(store_path)
    await store.async_open()
    heartbeat = Heartbeat()
    try:
        url = await simulator.async_started()
        with slow_callbacks(quiet=quiet) as watcher, gc_pauses() as collections:
            async with aiohttp.ClientSession() as session:
                client = spotify_client(session, url)
                full = await measure(
                    "(a) full collect",
                    lambda: async_collect(client, store, ()),
                    heartbeat,
                    watcher,
                    collections,
                    simulator,
                )
                unchanged = await measure(
                    "(b) collect, every playlist unchanged",
                    lambda: async_collect(client, store, ()),
                    heartbeat,
                    watcher,
                    collections,
                    simulator,
                )
                collected: Collected = full.result

                async def in_executor() -> DiffResult:
                    return await loop.run_in_executor(
                        executor,
                        build_and_diff,
                        account.library,
                        collected.tracks,
                        collected.sources,
                    )

                in_exec = await measure(
                    "(c) index build + diff in the executor",
                    in_executor,
                    heartbeat,
                    watcher,
                    collections,
                )
                on_loop = None
                if baseline:

                    async def blocking() -> DiffResult:
                        return build_and_diff(account.library, collected.tracks, collected.sources)

                    on_loop = await measure(
                        "baseline: index build + diff on the loop",
                        blocking,
                        heartbeat,
                        watcher,
                        collections,
                    )
                report = Report(
                    full,
                    unchanged,
                    in_exec,
                    on_loop,
                    check_answers(account, in_exec.result.diff),
                    collected_once(account, collected),
                    collected_once(account, unchanged.result),
                )
                if traced:
                    await simulator.async_requests()
                    gc.collect()
                    tracemalloc.start()
                    before = tracemalloc.get_traced_memory()[0]
                    kept = await async_collect(client, store, ())
                    gc.collect()
                    current, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                    report.retained_mib = (current - before) / 2**20
                    report.traced_peak_mib = (peak - before) / 2**20
                    del kept
    finally:
        await store.async_close()
        await simulator.async_stop()
    return report


# --- the command line --------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:,.0f} ms"


def _slow(step: Step) -> str:
    if not step.slow:
        return "0"
    return f"{len(step.slow)} (longest {max(s for s, _ in step.slow):.3f} s)"


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} MiB"


def _gc(step: Step) -> str:
    pause = step.longest_gc
    if pause is None:
        return "none"
    start, end, generation, thread = pause
    full = sum(1 for p in step.gc if p[2] == 2)
    return f"{_ms(end - start)} (gen {generation}, {thread}); {full} full of {len(step.gc)}"


def _requests(step: Step) -> str:
    if not step.requests:
        return "0"
    parts = ", ".join(f"{n:,} {r}" for r, n in sorted(step.requests.items()))
    return f"{step.request_total:,} ({parts})"


def print_report(account: Account, report: Report, args: argparse.Namespace) -> None:
    """The summary lines and the markdown table."""
    full, unchanged, in_exec, on_loop = (
        report.full,
        report.unchanged,
        report.executor,
        report.on_loop,
    )
    collected: Collected = full.result
    print(
        f"(a) full collect: {full.seconds:.2f} s, {full.request_total:,} requests, "
        f"{collected.playlists_read} playlists read, {len(collected.tracks):,} tracks "
        f"({collected.left_out} left out); {report.once[1]}"
    )
    again: Collected = unchanged.result
    print(
        f"(b) unchanged collect: {unchanged.seconds:.2f} s, {unchanged.request_total:,} requests, "
        f"{again.playlists_unchanged} playlists from the store, {again.playlists_read} read; "
        f"{report.unchanged_once[1]}"
    )
    result: DiffResult = in_exec.result
    print(
        f"(c) executor: {in_exec.seconds:.2f} s wall (in the thread: build {result.build_s:.2f} s "
        f"+ diff {result.diff_s:.2f} s)"
    )
    if on_loop is not None:
        base: DiffResult = on_loop.result
        print(
            f"baseline on the loop: {on_loop.seconds:.2f} s wall (build {base.build_s:.2f} s + "
            f"diff {base.diff_s:.2f} s)"
        )
    a = report.answers
    print(
        f"answers: {a.present_owned:,} of {a.present:,} held tracks counted owned "
        f"({100 * a.present_owned / max(1, a.present):.2f}%), {a.absent_missing:,} of "
        f"{a.absent:,} lacking tracks reported missing "
        f"({100 * a.absent_missing / max(1, a.absent):.2f}%); diff owned {a.owned:,}, "
        f"missing {a.missing:,}"
    )
    if report.retained_mib is not None:
        print(
            f"tracemalloc, an extra unchanged collect (untimed): the {len(again.tracks):,} "
            f"collected tracks retain {report.retained_mib:.1f} MiB; peak "
            f"{_mib(report.traced_peak_mib)} above the start"
        )
    print()
    print(
        f"{args.tracks:,} Spotify tracks ({len(account.saved):,} saved, "
        f"{len(account.playlists)} playlists with {account.playlist_items:,} items) x "
        f"{args.library:,} library items (crowded world); loop debug mode "
        f"{'on' if args.debug else 'off'}, slow_callback_duration {SLOW_CALLBACK_S} s; "
        f"simulator {'raw' if args.raw_simulator else 'with memoised track objects'}; "
        f"world {'frozen (gc.freeze)' if args.freeze else 'not frozen'}"
    )
    print()
    print(
        "| step | wall time | client CPU | Spotify requests | max heartbeat lateness | "
        "longest GC pause; full GCs of all | lateness outside GC | "
        "slow callbacks (> 100 ms) | peak RSS rise |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    steps = [full, unchanged, in_exec, *([on_loop] if on_loop is not None else [])]
    for step in steps:
        print(
            f"| {step.name} | {step.seconds:.2f} s | {step.cpu_s:.2f} s | {_requests(step)} | "
            f"{_ms(step.max_late)} | {_gc(step)} | {_ms(step.outside_gc)} | {_slow(step)} | "
            f"{_mib(step.peak_rss_mib)} |"
        )
    print()
    print(
        f"unchanged / full collect: {unchanged.seconds / full.seconds:.2f}x the time, "
        f"{unchanged.request_total / max(1, full.request_total):.2f}x the requests"
    )
    if on_loop is not None:
        print(
            f"executor / on the loop: {in_exec.seconds / on_loop.seconds:.2f}x the wall time; "
            f"longest block {_ms(in_exec.max_late)} against {_ms(on_loop.max_late)} "
            f"({on_loop.max_late / max(in_exec.max_late, 1e-6):,.0f}x shorter in the executor)"
        )
    for step in steps:
        for seconds, handle in step.slow:
            print(f"slow callback in {step.name}: {seconds:.3f} s: {handle}")
    longest = max(full.max_late, unchanged.max_late, in_exec.max_late)
    rest = max(full.outside_gc, unchanged.outside_gc, in_exec.outside_gc)
    print(
        f"longest loop block over (a)-(c): {_ms(longest)} heartbeat lateness "
        f"(goal < 100 ms: {'met' if longest < 0.1 else 'NOT met'}); outside GC pauses "
        f"{_ms(rest)}"
    )


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--library", type=int, default=100_000)
    parser.add_argument("--playlists", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-debug", dest="debug", action="store_false", help="loop debug off")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument(
        "--raw-simulator", action="store_true", help="no memoised track objects in the simulator"
    )
    parser.add_argument(
        "--freeze", action="store_true", help="gc.freeze() the generated world before the steps"
    )
    args = parser.parse_args()

    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    started = time.perf_counter()
    account = make_account(args.tracks, args.library, seed=args.seed, playlists=args.playlists)
    print(f"world generated in {time.perf_counter() - started:.1f} s")
    if args.freeze:
        gc.collect()
        gc.freeze()  # as if the library had been loaded long ago and frozen

    async def run() -> Report:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = SLOW_CALLBACK_S
        with tempfile.TemporaryDirectory() as tmp:
            return await run_scale(
                account,
                Path(tmp) / "bench.db",
                baseline=args.baseline,
                raw_simulator=args.raw_simulator,
            )

    report = asyncio.run(run(), debug=args.debug)
    print_report(account, report, args)


if __name__ == "__main__":
    main()
