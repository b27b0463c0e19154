"""The auto-sync test world is what it claims, seen through the integration's clients and engine."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator
from pathlib import Path
import re
from typing import Any

import aiohttp
import mutagen
import pytest

from custom_components.harmony_music.autosync_collect import SAVED, async_collect
from custom_components.harmony_music.clients.plex import PlexClient
from custom_components.harmony_music.clients.slskd import (
    SearchBudget,
    SlskdClient,
    SlskdSearchResponse,
)
from custom_components.harmony_music.clients.spotify import SpotifyClient
from custom_components.harmony_music.engine.file_choice import (
    FileChoice,
    Peer,
    QualityRules,
    choose_files,
)
from custom_components.harmony_music.engine.library_index import LibraryIndex
from custom_components.harmony_music.engine.library_item import library_candidate
from custom_components.harmony_music.engine.thresholds import DEFAULT_CONFIDENCE_THRESHOLD
from custom_components.harmony_music.store import Store
from tests.autosync_world import (
    DOWNLOAD,
    LOW_QUALITY,
    NOT_FOUND,
    OWNED,
    AutoSyncWorld,
    FileRef,
    build_world,
)
from tests.simulators.plex import PlexSimulator, demo_library
from tests.simulators.slskd import SlskdSimulator
from tests.simulators.spotify import SpotifySimulator, SpotifyTrackRecord

pytestmark = pytest.mark.real_services

# Auto-sync's default options: formats flac, mp3; lossy files at 256 kbit/s or more.
RULES = QualityRules(min_bitrate=256, preferred_formats=("flac", "mp3"))


@pytest.fixture
async def plex_sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[PlexSimulator]:
    """Plex with a demo library in its music section (the world replaces it)."""
    (tmp_path / "music").mkdir()
    simulator = PlexSimulator(library_dir=tmp_path / "music", refresh_seconds=0.1)
    simulator.add_tracks(simulator.music_section_key, demo_library(3))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def slskd_sim(socket_enabled: None, tmp_path: Path) -> AsyncGenerator[SlskdSimulator]:
    """slskd with the demo peers (the world replaces them), 100x faster than real time."""
    simulator = SlskdSimulator(tmp_path / "downloads", time_scale=0.01, version="0.26.0")
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def world(
    spotify_sim: SpotifySimulator, plex_sim: PlexSimulator, slskd_sim: SlskdSimulator
) -> AutoSyncWorld:
    """The world, over the demo content of all three simulators."""
    return build_world(spotify_sim, plex_sim, plex_sim.music_section_key, slskd_sim, seed=7)


@pytest.fixture
def spotify(spotify_sim: SpotifySimulator, http_session: aiohttp.ClientSession) -> SpotifyClient:
    """The integration's Spotify client with a freshly granted token."""
    token = str(spotify_sim.issue_tokens()["access_token"])

    async def provider() -> str:
        return token

    return SpotifyClient(http_session, provider, base_url=f"{spotify_sim.url}/v1")


@pytest.fixture
async def plex(plex_sim: PlexSimulator) -> AsyncGenerator[PlexClient]:
    """The integration's Plex client."""
    assert plex_sim.url is not None
    client = PlexClient(plex_sim.url, plex_sim.token, timeout=5)
    yield client
    await client.async_close()


@pytest.fixture
def slskd(slskd_sim: SlskdSimulator, http_session: aiohttp.ClientSession) -> SlskdClient:
    """The integration's slskd client, without the Soulseek search budget."""
    budget = SearchBudget(limit=10_000, window=1)
    return SlskdClient(http_session, slskd_sim.url, slskd_sim.api_key, budget=budget)


async def search(slskd: SlskdClient, text: str) -> list[SlskdSearchResponse]:
    """A search as auto-sync runs it (5 slskd seconds: 50 ms here)."""
    return await slskd.async_search(text, timeout_ms=5000, poll_interval=0.01)


def refs(responses: list[SlskdSearchResponse]) -> set[FileRef]:
    """(username, filename) of every file found."""
    return {(r.username, f.filename) for r in responses for f in r.files}


def choose(
    track: dict[str, Any], responses: list[SlskdSearchResponse]
) -> tuple[list[FileChoice], list[FileChoice]]:
    """The engine's file choice over search responses, with the default rules."""
    offered = [
        (
            Peer(r.username, r.has_free_upload_slot, r.queue_length, r.upload_speed),
            [f.as_candidate(r.username) for f in r.files],
        )
        for r in responses
    ]
    return choose_files(track, offered, RULES, threshold=DEFAULT_CONFIDENCE_THRESHOLD)


def chosen(choices: list[FileChoice]) -> list[FileRef]:
    return [(c.username, c.filename) for c in choices]


# --- the world itself ---------------------------------------------------------------------------


def test_world_contents(world: AutoSyncWorld, spotify_sim: SpotifySimulator) -> None:
    """Counts, overlaps, albums, lengths, the variant and the decoy are as the docstring says."""
    assert world.counts() == Counter({OWNED: 29, DOWNLOAD: 20, NOT_FOUND: 5, LOW_QUALITY: 4})
    playlist, saved = world.playlist.track_ids, world.saved_ids
    assert len(playlist) == len(set(playlist)) == 50
    assert len(saved) == len(set(saved)) == 20
    assert len(set(playlist) & set(saved)) == 12
    assert set(world.tracks) == set(playlist) | set(saved) == set(world.expected)
    assert len(world.ids(OWNED)) * 2 in (len(world.tracks), len(world.tracks) + 1)  # half
    assert world.playlist.owner_id == spotify_sim.user.id
    # The demo catalogue is gone: the world is the whole account.
    assert set(spotify_sim.tracks) == set(world.tracks)
    assert list(spotify_sim.playlists) == spotify_sim.user.playlist_ids == [world.playlist.id]
    assert {world.playlist.id, "saved"} == set().union(*map(world.sources, world.tracks))
    # Each outcome occurs in the playlist and among the saved tracks.
    for outcome in (OWNED, DOWNLOAD, NOT_FOUND, LOW_QUALITY):
        assert {t for t in playlist if world.expected[t] == outcome}
        assert {t for t in saved if world.expected[t] == outcome}

    # Albums where searching by album pays off, and singles.
    wanted = Counter(world.album_of[t] for t in world.ids(DOWNLOAD))
    assert len([album for album, n in wanted.items() if 3 <= n <= 6]) >= 3
    singles = [t for t in world.tracks.values() if t.album[1] == t.name]
    assert {world.expected[t.id] for t in singles} == {OWNED, DOWNLOAD, NOT_FOUND, LOW_QUALITY}
    # A featured artist is credited, and a remaster's title carries a suffix the shares lack.
    assert any(len(record.artists) > 1 for record in world.tracks.values())
    assert any(" - 2020 Remaster" in record.name for record in world.tracks.values())

    shared = {(p.username, f.filename): f for p in world.peers for f in p.files}
    for track_id in world.ids(DOWNLOAD):
        good = world.acceptable[track_id]
        assert good
        assert good <= world.recording_files[track_id]
        for ref in good:
            file = shared[ref]
            assert not file.is_locked
            assert file.filename.endswith(".flac") or (file.bit_rate or 0) >= 256
    for track_id in world.ids(LOW_QUALITY):
        assert world.low_quality_files[track_id] == world.recording_files[track_id]
        assert {shared[ref].bit_rate for ref in world.low_quality_files[track_id]} == {128}
    assert not any(world.recording_files[t] for t in world.ids(NOT_FOUND))
    # Right files announce the track's length (within a second).
    for track_id, files in world.recording_files.items():
        for ref in files:
            assert abs(shared[ref].length - world.tracks[track_id].duration_ms / 1000) <= 1
    # Several peers for some tracks; low-quality and locked copies of wanted ones.
    assert any(len({u for u, _ in world.acceptable[t]}) >= 2 for t in world.ids(DOWNLOAD))
    extra = [shared[r] for t in world.ids(DOWNLOAD) for r in world.recording_files[t]]
    assert any(f.bit_rate == 128 for f in extra)
    assert any(f.is_locked for f in extra)
    # Whole album folders, the owned tracks' files too.
    folders = Counter((u, f.rsplit("\\", 1)[0]) for u, f in shared)
    assert max(folders.values()) >= 7

    # The spelling variant: every field spelled otherwise, owned all the same.
    variant = world.variant
    assert world.expected[variant.track_id] == OWNED
    assert all(a != b for a, b in zip(variant.spotify, variant.plex, strict=True))
    plex_item = world.plex_tracks[variant.track_id]
    assert (plex_item.artist, plex_item.title, plex_item.album) == variant.plex

    # The decoy: another recording, in another folder, never acceptable, and of another length.
    decoy = world.decoy
    assert world.expected[decoy.track_id] == DOWNLOAD
    assert decoy.decoy not in world.acceptable[decoy.track_id]
    assert decoy.real == world.acceptable[decoy.track_id]
    assert all(
        folder.rsplit("\\", 1)[0] != decoy.decoy[1].rsplit("\\", 1)[0] for _, folder in decoy.real
    )
    assert re.search(r"\(Live\b", decoy.decoy[1])
    spotify_s = world.tracks[decoy.track_id].duration_ms / 1000
    assert abs(decoy.decoy_length - spotify_s) > 5
    assert shared[decoy.decoy].filename.endswith(".flac")  # better looking than the real one


def test_seed_changes_ids_not_outcomes(tmp_path: Path) -> None:
    """Another seed: other ids and order, the same counts and names."""

    def make(seed: int) -> AutoSyncWorld:
        plex = PlexSimulator()
        return build_world(
            SpotifySimulator(),
            plex,
            plex.music_section_key,
            SlskdSimulator(tmp_path / "downloads", peers=[]),
            seed,
        )

    first, again, other = make(0), make(0), make(1)
    assert first.expected == again.expected
    assert first.acceptable == again.acceptable
    assert set(first.tracks).isdisjoint(other.tracks)
    assert first.counts() == other.counts()
    names = sorted(r.name for r in first.tracks.values())
    assert names == sorted(r.name for r in other.tracks.values())


# --- through the clients ------------------------------------------------------------------------


async def test_spotify_account(
    world: AutoSyncWorld,
    spotify: SpotifyClient,
    spotify_sim: SpotifySimulator,
    http_session: aiohttp.ClientSession,
) -> None:
    """One owned playlist of 50 tracks and 20 saved tracks, read whole by the client."""
    user = await spotify.async_current_user()
    playlists = await spotify.async_playlists()
    assert [(p.id, p.name, p.owner_id) for p in playlists] == [
        (world.playlist.id, world.playlist.name, user.id)
    ]
    items = await spotify.async_playlist_tracks(world.playlist.id)
    assert [item.track.id for item in items] == world.playlist.track_ids
    saved = await spotify.async_saved_tracks()
    assert [entry.track.id for entry in saved] == world.saved_ids
    for track in [item.track for item in items] + [entry.track for entry in saved]:
        record = world.tracks[track.id or ""]
        assert (track.name, track.duration_ms, track.isrc) == (
            record.name,
            record.duration_ms,
            record.isrc,
        )

    # Paged by hand in small pages: every item once, in order, ``next`` ending the list.
    headers = {"Authorization": f"Bearer {spotify_sim.issue_tokens()['access_token']}"}
    seen: list[str] = []
    url: str | None = f"{spotify_sim.url}/v1/playlists/{world.playlist.id}/items?limit=7"
    pages = 0
    while url:
        async with http_session.get(url, headers=headers) as response:
            page = await response.json()
        assert page["total"] == 50
        seen.extend(entry["item"]["id"] for entry in page["items"])
        url, pages = page["next"], pages + 1
    assert (seen, pages) == (world.playlist.track_ids, 8)


async def test_collect_leaves_out_and_counts_local_episode_and_unplayable_entries(
    world: AutoSyncWorld, spotify: SpotifyClient, spotify_sim: SpotifySimulator, tmp_path: Path
) -> None:
    """A local file and an episode in the playlist, an unplayable saved track: counted, not kept."""
    odd = {
        "local00000000000000000": {"is_local": True},
        "episode000000000000000": {"is_episode": True},
        "unplayable000000000000": {"is_playable": False},
    }
    for track_id, kind in odd.items():
        spotify_sim.add_track(
            SpotifyTrackRecord(
                track_id,
                f"Odd {track_id[:5]}",
                [("artist0000000000000000", "Odd")],
                ("album00000000000000000", "Odd", "2020"),
                200_000,
                None,
                **kind,
            )
        )
    playlist = spotify_sim.playlists[world.playlist.id]
    playlist.add_tracks(["local00000000000000000", "episode000000000000000"])
    spotify_sim.user.saved.insert(0, ("unplayable000000000000", "2026-12-01T00:00:00Z"))
    store = Store(tmp_path / "collect.db")
    await store.async_open()
    try:
        collected = await async_collect(spotify, store, [])
    finally:
        await store.async_close()
    assert collected.left_out == 3
    assert set(collected.tracks) == set(world.tracks)  # none of the three among them
    assert collected.sources[world.saved_ids[0]] >= {SAVED}


async def test_plex_holds_exactly_the_owned_tracks(world: AutoSyncWorld, plex: PlexClient) -> None:
    """The section lists the owned tracks as Plex spells them, and nothing else."""
    tracks = await plex.async_snapshot_tracks(str(world.plex_section_key))
    assert sorted(int(t.rating_key) for t in tracks) == sorted(world.plex_keys.values())
    listed = Counter((t.artist, t.title, t.album) for t in tracks)
    assert listed == Counter((p.artist, p.title, p.album) for p in world.plex_tracks.values())
    assert len(tracks) == len(world.ids(OWNED))
    assert all(t.isrc is None for t in tracks)  # matched by names, as with a real Plex


async def test_library_diff_finds_exactly_the_missing_tracks(
    world: AutoSyncWorld, spotify: SpotifyClient, plex: PlexClient
) -> None:
    """The matching engine owns the owned tracks (the variant too) and no missing one."""
    snapshot = await plex.async_snapshot_tracks(str(world.plex_section_key))
    library = [
        library_candidate(t.title, t.artist, t.album, t.duration_ms, t.isrc) for t in snapshot
    ]
    index = LibraryIndex(library)
    items = await spotify.async_playlist_tracks(world.playlist.id)
    saved = await spotify.async_saved_tracks()
    raw = {str(t.id): t.raw for t in [i.track for i in items] + [s.track for s in saved]}
    assert set(raw) == set(world.tracks)
    for track_id, track in raw.items():
        found = index.match(track)
        if world.expected[track_id] == OWNED:
            assert found is not None, world.tracks[track_id].name
            assert int(snapshot[found[0]].rating_key) == world.plex_keys[track_id]
        else:
            assert found is None, (world.tracks[track_id].name, found)
    variant = index.match(raw[world.variant.track_id])
    assert variant is not None
    assert snapshot[variant[0]].artist == world.variant.plex[0]


async def test_searches_find_what_the_world_promises(
    world: AutoSyncWorld, slskd: SlskdClient
) -> None:
    """ "<artist> <title>": the acceptable file for downloads, 128k for low quality, else nothing."""
    for track_id in world.ids(DOWNLOAD):
        track, good = world.web_track(track_id), world.acceptable[track_id]
        responses = await search(slskd, world.search_text(track_id))
        assert refs(responses) & good, world.search_text(track_id)
        best, _ = choose(track, responses)
        assert best, world.search_text(track_id)
        assert set(chosen(best)) <= good, (world.search_text(track_id), chosen(best))

    for track_id in world.ids(LOW_QUALITY):
        responses = await search(slskd, world.search_text(track_id))
        assert refs(responses) == world.low_quality_files[track_id]
        assert {f.bit_rate for r in responses for f in r.files} == {128}
        best, low = choose(world.web_track(track_id), responses)
        assert best == []
        assert set(chosen(low)) == world.low_quality_files[track_id]

    for track_id in world.ids(NOT_FOUND):
        assert refs(await search(slskd, world.search_text(track_id))) == set()
        for query in world.queries(track_id):
            best, low = choose(world.web_track(track_id), await search(slskd, query))
            assert (best, low) == ([], []), query


async def test_decoy_is_found_and_never_chosen(world: AutoSyncWorld, slskd: SlskdClient) -> None:
    """The live recording is a hit beside the real file, from a better peer, and never chosen."""
    decoy = world.decoy
    track = world.web_track(decoy.track_id)
    for query in world.queries(decoy.track_id):
        responses = await search(slskd, query)
        found = refs(responses)
        assert decoy.real <= found, query
        # The title searches find the live file; the album search finds live files of others.
        assert any(user == decoy.decoy[0] for user, _ in found), query
        assert (decoy.decoy in found) is ("Signal Fire" in query), query
        best, low = choose(track, responses)
        assert decoy.decoy not in chosen(best) + chosen(low)
        assert chosen(best)[0] in decoy.real
    responses = await search(slskd, world.search_text(decoy.track_id))
    assert refs(responses) == {decoy.decoy, *decoy.real}  # the only other exact-title hit
    by_user = {r.username: r for r in responses}
    decoy_peer, real_peer = by_user[decoy.decoy[0]], by_user[next(iter(decoy.real))[0]]
    assert decoy_peer.upload_speed > real_peer.upload_speed
    assert decoy_peer.has_free_upload_slot
    assert decoy_peer.queue_length == 0


async def test_album_search_pays_off(world: AutoSyncWorld, slskd: SlskdClient) -> None:
    """One "<artist> <album>" search finds a right file for every wanted track of an album."""
    albums = {
        album: ids
        for album, ids in world.wanted_albums().items()
        if all(world.expected[t] == DOWNLOAD for t in ids) and len(ids) >= 3
    }
    assert len(albums) >= 3
    for ids in albums.values():
        responses = await search(slskd, world.album_search_text(ids[0]))
        for track_id in ids:
            best, _ = choose(world.web_track(track_id), responses)
            assert best
            assert set(chosen(best)) <= world.acceptable[track_id]


async def test_acceptable_files_download_as_real_audio(
    world: AutoSyncWorld, slskd: SlskdClient, slskd_sim: SlskdSimulator
) -> None:
    """A FLAC and an MP3 the world accepts arrive tagged, lasting what search announced."""
    flac = next(
        ref
        for track_id in world.ids(DOWNLOAD)
        for ref in sorted(world.acceptable[track_id])
        if ref[1].endswith(".flac")
    )
    mp3 = next(iter(world.decoy.real))
    for username, filename in (flac, mp3):
        shared = world.shared(username, filename)
        result = await slskd.async_enqueue_download(username, [(filename, shared.size)])
        assert [t.filename for t in result.enqueued] == [filename]
        transfer_id = result.enqueued[0].id
        async with asyncio.timeout(10):
            while (
                slskd_sim.downloads_dir
                not in (slskd_sim.transfer_path(transfer_id) or Path("/")).parents
            ):
                await asyncio.sleep(0.02)
        path = slskd_sim.transfer_path(transfer_id)
        audio = mutagen.File(path, easy=True)  # type: ignore[attr-defined]
        assert audio is not None
        assert abs(audio.info.length - shared.length) <= 5
        assert audio.tags["title"] == [shared.title]
        assert audio.tags["artist"] == [shared.artist]
        track_id = next(
            t for t, refs in world.recording_files.items() if (username, filename) in refs
        )
        assert abs(audio.info.length - world.tracks[track_id].duration_ms / 1000) <= 5
