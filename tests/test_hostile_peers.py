"""Hostile peers: whatever names and fields other Soulseek users send, nothing leaves our folders.

Peers choose file and folder names and every field of a search response; slskd passes them on.
These tests fuzz them at three levels: the mapping of a remote path to the local files the
download worker looks for, stages and quarantines (on a real folder); the slskd client's parse
functions (only its own ResponseError may come out); and download jobs against the slskd
simulator serving hostile and malformed responses, after which the worker still works and no file
was written outside the folders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from datetime import timedelta
import json
import logging
from pathlib import Path
import re
import shutil
import tempfile
from types import SimpleNamespace
from typing import Any, cast
import unicodedata
from unittest.mock import AsyncMock, patch

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.harmony_music.clients.errors import ResponseError
from custom_components.harmony_music.clients.slskd import (
    EnqueueResult,
    SlskdApplication,
    SlskdClient,
    SlskdSearch,
    SlskdTransfer,
)
from custom_components.harmony_music.clients.slskd_models import MAX_FILE_SIZE, MAX_TEXT
from custom_components.harmony_music.engine.file_choice import Peer, QualityRules, choose_files
from custom_components.harmony_music.engine.matching import DEFAULT_CONFIDENCE_THRESHOLD, score
from custom_components.harmony_music.engine.paths import (
    MAX_NAME_BYTES,
    inside,
    remote_parts,
    safe_name,
    slskd_landing,
)
from custom_components.harmony_music.engine.soulseek_path import soulseek_features
from custom_components.harmony_music.store import JobState
from custom_components.harmony_music.workers.download import QUARANTINE, STAGING, DownloadWorker
from tests.simulators.slskd import SharedFile, SlskdSimulator, SoulseekPeer, demo_peers
from tests.test_download import (  # noqa: F401  (fixtures: entry, its Spotify and Plex)
    LULLABY,
    LULLABY_TRACK,
    download,
    download_track,
    entry,
    plex_refresh,
    shared,
    spotify,
    worker_of,
)

# --- hostile names -----------------------------------------------------------------------------

NASTY_COMPONENTS = [
    "..",
    ".",
    "...",
    "",
    " ",
    "C:",
    "c:",
    "C:\\",
    "C:..",
    "\\\\server\\share",
    "//server/share",
    "\\\\?\\C:\\",
    "CON",
    "con",
    "NUL",
    "nul.flac",
    "COM1",
    "com1.mp3",
    "LPT9",
    "aux.txt",
    "PRN",
    "track. ",
    "track .",
    "name.",
    "name...",
    " lead",
    "a\x00b",
    "\x00",
    "\x01\x1f\x7f",
    "\x1b[2J",
    "\r\n",
    "\t",
    "\uff0f",  # fullwidth solidus: NFKC gives '/'
    "a\uff0f..\uff0fb",
    "\uff3c",  # fullwidth reverse solidus: NFKC gives '\'
    "\u2215",  # division slash
    "\u2044",  # fraction slash
    "\u29f8",  # big solidus
    "\uff0e\uff0e",  # fullwidth full stops: NFKC gives '..'
    "\u2025",  # two dot leader: NFKC gives '..'
    "\u2024\u2024",
    "\u202e",  # right-to-left override
    "\ufeff",
    "\u200b",
    "\ud800",  # a lone surrogate (JSON can carry one)
    "\udcff",
    "x" * 300,  # > 255 bytes in one component
    "\u00e9" * 200,  # 400 bytes of UTF-8 in 200 characters
    "\U0001f3b5" * 70,  # 280 bytes of four-byte characters
    "~",
    "$HOME",
    "%2e%2e",
    "*?[]",
]
SEPARATORS = ["\\", "/", "\\\\", "\\/", "/\\"]
PREFIXES = ["", "@@share\\", "C:\\", "c:/", "\\\\server\\share\\", "/", "\\", "..\\", "\\\\?\\"]

COMPONENT = st.one_of(
    st.sampled_from(NASTY_COMPONENTS),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=300),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY_COMPONENTS), st.text(max_size=8)),
)
REMOTE_PATH = st.one_of(
    st.builds(
        lambda prefix, parts, last: prefix + "".join(p + s for p, s in parts) + last,
        st.sampled_from(PREFIXES),
        st.lists(st.tuples(COMPONENT, st.sampled_from(SEPARATORS)), max_size=8),
        COMPONENT,
    ),
    # > 4096 characters in all.
    st.builds(
        lambda n, last: "\\".join(["a" * 200] * n) + "\\" + last, st.integers(21, 30), COMPONENT
    ),
)


def _safe_component(name: str, max_bytes: int = MAX_NAME_BYTES) -> bool:
    """One path component no file system or Windows share would read as something else."""
    folded = unicodedata.normalize("NFKC", name)
    return (
        bool(name)
        and name not in (".", "..")
        and not re.search(r'[\x00-\x1f\x7f<>:"/\\|?*]', folded)
        and not any(unicodedata.category(ch)[0] == "C" for ch in name)
        and not name.endswith((" ", "."))
        and not re.match(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", name, re.IGNORECASE)
        and len(name.encode()) <= max_bytes
    )


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    """A real downloads folder inside a sandbox (the sandbox's other folder is the 'outside')."""
    with tempfile.TemporaryDirectory() as sandbox:
        downloads = Path(sandbox) / "downloads"
        downloads.mkdir()
        (Path(sandbox) / "outside").mkdir()
        yield downloads


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


# --- the mapping from a remote path to local files ----------------------------------------------


@settings(max_examples=1500, deadline=None)
@given(REMOTE_PATH)
def test_safe_name_of_any_remote_name_is_one_safe_component(remote: str) -> None:
    """Every component the worker names itself (staging, quarantine) is a safe name."""
    for candidate in (remote, Path(remote.replace("\\", "/")).name, *remote_parts(remote)):
        name = safe_name(candidate)
        assert _safe_component(name), repr(name)
        assert _safe_component(safe_name(name))


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REMOTE_PATH)
def test_landing_path_is_inside_the_downloads_folder(remote: str) -> None:
    """Where the worker looks for slskd's file: inside the folder after resolve(), one folder deep.

    On a POSIX system drive letters and backslashes are plain characters; what counts is that
    '..', '.', absolute paths and UNC prefixes never climb out.
    """
    root = Path("/srv/downloads")
    landing = slskd_landing(root, remote)
    if landing is None:
        return
    relative = landing.relative_to(root)
    assert 1 <= len(relative.parts) <= 2
    assert all(part not in ("", ".", "..") for part in relative.parts)
    assert "\x00" not in str(landing)
    assert landing.resolve().is_relative_to(root.resolve())
    assert inside(root, landing)
    assert relative.parts[-1] == remote_parts(remote)[-1]


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(remote=REMOTE_PATH, size=st.integers(1, 64))
def test_look_for_stage_and_quarantine_stay_inside(base: Path, remote: str, size: int) -> None:
    """On a real folder: the file slskd wrote under a hostile name is found, staged and
    quarantined inside the downloads folder under safe names, and nothing appears outside."""
    outside = base.parent / "outside"
    worker = cast(DownloadWorker, SimpleNamespace(downloads_dir=base))
    row = SimpleNamespace(job_id=7, filename=remote)
    landing = slskd_landing(base, remote)
    try:
        if landing is not None:
            written = False
            try:  # what slskd would have written (it fails for names too long for ext4)
                landing.parent.mkdir(parents=True, exist_ok=True)
                landing.write_bytes(b"x" * size)
                written = True
            except (OSError, ValueError):
                pass
            found = DownloadWorker._look_for(worker, landing, size)
            if not written:
                assert found is None
                return
            assert found == landing
            assert inside(base, found)
            assert DownloadWorker._look_for(worker, landing, size + 1) is None  # size must match
            staged = DownloadWorker._stage(worker, found, row)  # type: ignore[arg-type]
            assert staged.parent == base / STAGING / "7"
            assert _safe_component(staged.name)
            assert staged.read_bytes() == b"x" * size
            DownloadWorker._quarantine(worker, staged)
            [quarantined] = (base / QUARANTINE).iterdir()
            # '<unix time>_<safe name>': a few bytes over the name limit, within ext4's 255.
            assert _safe_component(quarantined.name, max_bytes=255)
        assert not _all_files(outside)
        assert all(inside(base, path) for path in _all_files(base))
    finally:
        _empty(base)


# --- parsing what slskd passes on -------------------------------------------------------------

FIELDS = [
    "id",
    "filename",
    "size",
    "extension",
    "bitRate",
    "bitDepth",
    "sampleRate",
    "length",
    "isLocked",
    "username",
    "files",
    "lockedFiles",
    "hasFreeUploadSlot",
    "queueLength",
    "uploadSpeed",
    "state",
    "searchText",
    "responseCount",
    "fileCount",
    "bytesTransferred",
    "percentComplete",
    "averageSpeed",
    "placeInQueue",
    "exception",
    "attempts",
    "nextAttemptAt",
    "requestedAt",
    "enqueuedAt",
    "startedAt",
    "endedAt",
    "removed",
    "batchId",
    "enqueued",
    "failed",
    "batch",
    "transfers",
    "failures",
    "message",
    "reason",
    "directories",
    "server",
    "shares",
    "version",
    "current",
    "full",
    "isConnected",
    "isLoggedIn",
    "ready",
]
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**63, 2**64, -1, 0, MAX_FILE_SIZE + 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "Completed, Succeeded",
            "InProgress",
            "9999-99-99T99:99:99",
            "2026-12-01T12:00:00.1234567Z",
        ]
    ),
    REMOTE_PATH,
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=8),
    max_leaves=25,
)
HOSTILE_FILE = st.fixed_dictionaries(
    {},
    optional={
        "filename": st.one_of(REMOTE_PATH, SCALAR),
        "size": SCALAR,
        "extension": st.one_of(SCALAR, st.text(max_size=40)),
        "bitRate": SCALAR,
        "bitDepth": SCALAR,
        "sampleRate": SCALAR,
        "length": SCALAR,
        "isLocked": SCALAR,
    },
)
HOSTILE_RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "username": st.one_of(SCALAR, st.text(min_size=190, max_size=400)),
        "files": st.one_of(st.lists(st.one_of(HOSTILE_FILE, JSON), max_size=6), JSON),
        "lockedFiles": st.one_of(st.lists(HOSTILE_FILE, max_size=3), JSON),
        "hasFreeUploadSlot": SCALAR,
        "queueLength": SCALAR,
        "uploadSpeed": SCALAR,
    },
)
BODY = st.one_of(JSON, st.lists(st.one_of(HOSTILE_RESPONSE, JSON), max_size=5))
TRACK = {
    "id": LULLABY_TRACK.id,
    "name": "Lullaby",
    "artists": [{"name": "The Cure"}],
    "album": {"name": "Disintegration"},
    "duration_ms": 233_000,
}


def _client(body: Any) -> SlskdClient:
    """A client whose every request answers ``body`` (as decoded JSON)."""
    client = SlskdClient(cast(Any, None), "http://slskd.invalid", "key")

    async def answer(*_: Any, **__: Any) -> Any:
        return body

    client._async_request = answer  # type: ignore[method-assign]
    client._async_enqueue = answer  # type: ignore[method-assign]
    return client


def _check_transfer(transfer: SlskdTransfer) -> None:
    assert isinstance(transfer.id, str)
    assert isinstance(transfer.filename, str)
    assert 0 < len(transfer.filename) <= MAX_TEXT
    assert 0 <= transfer.bytes_transferred <= max(transfer.size, 0) <= MAX_FILE_SIZE
    assert 0.0 <= transfer.percent_complete <= 100.0
    assert transfer.attempts >= 0


async def _parse_everything(body: Any) -> None:
    """Every parse function of the client on one body: typed results or ResponseError."""
    calls: list[Callable[[SlskdClient], Awaitable[Any]]] = [
        lambda c: c.async_get_application(),
        lambda c: c.async_start_search("The Cure Lullaby"),
        lambda c: c.async_get_search("id"),
        lambda c: c.async_get_search_responses("id"),
        lambda c: c.async_list_downloads(),
        lambda c: c.async_get_download("peer", "id"),
        lambda c: c.async_get_place_in_queue("peer", "id"),
        lambda c: c.async_enqueue_download("peer", [("a\\b.flac", 5)]),
        lambda c: c.async_enqueue_batch("peer", [("a\\b.flac", 5)]),
    ]
    for call in calls:
        try:
            result = await call(_client(body))
        except ResponseError:
            continue
        if isinstance(result, SlskdApplication | SlskdSearch):
            continue
        if isinstance(result, SlskdTransfer):
            _check_transfer(result)
        elif isinstance(result, EnqueueResult):
            for transfer in result.enqueued:
                _check_transfer(transfer)
            assert all(f.filename is None or isinstance(f.filename, str) for f in result.failed)
        elif isinstance(result, list):
            for item in result:
                if isinstance(item, SlskdTransfer):
                    _check_transfer(item)
                    continue
                assert isinstance(item.username, str)
                assert 0 < len(item.username) <= 200
                assert item.queue_length >= 0
                assert item.upload_speed >= 0
                for file in item.files:
                    assert isinstance(file.filename, str)
                    assert 0 < len(file.filename) <= MAX_TEXT
                    assert 0 <= file.size <= MAX_FILE_SIZE
                    assert len(file.extension) <= 16
                    # What the worker does next with them must not raise either.
                    candidate = file.as_candidate(item.username)
                    soulseek_features(candidate)
                    assert 0.0 <= score(TRACK, candidate) <= 1.0
                peer = Peer(
                    item.username, item.has_free_upload_slot, item.queue_length, item.upload_speed
                )
                choose_files(
                    TRACK,
                    [(peer, [f.as_candidate(item.username) for f in item.files])],
                    QualityRules(min_bitrate=256, preferred_formats=("flac", "mp3")),
                    threshold=DEFAULT_CONFIDENCE_THRESHOLD,
                )
        else:
            assert result is None or isinstance(result, int)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODY)
def test_malformed_bodies_parse_or_raise_response_error(body: Any) -> None:
    """Wrong types, huge numbers, missing fields, hostile names: never another exception."""
    asyncio.run(_parse_everything(body))


@pytest.mark.parametrize(
    "body",
    [
        {"enqueued": 5},  # found by the test above: a number where a list belongs raised TypeError
        {"batch": {"id": "b", "transfers": 7}, "failures": True},
        {"enqueued": "abc", "failed": {"x": 1}},
    ],
)
def test_enqueue_answers_of_the_wrong_shape(body: Any) -> None:
    """An enqueue answer whose lists are not lists enqueues nothing (and does not raise)."""
    result = asyncio.run(_client(body).async_enqueue_download("peer", [("a\\b.flac", 5)]))
    assert result.enqueued == ()


# --- download jobs against hostile responses ---------------------------------------------------

MALFORMED_RESPONSES: list[Any] = [
    1,
    "x",
    None,
    [],
    {"username": 5, "files": []},
    {"username": "ghost", "files": "nope", "queueLength": "long"},
    {
        "username": "ghost2",
        "hasFreeUploadSlot": "yes",
        "uploadSpeed": 1e308,
        "files": [
            {"filename": 7, "size": "big"},
            {"filename": "The Cure - Lullaby.flac", "size": 2**63, "length": 233},
            {"filename": "The Cure\\Lullaby.flac", "size": 1e308, "bitDepth": {"x": 1}},
            {"size": 100, "length": 233},
            {"filename": "", "size": 5},
            {"filename": ["The Cure", "Lullaby.flac"], "size": 5},
        ],
    },
    {"username": "x" * 10_000, "files": [{"filename": "y" * 10_000, "size": -1}]},
]

# Remote paths for the download action: each names "The Cure" and "Lullaby" so a search finds it.
HOSTILE_FILES = [
    "..\\..\\..\\..\\The Cure - Lullaby.flac",
    "@@share\\..\\..\\The Cure\\..\\Lullaby.flac",
    "C:\\Users\\The Cure\\Lullaby.flac",
    "\\\\server\\share\\The Cure\\05 - Lullaby.flac",
    "/etc/The Cure/Lullaby.flac",
    "@@m\\The Cure\uff0f..\uff0f..\\05 - Lullaby.flac",
    "@@m\\The Cure\\\u2025\\Lullaby\u2215x.flac",
    "@@m\\CON\\The Cure - Lullaby.flac",
    "@@m\\The Cure - Lullaby. \\NUL.flac",
    "@@m\\The Cure\\Lullaby\x00.flac",
    "@@m\\The Cure\x1b[2J\\Lullaby\r\n.flac",
    "@@m\\The Cure\\" + "Lullaby " * 40 + ".flac",
    "@@m\\The Cure\\\\\\Lullaby.flac",
    "\\".join(["The Cure Lullaby"] * 300) + ".flac",  # > 4096 characters
]
# Only the action can carry a lone surrogate: slskd's JSON writer never sends one, and Home
# Assistant's JSON reader (orjson) refuses a body with one.
SURROGATE_FILE = "@@m\\The Cure\\Lullaby\ud800.flac"


def _local(part: str) -> str:
    """A component as slskd writes it on Linux (the simulator's stand-in for .NET's rules)."""
    if part in (".", ".."):
        return "_"
    part = part.replace("\x00", "_").replace("/", "_")
    part = part.encode("utf-8", "replace").decode("utf-8")
    stem, dot, ext = part.rpartition(".")
    if not dot:
        stem, ext = part, ""
    while len(f"{stem}{dot}{ext}".encode()) > 200:  # room for a clash rename's "_<ticks>"
        stem = stem[:-1]
    return f"{stem}{dot}{ext}"


class HostileSlskd(SlskdSimulator):
    """slskd passing on hostile peers: their names as sent, and malformed responses besides.

    The simulator stands in for slskd, whose own writes stay in its folders; where the names
    put them is the integration's problem only in so far as it looks for them.
    """

    def _incomplete_path(self, transfer: Any) -> Path:
        parts = [_local(p) for p in transfer.file.filename.split("\\") if p]
        return self.incomplete_dir.joinpath(_local(transfer.peer.username), *parts)

    def local_path(self, file: SharedFile) -> Path:
        parts = file.filename.split("\\")
        folder = _local(parts[-2]) if len(parts) > 1 and parts[-2] else ""
        return self.downloads_dir / folder / (_local(parts[-1]) or "_")

    async def _get_responses(self, request: web.Request) -> web.Response:
        answer = await super()._get_responses(request)
        body = json.loads(cast(str, answer.text))
        return web.json_response([*MALFORMED_RESPONSES, *body])


def _hostile_peer() -> SoulseekPeer:
    files = [
        SharedFile(
            name,
            24_000_000 + index,
            None,
            16,
            44100,
            233,
            title="Lullaby",
            artist="The Cure",
            album="Disintegration",
            track_no=5,
        )
        for index, name in enumerate(HOSTILE_FILES)
    ]
    return SoulseekPeer("hostile\\..\\peer", files=files)


@pytest.fixture
async def slskd_sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    """slskd with only the hostile peer at first (the demo peers join later)."""
    simulator = HostileSlskd(
        tmp_path / "downloads", time_scale=0.02, version="0.26.0", peers=[_hostile_peer()]
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


def _snapshot(tmp_path: Path) -> tuple[set[Path], set[str]]:
    return _all_files(tmp_path), {p.name for p in tmp_path.parent.iterdir()}


@pytest.mark.real_services
async def test_hostile_responses_end_jobs_cleanly_and_write_nothing_outside(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811  (the fixture imported from test_download)
    slskd_sim: SlskdSimulator,
    plex_refresh: AsyncMock,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A track search answered by a hostile peer and malformed responses, and a download of each
    hostile file: every job ends completed or failed with a reason, the worker lives on and
    downloads a good file afterwards, and every new file is inside the folders."""
    caplog.set_level(logging.DEBUG)
    before_files, before_siblings = _snapshot(tmp_path)
    worker = worker_of(entry)
    worker.queue.backoff = timedelta(milliseconds=50)
    worker.queue.max_backoff = timedelta(milliseconds=200)
    jobs: list[int] = []
    refused: list[str] = []
    with patch("custom_components.harmony_music.workers.download.FILE_APPEAR_TIMEOUT", 0.5):
        response = await download_track(hass, entry, LULLABY_TRACK.id)
        jobs.append(response["job_id"])
        surrogate = SharedFile(SURROGATE_FILE, 24_000_000, None, 16, 44100, 233)
        for file in [*slskd_sim.peers[0].files, surrogate]:
            try:
                response = await download(
                    hass,
                    entry,
                    slskd_sim.peers[0].username,
                    [{"filename": file.filename, "size": file.size, "length": file.length}],
                )
            except (vol.Invalid, ServiceValidationError):
                refused.append(file.filename)
                continue
            jobs.append(response["job_id"])
        ended = []
        for job_id in jobs:
            job = await worker.queue.async_wait(job_id, 90)
            assert job is not None
            ended.append(job)

        # The worker is alive and well: a good file from a good peer still lands.
        slskd_sim.peers.extend(p for p in demo_peers() if p.username == "lossless_lover")
        good = await download(hass, entry, "lossless_lover", [shared(slskd_sim, LULLABY)])
        last = await worker.queue.async_wait(good["job_id"], 60)

    for job in ended:
        assert job.state in (JobState.COMPLETED, JobState.FAILED), (job.payload, job.state)
        if job.state is JobState.FAILED:
            assert job.last_error, job.payload
    assert last is not None
    assert last.state is JobState.COMPLETED, last.last_error
    # Refused before a job exists: a lone surrogate (found by this test: the database could not
    # store it and every attempt failed with a traceback) and a name longer than the action allows.
    assert refused == [HOSTILE_FILES[-1], SURROGATE_FILE]
    # The track's search: files with '..' (slskd refuses them) are passed over, not retried.
    assert ended[0].state is JobState.COMPLETED, ended[0].last_error
    assert any(job.state is JobState.COMPLETED for job in ended[1:])
    assert any(job.state is JobState.FAILED for job in ended[1:])
    assert "worker cycle failed" not in caplog.text
    assert worker._task is not None
    assert not worker._task.done()

    after_files, after_siblings = _snapshot(tmp_path)
    assert after_siblings == before_siblings  # nothing beside the test's folder
    allowed = [
        tmp_path / name for name in ("downloads", "incomplete", "music", "beets", ".storage")
    ]
    strays = [
        p for p in after_files - before_files if not any(p.is_relative_to(a) for a in allowed)
    ]
    assert not strays
    # What the integration itself wrote (staging, quarantine) has safe names throughout.
    ours = tmp_path / "downloads" / ".harmony_music"
    for path in _all_files(ours) if ours.exists() else set():
        assert all(_safe_component(p, 255) for p in path.relative_to(ours).parts), path
    # And every file slskd wrote under a hostile name stayed in its folders.
    for path in after_files - before_files:
        assert path.resolve().is_relative_to(tmp_path.resolve())
