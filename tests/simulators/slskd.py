"""Loopback slskd simulator (`/api/v0`, header `X-API-Key`).

Application state, searches whose responses arrive from peers over time, and downloads that move
through slskd's states and, on success, write a real tagged audio file under
`<downloads>/<last remote directory>/<file name>` as slskd does. `time_scale` shrinks every
duration for tests. Per-file transfer faults: stall, reject, error halfway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
import random
import re
import time
from typing import Any
import uuid

from aiohttp import web

from .faults import FaultInjector
from .server import LoopbackServer


@dataclass
class SharedFile:
    """A file a peer shares (the tags are what the written audio file carries)."""

    filename: str
    size: int
    bit_rate: int | None
    bit_depth: int | None
    sample_rate: int | None
    length: int
    is_locked: bool = False
    title: str = ""
    artist: str = ""
    album: str = ""
    track_no: int = 0

    def to_json(self) -> dict[str, Any]:
        name = self.filename.rsplit("\\", 1)[-1]
        data: dict[str, Any] = {
            "filename": self.filename,
            "size": self.size,
            "extension": "",  # slskd usually leaves it empty
            "length": self.length,
            "isLocked": self.is_locked,
            "code": 1,
        }
        if name.lower().endswith(".flac"):
            data.update(bitDepth=self.bit_depth, sampleRate=self.sample_rate)
        else:
            data.update(bitRate=self.bit_rate, isVariableBitRate=False)
        return {k: v for k, v in data.items() if v is not None}


@dataclass
class SoulseekPeer:
    """A user on the network and what they share."""

    username: str
    upload_speed: int = 2_000_000
    queue_length: int = 0
    has_free_upload_slot: bool = True
    files: list[SharedFile] = field(default_factory=list)
    response_delay: float = 0.3  # share of the search timeout before this peer answers


@dataclass
class _Search:
    id: str
    text: str
    timeout: float
    started: float
    responses: list[tuple[float, SoulseekPeer, list[SharedFile]]]


@dataclass
class _Transfer:
    id: str
    peer: SoulseekPeer
    file: SharedFile
    started: float
    fault: str | None = None
    cancelled: bool = False
    written: bool = False
    requested_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class SlskdSimulator(LoopbackServer):
    """slskd's API over loopback, with Soulseek peers behind it."""

    def __init__(
        self,
        downloads_dir: Path,
        *,
        api_key: str = "sim-slskd-key",
        version: str = "0.24.1",
        peers: list[SoulseekPeer] | None = None,
        time_scale: float = 1.0,
        transfer_seconds: float = 4.0,
    ) -> None:
        self.downloads_dir = downloads_dir
        self.api_key = api_key
        self.version = version
        self.logged_in = True
        self.legacy_enqueue = False  # before 0.24 enqueue answered 201 with an empty body
        self.peers = peers if peers is not None else demo_peers()
        self.time_scale = time_scale
        self.transfer_seconds = transfer_seconds
        self.transfer_faults: list[tuple[re.Pattern[str], str]] = []
        self.faults = FaultInjector()
        self.searches: dict[str, _Search] = {}
        self.transfers: dict[str, _Transfer] = {}

    def fail_transfers(self, pattern: str, kind: str) -> None:
        """Files matching ``pattern`` will ``stall``, be ``reject``ed, or ``error`` halfway."""
        if kind not in ("stall", "reject", "error"):
            raise ValueError(kind)
        self.transfer_faults.append((re.compile(pattern, re.IGNORECASE), kind))

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware, self._auth])
        self.faults.add_routes(app)
        r = app.router
        r.add_get("/api/v0/session/enabled", self._session_enabled)
        r.add_get("/api/v0/application", self._application)
        r.add_post("/api/v0/searches", self._post_search)
        r.add_get("/api/v0/searches/{id}", self._get_search)
        r.add_get("/api/v0/searches/{id}/responses", self._get_responses)
        r.add_delete("/api/v0/searches/{id}", self._delete_search)
        r.add_post("/api/v0/transfers/downloads/{username}", self._enqueue)
        r.add_get("/api/v0/transfers/downloads", self._downloads)
        r.add_get("/api/v0/transfers/downloads/", self._downloads)  # slskd-api adds the slash
        r.add_get("/api/v0/transfers/downloads/{username}/{id}", self._download)
        r.add_delete("/api/v0/transfers/downloads/{username}/{id}", self._cancel)
        r.add_post("/_sim/transfer-faults", self._add_transfer_fault)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        open_paths = ("/api/v0/session/enabled", "/_sim/")
        if (
            not request.path.startswith(open_paths)
            and request.headers.get("X-API-Key") != self.api_key
        ):
            return web.Response(status=401)
        result: web.StreamResponse = await handler(request)
        return result

    async def _session_enabled(self, request: web.Request) -> web.Response:
        return web.json_response(True)

    async def _add_transfer_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail_transfers(body["pattern"], body["kind"])
        return web.Response(status=201)

    async def _application(self, request: web.Request) -> web.Response:
        files = sum(len(p.files) for p in self.peers) or 1200
        return web.json_response(
            {
                "version": {
                    "full": self.version,
                    "current": self.version,
                    "isUpdateAvailable": False,
                },
                "pendingReconnect": False,
                "pendingRestart": False,
                "server": {
                    "address": "vps.slsknet.org:2271",
                    "state": "Connected, LoggedIn" if self.logged_in else "Disconnected",
                    "isConnected": self.logged_in,
                    "isLoggedIn": self.logged_in,
                    "isTransitioning": False,
                },
                "user": {"username": "harmony", "privileges": {"isPrivileged": False}},
                "shares": {
                    "ready": True,
                    "scanning": False,
                    "faulted": False,
                    "directories": max(1, files // 12),
                    "files": files,
                },
            }
        )

    # --- searches ----------------------------------------------------------------------
    async def _post_search(self, request: web.Request) -> web.Response:
        if not self.logged_in:
            return web.json_response(
                "The server connection must be connected and logged in", status=409
            )
        body = await request.json()
        text = str(body.get("searchText", "")).strip()
        if not text:
            return web.json_response("SearchText may not be null or empty", status=400)
        search_id = str(body.get("id") or uuid.uuid4())
        if search_id in self.searches:
            return web.json_response(
                f"An active search with Id {search_id} is already in progress", status=409
            )
        timeout = float(body.get("searchTimeout", 15000)) / 1000 * self.time_scale
        terms = [t.lower() for t in re.split(r"\s+", text) if t]
        responses = []
        for peer in self.peers:
            hits = [f for f in peer.files if all(term in f.filename.lower() for term in terms)]
            if hits:
                responses.append((peer.response_delay * timeout, peer, hits))
        responses.sort(key=lambda item: item[0])
        search = _Search(search_id, text, timeout, time.monotonic(), responses)
        self.searches[search_id] = search
        return web.json_response(self._search_json(search))

    def _visible(self, search: _Search) -> list[tuple[float, SoulseekPeer, list[SharedFile]]]:
        elapsed = time.monotonic() - search.started
        return [r for r in search.responses if r[0] <= elapsed]

    def _search_json(self, search: _Search) -> dict[str, Any]:
        visible = self._visible(search)
        done = time.monotonic() - search.started >= search.timeout
        return {
            "id": search.id,
            "searchText": search.text,
            "state": "Completed, TimedOut" if done else "InProgress",
            "isComplete": done,
            "responseCount": len(visible),
            "fileCount": sum(len([f for f in files if not f.is_locked]) for _, _, files in visible),
            "lockedFileCount": sum(
                len([f for f in files if f.is_locked]) for _, _, files in visible
            ),
            "startedAt": datetime.now(UTC).isoformat(),
            "token": abs(hash(search.id)) % 100000,
        }

    def _search_or_404(self, request: web.Request) -> _Search:
        search = self.searches.get(request.match_info["id"])
        if search is None:
            raise web.HTTPNotFound
        return search

    async def _get_search(self, request: web.Request) -> web.Response:
        return web.json_response(self._search_json(self._search_or_404(request)))

    async def _get_responses(self, request: web.Request) -> web.Response:
        search = self._search_or_404(request)
        return web.json_response(
            [
                {
                    "username": peer.username,
                    "fileCount": len([f for f in files if not f.is_locked]),
                    "files": [f.to_json() for f in files if not f.is_locked],
                    "lockedFileCount": len([f for f in files if f.is_locked]),
                    "lockedFiles": [f.to_json() for f in files if f.is_locked],
                    "hasFreeUploadSlot": peer.has_free_upload_slot,
                    "queueLength": peer.queue_length,
                    "uploadSpeed": peer.upload_speed,
                    "token": 1,
                }
                for _, peer, files in self._visible(search)
            ]
        )

    async def _delete_search(self, request: web.Request) -> web.Response:
        self._search_or_404(request)
        del self.searches[request.match_info["id"]]
        return web.Response(status=204)

    # --- transfers -----------------------------------------------------------------------
    def _peer(self, username: str) -> SoulseekPeer | None:
        return next((p for p in self.peers if p.username == username), None)

    async def _enqueue(self, request: web.Request) -> web.Response:
        peer = self._peer(request.match_info["username"])
        body = await request.json()
        if not isinstance(body, list) or not body:
            return web.json_response("No files were specified", status=400)
        enqueued, failed = [], []
        for item in body:
            shared = (
                next((f for f in peer.files if f.filename == item.get("filename")), None)
                if peer
                else None
            )
            if peer is None or shared is None:
                failed.append(
                    {
                        "filename": item.get("filename"),
                        "size": item.get("size"),
                        "reason": "File not shared",
                    }
                )
                continue
            fault = next(
                (kind for pattern, kind in self.transfer_faults if pattern.search(shared.filename)),
                None,
            )
            transfer = _Transfer(str(uuid.uuid4()), peer, shared, time.monotonic(), fault)
            self.transfers[transfer.id] = transfer
            enqueued.append(self._transfer_json(transfer))
        if self.legacy_enqueue:
            return web.Response(status=201)
        return web.json_response({"enqueued": enqueued, "failed": failed}, status=201)

    def _progress(self, transfer: _Transfer) -> tuple[str, float]:
        """State and fraction done, from the time since enqueue."""
        if transfer.cancelled:
            return "Completed, Cancelled", 0.0
        share = (time.monotonic() - transfer.started) / (self.transfer_seconds * self.time_scale)
        if transfer.fault == "reject" and share >= 0.1:
            return "Completed, Rejected", 0.0
        if share < 0.1:
            return "Requested", 0.0
        if share < 0.2:
            return "Queued, Remotely", 0.0
        if share < 0.3:
            return "Initializing", 0.0
        done = min(1.0, (share - 0.3) / 0.7)
        if transfer.fault == "stall":
            return "InProgress", min(done, 0.5)
        if transfer.fault == "error" and done >= 0.5:
            return "Completed, Errored", 0.5
        if done < 1.0:
            return "InProgress", done
        if not transfer.written:
            write_audio(self.local_path(transfer.file), transfer.file)
            transfer.written = True
        return "Completed, Succeeded", 1.0

    def local_path(self, file: SharedFile) -> Path:
        """Where slskd puts a finished download."""
        parts = file.filename.split("\\")
        folder = parts[-2] if len(parts) > 1 else ""
        return self.downloads_dir / folder / parts[-1]

    def _transfer_json(self, transfer: _Transfer) -> dict[str, Any]:
        state, done = self._progress(transfer)
        size = transfer.file.size
        moved = int(size * done)
        return {
            "id": transfer.id,
            "username": transfer.peer.username,
            "direction": "Download",
            "filename": transfer.file.filename,
            "size": size,
            "state": state,
            "requestedAt": transfer.requested_at,
            "bytesTransferred": moved,
            "bytesRemaining": size - moved,
            "percentComplete": round(done * 100, 2),
            "averageSpeed": transfer.peer.upload_speed,
        }

    async def _downloads(self, request: web.Request) -> web.Response:
        users: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for transfer in self.transfers.values():
            directory = transfer.file.filename.rsplit("\\", 1)[0]
            users.setdefault(transfer.peer.username, {}).setdefault(directory, []).append(
                self._transfer_json(transfer)
            )
        return web.json_response(
            [
                {
                    "username": user,
                    "directories": [
                        {"directory": d, "fileCount": len(files), "files": files}
                        for d, files in dirs.items()
                    ],
                }
                for user, dirs in users.items()
            ]
        )

    def _transfer_or_404(self, request: web.Request) -> _Transfer:
        transfer = self.transfers.get(request.match_info["id"])
        if transfer is None or transfer.peer.username != request.match_info["username"]:
            raise web.HTTPNotFound
        return transfer

    async def _download(self, request: web.Request) -> web.Response:
        return web.json_response(self._transfer_json(self._transfer_or_404(request)))

    async def _cancel(self, request: web.Request) -> web.Response:
        transfer = self._transfer_or_404(request)
        transfer.cancelled = True
        if request.query.get("remove", "").lower() == "true":  # ASP.NET reads True/true
            del self.transfers[transfer.id]
        return web.Response(status=204)


def write_audio(path: Path, file: SharedFile) -> None:
    """A real, decodable, tagged FLAC or MP3 of the file's length (quiet tone, 8 kHz mono)."""
    import mutagen
    import numpy as np
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 8000
    samples = 0.05 * np.sin(2 * np.pi * 440 * np.arange(int(rate * max(file.length, 1))) / rate)
    kind = "MP3" if path.suffix.lower() == ".mp3" else "FLAC"
    target = path if path.suffix.lower() in (".mp3", ".flac") else path.with_suffix(".flac")
    sf.write(target, samples, rate, format=kind)
    if target != path:
        target.rename(path)
    tags = mutagen.File(path, easy=True)
    if tags is None:
        return
    if tags.tags is None:
        tags.add_tags()
    for key, value in (("title", file.title), ("artist", file.artist), ("album", file.album)):
        if value:
            tags[key] = value
    if file.track_no:
        tags["tracknumber"] = str(file.track_no)
    tags.save()


def demo_peers(seed: int = 0) -> list[SoulseekPeer]:
    """A few peers with realistic folders, mixed qualities, locked files and decoys."""
    rng = random.Random(seed)
    albums = [
        (
            "The Cure",
            "Disintegration",
            1989,
            ["Plainsong", "Pictures of You", "Closedown", "Lovesong", "Lullaby"],
        ),
        (
            "Kings of Leon",
            "Only by the Night",
            2008,
            ["Closer", "Crawl", "Sex on Fire", "Use Somebody"],
        ),
        ("Phoenix", "Wolfgang Amadeus Phoenix", 2009, ["Lisztomania", "1901", "Fences"]),
    ]
    flac_peer = SoulseekPeer("lossless_lover", upload_speed=5_000_000, response_delay=0.2)
    mp3_peer = SoulseekPeer("mp3_max", upload_speed=800_000, queue_length=3, response_delay=0.5)
    scene_peer = SoulseekPeer(
        "scene_rips", has_free_upload_slot=False, queue_length=12, response_delay=0.8
    )
    for artist, album, year, titles in albums:
        for n, title in enumerate(titles, 1):
            length = rng.randint(180, 300)
            tags = {"title": title, "artist": artist, "album": album, "track_no": n}
            flac_peer.files.append(
                SharedFile(
                    f"@@flac\\Music\\{artist} - {album} ({year}) [FLAC]\\{n:02d} - {title}.flac",
                    length * 110_000,
                    None,
                    16,
                    44100,
                    length,
                    **tags,
                )
            )
            mp3_peer.files.append(
                SharedFile(
                    f"@@mp3\\{artist}\\{year} - {album}\\{n:02d} {title}.mp3",
                    length * 40_000,
                    320,
                    None,
                    None,
                    length,
                    is_locked=n == 2,
                    **tags,
                )
            )
            scene = f"{artist}-{album}-WEB-{year}-GRP".replace(" ", "_")
            scene_peer.files.append(
                SharedFile(
                    f"{scene}\\{n:02d}-{artist}-{title}.mp3".replace(" ", "_").lower(),
                    length * 32_000,
                    256,
                    None,
                    None,
                    length,
                    **tags,
                )
            )
        decoy = titles[-1]
        mp3_peer.files.append(
            SharedFile(
                f"@@mp3\\Live\\{artist} - {decoy} (Live).mp3",
                9_000_000,
                320,
                None,
                None,
                330,
                title=f"{decoy} (Live)",
                artist=artist,
            )
        )
        mp3_peer.files.append(
            SharedFile(
                f"@@mp3\\Covers\\Someone Else - {decoy} ({artist} cover).mp3",
                8_000_000,
                192,
                None,
                None,
                240,
                title=decoy,
                artist="Someone Else",
            )
        )
    return [flac_peer, mp3_peer, scene_peer]
