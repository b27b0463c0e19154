"""Plex Media Server client.

plexapi is blocking, so every call runs in the event loop's default executor (Home Assistant's)
and returns the plain dataclasses of ``plex_models``. Track listings are paged by hand with large
containers and read straight from the XML: building plexapi objects costs about a millisecond per
track, which for a big library means a minute of CPU on a small Home Assistant box.

A stored library snapshot is kept current with four calls: ``async_statistics`` (five small
requests; an unchanged ``content_changed_at`` means nothing to do), ``async_track_keys`` (every
rating key and updatedAt, trimmed to those two fields: removals), ``async_snapshot_tracks`` with
``since`` (additions and changes, filtered by Plex in one query) and, for a first run,
``async_snapshot_tracks`` without ``since``.
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
from .plex_models import (
    PlexIdentity,
    PlexLibraryStats,
    PlexSection,
    PlexTrack,
    plex_time,
    track_from_xml,
)

__all__ = [
    "ListingChangedError",
    "PlexClient",
    "PlexIdentity",
    "PlexLibraryStats",
    "PlexSection",
    "PlexTrack",
]

MUSIC_SECTION_TYPE: Final = "artist"
ARTIST_TYPE: Final = 8  # Plex's metadata type numbers
ALBUM_TYPE: Final = 9
TRACK_TYPE: Final = 10
DEFAULT_PAGE_SIZE: Final = 2000
# Tracks per snapshot request. A page of 5,000 tracks with their files is about 5-8 MB of XML
# and, parsed, a few tens of MB at peak: bearable on a small Home Assistant box, and served by
# Plex well inside the 30 s timeout. 100,000 tracks take 20 requests instead of plexapi's 1,000
# (its default container size is 100); larger pages save little more and cost peak memory.
SNAPSHOT_PAGE_SIZE: Final = 5000
# Rating keys per request of the key listing: trimmed to two attributes a track is ~50 bytes,
# and a server that ignores includeFields still sends no Media elements.
KEYS_PAGE_SIZE: Final = 10000
# The attributes the snapshot reads (of Track, Media/Part and Guid, in case a server trims those
# too). Plex >= 1.41.9 sends only these; older servers read includeFields as "add these".
SNAPSHOT_FIELDS: Final = (
    "ratingKey,title,grandparentTitle,originalTitle,parentTitle,duration,addedAt,updatedAt,"
    "index,parentIndex,parentYear,year,file,size,id"
)
KEY_FIELDS: Final = "ratingKey,updatedAt"
# Child elements the key listing does not need (Media holds the Part with the file).
KEY_EXCLUDED_ELEMENTS: Final = "Media,Guid,Genre,Mood,Style,Collection"
# A listing whose totalSize changes between pages is read again this often, then given up.
LISTING_ATTEMPTS: Final = 3
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
    # Two read failures (a dropped connection, a timeout) in a row are survived: a scan reads
    # tens of pages, and one retry let a flaky network fail whole scans (the fault suite).
    return _Retry(
        total=4,
        connect=2,
        read=2,
        status=2,
        backoff_factor=0.25,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )


class ListingChangedError(ResponseError):
    """The section changed while it was being listed (totalSize moved between pages).

    An offset-paged listing of a changing library may skip items, which a caller would take
    for removals; the listing is read again, and this is raised when it never held still.
    """


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


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
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
        # Filter fields (updatedAt, addedAt) per section; None: the server cannot filter so.
        self._date_filter_fields: dict[str, tuple[str, str] | None] = {}

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
        """Items of a listing, fetched ``page_size`` at a time with container headers.

        Raises ListingChangedError when ``totalSize`` changes between pages.
        """
        server = self._connect()
        start = 0
        seen: set[str] = set()
        first_total: str | None = None
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
            total = data.attrib.get("totalSize")
            if start == 0:
                first_total = total
            elif total != first_total:
                # Checked before this page is handed out: its offsets no longer line up.
                raise ListingChangedError("The Plex listing changed while it was read")
            fresh = [e for ident, e in page.items() if ident not in seen]
            seen.update(page)
            yield from (e for e in fresh if tag in (None, e.tag))
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
        """Counts, totals, change marks and the refreshing flag of a music section.

        Five requests, none listing anything: ``/library/sections`` (fresh, for
        ``contentChangedAt``, ``updatedAt``, ``scannedAt`` and ``refreshing``), one empty page
        per type for ``totalSize`` (artists, albums, tracks) and ``/media/providers`` with
        ``includeStorage=1`` for the duration and storage totals.
        """

        def statistics() -> PlexLibraryStats:
            server = self._connect()
            attrs = self._section_attrs(server, section_key)
            if attrs.get("type") != MUSIC_SECTION_TYPE:
                raise NotFoundError(f"Plex section {section_key} is not a music section")
            key = attrs["key"]
            artists, albums, tracks = (
                self._total(server, key, libtype)
                for libtype in (ARTIST_TYPE, ALBUM_TYPE, TRACK_TYPE)
            )
            duration, size = self._storage(server, key)
            return PlexLibraryStats(
                artists=artists,
                albums=albums,
                tracks=tracks,
                duration_ms=duration,
                size_bytes=size,
                updated_at=plex_time(attrs.get("updatedAt")),
                scanned_at=plex_time(attrs.get("scannedAt")),
                content_changed_at=_int_or_none(attrs.get("contentChangedAt")),
                refreshing=attrs.get("refreshing") in ("1", "true"),
            )

        return await self._run(statistics)

    @staticmethod
    def _section_attrs(server: Any, section_key: str) -> dict[str, str]:
        """The section's attributes from a fresh ``/library/sections`` (plexapi caches it)."""
        data = server.query("/library/sections")
        for directory in data if data is not None else ():
            if directory.attrib.get("key") == str(section_key):
                return dict(directory.attrib)
        raise NotFoundError(f"Plex has no section {section_key}")

    @staticmethod
    def _total(server: Any, section_key: str, libtype: int) -> int:
        """``totalSize`` of an empty page: Plex counts without listing."""
        args = {"type": libtype, "includeCollections": 0}
        data = server.query(
            f"/library/sections/{section_key}/all" + plex_utils.joinArgs(args),
            headers={"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "0"},
        )
        if data is None:
            raise ResponseError("Plex sent an empty answer to a count")
        total = _int_or_none(data.attrib.get("totalSize") or data.attrib.get("size"))
        return total if total is not None else len(data)

    @staticmethod
    def _storage(server: Any, section_key: str) -> tuple[int | None, int | None]:
        """Duration (ms) and bytes of the section, or None where the server gives none."""
        try:
            data = server.query("/media/providers?includeStorage=1")
        except NotFound:
            return None, None
        path = (
            f"./MediaProvider[@identifier='{LIBRARY_URI}']/Feature[@type='content']"
            f"/Directory[@id='{section_key}']"
        )
        directory = data.find(path) if data is not None else None
        if directory is None:
            return None, None
        return (
            _int_or_none(directory.attrib.get("durationTotal")),
            _int_or_none(directory.attrib.get("storageTotal")),
        )

    async def async_snapshot_tracks(
        self,
        section_key: str,
        *,
        since: datetime | None = None,
        page_size: int = SNAPSHOT_PAGE_SIZE,
    ) -> list[PlexTrack]:
        """Every track of a music section, or those added or updated at or after ``since``.

        ``since`` (naive means UTC) is whole seconds: Plex stores seconds. Plex filters with one
        query, ``(updatedAt after since-1) OR (addedAt after since-1)`` (its ``push``/``or``/
        ``pop`` groups); a server that does not advertise both date fields is listed whole and
        filtered here. Raises ListingChangedError when the section kept changing meanwhile.
        """
        if page_size < 1:
            raise ValueError("page_size must be positive")
        bound: int | None = None
        if since is not None:
            aware = since if since.tzinfo else since.replace(tzinfo=UTC)
            bound = int(aware.timestamp())

        def snapshot() -> list[PlexTrack]:
            section = self._section(section_key)
            args: dict[str, Any] = {
                "type": TRACK_TYPE,
                "includeGuids": 1,
                "includeFields": SNAPSHOT_FIELDS,
            }
            key = f"/library/sections/{section.key}/all" + plex_utils.joinArgs(args)
            if bound is not None:
                fields = self._date_fields(section)
                if fields is not None:
                    # ">>=" is "after"; one second back keeps items changed in that very second.
                    updated, added = (urlencode({f"{f}>>": bound - 1}) for f in fields)
                    key += f"&push=1&{updated}&or=1&{added}&pop=1"

            def parse(elem: Element, strings: dict[str, str]) -> PlexTrack | None:
                track = track_from_xml(elem, strings)
                # Also filtered here: Plex drops a filter it does not know, with a 200.
                if bound is not None and not any(
                    moment is not None and int(moment.timestamp()) >= bound
                    for moment in (track.updated_at, track.added_at)
                ):
                    return None
                return track

            return list(self._listing(key, page_size, parse).values())

        return await self._run(snapshot)

    async def async_track_keys(self, section_key: str) -> dict[str, datetime | None]:
        """Every track's rating key with its updatedAt, from the cheapest listing Plex has.

        The listing asks for two attributes only (``includeFields``) and no child elements
        (``excludeElements``), in pages of ``KEYS_PAGE_SIZE``: what a stored snapshot lacks
        is new, what it has and this lacks was removed.
        """

        def keys() -> dict[str, datetime | None]:
            section = self._section(section_key)
            args = {
                "type": TRACK_TYPE,
                "includeFields": KEY_FIELDS,
                "excludeElements": KEY_EXCLUDED_ELEMENTS,
            }
            key = f"/library/sections/{section.key}/all" + plex_utils.joinArgs(args)
            return self._listing(
                key, KEYS_PAGE_SIZE, lambda elem, _: plex_time(elem.attrib.get("updatedAt"))
            )

        return await self._run(keys)

    def _listing[T](
        self,
        key: str,
        page_size: int,
        parse: Callable[[Element, dict[str, str]], T | None],
    ) -> dict[str, T]:
        """Tracks of a listing by rating key, read again while it changes under us."""
        for attempt in range(LISTING_ATTEMPTS):
            found: dict[str, T] = {}
            strings: dict[str, str] = {}
            try:
                for elem in self._pages(key, page_size, "Track"):
                    value = parse(elem, strings)
                    if value is not None:
                        found[elem.attrib["ratingKey"]] = value
            except ListingChangedError:
                if attempt + 1 == LISTING_ATTEMPTS:
                    raise
                continue
            return found
        raise AssertionError("unreachable")  # pragma: no cover

    async def async_tracks(
        self,
        section_key: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
    ) -> list[PlexTrack]:
        """Every track of a music section, or those changed since ``updated_since``.

        The same as ``async_snapshot_tracks`` with smaller pages (kept for its callers).
        """
        return await self.async_snapshot_tracks(
            section_key, since=updated_since, page_size=page_size
        )

    def _date_fields(self, section: Any) -> tuple[str, str] | None:
        """The track filter fields for updatedAt and addedAt, if both exist with ">>=".

        plexapi's listFields is the server's advertised fields plus those plexapi knows work
        without being advertised: Plex lists addedAt for tracks, and updatedAt only comes from
        plexapi's own list. Two requests (``all`` and ``collections`` with ``includeMeta=1``),
        once per section and client.
        """
        cache_key = str(section.key)
        if cache_key not in self._date_filter_fields:
            found: tuple[str, str] | None = None
            try:
                fields = section.listFields(libtype="track")
                operators = section.listOperators("date")
            except NotFound:
                pass
            else:
                by_name = {
                    f.key.split(".")[-1]: f.key
                    for f in fields
                    if f.type == "date" and f.key.split(".")[-1] in ("updatedAt", "addedAt")
                }
                if len(by_name) == 2 and any(o.key == ">>=" for o in operators):
                    found = (by_name["updatedAt"], by_name["addedAt"])
            self._date_filter_fields[cache_key] = found
        return self._date_filter_fields[cache_key]

    async def async_refresh(self, section_key: str, path: str | None = None) -> None:
        """Ask Plex to scan a section, or only one folder of it (a path as Plex sees it).

        plexapi sends ``GET /library/sections/{key}/refresh?path=<quoted>``, which every Plex
        version takes (the published API documents POST too). Plex answers at once and scans in
        the background; the section's ``refreshing`` flag shows the scan, and a path outside
        the section's folders is ignored by Plex.
        """
        if path is not None and not path.strip():
            raise ValueError("an empty path would not name a folder")

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
