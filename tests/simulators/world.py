"""One seeded, generated music world shared by the three simulators.

Artists with albums and tracks; the user's Spotify playlists (owned and followed) and saved
tracks; a Plex library holding part of what the user wants (with metadata noise); Soulseek peers
sharing realistic folders in mixed qualities, locked files and decoys (live, remix, cover). The
ground truth — which wanted tracks Plex lacks — is kept for end-to-end tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random
import string

from .plex import PlexLibraryTrack
from .slskd import SharedFile, SoulseekPeer
from .spotify import SpotifyPlaylistRecord, SpotifySimulator, SpotifyTrackRecord

WORDS = [
    "night",
    "blue",
    "fire",
    "river",
    "gold",
    "summer",
    "ghost",
    "heart",
    "moon",
    "rain",
    "city",
    "wild",
    "shadow",
    "light",
    "ocean",
    "storm",
    "sweet",
    "little",
    "dark",
    "star",
    "dream",
    "road",
    "glass",
    "silver",
    "velvet",
    "electric",
    "neon",
    "paper",
    "echo",
    "winter",
    "garden",
    "desert",
    "honey",
    "thunder",
    "crystal",
    "broken",
    "secret",
    "midnight",
    "golden",
    "lonely",
]
FIRST = [
    "Anna",
    "Marco",
    "Lena",
    "Sam",
    "Noor",
    "Jonas",
    "Ines",
    "Theo",
    "Mika",
    "Zoë",
    "Björn",
    "Élodie",
]
NON_LATIN = ["ДДТ", "Кино", "光良", "中島美嘉", "트와이스", "Άννα Βίσση"]
SCENE_GROUPS = ["GRP", "FATHEAD", "ENRAGED", "MOD", "HB"]


@dataclass
class Track:
    """A recording of the world."""

    id: str
    title: str
    artist: str
    album: str
    year: int
    track_no: int
    duration_ms: int
    isrc: str


@dataclass
class World:
    """Everything the simulators serve, generated from one seed."""

    tracks: list[Track] = field(default_factory=list)
    playlists: list[tuple[str, str, bool, list[str]]] = field(
        default_factory=list
    )  # id, name, owned, ids
    saved: list[str] = field(default_factory=list)
    in_plex: set[str] = field(default_factory=set)
    seed: int = 0

    @property
    def wanted(self) -> set[str]:
        """Track ids in the user's playlists or saved tracks."""
        ids = set(self.saved)
        for _, _, _, track_ids in self.playlists:
            ids.update(track_ids)
        return ids

    @property
    def missing(self) -> set[str]:
        """Ground truth: wanted tracks the Plex library lacks."""
        return self.wanted - self.in_plex

    @classmethod
    def generate(cls, seed: int = 0, scale: float = 1.0) -> World:
        """About 2,000 artists / 5,000 albums / 40,000 tracks at scale 1."""
        rng = random.Random(seed)
        world = cls(seed=seed)
        n_artists = max(3, int(2000 * scale))
        used: set[tuple[str, str]] = set()
        for a in range(n_artists):
            artist = _artist_name(rng, a)
            for _ in range(max(1, round(rng.gauss(2.5, 1)))):
                album = _phrase(rng, 1, 3)
                year = rng.randint(1965, 2025)
                for n in range(1, rng.randint(6, 12) + 1):
                    title = _phrase(rng, 1, 4)
                    if (artist, title) in used:
                        continue
                    used.add((artist, title))
                    world.tracks.append(
                        Track(
                            id=_spotify_id(rng),
                            title=title,
                            artist=artist,
                            album=album,
                            year=year,
                            track_no=n,
                            duration_ms=rng.randint(120_000, 420_000),
                            isrc=f"{rng.choice(['US', 'GB', 'DE', 'SE', 'JP'])}{''.join(rng.choices(string.ascii_uppercase, k=3))}{year % 100:02d}{rng.randint(0, 99999):05d}",
                        )
                    )
        ids = [t.id for t in world.tracks]
        for p in range(max(2, int(12 * min(scale * 4, 1) + 3))):
            size = rng.randint(5, min(500, len(ids)))
            world.playlists.append(
                (_spotify_id(rng), f"{_phrase(rng, 1, 3)} mix", p % 3 != 2, rng.sample(ids, size))
            )
        world.saved = rng.sample(ids, min(len(ids), max(5, int(600 * scale))))
        wanted_set = world.wanted
        wanted = sorted(wanted_set)
        world.in_plex = set(rng.sample(wanted, int(len(wanted) * 0.7)))
        # Plex also holds music the user never asked for.
        others = [i for i in ids if i not in wanted_set]
        world.in_plex.update(rng.sample(others, len(others) // 3))
        return world

    def by_id(self) -> dict[str, Track]:
        return {t.id: t for t in self.tracks}

    # --- views for each simulator -------------------------------------------------------
    def load_spotify(self, sim: SpotifySimulator) -> None:
        """Tracks, playlists (owned and followed) and saved tracks into the Spotify simulator."""
        for t in self.tracks:
            sim.add_track(
                SpotifyTrackRecord(
                    id=t.id,
                    name=t.title,
                    artists=[(f"a{abs(hash(t.artist)) % 10**12:012d}", t.artist)],
                    album=(
                        f"b{abs(hash((t.artist, t.album))) % 10**12:012d}",
                        t.album,
                        str(t.year),
                    ),
                    duration_ms=t.duration_ms,
                    isrc=t.isrc,
                )
            )
        for pid, name, owned, track_ids in self.playlists:
            owner = (sim.user.id, sim.user.display_name) if owned else ("spotify", "Spotify")
            sim.add_playlist(SpotifyPlaylistRecord(pid, name, owner[0], owner[1], list(track_ids)))
        sim.user.saved = [
            (t, f"2025-{1 + i % 12:02d}-01T00:00:00Z") for i, t in enumerate(self.saved)
        ]

    def plex_tracks(self, root: str = "/music") -> list[PlexLibraryTrack]:
        """What Plex indexed, with noise: remaster suffixes, missing ISRCs."""
        rng = random.Random(self.seed + 1)
        out = []
        for t in self.tracks:
            if t.id not in self.in_plex:
                continue
            title = t.title + (" (Remastered)" if rng.random() < 0.05 else "")
            out.append(
                PlexLibraryTrack(
                    title=title,
                    artist=t.artist,
                    album=t.album,
                    year=t.year,
                    track_no=t.track_no,
                    duration_ms=t.duration_ms + rng.randint(-800, 800),
                    file_path=f"{root}/{t.artist}/{t.album}/{t.track_no:02d} {t.title}.flac",
                    isrc=t.isrc if rng.random() < 0.6 else None,
                )
            )
        return out

    def soulseek_peers(self, count: int = 12) -> list[SoulseekPeer]:
        """Peers sharing the world in several layouts and qualities, with decoys."""
        rng = random.Random(self.seed + 2)
        peers = [
            SoulseekPeer(
                f"{rng.choice(WORDS)}_{rng.choice(WORDS)}{rng.randint(1, 99)}",
                upload_speed=rng.randint(100_000, 10_000_000),
                queue_length=rng.choice([0, 0, 1, 5, 40]),
                has_free_upload_slot=rng.random() < 0.7,
                response_delay=rng.uniform(0.05, 0.9),
            )
            for _ in range(count)
        ]
        for t in self.tracks:
            for peer in rng.sample(peers, rng.randint(0, 3)):
                peer.files.append(_shared(rng, t))
            if rng.random() < 0.08:  # decoys: live, remix, cover
                peer = rng.choice(peers)
                kind = rng.choice(["live", "remix", "cover"])
                seconds = t.duration_ms // 1000 + (rng.randint(20, 90) if kind != "cover" else 0)
                if kind == "cover":
                    name, artist = (
                        f"{_artist_name(rng, 0)} - {t.title} ({t.artist} cover).mp3",
                        "Someone Else",
                    )
                elif kind == "live":
                    name, artist = f"{t.artist} - {t.title} (Live).mp3", t.artist
                else:
                    name, artist = f"{t.artist} - {t.title} (Club Remix).mp3", t.artist
                peer.files.append(
                    SharedFile(
                        f"@@share\\Misc\\{name}",
                        seconds * 40_000,
                        320,
                        None,
                        None,
                        seconds,
                        title=t.title,
                        artist=artist,
                    )
                )
        return peers


def _phrase(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).title()


def _artist_name(rng: random.Random, index: int) -> str:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(NON_LATIN)
    if roll < 0.25:
        return f"The {_phrase(rng, 1, 2)}s"
    if roll < 0.5:
        return f"{rng.choice(FIRST)} {rng.choice(WORDS).title()}"
    return f"{_phrase(rng, 1, 2)} {index}"


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=22))


def _shared(rng: random.Random, t: Track) -> SharedFile:
    """One file in one of the layouts seen on Soulseek, in one quality."""
    seconds = t.duration_ms // 1000
    layout = rng.randint(0, 2)
    quality = rng.choice(["flac16", "flac24", "mp3_320", "mp3_v0", "mp3_192", "mp3_128"])
    flac = quality.startswith("flac")
    ext = "flac" if flac else "mp3"
    if layout == 0:
        path = f"@@music\\{t.artist}\\{t.artist} - {t.album} ({t.year}) [{'FLAC' if flac else quality[4:]}]\\{t.track_no:02d} - {t.title}.{ext}"
    elif layout == 1:
        path = f"@@share\\Music\\{t.artist}\\{t.year} - {t.album}\\{t.track_no:02d} {t.title}.{ext}"
    else:
        scene = f"{t.artist}-{t.album}-WEB-{t.year}-{rng.choice(SCENE_GROUPS)}".replace(" ", "_")
        path = f"{scene}\\{t.track_no:02d}-{t.artist}-{t.title}.{ext}".replace(" ", "_").lower()
    bitrate = {"mp3_320": 320, "mp3_v0": 245, "mp3_192": 192, "mp3_128": 128}.get(quality)
    size = seconds * (bitrate * 125 if bitrate else (110_000 if quality == "flac16" else 400_000))
    return SharedFile(
        path,
        size,
        bitrate,
        (24 if quality == "flac24" else 16) if flac else None,
        (96000 if quality == "flac24" else 44100) if flac else None,
        seconds,
        is_locked=rng.random() < 0.05,
        title=t.title,
        artist=t.artist,
        album=t.album,
        track_no=t.track_no,
    )
