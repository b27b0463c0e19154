"""Fidelity of the Plex simulator: unmodified plexapi (and raw HTTP) against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.library import MovieSection, MusicSection
from plexapi.server import PlexServer
import pytest
import requests

from tests.simulators.plex import PlexLibraryTrack, PlexSimulator, demo_library

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
