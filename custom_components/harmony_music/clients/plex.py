"""Plex Media Server client.

plexapi is blocking, so every call runs in the event loop's default executor (Home Assistant's)
and returns the plain dataclasses of ``plex_models``. Track listings are paged by hand with large
containers and read straight from the XML: building plexapi objects costs about a millisecond per
track, which for a big library means a minute of CPU on a small Home Assistant box.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
import re
import threading
from typing import Any, Final
from urllib.parse import urlencode
from xml.etree.ElementTree import Element, ParseError

from plexapi import utils as plex_utils
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.server import PlexServer
import requests  # type: ignore[import-untyped,unused-ignore]
from requests.adapters import HTTPAdapter  # type: ignore[import-untyped,unused-ignore]
from urllib3.util.retry import Retry  # type: ignore[import-untyped,unused-ignore]

from .errors import (
    CannotConnectError,
    ClientError,
    InvalidAuthError,
    NotFoundError,
    RateLimitedError,
    ResponseError,
)
from .plex_models import PlexIdentity, PlexLibraryStats, PlexSection, PlexTrack, track_from_xml

__all__ = [
    "PlexClient",
    "PlexIdentity",
    "PlexLibraryStats",
    "PlexSection",
    "PlexTrack",
]

MUSIC_SECTION_TYPE: Final = "artist"
TRACK_TYPE: Final = 10  # Plex's metadata type number for tracks
DEFAULT_PAGE_SIZE: Final = 2000
# Rating keys per playlist request, so the ``uri`` parameter stays a sane URL length.
PLAYLIST_CHUNK: Final = 200
LIBRARY_URI: Final = "com.plexapp.plugins.library"

_STATUS_RE = re.compile(r"^\((\d{3})\)")


class _Retry(Retry):  # type: ignore[misc,unused-ignore]
    """urllib3 retries with a cap on Retry-After, so no executor thread is parked for long."""

    MAX_RETRY_AFTER = 10.0

    def get_retry_after(self, response: Any) -> float | None:
        value: float | None = super().get_retry_after(response)
        return None if value is None else min(value, self.MAX_RETRY_AFTER)


def _retry_policy() -> Any:
    # Only idempotent reads are retried: a repeated POST/PUT could add playlist items twice.
    return _Retry(
        total=3,
        connect=2,
        read=1,
        status=2,
        backoff_factor=0.25,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


def _translate(err: Exception) -> ClientError | None:
    """Map plexapi and requests exceptions to the shared client errors."""
    if isinstance(err, Unauthorized):
        return InvalidAuthError("Plex rejected the token")
    if isinstance(err, NotFound):
        return NotFoundError(str(err).split(";")[0])
    if isinstance(err, BadRequest):
        match = _STATUS_RE.match(str(err))
        status = int(match.group(1)) if match else None
        if status in (401, 403):
            return InvalidAuthError(f"Plex refused access ({status})")
        if status == 429:
            return RateLimitedError("Plex kept answering 429")
        if status is not None and status >= 500:
            return CannotConnectError(f"Plex answered {status}")
        return ResponseError(str(err).split(";")[0])
    if isinstance(err, requests.exceptions.RequestException):
        return CannotConnectError(f"Plex is unreachable: {type(err).__name__}")
    if isinstance(err, ParseError):
        return ResponseError("Plex answered with something that is not XML")
    return None


class PlexClient:
    """Async facade over plexapi; every plexapi call runs in the executor."""

    def __init__(
        self, url: str, token: str, *, verify_ssl: bool = True, timeout: float = 30
    ) -> None:
        self._url = url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._session = requests.Session()
        self._session.verify = verify_ssl
        adapter = HTTPAdapter(max_retries=_retry_policy())
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._server: Any = None
        self._lock = threading.Lock()
        # Name of the "updated at" filter field per section (None: the server has none).
        self._updated_fields: dict[str, str | None] = {}

    # ------------------------------------------------------------------ plumbing

    async def _run[T](self, func: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, func)
        except ClientError:
            raise
        except Exception as err:
            translated = _translate(err)
            if translated is None:
                raise
            raise translated from err

    def _connect(self, *, fresh: bool = False) -> Any:
        """The PlexServer (one GET / when first made); executor only."""
        with self._lock:
            if self._server is None or fresh:
                self._server = PlexServer(
                    self._url, self._token, session=self._session, timeout=self._timeout
                )
            return self._server

    def _section(self, key: str, *, music: bool = True) -> Any:
        server = self._connect()
        try:
            section = server.library.sectionByID(int(key))
        except ValueError:
            raise NotFoundError(f"Invalid Plex section key {key!r}") from None
        if music and section.type != MUSIC_SECTION_TYPE:
            raise NotFoundError(f"Plex section {key} is not a music section")
        return section

    def _pages(self, key: str, page_size: int, tag: str | None = None) -> Iterator[Element]:
        """Items of a listing, fetched ``page_size`` at a time with container headers."""
        server = self._connect()
        start = 0
        seen: set[str] = set()
        while True:
            headers = {
                "X-Plex-Container-Start": str(start),
                "X-Plex-Container-Size": str(page_size),
            }
            data = server.query(key, headers=headers)
            if data is None:
                return
            # Playlist entries are identified by playlistItemID: one track may appear twice.
            page = {
                e.attrib.get("playlistItemID") or e.attrib["ratingKey"]: e
                for e in data
                if e.attrib.get("ratingKey")
            }
            fresh = [e for ident, e in page.items() if ident not in seen]
            seen.update(page)
            yield from (e for e in fresh if tag in (None, e.tag))
            total = data.attrib.get("totalSize")
            start += len(page)
            # Go by what came back: a server may cap pages below page_size, or ignore the
            # window and repeat itself, which must not loop forever.
            if not fresh or (total is not None and start >= int(total)):
                return
            if total is None and len(page) < page_size:
                return

    # ------------------------------------------------------------------ API

    async def async_identity(self) -> PlexIdentity:
        """Connect (checking the token) and return the server's identity."""

        def identity() -> PlexIdentity:
            server = self._connect(fresh=True)
            if not server.machineIdentifier:
                raise ResponseError("The server did not identify itself as Plex")
            return PlexIdentity(
                machine_identifier=server.machineIdentifier,
                friendly_name=server.friendlyName or "",
                version=server.version or "",
            )

        return await self._run(identity)

    async def async_music_sections(self) -> list[PlexSection]:
        """Music sections (type "artist"), whatever their names."""

        def sections() -> list[PlexSection]:
            return [
                PlexSection(
                    key=str(section.key),
                    title=section.title or "",
                    uuid=section.uuid,
                    locations=tuple(section.locations or ()),
                    refreshing=bool(section.refreshing),
                )
                for section in self._connect().library.sections()
                if section.type == MUSIC_SECTION_TYPE
            ]

        return await self._run(sections)

    async def async_statistics(self, section_key: str) -> PlexLibraryStats:
        """Artist, album and track counts from three empty pages (``totalSize`` only)."""

        def statistics() -> PlexLibraryStats:
            section = self._section(section_key)
            counts = [
                section.totalViewSize(libtype=libtype, includeCollections=False) or 0
                for libtype in ("artist", "album", "track")
            ]
            return PlexLibraryStats(artists=counts[0], albums=counts[1], tracks=counts[2])

        return await self._run(statistics)

    async def async_tracks(
        self,
        section_key: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
    ) -> list[PlexTrack]:
        """Every track of a music section, or those changed since ``updated_since``."""
        if page_size < 1:
            raise ValueError("page_size must be positive")
        since: int | None = None
        if updated_since is not None:
            aware = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)
            since = int(aware.timestamp())

        def tracks() -> list[PlexTrack]:
            section = self._section(section_key)
            key = f"/library/sections/{section.key}/all" + plex_utils.joinArgs(
                {"type": TRACK_TYPE, "includeGuids": 1}
            )
            if since is not None:
                field = self._updated_field(section)
                if field is not None:
                    # ">>" is "after"; one second back keeps items changed in that very second.
                    key += "&" + urlencode({f"{field}>>": since - 1})
            found: dict[str, PlexTrack] = {}
            for elem in self._pages(key, page_size, "Track"):
                track = track_from_xml(elem)
                # Also filter here: a server without the filter field returns everything.
                if since is not None and (
                    track.updated_at is None or int(track.updated_at.timestamp()) < since
                ):
                    continue
                found[track.rating_key] = track
            return list(found.values())

        return await self._run(tracks)

    def _updated_field(self, section: Any) -> str | None:
        """The filter field for "updated at" on tracks, as the server advertises it."""
        cache_key = str(section.key)
        if cache_key not in self._updated_fields:
            try:
                fields = section.listFields(libtype="track")
                operators = section.listOperators("date")
            except NotFound:
                self._updated_fields[cache_key] = None
            else:
                field = next(
                    (
                        f.key
                        for f in fields
                        if f.key.split(".")[-1] == "updatedAt" and f.type == "date"
                    ),
                    None,
                )
                after = any(o.key == ">>=" for o in operators)
                self._updated_fields[cache_key] = field if after else None
        return self._updated_fields[cache_key]

    async def async_refresh(self, section_key: str, path: str | None = None) -> None:
        """Ask Plex to scan a section, or only one folder of it."""

        def refresh() -> None:
            self._section(section_key, music=False).update(path=path)

        await self._run(refresh)

    async def async_is_refreshing(self, section_key: str) -> bool:
        """Whether Plex is scanning the section right now (fresh, not cached)."""

        def refreshing() -> bool:
            for section in self._connect().library.sections():
                if str(section.key) == str(section_key):
                    return bool(section.refreshing)
            raise NotFoundError(f"Plex has no section {section_key}")

        return await self._run(refreshing)

    async def async_upsert_playlist(self, title: str, rating_keys: Sequence[str | int]) -> str:
        """Create the audio playlist ``title`` or replace its items; returns its rating key.

        Items keep the given order. An unchanged playlist is left alone.
        """
        keys = [str(int(key)) for key in rating_keys]

        def upsert() -> str:
            server = self._connect()
            session = self._session
            uri_root = f"server://{server.machineIdentifier}/{LIBRARY_URI}/library/metadata/"
            chunks = [keys[i : i + PLAYLIST_CHUNK] for i in range(0, len(keys), PLAYLIST_CHUNK)]
            existing = [
                playlist
                for playlist in server.playlists(playlistType="audio", title=title)
                if playlist.title == title and not playlist.smart
            ]
            if existing:
                playlist_key = str(existing[0].ratingKey)
                items_key = f"/playlists/{playlist_key}/items"
                current = [e.attrib["ratingKey"] for e in self._pages(items_key, 1000)]
                if current == keys:
                    return playlist_key
                server.query(items_key, method=session.delete)
            else:
                if not chunks:
                    raise ValueError("Plex cannot create an empty playlist")
                args = {
                    "uri": uri_root + ",".join(chunks.pop(0)),
                    "type": "audio",
                    "title": title,
                    "smart": 0,
                }
                data = server.query("/playlists" + plex_utils.joinArgs(args), method=session.post)
                if data is None or len(data) == 0 or not data[0].attrib.get("ratingKey"):
                    raise ResponseError("Plex did not return the new playlist")
                playlist_key = data[0].attrib["ratingKey"]
            for chunk in chunks:
                args = {"uri": uri_root + ",".join(chunk)}
                server.query(
                    f"/playlists/{playlist_key}/items" + plex_utils.joinArgs(args),
                    method=session.put,
                )
            return playlist_key

        return await self._run(upsert)

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    async def async_close(self) -> None:
        """Close pooled connections (in the executor: closing sockets may block briefly)."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)
