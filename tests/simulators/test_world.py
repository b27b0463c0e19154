"""The generated world: deterministic, sized, realistic, and its ground truth holds up."""

from __future__ import annotations

from pathlib import Path
import re
import time

import pytest

from tests.simulators.plex import PlexSimulator
from tests.simulators.slskd import SharedFile
from tests.simulators.spotify import SpotifySimulator
from tests.simulators.world import GOOD_QUALITIES, World

ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{2}\d{5}$")
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


@pytest.fixture(scope="module")
def world() -> World:
    """One small world shared by the read-only tests below."""
    return World.generate(seed=11, scale="small")


def test_same_seed_same_world_other_seed_other_world() -> None:
    """Every view is reproducible from the seed."""
    first, second = World.generate(seed=5, scale=0.02), World.generate(seed=5, scale=0.02)
    assert first.summary() == second.summary()
    assert [(t.id, t.title, t.isrc) for t in first.tracks] == [
        (t.id, t.title, t.isrc) for t in second.tracks
    ]
    assert first.spotify_records() == second.spotify_records()
    assert first.plex_tracks() == second.plex_tracks()
    assert first.soulseek_peers() == second.soulseek_peers()
    assert first.missing == second.missing
    other = World.generate(seed=6, scale=0.02)
    catalogue = {t.id for t in first.tracks if not t.is_local}
    assert catalogue.isdisjoint(t.id for t in other.tracks)


def test_default_size_and_speed() -> None:
    """Thousands of artists, albums and tracks, generated (and converted) in seconds."""
    started = time.perf_counter()
    world = World.generate(seed=0)
    generated = time.perf_counter() - started
    files = sum(len(peer.files) for peer in world.soulseek_peers())
    plex = world.plex_tracks()
    total = time.perf_counter() - started
    catalogue = [t for t in world.tracks if not t.is_local]
    assert (len(world.artists), len(world.albums), len(catalogue)) == (2_000, 5_000, 40_000)
    assert generated < 3.5, generated  # measured ~1 s; headroom for a busy machine
    assert total < 7, total
    assert files > 40_000
    assert len(plex) > 10_000
    sizes = sorted(
        len([i for i in p.track_ids if not world.track(i).is_local]) for p in world.playlists
    )
    assert sizes[0] == 5
    assert sizes[-1] == 500


def test_small_scale_is_proportional(world: World) -> None:
    """Scale shrinks the catalogue linearly; the user's library keeps its shape."""
    catalogue = [t for t in world.tracks if not t.is_local]
    assert (len(world.artists), len(world.albums), len(catalogue)) == (100, 250, 2_000)
    assert any(p.owned for p in world.playlists)
    assert any(not p.owned for p in world.playlists)
    assert all(5 <= len(p.track_ids) <= 501 for p in world.playlists)
    assert len(world.saved) == 75


def test_names_and_identifiers_look_real(world: World) -> None:
    """Bands and people, diacritics, other scripts, features; valid, unique ISRCs and ids."""
    artists = [a.name for a in world.artists]
    assert sum(name.startswith("The ") for name in artists) >= 10
    assert any(not name.isascii() and all(ord(c) < 0x250 for c in name) for name in artists)
    assert any(any(ord(c) > 0x370 for c in name) for name in artists)  # Cyrillic, CJK, ...
    tracks = [t for t in world.tracks if not t.is_local]
    assert any(t.featured for t in tracks)
    assert any("(feat. " in t.title for t in tracks)
    isrcs = [t.isrc for t in tracks if t.isrc]
    assert len(isrcs) == len(set(isrcs)) > 0.95 * len(tracks)
    assert all(ISRC.match(isrc) for isrc in isrcs)
    assert all(SPOTIFY_ID.match(t.id) for t in world.tracks)
    assert all(75_000 <= t.duration_ms <= 720_000 for t in tracks)
    years = [t.year for t in tracks]
    assert min(years) < 1990
    assert max(years) > 2015
    # Featured artists show up as extra Spotify artists.
    records = {r.id: r for r in world.spotify_records().tracks}
    featured = next(t for t in tracks if t.featured)
    assert [name for _, name in records[featured.id].artists] == [
        featured.artist,
        *featured.featured,
    ]


def test_spotify_and_plex_simulators_load_the_world(world: World, tmp_path: Path) -> None:
    """The converters produce what the simulators take, with owned and followed playlists."""
    spotify = SpotifySimulator()
    world.load_spotify(spotify)
    assert len(spotify.tracks) == len(world.tracks)
    owners = {p.owner_id for p in spotify.playlists.values()}
    assert spotify.user.id in owners
    assert len(owners) > 1
    assert [track_id for track_id, _ in spotify.user.saved] == [i for i, _ in world.saved]
    assert any(t.is_local for t in spotify.tracks.values())
    assert any(not t.is_playable for t in spotify.tracks.values())

    plex = PlexSimulator(library_dir=tmp_path)
    world.load_plex(plex)
    assert len(plex.tracks()) == len(world.plex)
    assert all(t.file_path.startswith(str(tmp_path)) for t in plex.tracks())


def _in_plex_view(world: World, track_id: str) -> bool:
    """Whether the Plex view holds this recording: same album slot, title and duration."""
    track = world.track(track_id)
    for item in world.plex_tracks():
        if (
            item.track_no == track.track_no
            and item.album.startswith(track.album)
            and item.title.startswith(track.title)
            and abs(item.duration_ms - track.duration_ms) <= 1_500
        ):
            return True
    return False


def test_plex_holds_seventy_percent_with_noise(world: World) -> None:
    """Missing = wanted - Plex, checked against what the Plex simulator would serve."""
    wanted, missing = world.wanted, set(world.missing)
    assert missing <= wanted
    assert len(wanted - missing) == round(0.7 * len(wanted))
    assert not world.skipped & wanted
    for track_id in sorted(missing)[:40]:
        assert not _in_plex_view(world, track_id), world.track(track_id)
    for track_id in sorted(wanted - missing)[:40]:
        assert _in_plex_view(world, track_id), world.track(track_id)
    noise = {kind for entry in world.plex for kind in entry.noise}
    assert noise >= {"remastered", "deluxe", "no_isrc", "feat_in_title", "live_version"}
    plex = world.plex_tracks()
    assert any("Remastered" in t.title for t in plex)
    assert any(t.isrc is None for t in plex)
    assert any(t.isrc for t in plex)


def _real_copies(world: World, track_id: str, files: list[SharedFile]) -> list[SharedFile]:
    track = world.track(track_id)
    return [
        f for f in files if (f.title, f.artist, f.album) == (track.title, track.artist, track.album)
    ]


def _quality(file: SharedFile) -> str:
    if file.bit_rate is None:
        return "flac24" if file.bit_depth == 24 else "flac16"
    return {320: "mp3_320", 245: "mp3_v0", 192: "mp3_192", 128: "mp3_128"}[file.bit_rate]


def test_soulseek_layouts_qualities_and_decoys(world: World) -> None:
    """Folders as people name them, every quality, locked files and every kind of decoy."""
    files = [f for peer in world.soulseek_peers() for f in peer.files]
    names = [f.filename for f in files]
    patterns = {
        "artist/album (year) [FLAC]": r"^@@music\\[^\\]+\\[^\\]+ \(\d{4}\) \[FLAC\]\\\d\d - .+\.flac$",
        "hi-res": r"\[FLAC 24-96\]\\",
        "artist - album (year) [320]": r"^@@share\\Music\\[^\\]+ - [^\\]+ \(\d{4}\) \[320\]\\\d\d - .+\.mp3$",
        "scene": r"^@@scene\\[^\\ ]+-WEB-(FLAC-)?\d{4}-[A-Z0-9]+\\\d\d-[^\\ A-Z]+\.(mp3|flac)$",
        "loose": r"^@@downloads\\Music\\[^\\]+ - [^\\]+\.mp3$",
        "live": r"\(Live\)\.|\\[^\\]+ - Live at ",
        "remix": r" Remix\)\.",
        "karaoke": r"\(In the Style of ",
    }
    for label, pattern in patterns.items():
        assert any(re.search(pattern, name) for name in names), label
    assert {_quality(f) for f in files} == {
        "flac16",
        "flac24",
        "mp3_320",
        "mp3_v0",
        "mp3_192",
        "mp3_128",
    }
    assert {(f.bit_depth, f.sample_rate) for f in files if f.bit_rate is None} == {
        (16, 44_100),
        (24, 96_000),
    }
    assert any(f.is_locked for f in files)
    assert any(not f.is_locked for f in files)
    by_title = {(t.title, t.artist) for t in world.tracks}
    covers = [f for f in files if f.album.endswith("Covers")]
    assert covers
    assert all((f.title, f.artist) not in by_title or f.album.endswith("Covers") for f in covers)
    assert any(
        (f.title, f.artist) not in by_title and any(f.title == t for t, _ in by_title)
        for f in covers
    )


def test_soulseek_truth_matches_the_shared_files(world: World) -> None:
    """Each missing track's availability agrees with the files peers actually share."""
    files = [f for peer in world.soulseek_peers() for f in peer.files]
    availability = world.soulseek_availability()
    assert sorted(availability) == world.missing
    assert set(availability.values()) == {
        "good",
        "low_quality",
        "locked_only",
        "decoys_only",
        "absent",
    }
    for track_id, status in availability.items():
        copies = _real_copies(world, track_id, files)
        open_copies = [f for f in copies if not f.is_locked]
        good = [f for f in open_copies if _quality(f) in GOOD_QUALITIES]
        if status == "good":
            assert good, track_id
        elif status == "low_quality":
            assert open_copies, track_id
            assert not good, track_id
        elif status == "locked_only":
            assert copies, track_id
            assert not open_copies, track_id
        else:
            assert not copies, track_id
    assert sum(s == "good" for s in availability.values()) > 0.6 * len(availability)
