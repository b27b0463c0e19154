"""Loopback simulator of a Plex Media Server, speaking enough of its XML API for plexapi.

It serves the server root and identity, library sections (a music section with artists, albums
and tracks, plus a movie section so callers must filter by type), paged listings honouring
``X-Plex-Container-Start/Size`` (header or query form) with ``size``/``totalSize``/``offset``,
the filter metadata plexapi validates searches against (``includeMeta=1``), date filters such as
``track.updatedAt>>=<epoch>`` combined with ``push=1``/``or=1``/``pop=1`` groups, response trimming
(``includeFields``, ``excludeFields``, ``excludeElements``), section statistics
(``contentChangedAt`` on sections, ``/media/providers?includeStorage=1`` totals), section refreshes
(optionally scanning a real directory with mutagen, which is how beets imports appear in Plex),
activities and regular playlists.

Tests change the content at runtime with ``add_tracks``, ``touch``, ``update_track`` and
``remove_tracks`` (or the ``/_sim/tracks/...`` routes), and read request counts per route with
``route_counts()`` (or ``GET /_sim/requests``).

Run it alone for development: ``python -m tests.simulators.plex --port 32400 --demo 200``, or
with a large generated section: ``python -m tests.simulators.plex --port 0 --tracks 100000``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import hashlib
import logging
from pathlib import Path
import random
import re
import time
from typing import Any
import uuid
from xml.etree import ElementTree as ET

from aiohttp import web

from tests.simulators.faults import FaultInjector, Handler

_LOGGER = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset({".flac", ".mp3", ".m4a", ".ogg", ".opus", ".wav", ".aiff"})
TYPE_IDS = {"movie": 1, "artist": 8, "album": 9, "track": 10}
TYPE_NAMES = {value: key for key, value in TYPE_IDS.items()}
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"


@dataclass
class PlexLibraryTrack:
    """One audio file as Plex would index it (the content the simulator serves)."""

    title: str
    artist: str
    album: str
    year: int | None
    track_no: int
    duration_ms: int
    file_path: str
    isrc: str | None = None
    added_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime | None = None
    album_artist: str | None = None  # None: same as artist
    disc_no: int = 1
    mbid: str | None = None  # MusicBrainz recording id; Plex shows it as a Guid

    def __post_init__(self) -> None:
        if self.updated_at is None:
            self.updated_at = self.added_at


@dataclass
class PlexMovie:
    """A movie, only there so that callers must pick sections by type."""

    title: str
    year: int
    file_path: str
    duration_ms: int = 5_400_000


@dataclass
class _Entry:
    """A track with the keys the simulator gave it and its parents."""

    rating_key: int
    artist_key: int
    album_key: int
    track: PlexLibraryTrack
    part_id: int


@dataclass
class _Node:
    """An artist or album directory."""

    rating_key: int
    title: str
    added_at: datetime
    parent_key: int | None = None
    parent_title: str | None = None
    year: int | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class _Section:
    key: int
    title: str
    type: str  # "artist" or "movie"
    locations: list[str]
    uuid: str
    created_at: datetime
    entries: list[_Entry] = field(default_factory=list)
    artists: dict[str, _Node] = field(default_factory=dict)
    albums: dict[tuple[str, str], _Node] = field(default_factory=dict)
    movies: list[tuple[int, PlexMovie]] = field(default_factory=list)
    leaf_counts: Counter[int] = field(default_factory=Counter)  # tracks per artist/album key
    refreshing_until: float = 0.0
    scan_task: asyncio.Task[None] | None = None
    scanned_at: datetime | None = None
    # Plex's contentChangedAt is a change sequence number, not a time (see PlexSimulator).
    content_changed_at: int = 0


@dataclass
class _Playlist:
    rating_key: int
    title: str
    guid: str
    added_at: datetime
    updated_at: datetime
    summary: str = ""
    items: list[tuple[int, int]] = field(default_factory=list)  # (playlistItemID, ratingKey)


@dataclass
class SimRequest:
    """A request as the simulator saw it (tests count pages with these)."""

    method: str
    path: str
    query: dict[str, str]
    container_start: int | None
    container_size: int | None
    route: str = ""  # "GET /library/sections/{key}/all": the route that answered, "" for none


def _epoch(value: datetime | None) -> str:
    return str(int(value.timestamp())) if value is not None else ""


def _guid(kind: str, *parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"plex://{kind}/{digest}"


class PlexSimulator:
    """A Plex Media Server on loopback with state, paging and fault injection."""

    def __init__(
        self,
        *,
        token: str = "sim-plex-token",
        friendly_name: str = "Harmony Sim Plex",
        machine_identifier: str | None = None,
        version: str = "1.42.2.10156-f737b826c",
        library_dir: Path | str | None = None,
        refresh_seconds: float = 0.3,
        expose_isrc: bool = False,
        music_title: str = "Music",
    ) -> None:
        self.token = token
        self.friendly_name = friendly_name
        self.machine_identifier = (
            machine_identifier or hashlib.sha1(friendly_name.encode()).hexdigest()
        )
        self.version = version
        # Since PMS 1.41.9 includeFields means "only these fields"; before, it only added optional
        # fields (none of which the simulator has), so older versions ignore it.
        self.include_fields_trims = _version_tuple(version) >= (1, 41, 9)
        self.library_dir = Path(library_dir) if library_dir is not None else None
        self.refresh_seconds = refresh_seconds
        # Real Plex has no ISRC field; with this flag the ISRC shows up as an ``isrc://`` Guid.
        self.expose_isrc = expose_isrc
        self.faults = FaultInjector()
        self.requests: list[SimRequest] = []
        self.refresh_calls: list[tuple[int, str | None]] = []
        self.sections: dict[int, _Section] = {}
        self.playlists: dict[int, _Playlist] = {}
        self._next_key = 1000
        self._next_part = 1
        self._next_playlist_item = 1
        # Server-wide change sequence; a section's contentChangedAt is its value at the last change.
        self._change_seq = 1000
        self._by_key: dict[int, tuple[_Section, _Entry]] = {}
        self._runner: web.AppRunner | None = None
        self.url: str | None = None
        music_location = str(self.library_dir) if self.library_dir is not None else "/music"
        self.music_section_key = self.add_section(music_title, "artist", [music_location])
        self.movie_section_key = self.add_section("Movies", "movie", ["/movies"])
        self.add_movies(
            self.movie_section_key,
            [PlexMovie("Big Buck Bunny", 2008, "/movies/Big Buck Bunny (2008).mkv")],
        )

    # ------------------------------------------------------------------ content

    def _new_key(self) -> int:
        self._next_key += 1
        return self._next_key

    def add_section(self, title: str, type_: str, locations: Sequence[str]) -> int:
        """Add a library section ("artist" for music, "movie"); returns its key."""
        key = max(self.sections, default=0) + 1
        self.sections[key] = _Section(
            key=key,
            title=title,
            type=type_,
            locations=list(locations),
            uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.machine_identifier}/{key}")),
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
        return key

    def add_movies(self, section_key: int, movies: Iterable[PlexMovie]) -> None:
        """Add movies to a movie section."""
        section = self.sections[section_key]
        section.movies.extend((self._new_key(), movie) for movie in movies)

    def add_tracks(self, section_key: int, tracks: Iterable[PlexLibraryTrack]) -> list[int]:
        """Add tracks to a music section, grouping them into artists and albums; returns keys."""
        section = self.sections[section_key]
        keys = []
        for track in tracks:
            artist_name = track.album_artist or track.artist
            artist = section.artists.get(artist_name)
            if artist is None:
                artist = _Node(self._new_key(), artist_name, track.added_at)
                section.artists[artist_name] = artist
            album_id = (artist_name, track.album)
            album = section.albums.get(album_id)
            if album is None:
                album = _Node(
                    self._new_key(),
                    track.album,
                    track.added_at,
                    parent_key=artist.rating_key,
                    parent_title=artist_name,
                    year=track.year,
                )
                section.albums[album_id] = album
            for node in (artist, album):
                node.updated_at = max(node.updated_at, track.updated_at or track.added_at)
            entry = _Entry(
                self._new_key(), artist.rating_key, album.rating_key, track, self._next_part
            )
            self._next_part += 1
            section.entries.append(entry)
            self._by_key[entry.rating_key] = (section, entry)
            section.leaf_counts.update((artist.rating_key, album.rating_key))
            keys.append(entry.rating_key)
        if keys:
            self._content_changed(section)
        return keys

    def tracks(self, section_key: int | None = None) -> list[PlexLibraryTrack]:
        """The tracks of a music section (the first one by default)."""
        return [e.track for e in self.sections[section_key or self.music_section_key].entries]

    def touch(self, rating_key: int, when: datetime | None = None) -> None:
        """Mark a track as changed (new updatedAt), as a metadata edit or re-import would."""
        self.update_track(rating_key, when=when)

    def update_track(
        self, rating_key: int, *, when: datetime | None = None, **changes: Any
    ) -> None:
        """Change a track's own tags and bump its updatedAt (``when``, default now).

        Only fields that leave the artist/album grouping alone can change: title, duration_ms,
        file_path, isrc, mbid, track_no, disc_no. Raises KeyError for an unknown rating key.
        """
        found = self._entry(rating_key)
        if found is None:
            raise KeyError(rating_key)
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)} of a track")
        section, entry = found
        for name, value in changes.items():
            setattr(entry.track, name, value)
        entry.track.updated_at = when or datetime.now(UTC)
        self._content_changed(section)

    def remove_tracks(self, rating_keys: Iterable[int]) -> None:
        """Delete tracks (files gone and the trash emptied); empty albums and artists go too.

        Raises KeyError, changing nothing, when a rating key is unknown.
        """
        keys = set(rating_keys)
        missing = keys - self._by_key.keys()
        if missing:
            raise KeyError(sorted(missing)[0])
        touched: set[int] = set()
        for key in keys:
            section, entry = self._by_key.pop(key)
            section.leaf_counts.subtract((entry.artist_key, entry.album_key))
            touched.add(section.key)
        for section_key in touched:
            section = self.sections[section_key]
            section.entries = [e for e in section.entries if e.rating_key not in keys]
            section.albums = {
                k: n for k, n in section.albums.items() if section.leaf_counts[n.rating_key] > 0
            }
            section.artists = {
                k: n for k, n in section.artists.items() if section.leaf_counts[n.rating_key] > 0
            }
            section.leaf_counts = +section.leaf_counts  # drops the zero counts
            self._content_changed(section)

    def _content_changed(self, section: _Section) -> None:
        self._change_seq += 1
        section.content_changed_at = self._change_seq

    def _entry(self, rating_key: int) -> tuple[_Section, _Entry] | None:
        return self._by_key.get(rating_key)

    def is_refreshing(self, section_key: int) -> bool:
        """Whether a section scan is running (what the ``refreshing`` attribute shows)."""
        section = self.sections[section_key]
        running = section.scan_task is not None and not section.scan_task.done()
        return running or time.monotonic() < section.refreshing_until

    def count_requests(self, path_regex: str, method: str = "GET") -> int:
        """How many requests matched a path regex (faulted ones included)."""
        return sum(
            1
            for r in self.requests
            if r.method == method and re.search(path_regex, r.path) is not None
        )

    def route_counts(self) -> Counter[str]:
        """Requests per route, e.g. ``{"GET /library/sections/{key}/all": 20}`` (faults included).

        ``self.requests.clear()`` starts counting afresh.
        """
        return Counter(r.route or f"{r.method} (no route)" for r in self.requests)

    # ------------------------------------------------------------------ server

    def build_app(self) -> web.Application:
        """The aiohttp application (also usable with aiohttp's test server)."""
        app = web.Application(
            middlewares=[self._log_middleware, self.faults.middleware, self._auth]
        )
        self.faults.add_routes(app)
        r = app.router
        r.add_get("/_sim/requests", self._sim_requests)
        r.add_delete("/_sim/requests", self._sim_clear_requests)
        r.add_post("/_sim/tracks/touch", self._sim_touch)
        r.add_post("/_sim/tracks/remove", self._sim_remove)
        r.add_get("/", self._root)
        r.add_get("/media/providers", self._media_providers)
        r.add_get("/identity", self._identity)
        r.add_get("/library", self._library)
        r.add_get("/library/sections", self._sections)
        r.add_get("/library/sections/", self._sections)
        r.add_get(r"/library/sections/{key:\d+}/all", self._section_all)
        r.add_get(r"/library/sections/{key:\d+}/collections", self._section_collections)
        # plexapi refreshes with GET; Plex's published API documents POST. Both work on Plex.
        r.add_get(r"/library/sections/{key:\d+}/refresh", self._refresh)
        r.add_post(r"/library/sections/{key:\d+}/refresh", self._refresh)
        r.add_delete(r"/library/sections/{key:\d+}/refresh", self._cancel_refresh)
        r.add_get(r"/library/metadata/{keys:[\d,]+}", self._metadata)
        r.add_get(r"/library/metadata/{key:\d+}/children", self._children)
        r.add_get("/activities", self._activities)
        r.add_get("/playlists", self._playlists)
        r.add_post("/playlists", self._create_playlist)
        r.add_get(r"/playlists/{key:\d+}", self._playlist)
        r.add_put(r"/playlists/{key:\d+}", self._edit_playlist)
        r.add_delete(r"/playlists/{key:\d+}", self._delete_playlist)
        r.add_get(r"/playlists/{key:\d+}/items", self._playlist_items)
        r.add_put(r"/playlists/{key:\d+}/items", self._add_playlist_items)
        r.add_delete(r"/playlists/{key:\d+}/items", self._clear_playlist)
        r.add_delete(r"/playlists/{key:\d+}/items/{item:\d+}", self._remove_playlist_item)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start listening; returns the base URL."""
        # Handlers are cancelled when a client goes away, so injected hangs end with the test.
        self._runner = web.AppRunner(
            self.build_app(), handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        bound_port = sockets[0].getsockname()[1] if sockets else port
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        """Stop the server and any scan in progress."""
        for section in self.sections.values():
            if section.scan_task is not None and not section.scan_task.done():
                section.scan_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await section.scan_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no section is refreshing (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while any(self.is_refreshing(key) for key in self.sections):
            if time.monotonic() > deadline:
                raise TimeoutError("Plex simulator still refreshing")
            await asyncio.sleep(0.02)

    @web.middleware
    async def _log_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/_sim/"):
            start, size = _container_window(request)
            resource = request.match_info.route.resource
            route = f"{request.method} {resource.canonical}" if resource is not None else ""
            self.requests.append(
                SimRequest(request.method, request.path, dict(request.query), start, size, route)
            )
        return await handler(request)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # /identity answers without a token on real servers too.
        if request.path.startswith("/_sim/") or request.path == "/identity":
            return await handler(request)
        token = request.headers.get("X-Plex-Token") or request.query.get("X-Plex-Token")
        if token != self.token:
            return web.Response(
                status=401,
                text="<html><head><title>Unauthorized</title></head>"
                "<body><h1>401 Unauthorized</h1></body></html>",
                content_type="text/html",
            )
        return await handler(request)

    # ------------------------------------------------------------------ helpers

    def _section_or_404(self, request: web.Request) -> _Section:
        section = self.sections.get(int(request.match_info["key"]))
        if section is None:
            raise web.HTTPNotFound(text="<html><body>404 Not Found</body></html>")
        return section

    def _container(self, **attrs: Any) -> ET.Element:
        return ET.Element("MediaContainer", {k: str(v) for k, v in attrs.items() if v is not None})

    def _section_attrs(self, section: _Section) -> dict[str, Any]:
        return {
            "allowSync": 1,
            "art": f"/:/resources/{section.type}-fanart.jpg",
            "identifier": LIBRARY_IDENTIFIER,
            "librarySectionID": section.key,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "mediaTagPrefix": "/system/bundle/media/flags/",
            "mediaTagVersion": 1700000000,
        }

    def _track_element(
        self, section: _Section, entry: _Entry, *, guids: bool, shape: _Shape | None = None
    ) -> ET.Element:
        track = entry.track
        artist_name = track.album_artist or track.artist
        album_node = section.albums[(artist_name, track.album)]
        attrs: dict[str, Any] = {
            "ratingKey": entry.rating_key,
            "key": f"/library/metadata/{entry.rating_key}",
            "parentRatingKey": entry.album_key,
            "grandparentRatingKey": entry.artist_key,
            "guid": _guid("track", artist_name, track.album, track.title, str(track.track_no)),
            "parentGuid": _guid("album", artist_name, track.album),
            "grandparentGuid": _guid("artist", artist_name),
            "type": "track",
            "title": track.title,
            "grandparentKey": f"/library/metadata/{entry.artist_key}",
            "parentKey": f"/library/metadata/{entry.album_key}",
            "librarySectionTitle": section.title,
            "librarySectionID": section.key,
            "librarySectionKey": f"/library/sections/{section.key}",
            "grandparentTitle": artist_name,
            "parentTitle": track.album,
            "originalTitle": track.artist if track.artist != artist_name else None,
            "summary": "",
            "index": track.track_no,
            "parentIndex": track.disc_no,
            "parentYear": album_node.year,
            "thumb": f"/library/metadata/{entry.album_key}/thumb/{_epoch(album_node.updated_at)}",
            "duration": track.duration_ms,
            "addedAt": _epoch(track.added_at),
            "updatedAt": _epoch(track.updated_at),
        }
        if shape is not None:
            attrs = shape.fields(attrs)
        elem = ET.Element("Track", {k: str(v) for k, v in attrs.items() if v is not None})
        if shape is not None and "Media" in shape.exclude_elements:
            guids = guids and "Guid" not in shape.exclude_elements
            return self._add_guids(elem, track) if guids else elem
        suffix = Path(track.file_path).suffix.lstrip(".").lower() or "flac"
        media = ET.SubElement(
            elem,
            "Media",
            {
                "id": str(entry.part_id),
                "duration": str(track.duration_ms),
                "bitrate": "1000" if suffix == "flac" else "320",
                "audioChannels": "2",
                "audioCodec": suffix,
                "container": suffix,
            },
        )
        ET.SubElement(
            media,
            "Part",
            {
                "id": str(entry.part_id),
                "key": f"/library/parts/{entry.part_id}/{_epoch(track.updated_at)}/file.{suffix}",
                "duration": str(track.duration_ms),
                "file": track.file_path,
                "size": str(_part_size(track)),
                "container": suffix,
            },
        )
        if shape is not None and "Part" in shape.exclude_elements:
            # What Plex does when Part is excluded: the Media says how many there were.
            media.remove(media[0])
            media.set("partCount", "1")
        if guids and (shape is None or "Guid" not in shape.exclude_elements):
            self._add_guids(elem, track)
        return elem

    def _add_guids(self, elem: ET.Element, track: PlexLibraryTrack) -> ET.Element:
        if track.mbid:
            ET.SubElement(elem, "Guid", {"id": f"mbid://{track.mbid}"})
        if self.expose_isrc and track.isrc:
            ET.SubElement(elem, "Guid", {"id": f"isrc://{track.isrc}"})
        return elem

    def _node_element(self, section: _Section, node: _Node, type_: str) -> ET.Element:
        if type_ == "artist":
            guid = _guid("artist", node.title)
        else:
            guid = _guid("album", node.parent_title or "", node.title)
        attrs: dict[str, Any] = {
            "ratingKey": node.rating_key,
            "key": f"/library/metadata/{node.rating_key}/children",
            "guid": guid,
            "type": type_,
            "title": node.title,
            "librarySectionTitle": section.title,
            "librarySectionID": section.key,
            "librarySectionKey": f"/library/sections/{section.key}",
            "summary": "",
            "index": 1,
            "addedAt": _epoch(node.added_at),
            "updatedAt": _epoch(node.updated_at),
            "leafCount": section.leaf_counts[node.rating_key],
        }
        if type_ == "album":
            attrs |= {
                "parentRatingKey": node.parent_key,
                "parentKey": f"/library/metadata/{node.parent_key}",
                "parentTitle": node.parent_title,
                "parentGuid": _guid("artist", node.parent_title or ""),
                "year": node.year,
            }
        return ET.Element("Directory", {k: str(v) for k, v in attrs.items() if v is not None})

    def _movie_element(self, section: _Section, key: int, movie: PlexMovie) -> ET.Element:
        elem = ET.Element(
            "Video",
            {
                "ratingKey": str(key),
                "key": f"/library/metadata/{key}",
                "guid": _guid("movie", movie.title),
                "type": "movie",
                "title": movie.title,
                "librarySectionID": str(section.key),
                "year": str(movie.year),
                "duration": str(movie.duration_ms),
                "addedAt": "1704067200",
                "updatedAt": "1704067200",
            },
        )
        media = ET.SubElement(elem, "Media", {"id": str(key), "duration": str(movie.duration_ms)})
        ET.SubElement(media, "Part", {"id": str(key), "file": movie.file_path})
        return elem

    def _xml(self, root: ET.Element, status: int = 200) -> web.Response:
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
        return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")

    def _paged(
        self,
        request: web.Request,
        container: ET.Element,
        items: Sequence[Any],
        render: Callable[[Any], ET.Element] | None = None,
    ) -> web.Response:
        """Answer one page of ``items``; only that page is rendered to XML."""
        start, size = _container_window(request)
        if start is None and size is None:
            page = list(items)
        else:
            first = start or 0
            page = list(items[first : first + size if size is not None else None])
            container.set("offset", str(first))
            container.set("totalSize", str(len(items)))
        container.set("size", str(len(page)))
        if render is not None:
            page = [render(item) for item in page]
        container.extend(page)
        response = self._xml(container)
        if start is not None or size is not None:
            # Plex repeats the window in headers (X-Plex-Container-Total-Size, -Start).
            response.headers["X-Plex-Container-Start"] = str(start or 0)
            response.headers["X-Plex-Container-Total-Size"] = str(len(items))
        return response

    # ------------------------------------------------------------------ handlers

    async def _root(self, request: web.Request) -> web.Response:
        return self._xml(
            self._container(
                size=0,
                allowCameraUpload=0,
                allowChannelAccess=1,
                allowSharing=1,
                allowSync=1,
                backgroundProcessing=1,
                certificate=0,
                companionProxy=1,
                eventStream=1,
                friendlyName=self.friendly_name,
                hubSearch=1,
                machineIdentifier=self.machine_identifier,
                multiuser=1,
                myPlex=0,
                platform="Linux",
                platformVersion="6.1",
                transcoderActiveVideoSessions=0,
                transcoderAudio=1,
                updatedAt=1700000000,
                version=self.version,
            )
        )

    async def _identity(self, request: web.Request) -> web.Response:
        return self._xml(
            self._container(
                size=0, claimed=1, machineIdentifier=self.machine_identifier, version=self.version
            )
        )

    async def _library(self, request: web.Request) -> web.Response:
        container = self._container(
            size=0,
            allowSync=0,
            identifier=LIBRARY_IDENTIFIER,
            mediaTagPrefix="/system/bundle/media/flags/",
            mediaTagVersion=1700000000,
            title1="Plex Library",
        )
        return self._xml(container)

    async def _sections(self, request: web.Request) -> web.Response:
        container = self._container(size=len(self.sections), allowSync=0, title1="Plex Library")
        for section in self.sections.values():
            elem = ET.SubElement(
                container,
                "Directory",
                {
                    "allowSync": "1",
                    "art": f"/:/resources/{section.type}-fanart.jpg",
                    "composite": f"/library/sections/{section.key}/composite/1700000000",
                    "filters": "1",
                    "refreshing": "1" if self.is_refreshing(section.key) else "0",
                    "thumb": f"/:/resources/{section.type}.png",
                    "key": str(section.key),
                    "type": section.type,
                    "title": section.title,
                    "agent": "tv.plex.agents.music"
                    if section.type == "artist"
                    else "tv.plex.agents.movie",
                    "scanner": "Plex Music" if section.type == "artist" else "Plex Movie",
                    "language": "en-US",
                    "uuid": section.uuid,
                    "updatedAt": _epoch(section.scanned_at or section.created_at),
                    "createdAt": _epoch(section.created_at),
                    "scannedAt": _epoch(section.scanned_at or section.created_at),
                    "content": "1",
                    "directory": "1",
                    "contentChangedAt": str(section.content_changed_at),
                    "hidden": "0",
                },
            )
            for index, location in enumerate(section.locations, start=1):
                ET.SubElement(elem, "Location", {"id": str(index), "path": location})
        return self._xml(container)

    async def _section_all(self, request: web.Request) -> web.Response:
        section = self._section_or_404(request)
        query = request.query
        default_type = "artist" if section.type == "artist" else "movie"
        type_name = TYPE_NAMES.get(int(query.get("type", TYPE_IDS[default_type])))
        container = self._container(
            **self._section_attrs(section),
            title1=section.title,
            title2="All " + (type_name or "items"),
            viewGroup=type_name,
        )
        if query.get("includeMeta") == "1":
            container.append(_meta(section))
        try:
            matches = _filter_expression(query, type_name or "")
        except ValueError as err:
            return web.Response(status=400, text=f"<html><body>{err}</body></html>")
        guids = query.get("includeGuids") == "1"
        shape = _Shape.of(query, trims=self.include_fields_trims)
        if section.type == "movie":
            movies = section.movies if type_name == "movie" else []
            return self._paged(
                request,
                container,
                movies,
                lambda m: shape.apply(self._movie_element(section, m[0], m[1])),
            )
        if type_name == "track":
            entries = section.entries
            if matches is not None:
                entries = [
                    e
                    for e in entries
                    if matches(e.track.title, e.track.added_at, e.track.updated_at)
                ]
            return self._paged(
                request,
                container,
                entries,
                lambda e: self._track_element(section, e, guids=guids, shape=shape),
            )
        if type_name in ("artist", "album"):
            nodes = section.artists if type_name == "artist" else section.albums
            matching = [
                node
                for node in nodes.values()
                if matches is None or matches(node.title, node.added_at, node.updated_at)
            ]
            return self._paged(
                request,
                container,
                matching,
                lambda node: shape.apply(self._node_element(section, node, type_name)),
            )
        return self._paged(request, container, [])

    async def _section_collections(self, request: web.Request) -> web.Response:
        section = self._section_or_404(request)
        container = self._container(**self._section_attrs(section), size=0)
        if request.query.get("includeMeta") == "1":
            ET.SubElement(container, "Meta")
        return self._paged(request, container, [])

    async def _refresh(self, request: web.Request) -> web.Response:
        section = self._section_or_404(request)
        path = request.query.get("path")
        self.refresh_calls.append((section.key, path))
        section.refreshing_until = time.monotonic() + self.refresh_seconds
        if (
            section.type == "artist"
            and self.library_dir is not None
            and (section.scan_task is None or section.scan_task.done())
        ):
            section.scan_task = asyncio.get_running_loop().create_task(
                self._scan(section, Path(path) if path else self.library_dir)
            )
        else:
            section.scanned_at = datetime.now(UTC)
        return web.Response(status=200)

    async def _cancel_refresh(self, request: web.Request) -> web.Response:
        section = self._section_or_404(request)
        section.refreshing_until = 0.0
        if section.scan_task is not None:
            section.scan_task.cancel()
        return web.Response(status=200)

    async def _scan(self, section: _Section, root: Path) -> None:
        """Index audio files under ``root`` that the section does not know yet."""
        assert self.library_dir is not None
        library = self.library_dir.resolve()
        resolved = root.resolve()
        if resolved != library and library not in resolved.parents:
            # Plex ignores paths outside the section's folders.
            return
        known = {e.track.file_path for e in section.entries}
        found = await asyncio.to_thread(_read_audio_files, resolved, known)
        now = datetime.now(UTC)
        for track in found:
            track.added_at = track.updated_at = now
        self.add_tracks(section.key, found)
        section.scanned_at = now

    async def _media_providers(self, request: web.Request) -> web.Response:
        """The library provider and its sections; totals only with ``includeStorage=1``."""
        storage = request.query.get("includeStorage") == "1"
        container = self._container(
            size=1,
            friendlyName=self.friendly_name,
            machineIdentifier=self.machine_identifier,
            version=self.version,
        )
        provider = ET.SubElement(
            container,
            "MediaProvider",
            {
                "identifier": LIBRARY_IDENTIFIER,
                "title": "Library",
                "types": "video,audio,photo",
                "protocols": "stream,download",
            },
        )
        feature = ET.SubElement(
            provider, "Feature", {"key": "/library/sections", "type": "content"}
        )
        ET.SubElement(feature, "Directory", {"hubKey": "/hubs", "title": "Home"})
        for section in self.sections.values():
            attrs = {
                "id": str(section.key),
                "key": f"/library/sections/{section.key}",
                "hubKey": f"/hubs/sections/{section.key}",
                "type": section.type,
                "title": section.title,
                "uuid": section.uuid,
                "refreshing": "1" if self.is_refreshing(section.key) else "0",
                "updatedAt": _epoch(section.scanned_at or section.created_at),
                "scannedAt": _epoch(section.scanned_at or section.created_at),
            }
            if storage:
                if section.type == "artist":
                    duration = sum(e.track.duration_ms for e in section.entries)
                    size = sum(_part_size(e.track) for e in section.entries)
                else:
                    duration = sum(m.duration_ms for _, m in section.movies)
                    size = 0
                attrs |= {"durationTotal": str(duration), "storageTotal": str(size)}
            ET.SubElement(feature, "Directory", attrs)
        return self._xml(container)

    async def _sim_requests(self, request: web.Request) -> web.Response:
        return web.json_response({"total": len(self.requests), "routes": self.route_counts()})

    async def _sim_clear_requests(self, request: web.Request) -> web.Response:
        self.requests.clear()
        return web.Response(status=204)

    async def _sim_touch(self, request: web.Request) -> web.Response:
        """``{"rating_keys": [...], "updated_at": epoch (optional)}``: tracks changed."""
        body = await request.json()
        when = body.get("updated_at")
        moment = datetime.fromtimestamp(when, UTC) if when is not None else datetime.now(UTC)
        try:
            for key in body["rating_keys"]:
                self.touch(int(key), moment)
        except KeyError as err:
            return web.json_response({"error": f"unknown rating key {err}"}, status=404)
        return web.Response(status=204)

    async def _sim_remove(self, request: web.Request) -> web.Response:
        """``{"rating_keys": [...]}``: tracks deleted."""
        body = await request.json()
        try:
            self.remove_tracks(int(key) for key in body["rating_keys"])
        except KeyError as err:
            return web.json_response({"error": f"unknown rating key {err}"}, status=404)
        return web.Response(status=204)

    async def _metadata(self, request: web.Request) -> web.Response:
        keys = [int(k) for k in request.match_info["keys"].split(",") if k]
        container = self._container(size=0, identifier=LIBRARY_IDENTIFIER)
        elements: list[ET.Element] = []
        for key in keys:
            elem = self._element_for_key(key)
            if elem is not None:
                elements.append(elem)
        if not elements:
            raise web.HTTPNotFound(text="<html><body>404 Not Found</body></html>")
        container.set("size", str(len(elements)))
        container.extend(elements)
        return self._xml(container)

    def _element_for_key(self, key: int) -> ET.Element | None:
        if (found := self._entry(key)) is not None:
            return self._track_element(found[0], found[1], guids=True)
        for section in self.sections.values():
            for node in section.artists.values():
                if node.rating_key == key:
                    return self._node_element(section, node, "artist")
            for node in section.albums.values():
                if node.rating_key == key:
                    return self._node_element(section, node, "album")
            for movie_key, movie in section.movies:
                if movie_key == key:
                    return self._movie_element(section, movie_key, movie)
        if key in self.playlists:
            return self._playlist_element(self.playlists[key])
        return None

    async def _children(self, request: web.Request) -> web.Response:
        key = int(request.match_info["key"])
        for section in self.sections.values():
            container = self._container(**self._section_attrs(section))
            for artist in section.artists.values():
                if artist.rating_key == key:
                    albums = [a for a in section.albums.values() if a.parent_key == key]
                    elements = [self._node_element(section, a, "album") for a in albums]
                    return self._paged(request, container, elements)
            for album in section.albums.values():
                if album.rating_key == key:
                    entries = [e for e in section.entries if e.album_key == key]
                    entries.sort(key=lambda e: (e.track.disc_no, e.track.track_no))
                    elements = [self._track_element(section, e, guids=True) for e in entries]
                    return self._paged(request, container, elements)
        raise web.HTTPNotFound(text="<html><body>404 Not Found</body></html>")

    async def _activities(self, request: web.Request) -> web.Response:
        container = self._container(size=0)
        for section in self.sections.values():
            if not self.is_refreshing(section.key):
                continue
            activity = ET.SubElement(
                container,
                "Activity",
                {
                    "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"scan/{section.uuid}")),
                    "type": "library.update.section",
                    "cancellable": "1",
                    "userID": "1",
                    "title": f"Scanning {section.title}",
                    "subtitle": "",
                    "progress": "0",
                },
            )
            ET.SubElement(activity, "Context", {"librarySectionID": str(section.key)})
        container.set("size", str(len(container)))
        return self._xml(container)

    # ------------------------------------------------------------------ playlists

    def _playlist_element(self, playlist: _Playlist) -> ET.Element:
        duration = 0
        for _, key in playlist.items:
            found = self._entry(key)
            if found is not None:
                duration += found[1].track.duration_ms
        return ET.Element(
            "Playlist",
            {
                "ratingKey": str(playlist.rating_key),
                "key": f"/playlists/{playlist.rating_key}/items",
                "guid": playlist.guid,
                "type": "playlist",
                "title": playlist.title,
                "summary": playlist.summary,
                "smart": "0",
                "playlistType": "audio",
                "composite": f"/playlists/{playlist.rating_key}/composite/"
                f"{_epoch(playlist.updated_at)}",
                "duration": str(duration),
                "leafCount": str(len(playlist.items)),
                "addedAt": _epoch(playlist.added_at),
                "updatedAt": _epoch(playlist.updated_at),
            },
        )

    def _playlist_or_404(self, request: web.Request) -> _Playlist:
        playlist = self.playlists.get(int(request.match_info["key"]))
        if playlist is None:
            raise web.HTTPNotFound(text="<html><body>404 Not Found</body></html>")
        return playlist

    def _keys_from_uri(self, uri: str) -> list[int]:
        match = re.search(r"/library/metadata/([\d,]+)$", uri)
        if match is None or not uri.startswith(f"server://{self.machine_identifier}/"):
            raise web.HTTPBadRequest(text="<html><body>400 Bad Request</body></html>")
        keys = [int(k) for k in match.group(1).split(",") if k]
        if any(self._entry(k) is None for k in keys):
            raise web.HTTPBadRequest(text="<html><body>400 Bad Request</body></html>")
        return keys

    def _append_items(self, playlist: _Playlist, keys: Iterable[int]) -> None:
        for key in keys:
            playlist.items.append((self._next_playlist_item, key))
            self._next_playlist_item += 1
        playlist.updated_at = datetime.now(UTC)

    async def _playlists(self, request: web.Request) -> web.Response:
        query = request.query
        items = list(self.playlists.values())
        if query.get("playlistType") not in (None, "audio"):
            items = []
        if title := query.get("title"):
            items = [p for p in items if title.lower() in p.title.lower()]
        container = self._container()
        return self._paged(request, container, [self._playlist_element(p) for p in items])

    async def _create_playlist(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("smart", "0") != "0" or query.get("type") != "audio":
            return web.Response(status=400, text="<html><body>400 Bad Request</body></html>")
        keys = self._keys_from_uri(query.get("uri", ""))
        now = datetime.now(UTC)
        playlist = _Playlist(
            rating_key=self._new_key(),
            title=query.get("title", ""),
            guid=f"com.plexapp.agents.none://{uuid.uuid4()}",
            added_at=now,
            updated_at=now,
        )
        self._append_items(playlist, keys)
        self.playlists[playlist.rating_key] = playlist
        container = self._container(size=1)
        container.append(self._playlist_element(playlist))
        return self._xml(container)

    async def _playlist(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        container = self._container(size=1)
        container.append(self._playlist_element(playlist))
        return self._xml(container)

    async def _edit_playlist(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        if "title" in request.query:
            playlist.title = request.query["title"]
        if "summary" in request.query:
            playlist.summary = request.query["summary"]
        playlist.updated_at = datetime.now(UTC)
        return web.Response(status=200)

    async def _delete_playlist(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        del self.playlists[playlist.rating_key]
        return web.Response(status=200)

    async def _playlist_items(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        container = self._container(
            leafCount=len(playlist.items),
            playlistType="audio",
            ratingKey=playlist.rating_key,
            smart=0,
            title=playlist.title,
        )
        elements = []
        for item_id, key in playlist.items:
            found = self._entry(key)
            if found is None:
                continue
            elem = self._track_element(found[0], found[1], guids=False)
            elem.set("playlistItemID", str(item_id))
            elements.append(elem)
        return self._paged(request, container, elements)

    async def _add_playlist_items(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        self._append_items(playlist, self._keys_from_uri(request.query.get("uri", "")))
        container = self._container(size=1, leafCountAdded=len(playlist.items))
        container.append(self._playlist_element(playlist))
        return self._xml(container)

    async def _clear_playlist(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        playlist.items.clear()
        playlist.updated_at = datetime.now(UTC)
        return web.Response(status=200)

    async def _remove_playlist_item(self, request: web.Request) -> web.Response:
        playlist = self._playlist_or_404(request)
        item_id = int(request.match_info["item"])
        before = len(playlist.items)
        playlist.items = [item for item in playlist.items if item[0] != item_id]
        if len(playlist.items) == before:
            raise web.HTTPNotFound(text="<html><body>404 Not Found</body></html>")
        playlist.updated_at = datetime.now(UTC)
        container = self._container(size=1)
        container.append(self._playlist_element(playlist))
        return self._xml(container)


# ---------------------------------------------------------------------- request parsing


def _container_window(request: web.Request) -> tuple[int | None, int | None]:
    """X-Plex-Container-Start/Size from headers or the query string (plexapi uses both)."""

    def read(name: str) -> int | None:
        raw = request.headers.get(name, request.query.get(name))
        try:
            return max(int(raw), 0) if raw is not None else None
        except ValueError:
            return None

    return read("X-Plex-Container-Start"), read("X-Plex-Container-Size")


_FILTER_RE = re.compile(r"^(?:(?P<type>[a-z]+)\.)?(?P<field>addedAt|updatedAt)(?P<op>>>|<<|!)?$")
_RELATIVE_RE = re.compile(r"^-?(\d+)(mon|[smhdwy])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mon": 2592000, "y": 31536000}


# Filters see an item as (title, added_at, updated_at).
Predicate = Callable[[str, datetime, datetime], bool]


def _predicate(name: str, raw: str, type_name: str) -> Predicate | None:
    """One ``[type.]addedAt|updatedAt(>>|<<|!)=value`` or ``title=text`` parameter, else None.

    ``>>=`` is Plex's "is after" and ``<<=`` "is before"; a value is a Unix time or a relative
    date such as ``-30d``. ``title`` matches when it contains the text, ignoring case.
    """
    if re.fullmatch(r"(?:[a-z]+\.)?title", name):
        text = raw.casefold()
        return lambda title, *_: text in title.casefold()
    match = _FILTER_RE.match(name)
    if match is None:
        # Plex answers 200 and drops a filter on a field it does not know: everything matches.
        return None
    if match["type"] and match["type"] != type_name:
        # Plex would filter on the parent's field (album.addedAt); not modelled, so refused.
        raise ValueError(f"filter {name} on another level than {type_name} is not simulated")
    relative = _RELATIVE_RE.match(raw)
    now = time.time()
    bound = now - int(relative[1]) * _UNITS[relative[2]] if relative else float(int(raw))
    index = 1 if match["field"] == "addedAt" else 2
    op = match["op"]

    def predicate(*row: Any) -> bool:
        value = row[index].timestamp()
        if op == ">>":
            return bool(value > bound)
        if op == "<<":
            return bool(value < bound)
        if op == "!":
            return int(value) != int(bound)
        return int(value) == int(bound)

    return predicate


def _filter_expression(query: Any, type_name: str) -> Predicate | None:
    """The filter of a media query, or None when it has none.

    Parameters are ANDed in order; ``or=1`` is an explicit OR (binding looser than AND) and
    ``push=1``/``pop=1`` open and close a group, as in Plex's media queries
    (``push=1&a=1&or=1&b=2&pop=1&c=3`` is ``(a OR b) AND c``).
    """
    tokens: list[str | Predicate] = []
    for name, raw in query.items():
        if name in ("push", "pop", "or") and raw == "1":
            tokens.append(name)
        elif (predicate := _predicate(name, raw, type_name)) is not None:
            tokens.append(predicate)
    if not tokens:
        return None
    position = 0

    def peek() -> str | Predicate | None:
        return tokens[position] if position < len(tokens) else None

    def any_of() -> Predicate:
        nonlocal position
        branches = [all_of()]
        while peek() == "or":
            position += 1
            branches.append(all_of())
        return lambda *row: any(branch(*row) for branch in branches)

    def all_of() -> Predicate:
        nonlocal position
        factors: list[Predicate] = []
        while (token := peek()) not in (None, "or", "pop"):
            position += 1
            if token == "push":
                factors.append(any_of())
                if peek() != "pop":
                    raise ValueError("push=1 without pop=1")
                position += 1
            else:
                assert not isinstance(token, str)
                factors.append(token)
        if not factors:
            raise ValueError("empty filter group")
        return lambda *row: all(factor(*row) for factor in factors)

    expression = any_of()
    if position != len(tokens):
        raise ValueError("pop=1 without push=1")
    return expression


_EDITABLE = frozenset({"title", "duration_ms", "file_path", "isrc", "mbid", "track_no", "disc_no"})


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-")[0])[:4])


def _part_size(track: PlexLibraryTrack) -> int:
    """A file size from the duration, as for a 1,000 kbit/s file."""
    return max(track.duration_ms, 1) * 125


@dataclass(frozen=True)
class _Shape:
    """Response trimming a request asked for (``includeFields``, ``excludeFields``, ...).

    Fields apply to the listed items' own attributes ("left off any metadata items" in Plex's
    API docs); excluded elements go at any depth. ``includeFields`` is ``None`` when the
    request had none or the server version does not trim with it.
    """

    include_fields: frozenset[str] | None
    exclude_fields: frozenset[str]
    exclude_elements: frozenset[str]

    @classmethod
    def of(cls, query: Any, *, trims: bool) -> _Shape:
        def names(key: str) -> frozenset[str]:
            return frozenset(n for n in str(query.get(key, "")).split(",") if n)

        include = names("includeFields") if trims and "includeFields" in query else None
        return cls(include, names("excludeFields"), names("excludeElements"))

    def fields(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.include_fields is not None:
            attrs = {k: v for k, v in attrs.items() if k in self.include_fields}
        if self.exclude_fields:
            attrs = {k: v for k, v in attrs.items() if k not in self.exclude_fields}
        return attrs

    def apply(self, elem: ET.Element) -> ET.Element:
        if self.include_fields is not None or self.exclude_fields:
            kept = self.fields(dict(elem.attrib))
            elem.attrib.clear()
            elem.attrib.update(kept)
        if self.exclude_elements:
            for parent in list(elem.iter()):
                for child in list(parent):
                    if child.tag in self.exclude_elements:
                        parent.remove(child)
        return elem


def _meta(section: _Section) -> ET.Element:
    """The filter/sort/field metadata plexapi's ``search`` validates against."""
    meta = ET.Element("Meta")
    types = ["artist", "album", "track"] if section.type == "artist" else ["movie"]
    for index, type_name in enumerate(types):
        prefix = "" if index == 0 else f"{type_name}."
        elem = ET.SubElement(
            meta,
            "Type",
            {
                "key": f"/library/sections/{section.key}/all?type={TYPE_IDS[type_name]}",
                "type": type_name,
                "title": type_name.title() + "s",
                "active": "1" if index == 0 else "0",
            },
        )
        ET.SubElement(
            elem,
            "Sort",
            {
                "default": "asc",
                "defaultDirection": "asc",
                "descKey": "titleSort:desc",
                "key": "titleSort",
                "title": "Title",
            },
        )
        ET.SubElement(
            elem,
            "Sort",
            {
                "defaultDirection": "desc",
                "descKey": "addedAt:desc",
                "key": "addedAt",
                "title": "Date Added",
            },
        )
        # Plex does not advertise updatedAt (plexapi adds it to listFields itself, as a field
        # "available but not exposed"), though filtering on it works.
        for key, title, ftype in (
            ("title", "Title", "string"),
            ("addedAt", "Date Added", "date"),
        ):
            ET.SubElement(elem, "Field", {"key": prefix + key, "title": title, "type": ftype})
    operators = {
        "string": [
            ("=", "contains"),
            ("!=", "does not contain"),
            ("==", "is"),
            ("!==", "is not"),
            ("<=", "begins with"),
            (">=", "ends with"),
        ],
        "date": [("=", "is"), ("!=", "is not"), ("<<=", "is before"), (">>=", "is after")],
        "integer": [
            ("=", "is"),
            ("!=", "is not"),
            (">>=", "is greater than"),
            ("<<=", "is less than"),
        ],
    }
    for ftype, ops in operators.items():
        field_type = ET.SubElement(meta, "FieldType", {"type": ftype})
        for key, title in ops:
            ET.SubElement(field_type, "Operator", {"key": key, "title": title})
    return meta


# ---------------------------------------------------------------------- files and demo data


def _first(tags: Any, name: str) -> str | None:
    try:
        values = tags.get(name)
    except (KeyError, ValueError):
        return None
    if not values:
        return None
    value = values[0] if isinstance(values, list) else values
    return str(value).strip() or None


def _read_audio_files(root: Path, known: set[str]) -> list[PlexLibraryTrack]:
    """Read tags of audio files below ``root`` that are not in ``known`` (runs in a thread)."""
    import mutagen  # only the scanning path needs it

    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    found = []
    for path in paths:
        if path.suffix.lower() not in AUDIO_EXTENSIONS or str(path) in known:
            continue
        try:
            audio = mutagen.File(path, easy=True)
        except mutagen.MutagenError:
            _LOGGER.warning("Plex simulator cannot read %s", path)
            continue
        if audio is None:
            continue
        tags = audio.tags or {}
        track_no = _first(tags, "tracknumber") or "1"
        year = _first(tags, "date")
        found.append(
            PlexLibraryTrack(
                title=_first(tags, "title") or path.stem,
                artist=_first(tags, "artist") or "Unknown Artist",
                album=_first(tags, "album") or "Unknown Album",
                year=int(year[:4]) if year and year[:4].isdigit() else None,
                track_no=int(track_no.split("/")[0]) if track_no.split("/")[0].isdigit() else 1,
                duration_ms=round((audio.info.length if audio.info else 0) * 1000),
                file_path=str(path),
                isrc=_first(tags, "isrc"),
                album_artist=_first(tags, "albumartist"),
                mbid=_first(tags, "musicbrainz_trackid"),
            )
        )
    return found


_WORDS = [
    *("Amber", "Blue", "Crystal", "Dawn", "Echo", "Falling", "Golden", "Harbor", "Iron", "Jade"),
    *("Kingdom", "Lunar", "Midnight", "Neon", "Ocean", "Paper", "Quiet", "River", "Silver"),
    *("Thunder", "Velvet", "Winter", "Yellow", "Zero", "Shadow", "Static", "Wild", "Hollow"),
]


def demo_library(
    seed: int = 0,
    *,
    artists: int = 6,
    albums_per_artist: int = 2,
    tracks_per_album: int = 8,
    root: str = "/music",
    isrc_ratio: float = 0.8,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
) -> list[PlexLibraryTrack]:
    """A deterministic music library: same seed, same tracks, paths and dates."""
    rng = random.Random(seed)
    tracks = []
    moment = start
    for a in range(artists):
        artist = f"The {rng.choice(_WORDS)} {rng.choice(_WORDS)}s {a + 1}"
        for _ in range(albums_per_artist):
            album = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
            year = rng.randint(1965, 2024)
            for n in range(1, tracks_per_album + 1):
                title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
                moment += timedelta(minutes=rng.randint(1, 600))
                isrc = (
                    f"{rng.choice(['US', 'GB', 'DE', 'SE'])}{rng.choice('ABCDEFGHJK')}"
                    f"{rng.randint(10, 99)}{year % 100:02d}{rng.randint(0, 99999):05d}"
                    if rng.random() < isrc_ratio
                    else None
                )
                tracks.append(
                    PlexLibraryTrack(
                        title=title,
                        artist=artist,
                        album=album,
                        year=year,
                        track_no=n,
                        duration_ms=rng.randint(90_000, 420_000),
                        file_path=f"{root}/{artist}/{album} ({year})/{n:02d} - {title}.flac",
                        isrc=isrc,
                        added_at=moment,
                        updated_at=moment,
                        mbid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    )
                )
    return tracks


def bulk_library(
    count: int,
    seed: int = 0,
    *,
    root: str = "/music",
    tracks_per_album: int = 10,
    albums_per_artist: int = 5,
    start: datetime = datetime(2020, 1, 1, tzinfo=UTC),
) -> list[PlexLibraryTrack]:
    """``count`` deterministic tracks, cheap to make (for 100,000-track benchmarks)."""
    rng = random.Random(seed)
    tracks = []
    per_artist = tracks_per_album * albums_per_artist
    for n in range(count):
        artist = f"{_WORDS[n // per_artist % len(_WORDS)]} Band {n // per_artist}"
        album = f"{_WORDS[n // tracks_per_album % len(_WORDS)]} Album {n // tracks_per_album}"
        title = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {n}"
        number = n % tracks_per_album + 1
        moment = start + timedelta(seconds=60 * n)
        tracks.append(
            PlexLibraryTrack(
                title=title,
                artist=artist,
                album=album,
                year=1970 + n // per_artist % 50,
                track_no=number,
                duration_ms=rng.randint(90_000, 420_000),
                file_path=f"{root}/{artist}/{album}/{number:02d} - {title}.flac",
                added_at=moment,
                updated_at=moment,
                mbid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            )
        )
    return tracks


async def _serve(args: argparse.Namespace) -> None:
    sim = PlexSimulator(
        token=args.token, library_dir=args.library_dir, refresh_seconds=args.refresh_seconds
    )
    root = str(args.library_dir) if args.library_dir else "/music"
    if args.tracks is not None:
        sim.add_tracks(sim.music_section_key, bulk_library(args.tracks, args.seed, root=root))
    else:
        sim.add_tracks(
            sim.music_section_key,
            demo_library(args.seed, root=root, artists=max(args.demo // 16, 1)),
        )
    for spec in args.fault:
        sim.faults.add(spec)
    url = await sim.start(args.host, args.port)
    # One line a parent process can read: the bound URL comes first.
    print(f"Plex simulator on {url} (token {sim.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    """Command line entry point for local development."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32400)
    parser.add_argument("--token", default="sim-plex-token")
    parser.add_argument("--library-dir", type=Path, default=None)
    parser.add_argument("--demo", type=int, default=96, help="about this many demo tracks")
    parser.add_argument(
        "--tracks", type=int, default=None, help="exactly this many generated tracks (bulk)"
    )
    parser.add_argument("--refresh-seconds", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault", action="append", default=[], help="fault spec, repeatable")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
