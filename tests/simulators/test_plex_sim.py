"""Fidelity of the Plex simulator: unmodified plexapi (and raw HTTP) against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
import re
import sys
from typing import Any
from xml.etree import ElementTree as ET

import aiohttp
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.library import MovieSection, MusicSection
from plexapi.server import PlexServer
import pytest
import requests

from tests.simulators.plex import PlexLibraryTrack, PlexSimulator, bulk_library, demo_library

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[PlexSimulator]:
    """A running simulator with the seeded demo library."""
    simulator = PlexSimulator(library_dir=tmp_path, refresh_seconds=0.2)
    simulator.add_tracks(simulator.music_section_key, demo_library(11))
    await simulator.start()
    yield simulator
    await simulator.stop()


async def _plex[T](sim: PlexSimulator, work: Callable[[PlexServer], T]) -> T:
    """Run plexapi code against the simulator in a worker thread, closing its session."""

    def run() -> T:
        with requests.Session() as session:
            return work(PlexServer(sim.url, sim.token, session=session, timeout=5))

    return await asyncio.to_thread(run)


async def test_server_and_sections(sim: PlexSimulator) -> None:
    """plexapi reads the server root and builds the right section classes."""

    def work(server: PlexServer) -> Any:
        return (
            server.friendlyName,
            server.machineIdentifier,
            server.version,
            [(type(s), s.key, s.title, s.locations) for s in server.library.sections()],
            server.identity().machineIdentifier,
        )

    name, machine, version, sections, identity = await _plex(sim, work)
    assert (name, machine, version, identity) == (
        sim.friendly_name,
        sim.machine_identifier,
        sim.version,
        sim.machine_identifier,
    )
    assert sections == [
        (MusicSection, 1, "Music", [str(sim.library_dir)]),
        (MovieSection, 2, "Movies", ["/movies"]),
    ]


async def test_browsing_artists_albums_tracks(sim: PlexSimulator) -> None:
    """Artists lead to albums and albums to their tracks in order, as in Plex."""
    tracks = sim.tracks()

    def work(server: PlexServer) -> Any:
        music = server.library.sectionByID(1)
        artist = music.all()[0]
        album = artist.albums()[0]
        return artist.title, album.title, album.parentTitle, [t.index for t in album.tracks()]

    artist, album, parent, indexes = await _plex(sim, work)
    expected = [t for t in tracks if t.artist == artist and t.album == album]
    assert parent == artist
    assert indexes == sorted(t.track_no for t in expected)
    assert len(indexes) == 8


async def test_plexapi_search_pages_and_counts(sim: PlexSimulator) -> None:
    """plexapi's own paging and totalViewSize give the full, exact content."""
    total = len(sim.tracks())

    def work(server: PlexServer) -> Any:
        music = server.library.sectionByID(1)
        found = music.searchTracks(container_size=10)
        return (
            [(t.title, t.grandparentTitle, t.media[0].parts[0].file) for t in found],
            music.totalViewSize(libtype="track"),
            music.totalViewSize(libtype="album"),
        )

    found, tracks, albums = await _plex(sim, work)
    assert sorted(found) == sorted((t.title, t.artist, t.file_path) for t in sim.tracks())
    assert (tracks, albums) == (total, 12)
    pages = [r for r in sim.requests if r.query.get("type") == "10" and r.container_size == 10]
    assert len(pages) == -(-total // 10)


async def test_plexapi_date_filter(sim: PlexSimulator) -> None:
    """``search(filters={"updatedAt>>": dt})`` validates against the meta and filters."""
    tracks = sim.tracks()
    cut = sorted(t.updated_at for t in tracks if t.updated_at)[len(tracks) // 2]

    def work(server: PlexServer) -> Any:
        music = server.library.sectionByID(1)
        return [t.title for t in music.search(libtype="track", filters={"updatedAt>>": cut})]

    titles = await _plex(sim, work)
    expected = [t.title for t in tracks if t.updated_at and t.updated_at > cut]
    assert sorted(titles) == sorted(expected)
    assert 0 < len(titles) < len(tracks)


async def test_plexapi_title_search(sim: PlexSimulator) -> None:
    """``searchTracks(title=...)`` finds the tracks whose titles contain the text."""
    word = sim.tracks()[0].title.split()[0]

    def work(server: PlexServer) -> list[str]:
        return [t.title for t in server.library.sectionByID(1).searchTracks(title=word.upper())]

    titles = await _plex(sim, work)
    expected = [t.title for t in sim.tracks() if word.lower() in t.title.lower()]
    assert sorted(titles) == sorted(expected)
    assert 0 < len(titles) < len(sim.tracks())


@pytest.mark.parametrize("form", ["header", "query"])
async def test_container_paging_forms(sim: PlexSimulator, form: str) -> None:
    """Both header and query forms of X-Plex-Container-Start/Size page the listing."""
    window = {"X-Plex-Container-Start": "5", "X-Plex-Container-Size": "3"}
    params = {"type": "10", "X-Plex-Token": sim.token}
    headers: dict[str, str] = {}
    (headers if form == "header" else params).update(window)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sim.url}/library/sections/1/all", params=params, headers=headers
        ) as response,
    ):
        body = await response.text()
    assert response.status == 200
    assert 'size="3"' in body
    assert f'totalSize="{len(sim.tracks())}"' in body
    assert 'offset="5"' in body
    assert body.count("<Track ") == 3


async def test_token_is_required(sim: PlexSimulator) -> None:
    """No token: 401 everywhere but /identity; the token works as a query parameter too."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.url}/library/sections") as response:
            assert response.status == 401
        async with session.get(f"{sim.url}/identity") as response:
            assert response.status == 200
        async with session.get(
            f"{sim.url}/library/sections", params={"X-Plex-Token": sim.token}
        ) as response:
            assert response.status == 200

    def connect_with_old_token() -> None:
        with requests.Session() as session:
            PlexServer(sim.url, "sim-plex-token", session=session, timeout=5)

    sim.token = "rotated"
    with pytest.raises(Unauthorized):
        await asyncio.to_thread(connect_with_old_token)


async def test_playlist_lifecycle(sim: PlexSimulator) -> None:
    """createPlaylist, addItems, removeItems, playlists() and delete behave like Plex."""

    def work(server: PlexServer) -> Any:
        tracks = server.library.sectionByID(1).searchTracks()
        playlist = server.createPlaylist("Road Trip", items=tracks[:3])
        playlist.addItems(tracks[10:12])
        playlist.removeItems([tracks[1]])
        listed = server.playlist("Road Trip")
        keys = [t.ratingKey for t in listed.items()]
        expected = [tracks[i].ratingKey for i in (0, 2, 10, 11)]
        titles = [p.title for p in server.playlists(playlistType="audio")]
        listed.delete()
        return keys, expected, titles, server.playlists()

    keys, expected, titles, after = await _plex(sim, work)
    assert keys == expected
    assert titles == ["Road Trip"]
    assert after == []
    assert sim.playlists == {}


async def test_refresh_scans_library_dir(sim: PlexSimulator, tmp_path: Path) -> None:
    """A refresh marks the section refreshing, lists an activity, and indexes new files."""
    # A file mutagen cannot read is skipped, not fatal.
    (tmp_path / "broken.mp3").write_bytes(b"not audio")

    def start(server: PlexServer) -> Any:
        server.library.sectionByID(1).update()
        refreshing = server.library.sections()[0].refreshing
        return refreshing, [a.type for a in server.activities]

    refreshing, activities = await _plex(sim, start)
    assert refreshing is True
    assert activities == ["library.update.section"]
    await sim.wait_idle()
    scan = sim.sections[1].scan_task
    assert scan is not None
    assert scan.exception() is None
    assert len(sim.tracks()) == 96
    assert await _plex(sim, lambda s: s.library.sections()[0].refreshing) is False
    assert await _plex(sim, lambda s: s.activities) == []


async def test_scan_ignores_paths_outside_the_library(sim: PlexSimulator, tmp_path: Path) -> None:
    """Plex only scans its own folders."""
    before = len(sim.tracks())
    await _plex(sim, lambda s: s.library.sectionByID(1).update(path="/etc"))
    await sim.wait_idle()
    assert len(sim.tracks()) == before
    assert sim.refresh_calls == [(1, "/etc")]


async def test_faults_reach_plexapi(sim: PlexSimulator) -> None:
    """Faults set over the control route show up as plexapi errors."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sim.url}/_sim/faults", json={"spec": "GET /library/sections$ status=503 times=1"}
        ) as response,
    ):
        assert response.status == 201

    with pytest.raises(BadRequest, match=r"^\(503\)"):
        await _plex(sim, lambda s: s.library.sections())
    assert len(await _plex(sim, lambda s: s.library.sections())) == 2


async def test_unknown_metadata_is_not_found(sim: PlexSimulator) -> None:
    """A rating key that does not exist is a 404."""
    with pytest.raises(NotFound):
        await _plex(sim, lambda s: s.fetchItem(999_999))


def test_demo_library_is_deterministic() -> None:
    """Same seed, same library; another seed, another library."""
    first = demo_library(5, artists=2)
    assert first == demo_library(5, artists=2)
    assert first != demo_library(6, artists=2)
    assert len(first) == 2 * 2 * 8
    assert len({t.file_path for t in first}) == len(first)
    added = [t.added_at for t in first]
    assert added == sorted(added)
    assert first[0].added_at >= datetime(2024, 1, 1, tzinfo=UTC)


def test_rating_keys_are_stable(tmp_path: Path) -> None:
    """The same content gets the same keys; a track's updated time defaults to its added time."""
    track = PlexLibraryTrack("T", "A", "B", 2000, 1, 1000, "/music/t.flac")
    assert track.updated_at == track.added_at
    keys = [
        PlexSimulator(library_dir=tmp_path).add_tracks(1, demo_library(1, artists=1))
        for _ in range(2)
    ]
    assert keys[0] == keys[1]
    assert len(set(keys[0])) == len(keys[0])
    sim = PlexSimulator()
    [key] = sim.add_tracks(1, [track])
    when = datetime.now(UTC) + timedelta(days=1)
    sim.touch(key, when)
    assert sim.tracks()[0].updated_at == when


async def _get(sim: PlexSimulator, path: str, **params: str) -> tuple[int, Any, str]:
    """A raw GET with the token: status, headers, body."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sim.url}{path}", params={**params, "X-Plex-Token": sim.token}) as response,
    ):
        return response.status, response.headers, await response.text()


def _items(body: str, tag: str = "Track") -> list[ET.Element]:
    return list(ET.fromstring(body).iter(tag))


async def test_paged_answers_repeat_the_window_in_headers(sim: PlexSimulator) -> None:
    """X-Plex-Container-Start / -Total-Size headers come with a paged answer, as in Plex."""
    status, headers, body = await _get(
        sim,
        "/library/sections/1/all",
        type="10",
        **{"X-Plex-Container-Start": "4", "X-Plex-Container-Size": "0"},
    )
    assert status == 200
    assert headers["X-Plex-Container-Start"] == "4"
    assert headers["X-Plex-Container-Total-Size"] == str(len(sim.tracks()))
    assert ET.fromstring(body).attrib["totalSize"] == str(len(sim.tracks()))
    assert _items(body) == []
    _, unpaged, _ = await _get(sim, "/library/sections/1/all", type="10")
    assert "X-Plex-Container-Total-Size" not in unpaged


async def test_or_groups_in_filters(sim: PlexSimulator) -> None:
    """push=1 / or=1 / pop=1 group filters: (updated after X OR added after Y) AND title."""
    keys = sim.add_tracks(
        1,
        [
            PlexLibraryTrack("Zz one", "A", "B", 2000, 1, 1000, "/m/1.flac", added_at=_T(100)),
            PlexLibraryTrack("Zz two", "A", "B", 2000, 2, 1000, "/m/2.flac", added_at=_T(100)),
            PlexLibraryTrack("Zz three", "A", "B", 2000, 3, 1000, "/m/3.flac", added_at=_T(300)),
        ],
    )
    sim.touch(keys[1], _T(500))
    query = (
        f"type=10&push=1&track.updatedAt%3E%3E={_T(400).timestamp():.0f}&or=1"
        f"&track.addedAt%3E%3E={_T(200).timestamp():.0f}&pop=1&title=zz&X-Plex-Token={sim.token}"
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sim.url}/library/sections/1/all?{query}") as response,
    ):
        body = await response.text()
    assert sorted(e.attrib["title"] for e in _items(body)) == ["Zz three", "Zz two"]
    for broken in ("push=1&title=a", "pop=1&title=a", "push=1&pop=1", "or=1&title=a"):
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{sim.url}/library/sections/1/all?type=10&{broken}&X-Plex-Token={sim.token}"
            ) as response,
        ):
            assert response.status == 400, broken


def _T(seconds: int) -> datetime:
    return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


async def test_response_trimming(sim: PlexSimulator) -> None:
    """includeFields keeps only the named item attributes; excludeElements drops Media."""
    _, _, body = await _get(
        sim,
        "/library/sections/1/all",
        type="10",
        includeGuids="1",
        includeFields="ratingKey,updatedAt",
        excludeElements="Media,Guid",
    )
    tracks = _items(body)
    assert len(tracks) == len(sim.tracks())
    assert all(set(t.attrib) == {"ratingKey", "updatedAt"} for t in tracks)
    assert all(len(t) == 0 for t in tracks)

    _, _, parts = await _get(sim, "/library/sections/1/all", type="10", excludeElements="Part")
    media = _items(parts, "Media")
    assert media
    assert all(m.attrib["partCount"] == "1" and len(m) == 0 for m in media)

    _, _, summary = await _get(sim, "/library/sections/1/all", type="9", excludeFields="title")
    assert all("title" not in a.attrib for a in _items(summary, "Directory"))


async def test_include_fields_ignored_before_1_41_9(tmp_path: Path) -> None:
    """Older servers read includeFields as "add these optional fields": nothing is trimmed."""
    old = PlexSimulator(library_dir=tmp_path, version="1.40.2.8395-c67dce28e")
    old.add_tracks(1, demo_library(2, artists=1))
    await old.start()
    try:
        _, _, body = await _get(
            old, "/library/sections/1/all", type="10", includeFields="ratingKey"
        )
    finally:
        await old.stop()
    tracks = _items(body)
    assert tracks
    assert all("title" in t.attrib and len(t) > 0 for t in tracks)


async def test_media_providers_totals(sim: PlexSimulator) -> None:
    """``/media/providers?includeStorage=1`` gives duration and storage totals per section."""
    _, _, body = await _get(sim, "/media/providers", includeStorage="1")
    directories = {
        d.attrib["id"]: d.attrib for d in ET.fromstring(body).iter("Directory") if "id" in d.attrib
    }
    music = directories["1"]
    assert int(music["durationTotal"]) == sum(t.duration_ms for t in sim.tracks())
    assert int(music["storageTotal"]) == sum(t.duration_ms * 125 for t in sim.tracks())
    assert music["type"] == "artist"
    assert music["refreshing"] == "0"
    _, _, plain = await _get(sim, "/media/providers")
    assert "durationTotal" not in plain


async def _section_attrs(sim: PlexSimulator) -> dict[str, str]:
    _, _, body = await _get(sim, "/library/sections")
    return next(d.attrib for d in ET.fromstring(body).iter("Directory") if d.attrib["key"] == "1")


async def test_runtime_changes(sim: PlexSimulator) -> None:
    """Adding, changing and removing tracks shows in listings and in contentChangedAt."""
    before = int((await _section_attrs(sim))["contentChangedAt"])
    albums = len(sim.sections[1].albums)
    first = sim.sections[1].entries[0]
    album_keys = [e.rating_key for e in sim.sections[1].entries if e.album_key == first.album_key]

    sim.update_track(first.rating_key, title="Renamed", when=_T(0))
    changed = int((await _section_attrs(sim))["contentChangedAt"])
    assert changed > before
    _, _, body = await _get(sim, f"/library/metadata/{first.rating_key}")
    [track] = _items(body)
    assert (track.attrib["title"], track.attrib["updatedAt"]) == (
        "Renamed",
        str(int(_T(0).timestamp())),
    )
    with pytest.raises(ValueError, match="album"):
        sim.update_track(first.rating_key, album="Elsewhere")
    with pytest.raises(KeyError):
        sim.remove_tracks([first.rating_key, 999_999])
    assert len(sim.tracks()) == 96

    sim.remove_tracks(album_keys)
    assert int((await _section_attrs(sim))["contentChangedAt"]) > changed
    assert len(sim.tracks()) == 96 - len(album_keys)
    assert len(sim.sections[1].albums) == albums - 1
    status, _, _ = await _get(sim, f"/library/metadata/{first.rating_key}")
    assert status == 404
    _, _, listing = await _get(
        sim, "/library/sections/1/all", type="9", **{"X-Plex-Container-Size": "0"}
    )
    assert ET.fromstring(listing).attrib["totalSize"] == str(albums - 1)


async def test_control_routes_and_request_counts(sim: PlexSimulator) -> None:
    """Request counts per route, and touch/remove, over HTTP for out-of-process callers."""
    keys = [e.rating_key for e in sim.sections[1].entries]
    await _get(sim, "/library/sections/1/all", type="10")
    await _get(sim, "/library/sections/1/all", type="9")
    await _get(sim, "/library/sections")
    assert sim.route_counts() == {
        "GET /library/sections/{key}/all": 2,
        "GET /library/sections": 1,
    }
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sim.url}/_sim/requests") as response:
            assert await response.json() == {
                "total": 3,
                "routes": {"GET /library/sections/{key}/all": 2, "GET /library/sections": 1},
            }
        async with session.post(
            f"{sim.url}/_sim/tracks/touch", json={"rating_keys": keys[:2], "updated_at": 2e9}
        ) as response:
            assert response.status == 204
        async with session.post(
            f"{sim.url}/_sim/tracks/remove", json={"rating_keys": keys[2:5]}
        ) as response:
            assert response.status == 204
        async with session.post(
            f"{sim.url}/_sim/tracks/remove", json={"rating_keys": [1]}
        ) as response:
            assert response.status == 404
        async with session.delete(f"{sim.url}/_sim/requests") as response:
            assert response.status == 204
    assert sim.requests == []
    assert [t.updated_at for t in sim.tracks()[:2]] == [datetime.fromtimestamp(2e9, UTC)] * 2
    assert len(sim.tracks()) == 93


async def test_refresh_by_post_and_refreshing_flag(sim: PlexSimulator) -> None:
    """POST (documented) and GET (plexapi) both refresh; the flag shows while the scan runs."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sim.url}/library/sections/1/refresh",
            params={"path": "/music/A & B", "X-Plex-Token": sim.token},
        ) as response,
    ):
        assert response.status == 200
    assert sim.refresh_calls == [(1, "/music/A & B")]
    assert (await _section_attrs(sim))["refreshing"] == "1"
    _, _, body = await _get(sim, "/media/providers")
    assert 'refreshing="1"' in body
    await sim.wait_idle()
    assert (await _section_attrs(sim))["refreshing"] == "0"


def test_bulk_library_is_deterministic() -> None:
    """Same count and seed, same tracks; distinct files; albums of ten."""
    first = bulk_library(120, seed=3)
    assert first == bulk_library(120, seed=3)
    assert len({t.file_path for t in first}) == 120
    assert len({(t.artist, t.album) for t in first}) == 12
    assert len({t.artist for t in first}) == 3


async def test_command_line_bulk_section() -> None:
    """``python -m tests.simulators.plex --tracks N`` serves N tracks and says where first."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "tests.simulators.plex", "--port", "0", "--tracks", "250"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        match = re.search(r"on (http://\S+) \(token (\S+)\)", line)
        assert match is not None, line
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{match[1]}/library/sections/1/all",
                params={"type": "10", "X-Plex-Container-Size": "0", "X-Plex-Token": match[2]},
            ) as response,
        ):
            body = await response.text()
    finally:
        process.terminate()
        await process.wait()
    assert ET.fromstring(body).attrib["totalSize"] == "250"


async def test_unknown_filters_are_dropped(sim: PlexSimulator) -> None:
    """Plex ignores a filter on a field it does not know: 200 and the whole listing."""
    query = f"type=10&moodiness%3E%3E=5&X-Plex-Token={sim.token}"
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sim.url}/library/sections/1/all?{query}") as response,
    ):
        assert response.status == 200
        body = await response.text()
    assert len(_items(body)) == len(sim.tracks())
