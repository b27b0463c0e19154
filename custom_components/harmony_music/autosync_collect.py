"""Auto-sync's first phase: every chosen playlist and all saved tracks, fully paged, deduplicated.

A playlist whose ``snapshot_id`` did not change since the last run is not read again: its
tracks come from the store. Tracks are kept in the Web API's shape, slimmed to the fields the
matching engine and the search read (about 1.5 KiB each: 30 MiB for 20,000, measured by
``benchmarks/autosync_scale.py``). The loops yield to the event loop every ``YIELD_EVERY`` tracks:
20,000 tracks handled in one go held it for about 150 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .clients.spotify import SpotifyClient
from .clients.spotify_models import SpotifyPlaylist, SpotifyTrack
from .store import KnownPlaylist, Store

SAVED = "saved"  # the source name of the user's saved tracks
YIELD_EVERY = 1000


def slim_track(track: SpotifyTrack) -> dict[str, Any]:
    """What auto-sync keeps of a track (the Web API's field names)."""
    raw = track.raw
    popularity = raw.get("popularity")
    return {
        "id": track.id,
        "name": track.name,
        "artists": [{"id": a.id, "name": a.name} for a in track.artists],
        "album": {
            "id": track.album.id,
            "name": track.album.name,
            "release_date": track.album.release_date,
        },
        "duration_ms": track.duration_ms,
        "external_ids": {"isrc": track.isrc} if track.isrc else {},
        "popularity": popularity if isinstance(popularity, int) else 0,
    }


@dataclass
class Collected:
    """What the Spotify phase found."""

    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> slim track
    sources: dict[str, set[str]] = field(default_factory=dict)  # id -> {"saved", playlist ids}
    playlists_read: int = 0
    playlists_unchanged: int = 0
    left_out: int = 0  # local files, episodes, unplayable and removed entries

    def add(self, track: dict[str, Any], source: str) -> None:
        """One occurrence of a track in a source (the first is kept, not copied: nothing
        changes a collected track, and a copy per playlist entry is garbage-collector work)."""
        track_id = str(track["id"])
        self.tracks.setdefault(track_id, track)
        self.sources.setdefault(track_id, set()).add(source)


def chosen(playlists: list[SpotifyPlaylist], wanted_ids: Collection[str]) -> list[SpotifyPlaylist]:
    """The playlists the options name; none named means every owned and followed one."""
    if not wanted_ids:
        return playlists
    return [p for p in playlists if p.id in wanted_ids]


async def async_collect(
    spotify: SpotifyClient, store: Store, playlist_ids: Collection[str]
) -> Collected:
    """Read Spotify (raises the client's errors: the run then ends partial)."""
    collected = Collected()
    known = await store.autosync.async_known_playlists()
    playlists = chosen(await spotify.async_playlists(), playlist_ids)
    fresh: list[KnownPlaylist] = []
    for playlist in playlists:
        previous = known.get(playlist.id)
        if previous is not None and not spotify.playlist_changed(playlist, previous.snapshot_id):
            collected.playlists_unchanged += 1
            tracks = previous.tracks
        else:
            items = await spotify.async_playlist_tracks(playlist.id)
            collected.playlists_read += 1
            collected.left_out += max(0, playlist.total - len(items))
            tracks = [slim_track(item.track) for item in items]
            fresh.append(KnownPlaylist(playlist.id, playlist.name, playlist.snapshot_id, tracks))
        for n, track in enumerate(tracks, 1):
            collected.add(track, playlist.id)
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0)
    n = 0
    async for saved in spotify.async_iter_saved_tracks():
        if saved is None:
            collected.left_out += 1
            continue
        collected.add(slim_track(saved.track), SAVED)
        n += 1
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    await store.autosync.async_save_playlists(fresh, keep={p.id for p in playlists})
    return collected
