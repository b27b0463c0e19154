"""Crash suite: Home Assistant SIGKILLed at random points of an auto-sync of 54 downloads.

Home Assistant runs as a real process (``tests/ha_process.py``) against the Spotify, Plex and
slskd simulators of this test process, with real beets. One world (``tests/crash_world.py``: 9
albums of 6 tracks, none in Plex, each album one folder on Soulseek) is used for every round:
a round starts Home Assistant, starts an auto-sync through the REST API as soon as it answers,
and SIGKILLs the process at a seeded random moment (during start-up and recovery, the Spotify
read, the library scan, searches, enqueues, transfers, imports). After every kill:

- SQLite's ``PRAGMA integrity_check`` is ``ok``;
- no job is lost: every job seen before the kill is still there, none went back from an end
  state, and no track has two jobs;
- slskd was asked for no file twice (one transfer per file, ever);
- beets imported nothing twice (one library item and one file per track).

After the last round Home Assistant runs undisturbed and one more auto-sync finishes: every
track of the account has ended completed (imported once) or failed with a reason.

The seed is printed (``-s`` shows it; a failure repeats it); ``HARMONY_CRASH_SEED=<n>`` (default 2; ``random`` for a new one) re-runs
that seed's kill schedule, ``HARMONY_CRASH_ROUNDS`` changes the number of rounds (default 20).
The processes' timing is the machine's, so a seed fixes where kills aim, not which instruction
they hit.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import random
import shutil
import signal
import sqlite3
import time

import aiohttp
import pytest

from custom_components.harmony_music.const import DOMAIN
from custom_components.harmony_music.workers.download import track_dedupe_key
from tests.conftest import ENTRY_ID
from tests.crash_world import CrashWorld, build_crash_world
from tests.ha_process import call_service, start, stop, until, write_auth, write_config
from tests.simulators.plex import PlexSimulator
from tests.simulators.slskd import SlskdSimulator
from tests.simulators.spotify import SpotifySimulator

pytestmark = [pytest.mark.real_services, pytest.mark.slow, pytest.mark.timeout(900)]


def _seed(value: str) -> int:
    """The seed: a number, or "random" for a fresh one (CI runs the default, measured one)."""
    return random.SystemRandom().randrange(10**6) if value == "random" else int(value)


ROUNDS = int(os.environ.get("HARMONY_CRASH_ROUNDS") or 20)
# Seconds after the process starts at which a round's kill may fall (start-up takes ~3-6 s).
KILL_WINDOW = (1.0, 16.0)
FINAL_WAIT = 240.0
TERMINAL = {"completed", "failed", "cancelled", "invalid_payload"}


@dataclass
class JobRow:
    """One ``worker_jobs`` row as the checks need it."""

    id: int
    dedupe_key: str
    state: str
    last_error: str | None


def read_jobs(db: Path) -> dict[int, JobRow]:
    """Every job (read-only while Home Assistant may be writing)."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT id, dedupe_key, state, last_error FROM worker_jobs")
        return {row[0]: JobRow(*row) for row in rows}
    except sqlite3.OperationalError:  # killed before the schema was created
        return {}
    finally:
        conn.close()


def last_run_finished(db: Path, after: int) -> bool:
    """Whether an auto-sync run with an id above ``after`` has finished."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = conn.execute(
            "SELECT finished_at FROM autosync_runs WHERE id > ? ORDER BY id DESC LIMIT 1",
            (after,),
        ).fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return row is not None and row[0] is not None


def last_run_id(db: Path) -> int:
    """The newest auto-sync run's id (0: none)."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        row = conn.execute("SELECT MAX(id) FROM autosync_runs").fetchone()
    finally:
        conn.close()
    return int(row[0] or 0)


def beets_items(library: Path) -> list[tuple[str, str]]:
    """(artist, title) of every item in the beets library."""
    if not library.exists():
        return []
    conn = sqlite3.connect(f"file:{library}?mode=ro", uri=True, timeout=10)
    try:
        return [(str(a), str(t)) for a, t in conn.execute("SELECT artist, title FROM items")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


@pytest.fixture
async def simulators(
    socket_enabled: None, tmp_path: Path
) -> AsyncGenerator[tuple[SpotifySimulator, PlexSimulator, SlskdSimulator]]:
    """The three simulators; slskd 50x faster than real time, peers slow (a file takes ~6-12 s)."""
    for name in ("beets", "music", "downloads"):
        (tmp_path / name).mkdir()
    spotify = SpotifySimulator(token_lifetime=86400)
    plex = PlexSimulator(library_dir=tmp_path / "music", refresh_seconds=0.1)
    slskd = SlskdSimulator(tmp_path / "downloads", time_scale=0.02, version="0.26.0")
    for simulator in (spotify, plex, slskd):
        await simulator.start()
    yield spotify, plex, slskd
    for simulator in (slskd, plex, spotify):
        await simulator.stop()


class Checker:
    """The invariants, checked after every kill and at the end."""

    def __init__(self, tmp_path: Path, db: Path, world: CrashWorld, slskd: SlskdSimulator) -> None:
        self.db = db
        self.world = world
        self.slskd = slskd
        self.beets = tmp_path / "beets" / "library.db"
        self.music = tmp_path / "music"
        self.root = tmp_path
        self.seen: dict[int, JobRow] = {}
        self.plex_keys: set[int] = set()

    def after_kill(self, before: dict[int, JobRow], where: str) -> None:
        conn = sqlite3.connect(self.db, timeout=10)  # the process is dead: recover the WAL
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", where
        finally:
            conn.close()
        now = read_jobs(self.db)
        self.seen.update(before)
        lost = sorted(set(self.seen) - set(now))
        assert not lost, f"{where}: jobs {lost} were lost"
        for job_id, row in self.seen.items():
            if row.state in TERMINAL:
                assert now[job_id].state == row.state, (
                    f"{where}: job {job_id} went from {row.state} to {now[job_id].state}"
                )
        keys = Counter(row.dedupe_key for row in now.values())
        assert max(keys.values(), default=1) == 1, f"{where}: a track has two jobs: {keys}"
        self.seen = dict(now)
        self.no_repeats(where)

    def all_ended(self) -> bool:
        """Whether every track of the account has a job in an end state."""
        jobs = {row.dedupe_key: row.state for row in read_jobs(self.db).values()}
        return all(jobs.get(track_dedupe_key(t), "") in TERMINAL for t in self.world.tracks)

    def at_end(self, where: str) -> None:
        """Every track ended completed and imported once, or failed with a reason."""
        by_key = {row.dedupe_key: row for row in read_jobs(self.db).values()}
        imported = Counter(beets_items(self.beets))
        transfers = Counter(
            (t.peer.username, t.file.filename) for t in self.slskd.transfers.values()
        )
        # One file in the library folder per imported item: no copy left by a killed import.
        files = sorted(str(p.relative_to(self.music)) for p in self.music.rglob("*.mp3"))
        assert len(files) == sum(imported.values()), f"{where}: files {files}, items {imported}"
        for track in self.world.tracks.values():
            row = by_key[track_dedupe_key(track.track_id)]
            assert row.state in ("completed", "failed"), f"{where}: {track.title}: {row.state}"
            if row.state == "failed":
                assert row.last_error, f"{where}: {track.title} failed without a reason"
                continue
            assert imported[(track.artist, track.title)] == 1, f"{where}: {track.title}"
            assert transfers[(track.username, track.filename)] == 1, f"{where}: {track.title}"

    def new_wave(self, plex: PlexSimulator) -> None:
        """Forget the finished wave: a new database, empty folders, slskd and Plex as built."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        for name in ("beets", "music", "downloads", "incomplete"):
            shutil.rmtree(self.root / name, ignore_errors=True)
            (self.root / name).mkdir()
        self.slskd.transfers.clear()
        self.slskd.batches.clear()
        section = plex.sections[plex.music_section_key]
        plex.remove_tracks(
            [e.rating_key for e in section.entries if e.rating_key not in self.plex_keys]
        )
        self.seen = {}

    def no_repeats(self, where: str) -> None:
        asked = Counter((t.peer.username, t.file.filename) for t in self.slskd.transfers.values())
        twice = {ref: n for ref, n in asked.items() if n > 1}
        assert not twice, f"{where}: slskd was asked for these files more than once: {twice}"
        items = Counter(beets_items(self.beets))
        again = {item: n for item, n in items.items() if n > 1}
        assert not again, f"{where}: beets imported these more than once: {again}"


async def test_sigkill_at_random_points_of_an_autosync(
    tmp_path: Path,
    simulators: tuple[SpotifySimulator, PlexSimulator, SlskdSimulator],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """20 seeded kills, then an undisturbed run: nothing lost, nothing done twice, all ended."""
    spotify, plex, slskd = simulators
    seed = _seed(os.environ.get("HARMONY_CRASH_SEED", "2"))
    with capsys.disabled():
        print(
            f"\ncrash suite: seed {seed} (re-run with HARMONY_CRASH_SEED={seed}), {ROUNDS} rounds"
        )
    rng = random.Random(seed)
    world = build_crash_world(
        spotify, plex, slskd, seed=seed, albums=12, tracks_per_album=7, upload_speed=10_000
    )
    tokens = spotify.issue_tokens()
    config_dir = tmp_path / "config"
    write_config(
        config_dir,
        tmp_path,
        slskd,
        {"sync_worker_concurrency": 4, "sync_poll_interval": 0.5},
        data={
            "token": {**tokens, "expires_at": time.time() + 86400},
            "plex_url": plex.url,
            "plex_token": plex.token,
            "plex_section": str(plex.music_section_key),
        },
        client=(spotify.client_id, spotify.client_secret),
    )
    bearer = write_auth(config_dir)
    env = {
        "HARMONY_MUSIC_SPOTIFY_API_URL": f"{spotify.url}/v1",
        "HARMONY_MUSIC_SPOTIFY_ACCOUNTS_URL": str(spotify.url),
    }
    db = config_dir / ".storage" / f"{DOMAIN}.{ENTRY_ID}.db"
    checker = Checker(tmp_path, db, world, slskd)
    checker.plex_keys = {e.rating_key for e in plex.sections[plex.music_section_key].entries}
    entry = {"config_entry_id": ENTRY_ID}
    started = time.monotonic()
    wave, in_flight = 1, 0
    async with aiohttp.ClientSession() as session:
        for number in range(1, ROUNDS + 1):
            kill_at = rng.uniform(*KILL_WINDOW)
            where = f"seed {seed} wave {wave} round {number} (kill at {kill_at:.2f} s)"
            process = start(config_dir, env)
            began = time.monotonic()
            asked = False
            while (left := began + kill_at - time.monotonic()) > 0:
                if not asked:
                    # Started as soon as the API answers; a request cut by the kill is fine.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(left):
                            status, _ = await call_service(
                                session, config_dir, bearer, "run_autosync", entry
                            )
                            asked = status == 200
                await asyncio.sleep(min(0.2, max(0.0, began + kill_at - time.monotonic())))
            before = read_jobs(db)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            checker.after_kill(before, where)
            states = Counter(row.state for row in checker.seen.values())
            open_jobs = states["queued"] + states["running"]
            in_flight = max(in_flight, open_jobs)
            with capsys.disabled():
                print(
                    f"  wave {wave} round {number:2d}: killed at {kill_at:5.2f} s, {dict(states)}"
                )
            if checker.all_ended():
                checker.at_end(where)
                wave += 1
                checker.new_wave(plex)

        # The last start runs undisturbed: one more auto-sync queues what is left, all jobs end.
        if checker.seen:
            previous = last_run_id(db)
            process = start(config_dir, env)
            try:
                deadline = time.monotonic() + 120
                while (await call_service(session, config_dir, bearer, "run_autosync", entry))[
                    0
                ] != 200:
                    assert time.monotonic() < deadline, f"seed {seed}: no last auto-sync"
                    await asyncio.sleep(0.5)
                await until(
                    lambda: last_run_finished(db, previous) and checker.all_ended(),
                    FINAL_WAIT,
                    f"seed {seed}: the last run and every job",
                )
            finally:
                stop(process)
            checker.after_kill({}, f"seed {seed} wave {wave} after the last run")
            checker.at_end(f"seed {seed} wave {wave} after the last run")
        else:
            wave -= 1
    with capsys.disabled():
        print(
            f"crash suite: seed {seed}, {ROUNDS} rounds over {wave} waves of "
            f"{len(world.tracks)} tracks, at most {in_flight} jobs open at a kill, "
            f"{time.monotonic() - started:.0f} s"
        )
