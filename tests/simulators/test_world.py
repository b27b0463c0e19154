"""The generated world: deterministic, sized, with every kind of decoy and a consistent truth."""

from __future__ import annotations

import time

from tests.simulators.world import World


def test_deterministic_and_sized() -> None:
    """Same seed, same world; scale 1 is thousands of tracks and generates quickly."""
    started = time.monotonic()
    world = World.generate(seed=3, scale=1.0)
    elapsed = time.monotonic() - started
    assert len(world.tracks) > 30_000
    assert len({t.artist for t in world.tracks}) > 1_500
    assert elapsed < 10
    again = World.generate(seed=3, scale=0.05)
    assert [t.id for t in again.tracks[:50]] == [
        t.id for t in World.generate(seed=3, scale=0.05).tracks[:50]
    ]


def test_truth_and_views_agree() -> None:
    """Plex holds about 70% of what is wanted; missing = wanted - Plex; decoys exist."""
    world = World.generate(seed=1, scale=0.05)
    wanted, missing = world.wanted, world.missing
    assert 0.2 < len(missing) / len(wanted) < 0.4
    plex_titles = {(p.artist, p.title.removesuffix(" (Remastered)")) for p in world.plex_tracks()}
    by_id = world.by_id()
    for track_id in list(missing)[:50]:
        track = by_id[track_id]
        assert (track.artist, track.title) not in plex_titles
    assert any(owned for _, _, owned, _ in world.playlists)
    assert any(not owned for _, _, owned, _ in world.playlists)
    files = [f.filename for peer in world.soulseek_peers() for f in peer.files]
    for marker in ("(Live)", "Remix)", "cover)", "[FLAC]", "-web-"):
        assert any(marker in name for name in files), marker
    assert any(f.is_locked for peer in world.soulseek_peers() for f in peer.files)
