"""PlexClient against the loopback Plex simulator (plexapi over real sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
import socket
import threading
import time
from typing import Any

import mutagen.flac
import numpy as np
import pytest
import requests
import soundfile

from custom_components.harmony_music.clients.errors import (
    CannotConnectError,
    InvalidAuthError,
    NotFoundError,
    RateLimitedError,
)
from custom_components.harmony_music.clients.plex import (
    KEY_FIELDS,
    SNAPSHOT_FIELDS,
    ListingChangedError,
    PlexClient,
)
from tests.simulators import plex as plex_sim_module
from tests.simulators.faults import FaultRule
from tests.simulators.plex import PlexLibraryTrack, PlexSimulator, bulk_library, demo_library

pytestmark = pytest.mark.usefixtures("socket_enabled")

START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    """The music folder the simulated Plex section watches."""
    path = tmp_path / "music"
    path.mkdir()
    return path


@pytest.fixture
async def sim(library_dir: Path) -> AsyncIterator[PlexSimulator]:
    """A running simulator with a small seeded library."""
    simulator = PlexSimulator(library_dir=library_dir, refresh_seconds=0.2, expose_isrc=True)
    simulator.add_tracks(simulator.music_section_key, demo_library(7, root=str(library_dir)))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def client(sim: PlexSimulator) -> AsyncIterator[PlexClient]:
    """A client of the simulator with a short timeout."""
    assert sim.url is not None
    plex = PlexClient(sim.url, sim.token, timeout=2)
    yield plex
    await plex.async_close()


def _section(sim: PlexSimulator) -> str:
    return str(sim.music_section_key)


def _all_track_requests(sim: PlexSimulator) -> list[plex_sim_module.SimRequest]:
    return [
        r
        for r in sim.requests
        if r.path == f"/library/sections/{sim.music_section_key}/all"
        and r.query.get("type") == "10"
    ]


async def test_identity(sim: PlexSimulator, client: PlexClient) -> None:
    """The identity is the simulated server's."""
    identity = await client.async_identity()
    assert identity.machine_identifier == sim.machine_identifier
    assert identity.friendly_name == sim.friendly_name
    assert identity.version == sim.version


async def test_music_sections_are_chosen_by_type(sim: PlexSimulator, client: PlexClient) -> None:
    """Only sections of type "artist" come back, whatever their titles say."""
    sim.add_section("Music Videos", "movie", ["/videos"])
    audiobooks = sim.add_section("Hörbücher", "artist", ["/books"])
    sections = await client.async_music_sections()
    assert [(s.key, s.title) for s in sections] == [
        (str(sim.music_section_key), "Music"),
        (str(audiobooks), "Hörbücher"),
    ]
    assert sections[0].locations == (str(sim.library_dir),)
    assert sections[0].refreshing is False


async def test_statistics_use_empty_pages(sim: PlexSimulator, client: PlexClient) -> None:
    """Counts match the content, read from totalSize without listing anything."""
    tracks = sim.tracks()
    stats = await client.async_statistics(_section(sim))
    assert stats.tracks == len(tracks)
    assert stats.artists == len({t.album_artist or t.artist for t in tracks})
    assert stats.albums == len({(t.album_artist or t.artist, t.album) for t in tracks})
    listings = [r for r in sim.requests if r.path.endswith("/all")]
    assert len(listings) == 3
    assert all(r.container_size == 0 for r in listings)


async def test_statistics_of_a_movie_section_is_not_found(
    sim: PlexSimulator, client: PlexClient
) -> None:
    """A movie section is no music library."""
    with pytest.raises(NotFoundError):
        await client.async_statistics(str(sim.movie_section_key))
    with pytest.raises(NotFoundError):
        await client.async_statistics("99")


async def test_tracks_carry_everything_the_matcher_needs(
    sim: PlexSimulator, client: PlexClient
) -> None:
    """Each simulated track comes back with its tags, file, dates and guids."""
    compilation = PlexLibraryTrack(
        title="Guest Spot",
        artist="Solo Singer",
        album="Summer Hits",
        year=2020,
        track_no=3,
        duration_ms=201_000,
        file_path="/music/Various/Summer Hits/03.flac",
        isrc="USABC2012345",
        added_at=START,
        album_artist="Various Artists",
    )
    [key] = sim.add_tracks(sim.music_section_key, [compilation])
    tracks = {t.rating_key: t for t in await client.async_tracks(_section(sim))}
    expected = sim.tracks()
    assert len(tracks) == len(expected)

    got = tracks[str(key)]
    assert (got.title, got.artist, got.album_artist, got.album) == (
        "Guest Spot",
        "Solo Singer",
        "Various Artists",
        "Summer Hits",
    )
    assert got.duration_ms == 201_000
    assert got.file_path == "/music/Various/Summer Hits/03.flac"
    assert got.added_at == START
    assert got.updated_at == START
    assert got.isrc == "USABC2012345"
    assert (got.year, got.track_no, got.disc_no) == (2020, 3, 1)
    assert got.as_candidate() == {
        "kind": "library",
        "title": "Guest Spot",
        "artist": "Solo Singer",
        "album": "Summer Hits",
        "duration_ms": 201_000,
        "isrc": "USABC2012345",
    }

    by_path = {t.file_path: t for t in tracks.values()}
    for source in expected:
        track = by_path[source.file_path]
        assert track.title == source.title
        assert track.artist == source.artist
        assert track.album == source.album
        assert track.duration_ms == source.duration_ms
        assert track.isrc == source.isrc
        assert (f"mbid://{source.mbid}" in track.guids) == (source.mbid is not None)


async def test_isrc_absent_when_plex_does_not_expose_it(library_dir: Path) -> None:
    """Real Plex has no ISRC field: with the simulator in that mode isrc is None."""
    sim = PlexSimulator(library_dir=library_dir)
    sim.add_tracks(sim.music_section_key, demo_library(3, artists=1, isrc_ratio=1.0))
    url = await sim.start()
    client = PlexClient(url, sim.token, timeout=2)
    try:
        tracks = await client.async_tracks(_section(sim))
    finally:
        await client.async_close()
        await sim.stop()
    assert tracks
    assert all(t.isrc is None for t in tracks)
    assert all(any(g.startswith("mbid://") for g in t.guids) for t in tracks)


async def test_large_library_is_read_in_few_large_pages(library_dir: Path) -> None:
    """5,000 tracks with the default page size of 2,000 take exactly three requests."""
    sim = PlexSimulator(library_dir=library_dir)
    sim.add_tracks(
        sim.music_section_key,
        (
            PlexLibraryTrack(
                title=f"Song {n}",
                artist=f"Artist {n // 100}",
                album=f"Album {n // 10}",
                year=2000,
                track_no=n % 10 + 1,
                duration_ms=180_000 + n,
                file_path=f"/music/{n}.flac",
                added_at=START + timedelta(seconds=n),
            )
            for n in range(5000)
        ),
    )
    url = await sim.start()
    client = PlexClient(url, sim.token, timeout=10)
    try:
        started = time.perf_counter()
        tracks = await client.async_tracks(_section(sim))
        elapsed = time.perf_counter() - started
    finally:
        await client.async_close()
        await sim.stop()
    assert len(tracks) == 5000
    assert {t.title for t in tracks} == {f"Song {n}" for n in range(5000)}
    pages = _all_track_requests(sim)
    assert [(r.container_start, r.container_size) for r in pages] == [
        (0, 2000),
        (2000, 2000),
        (4000, 2000),
    ]
    assert elapsed < 15


async def test_small_pages_still_return_everything(sim: PlexSimulator, client: PlexClient) -> None:
    """A page size that does not divide the count loses and repeats nothing."""
    tracks = await client.async_tracks(_section(sim), page_size=7)
    assert sorted(t.file_path or "" for t in tracks) == sorted(t.file_path for t in sim.tracks())
    count = len(sim.tracks())
    assert len(_all_track_requests(sim)) == -(-count // 7)


async def test_server_ignoring_the_page_window_does_not_loop(
    sim: PlexSimulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that always answers the whole list is read once, without repeats."""
    monkeypatch.setattr(plex_sim_module, "_container_window", lambda request: (None, None))
    tracks = await client.async_tracks(_section(sim), page_size=7)
    assert len(tracks) == len(sim.tracks())
    assert len(_all_track_requests(sim)) == 2


async def test_updated_since_returns_only_changed_tracks(
    sim: PlexSimulator, client: PlexClient
) -> None:
    """Tracks changed at or after the timestamp come back, filtered by the server."""
    since = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)
    keys = [int(t.rating_key) for t in await client.async_tracks(_section(sim))]
    sim.touch(keys[0], since)  # the very second counts as "since"
    sim.touch(keys[5], since + timedelta(hours=1))
    sim.touch(keys[9], since - timedelta(seconds=1))
    sim.requests.clear()

    changed = await client.async_tracks(_section(sim), updated_since=since)

    assert sorted(int(t.rating_key) for t in changed) == sorted([keys[0], keys[5]])
    [listing] = _all_track_requests(sim)
    assert listing.query["track.updatedAt>>"] == str(int(since.timestamp()) - 1)


async def test_updated_since_without_server_filter(
    sim: PlexSimulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that does not advertise the field gets filtered on our side."""
    monkeypatch.setattr(
        plex_sim_module, "_meta", lambda section: plex_sim_module.ET.Element("Meta")
    )
    since = datetime(2031, 1, 1, tzinfo=UTC)
    keys = [int(t.rating_key) for t in await client.async_tracks(_section(sim))]
    sim.touch(keys[2], since + timedelta(days=1))
    sim.requests.clear()

    changed = await client.async_tracks(_section(sim), updated_since=since.replace(tzinfo=None))

    assert [int(t.rating_key) for t in changed] == [keys[2]]
    assert all("track.updatedAt>>" not in r.query for r in _all_track_requests(sim))


def _write_flac(path: Path, *, title: str, artist: str, album: str, isrc: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 8000
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(rate * 3 // 2) / rate)
    soundfile.write(path, tone.astype(np.float32), rate, format="FLAC")
    tags = mutagen.flac.FLAC(path)
    tags.update(
        {"title": title, "artist": artist, "album": album, "tracknumber": "4", "isrc": isrc}
    )
    tags.save()


async def test_refresh_with_path_picks_up_a_new_file(
    sim: PlexSimulator, client: PlexClient, library_dir: Path
) -> None:
    """A tagged file imported into the library shows up after a refresh of its folder."""
    folder = library_dir / "New Artist" / "Fresh Album"
    path = folder / "04 - Brand New.flac"
    await asyncio.to_thread(
        _write_flac,
        path,
        title="Brand New",
        artist="New Artist",
        album="Fresh Album",
        isrc="GBXYZ2400001",
    )
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert not await client.async_is_refreshing(_section(sim))

    await client.async_refresh(_section(sim), str(folder))
    assert await client.async_is_refreshing(_section(sim))
    for _ in range(100):
        if not await client.async_is_refreshing(_section(sim)):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("section never stopped refreshing")

    assert sim.refresh_calls == [(sim.music_section_key, str(folder))]
    changed = await client.async_tracks(_section(sim), updated_since=before)
    assert [(t.title, t.artist, t.album, t.track_no, t.file_path, t.isrc) for t in changed] == [
        ("Brand New", "New Artist", "Fresh Album", 4, str(path), "GBXYZ2400001")
    ]
    assert changed[0].duration_ms == 1500


async def test_refresh_whole_section(sim: PlexSimulator, client: PlexClient) -> None:
    """Without a path the whole section is scanned."""
    await client.async_refresh(_section(sim))
    assert sim.refresh_calls == [(sim.music_section_key, None)]
    with pytest.raises(NotFoundError):
        await client.async_is_refreshing("42")


async def test_playlist_upsert_creates_replaces_and_keeps_order(
    sim: PlexSimulator, client: PlexClient
) -> None:
    """A playlist is created once, replaced on change, and left alone when unchanged."""
    keys = [t.rating_key for t in await client.async_tracks(_section(sim))]
    wanted = [keys[3], keys[1], keys[2]]

    playlist_key = await client.async_upsert_playlist("Discover Weekly", wanted)
    playlist = sim.playlists[int(playlist_key)]
    assert playlist.title == "Discover Weekly"
    assert [str(k) for _, k in playlist.items] == wanted

    sim.requests.clear()
    assert await client.async_upsert_playlist("Discover Weekly", wanted) == playlist_key
    assert not [r for r in sim.requests if r.method != "GET"]

    replaced = [keys[0], keys[3]]
    assert await client.async_upsert_playlist("Discover Weekly", replaced) == playlist_key
    assert [str(k) for _, k in sim.playlists[int(playlist_key)].items] == replaced
    assert len(sim.playlists) == 1

    # A title that merely contains another one is a different playlist.
    other = await client.async_upsert_playlist("Discover", [keys[5]])
    assert other != playlist_key
    assert len(sim.playlists) == 2


async def test_playlist_may_repeat_a_track(sim: PlexSimulator, client: PlexClient) -> None:
    """The same track twice is kept twice, and an unchanged playlist is not rewritten."""
    keys = [t.rating_key for t in await client.async_tracks(_section(sim))]
    wanted = [keys[0], keys[1], keys[0]]
    playlist_key = await client.async_upsert_playlist("Repeat", wanted)
    sim.requests.clear()
    assert await client.async_upsert_playlist("Repeat", wanted) == playlist_key
    assert [str(k) for _, k in sim.playlists[int(playlist_key)].items] == wanted
    assert not [r for r in sim.requests if r.method != "GET"]


async def test_long_playlists_are_sent_in_chunks(library_dir: Path) -> None:
    """450 items go out as one create and two additions, in order."""
    sim = PlexSimulator(library_dir=library_dir)
    sim.add_tracks(
        sim.music_section_key, demo_library(2, artists=4, albums_per_artist=8, tracks_per_album=15)
    )
    url = await sim.start()
    client = PlexClient(url, sim.token, timeout=5)
    try:
        keys = [t.rating_key for t in await client.async_tracks(_section(sim))][:450]
        keys.reverse()
        playlist_key = await client.async_upsert_playlist("Everything", keys)
    finally:
        await client.async_close()
        await sim.stop()
    assert [str(k) for _, k in sim.playlists[int(playlist_key)].items] == keys
    assert sim.count_requests(r"^/playlists$", "POST") == 1
    assert sim.count_requests(r"^/playlists/\d+/items$", "PUT") == 2


async def test_new_empty_playlist_is_refused(client: PlexClient) -> None:
    """Plex cannot create a playlist without items."""
    with pytest.raises(ValueError, match="empty"):
        await client.async_upsert_playlist("Nothing", [])


async def test_bad_token_is_invalid_auth(sim: PlexSimulator) -> None:
    """A rejected token raises InvalidAuthError."""
    assert sim.url is not None
    client = PlexClient(sim.url, "wrong-token", timeout=2)
    try:
        with pytest.raises(InvalidAuthError):
            await client.async_identity()
    finally:
        await client.async_close()


async def test_unreachable_server(socket_enabled: None) -> None:
    """Nothing listening on the port raises CannotConnectError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PlexClient(f"http://127.0.0.1:{port}", "token", timeout=1)
    try:
        with pytest.raises(CannotConnectError):
            await client.async_identity()
    finally:
        await client.async_close()


async def test_transient_server_error_is_retried(sim: PlexSimulator, client: PlexClient) -> None:
    """One 503 is retried transparently."""
    sim.faults.add(FaultRule(path="^/$", status=503, times=1))
    await client.async_identity()
    assert sim.count_requests("^/$") == 2


async def test_persistent_server_error_cannot_connect(
    sim: PlexSimulator, client: PlexClient
) -> None:
    """A 500 that does not go away raises CannotConnectError."""
    sim.faults.add(FaultRule(path="/library/sections$", status=500))
    with pytest.raises(CannotConnectError):
        await client.async_music_sections()


async def test_rate_limit_honours_retry_after(sim: PlexSimulator, client: PlexClient) -> None:
    """A 429 with Retry-After is waited out, then the call succeeds."""
    await client.async_identity()
    sim.faults.add(FaultRule(path="/all$", status=429, retry_after=1, times=1))
    started = time.monotonic()
    stats = await client.async_statistics(_section(sim))
    assert stats.tracks == len(sim.tracks())
    assert time.monotonic() - started >= 0.9


async def test_persistent_rate_limit(sim: PlexSimulator, client: PlexClient) -> None:
    """A 429 that never ends raises RateLimitedError."""
    sim.faults.add(FaultRule(path="/all$", status=429))
    with pytest.raises(RateLimitedError):
        await client.async_statistics(_section(sim))


async def test_hang_times_out(sim: PlexSimulator) -> None:
    """A server that never answers raises CannotConnectError after the timeout."""
    assert sim.url is not None
    sim.faults.add(FaultRule(path="^/$", kind="hang", delay=30))
    client = PlexClient(sim.url, sim.token, timeout=0.4)
    started = time.monotonic()
    try:
        with pytest.raises(CannotConnectError):
            await client.async_identity()
    finally:
        await client.async_close()
    assert time.monotonic() - started < 5


async def test_dropped_connection(sim: PlexSimulator, client: PlexClient) -> None:
    """One dropped connection is retried; a server that always drops cannot be reached."""
    sim.faults.add(FaultRule(path="^/$", kind="drop", times=1))
    await client.async_identity()
    sim.faults.add(FaultRule(path="^/$", kind="drop"))
    with pytest.raises(CannotConnectError):
        await client.async_identity()


async def test_two_read_failures_in_a_row_are_retried(
    sim: PlexSimulator, client: PlexClient
) -> None:
    """A dropped connection, then a timeout, on the same page: the listing still succeeds.

    With a fifth of all requests failing (tests/test_fault_suite.py), one retry of a read let
    a scan of twenty pages fail about one run in six, and the auto-sync with it.
    """
    await client.async_identity()
    sim.faults.add(FaultRule(path="/all$", kind="hang", delay=3, times=1))
    sim.faults.add(FaultRule(path="/all$", kind="drop", times=1))
    client._timeout = 1.0
    if client._server is not None:
        client._server._timeout = 1.0
    stats = await client.async_statistics(_section(sim))
    assert stats.tracks == len(sim.tracks())


async def test_plexapi_never_runs_on_the_event_loop(
    sim: PlexSimulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every HTTP request plexapi makes comes from a thread other than the loop's."""
    loop_thread = threading.get_ident()
    callers: list[int] = []
    original = requests.Session.request

    def spy(self: requests.Session, *args: object, **kwargs: object) -> requests.Response:
        callers.append(threading.get_ident())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    await client.async_identity()
    sections = await client.async_music_sections()
    await client.async_statistics(sections[0].key)
    tracks = await client.async_tracks(sections[0].key, updated_since=START)
    await client.async_snapshot_tracks(sections[0].key, since=START)
    await client.async_track_keys(sections[0].key)
    await client.async_refresh(sections[0].key)
    await client.async_is_refreshing(sections[0].key)
    await client.async_upsert_playlist("Loop check", [tracks[0].rating_key])
    assert len(callers) >= 10
    assert loop_thread not in callers


@pytest.fixture
async def big_sim(library_dir: Path) -> AsyncIterator[PlexSimulator]:
    """A running simulator with 12,000 generated tracks."""
    simulator = PlexSimulator(library_dir=library_dir)
    simulator.add_tracks(simulator.music_section_key, bulk_library(12_000, root=str(library_dir)))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def big_client(big_sim: PlexSimulator) -> AsyncIterator[PlexClient]:
    """A client of the 12,000-track simulator."""
    assert big_sim.url is not None
    plex = PlexClient(big_sim.url, big_sim.token, timeout=10)
    yield plex
    await plex.async_close()


async def test_snapshot_reads_large_trimmed_pages(
    big_sim: PlexSimulator, big_client: PlexClient
) -> None:
    """12,000 tracks in three pages of 5,000, trimmed to the fields read, nothing missing."""
    tracks = await big_client.async_snapshot_tracks(_section(big_sim))
    pages = _all_track_requests(big_sim)
    assert [(r.container_start, r.container_size) for r in pages] == [
        (0, 5000),
        (5000, 5000),
        (10000, 5000),
    ]
    assert all(r.query["includeFields"] == SNAPSHOT_FIELDS for r in pages)
    assert big_sim.include_fields_trims  # the simulator sent nothing but those fields

    assert len(tracks) == 12_000
    by_key = {int(t.rating_key): t for t in tracks}
    for entry in big_sim.sections[big_sim.music_section_key].entries:
        got, source = by_key[entry.rating_key], entry.track
        assert (got.title, got.artist, got.album, got.album_artist) == (
            source.title,
            source.artist,
            source.album,
            source.artist,
        )
        assert got.duration_ms == source.duration_ms
        assert (got.added_at, got.updated_at) == (source.added_at, source.updated_at)
        assert got.file_paths == (source.file_path,)
        assert got.file_sizes == (source.duration_ms * 125,)
        assert got.size_bytes == source.duration_ms * 125
        assert got.guids == (f"mbid://{source.mbid}",)
        assert got.isrc is None  # Plex has no ISRC field
        assert (got.track_no, got.disc_no, got.year) == (source.track_no, 1, source.year)
    # Names repeated on every track of an album are one string object.
    albums = {(t.album_artist, t.album): t for t in tracks}
    assert all(t.album is albums[(t.album_artist, t.album)].album for t in tracks)


async def test_snapshot_since_is_one_or_query(sim: PlexSimulator, client: PlexClient) -> None:
    """Changed or added at/after ``since``: one filtered request, (updatedAt OR addedAt)."""
    since = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)
    keys = [e.rating_key for e in sim.sections[sim.music_section_key].entries]
    sim.touch(keys[0], since)  # the very second counts
    sim.touch(keys[1], since - timedelta(seconds=1))
    sim.update_track(keys[2], title="Retitled", when=since + timedelta(days=2))
    [added] = sim.add_tracks(
        sim.music_section_key,
        [
            # Added after since with an older updatedAt (a file's own date): still new.
            PlexLibraryTrack(
                "New", "A", "B", 2001, 1, 1000, "/music/new.flac", added_at=since, updated_at=START
            )
        ],
    )
    sim.remove_tracks([keys[3]])
    await client.async_identity()
    sim.requests.clear()

    changed = await client.async_snapshot_tracks(_section(sim), since=since.replace(tzinfo=None))

    assert sorted(int(t.rating_key) for t in changed) == sorted([keys[0], keys[2], added])
    assert {t.title for t in changed if int(t.rating_key) == keys[2]} == {"Retitled"}
    [listing] = _all_track_requests(sim)
    bound = str(int(since.timestamp()) - 1)
    assert listing.query["push"] == listing.query["or"] == listing.query["pop"] == "1"
    assert listing.query["track.updatedAt>>"] == listing.query["track.addedAt>>"] == bound
    # A second incremental run asks the server the same way, without fetching the meta again.
    sim.requests.clear()
    await client.async_snapshot_tracks(_section(sim), since=since)
    assert [r.route for r in sim.requests] == ["GET /library/sections/{key}/all"]


async def test_track_keys_are_a_cheap_listing(
    big_sim: PlexSimulator, big_client: PlexClient
) -> None:
    """Rating keys and updatedAt of 12,000 tracks in two requests without Media; removals show."""
    entries = big_sim.sections[big_sim.music_section_key].entries
    keys = await big_client.async_track_keys(_section(big_sim))
    assert keys == {str(e.rating_key): e.track.updated_at for e in entries}
    pages = _all_track_requests(big_sim)
    assert [(r.container_start, r.container_size) for r in pages] == [(0, 10000), (10000, 10000)]
    assert all(r.query["includeFields"] == KEY_FIELDS for r in pages)
    assert all("Media" in r.query["excludeElements"].split(",") for r in pages)

    removed = [entries[5].rating_key, entries[11_000].rating_key]
    touched = entries[7].rating_key
    big_sim.remove_tracks(removed)
    big_sim.touch(touched, datetime(2031, 1, 1, tzinfo=UTC))
    after = await big_client.async_track_keys(_section(big_sim))
    assert set(keys) - set(after) == {str(k) for k in removed}
    assert [k for k in after if after[k] != keys[k]] == [str(touched)]


async def test_track_keys_on_a_server_that_does_not_trim(library_dir: Path) -> None:
    """Before PMS 1.41.9 includeFields trims nothing; the listing is read all the same."""
    sim = PlexSimulator(library_dir=library_dir, version="1.40.2.8395-c67dce28e")
    sim.add_tracks(sim.music_section_key, demo_library(4))
    url = await sim.start()
    client = PlexClient(url, sim.token, timeout=5)
    try:
        keys = await client.async_track_keys(_section(sim))
        tracks = await client.async_snapshot_tracks(_section(sim))
    finally:
        await client.async_close()
        await sim.stop()
    entries = sim.sections[sim.music_section_key].entries
    assert keys == {str(e.rating_key): e.track.updated_at for e in entries}
    assert sorted(t.file_path or "" for t in tracks) == sorted(e.track.file_path for e in entries)


def _remove_during_listing(
    sim: PlexSimulator, monkeypatch: pytest.MonkeyPatch, *, every_page: bool
) -> None:
    """Make the simulator delete a track right after it answered a page of tracks."""
    original = PlexSimulator._paged
    pages = 0

    def paged(self: PlexSimulator, request: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal pages
        response = original(self, request, *args, **kwargs)
        if request.query.get("type") == "10" and (every_page or pages == 0):
            pages += 1
            self.remove_tracks([self.sections[1].entries[-1].rating_key])
        return response

    monkeypatch.setattr(PlexSimulator, "_paged", paged)


async def test_listing_is_read_again_when_it_changes(
    sim: PlexSimulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A track deleted between pages shifts the offsets: the listing starts over, whole."""
    _remove_during_listing(sim, monkeypatch, every_page=False)
    tracks = await client.async_snapshot_tracks(_section(sim), page_size=40)
    assert sorted(int(t.rating_key) for t in tracks) == sorted(
        e.rating_key for e in sim.sections[1].entries
    )
    assert [r.container_start for r in _all_track_requests(sim)] == [0, 40, 0, 40, 80]


async def test_listing_that_never_holds_still(
    sim: PlexSimulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A section changing under every page raises ListingChangedError after three tries."""
    _remove_during_listing(sim, monkeypatch, every_page=True)
    with pytest.raises(ListingChangedError):
        await client.async_snapshot_tracks(_section(sim), page_size=40)
    assert [r.container_start for r in _all_track_requests(sim)].count(0) == 3


async def test_statistics_in_five_requests(sim: PlexSimulator, client: PlexClient) -> None:
    """Counts, totals, change marks and the refreshing flag, none of it listed."""
    await client.async_identity()
    sim.requests.clear()
    stats = await client.async_statistics(_section(sim))
    tracks = sim.tracks()
    assert (stats.artists, stats.albums, stats.tracks) == (6, 12, len(tracks))
    assert stats.duration_ms == sum(t.duration_ms for t in tracks)
    assert stats.size_bytes == sum(t.duration_ms * 125 for t in tracks)
    assert stats.updated_at == stats.scanned_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert stats.content_changed_at == sim.sections[1].content_changed_at
    assert stats.refreshing is False
    assert sim.route_counts() == {
        "GET /library/sections": 1,
        "GET /library/sections/{key}/all": 3,
        "GET /media/providers": 1,
    }

    sim.touch(sim.sections[1].entries[0].rating_key)
    await client.async_refresh(_section(sim))
    during = await client.async_statistics(_section(sim))
    assert during.refreshing is True
    assert during.content_changed_at is not None
    assert stats.content_changed_at is not None
    assert during.content_changed_at > stats.content_changed_at
    await sim.wait_idle()
    after = await client.async_statistics(_section(sim))
    assert after.refreshing is False
    assert after.scanned_at is not None
    assert after.scanned_at > datetime(2024, 1, 1, tzinfo=UTC)
    assert after.content_changed_at == during.content_changed_at  # nothing new on disk


async def test_statistics_without_storage_totals(sim: PlexSimulator, client: PlexClient) -> None:
    """A server without /media/providers still gives counts; totals are None."""
    sim.faults.add(FaultRule(path="^/media/providers$", status=404))
    stats = await client.async_statistics(_section(sim))
    assert stats.tracks == len(sim.tracks())
    assert (stats.duration_ms, stats.size_bytes) == (None, None)


@pytest.mark.parametrize(
    "path",
    [
        "/music/Sigur Rós/Ágætis byrjun (1999)",
        "/music/Simon & Garfunkel/#1 + 100%",
        "C:\\Music\\Björk",
    ],
)
async def test_refresh_sends_the_folder_exactly(
    sim: PlexSimulator, client: PlexClient, path: str
) -> None:
    """A folder with spaces, &, #, +, %, backslashes or non-ASCII arrives as it was given."""
    await client.async_refresh(_section(sim), path)
    assert sim.refresh_calls == [(sim.music_section_key, path)]
    [request] = [r for r in sim.requests if r.path.endswith("/refresh")]
    assert request.method == "GET"
    assert request.query == {"path": path}


async def test_refresh_of_an_unknown_section(client: PlexClient) -> None:
    """No such section: NotFoundError, nothing refreshed."""
    with pytest.raises(NotFoundError):
        await client.async_refresh("42", "/music/x")
    with pytest.raises(ValueError, match="empty"):
        await client.async_refresh("1", "")


_CALLS: dict[str, Callable[[PlexClient], Awaitable[object]]] = {
    "snapshot": lambda c: c.async_snapshot_tracks("1"),
    "snapshot_since": lambda c: c.async_snapshot_tracks("1", since=START),
    "track_keys": lambda c: c.async_track_keys("1"),
    "statistics": lambda c: c.async_statistics("1"),
    "refresh": lambda c: c.async_refresh("1", "/music/x"),
    "is_refreshing": lambda c: c.async_is_refreshing("1"),
}


@pytest.mark.parametrize("call", sorted(_CALLS))
async def test_revoked_token_is_invalid_auth(
    sim: PlexSimulator, client: PlexClient, call: str
) -> None:
    """A token revoked after connecting (401 mid-way) raises InvalidAuthError."""
    await client.async_identity()
    sim.token = "revoked"
    with pytest.raises(InvalidAuthError):
        await _CALLS[call](client)


@pytest.mark.parametrize("call", sorted(_CALLS))
async def test_server_gone_is_cannot_connect(
    sim: PlexSimulator, client: PlexClient, call: str
) -> None:
    """A server that went away after connecting raises CannotConnectError."""
    await client.async_identity()
    await sim.stop()
    with pytest.raises(CannotConnectError):
        await _CALLS[call](client)


@pytest.mark.parametrize("call", sorted(_CALLS))
async def test_server_error_is_cannot_connect(
    sim: PlexSimulator, client: PlexClient, call: str
) -> None:
    """A lasting 500 on every library route raises CannotConnectError."""
    await client.async_identity()
    sim.faults.add(FaultRule(path="^/(library|media)/"))
    with pytest.raises(CannotConnectError):
        await _CALLS[call](client)


async def test_since_without_an_added_at_filter(
    sim: PlexSimulator, client: PlexClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that can filter updatedAt but not addedAt is listed whole and filtered here.

    Filtering on updatedAt alone would lose a track added after ``since`` with an older
    updatedAt.
    """
    original = plex_sim_module._meta

    def meta_without_added_at(section: Any) -> Any:
        meta = original(section)
        for type_ in meta.iter("Type"):
            for field in list(type_.iter("Field")):
                if field.attrib["key"].endswith("addedAt"):
                    type_.remove(field)
        return meta

    monkeypatch.setattr(plex_sim_module, "_meta", meta_without_added_at)
    since = datetime(2032, 1, 1, tzinfo=UTC)
    [added] = sim.add_tracks(
        sim.music_section_key,
        [
            PlexLibraryTrack(
                "Late", "A", "B", 2001, 1, 1000, "/l.flac", added_at=since, updated_at=START
            )
        ],
    )
    changed = await client.async_snapshot_tracks(_section(sim), since=since)
    assert [int(t.rating_key) for t in changed] == [added]
    assert all("push" not in r.query for r in _all_track_requests(sim))
