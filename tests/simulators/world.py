"""One seeded, generated music world shared by the three simulators.

A catalogue (artists, albums, tracks with ISRCs, durations, features); the user's Spotify
playlists (owned and followed) and saved tracks; a Plex library holding part of it with metadata
noise; Soulseek peers sharing albums in realistic folder layouts and mixed qualities, with locked
folders and decoys (live versions, remixes, covers, karaoke). The ground truth - which wanted
tracks Plex lacks, and how each one can be found on Soulseek - is kept for end-to-end tests.

``World.generate(seed, scale)`` builds plain data; ``spotify_records()``, ``plex_tracks()`` and
``soulseek_peers()`` turn it into the simulators' dataclasses (deterministic too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import functools
import random
import re
from typing import Literal, NamedTuple
import unicodedata

from .plex import PlexLibraryTrack, PlexSimulator
from .slskd import SharedFile, SoulseekPeer
from .spotify import SpotifyPlaylistRecord, SpotifySimulator, SpotifyTrackRecord, SpotifyUserRecord


def _words(text: str) -> list[str]:
    return text.split()


SCALES = {"tiny": 0.01, "small": 0.05, "default": 1.0}
BASE_ARTISTS, BASE_ALBUMS, BASE_TRACKS = 2_000, 5_000, 40_000

ADJECTIVES = _words(
    "Black White Blue Red Golden Silver Electric Velvet Broken Lonely Wild Silent Burning Frozen "
    "Hollow Crystal Neon Paper Secret Sweet Bitter Dark Bright Lost Little Holy Savage Gentle "
    "Restless Faded Endless Hidden Strange Violent Lucky Tender Northern Southern Cosmic Plastic "
    "Midnight Summer Winter Rusty Famous Quiet Radiant Crimson Emerald Scarlet Analog Digital"
)
NOUNS = _words(
    "Night Fire River Ghost Heart Moon Rain City Shadow Light Ocean Storm Star Dream Road Glass "
    "Echo Garden Desert Honey Thunder Wolf Tiger Crow Engine Machine Mirror Window Harbor Island "
    "Mountain Valley Forest Highway Signal Satellite Rocket Planet Comet Diamond Arrow Anchor "
    "Feather Stone Flower Rose Lily Violet Saint Sinner Angel Devil Prophet Stranger Lover "
    "Soldier Sailor Dancer Drifter Kingdom Empire Tower Bridge Station Circus Carnival Parade "
    "Café Piñata Séance Fiancée Déjà Über Señor Mädchen Façade"
)
VERBS = _words(
    "Run Fall Burn Shine Dance Wait Hold Break Call Follow Remember Forget Chase Carry Leave "
    "Save Kiss Touch Breathe Wander Whisper Scream Sing Dream Drive Walk"
)
PLACES = [
    "Wembley",
    "Budokan",
    "Paradiso",
    "Olympia",
    "the Fillmore",
    "Glastonbury",
    "Red Rocks",
    "Montreux",
    "Roskilde",
    "Sziget",
]
FIRST = _words(
    "Anna Marco Lena Sam Noor Jonas Inès Theo Mika Zoë Björn Élodie Ólafur Søren Željko Ana "
    "João Chloé Jürgen François Nina Omar Priya Kenji Aiko Luca Sofia Mateo Ingrid Oskar Maya "
    "Felix Clara Hugo Elena Viktor Leah Ruben Yara Emil Astrid Jakub Zofia Dmitri Irina"
)
LAST = _words(
    "Nord Berg Moreau Silva Novak Rossi Jensen Müller Sørensen Łukasz Dvořák García Núñez "
    "Öztürk Kowalski Lindqvist Hansen Okafor Tanaka Murphy Fischer Bianchi Costa Varga Horvat "
    "Laine Virtanen Almeida Duarte Keller Brandt Weiss Adler Stone Rivers Hale Winter Frost"
)
# Non-Latin names (Cyrillic, Japanese, Korean, Greek, Arabic) and titles in the same scripts.
NON_LATIN_FIRST = _words("Дмитрий Анна Игорь Ольга 美嘉 光良 久石 민지 지수 Άννα Νίκος فيروز")
NON_LATIN_LAST = _words("Петров Иванова Соколов Волкова 中島 宇多田 坂本 김 박 Βίσση Παπάς")
NON_LATIN_BANDS = _words("Кино ДДТ Сплин Мумий 東京事変 サカナクション 트와이스 빅뱅 Πυξ")
NON_LATIN_WORDS = _words("Звезда Ночь Город Весна 夜空 桜 未来 사랑 하늘 Αγάπη Θάλασσα")
SCENE_GROUPS = _words("GRP FATHEAD ENRAGED MOD HB DARKAUDIO PERFECT WEB4U")
USER_WORDS = _words("vinyl lossless flac crate digger mp3 rare audio needle groove tape bass")


@dataclass(slots=True)
class Artist:
    """An artist of the catalogue."""

    id: str
    name: str
    isrc_prefix: str  # country code + registrant


@dataclass(slots=True)
class Album:
    """An album (or EP / single / live album) of one artist."""

    id: str
    artist: str
    title: str
    year: int
    release_date: str
    kind: Literal["album", "ep", "single", "live"]
    track_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Track:
    """A recording of the catalogue (a Spotify track)."""

    id: str
    title: str
    artist: str
    artist_id: str
    album: str
    album_id: str
    year: int
    track_no: int
    duration_ms: int
    isrc: str | None
    featured: tuple[str, ...] = ()
    is_playable: bool = True
    is_local: bool = False


@dataclass(slots=True)
class Playlist:
    """A playlist the user sees: owned, or followed (owned by someone else)."""

    id: str
    name: str
    owned: bool
    owner_id: str
    owner_name: str
    track_ids: list[str]


DecoyKind = Literal["live", "remix", "cover", "karaoke"]
_DECOY_KINDS: list[DecoyKind] = ["live", "remix", "cover", "karaoke"]
Quality = Literal["flac24", "flac16", "mp3_320", "mp3_v0", "mp3_192", "mp3_128"]
Style = Literal["collector", "mp3", "scene", "messy"]
Availability = Literal["good", "low_quality", "locked_only", "decoys_only", "absent"]
GOOD_QUALITIES: frozenset[str] = frozenset({"flac24", "flac16", "mp3_320", "mp3_v0"})


@dataclass(slots=True)
class Share:
    """One peer sharing (part of) one album in one quality."""

    album_id: str
    quality: Quality
    locked: bool
    omitted: frozenset[int] = frozenset()  # track numbers missing from the folder


@dataclass(slots=True)
class Decoy:
    """A file that looks like a wanted track but is another recording."""

    track_id: str
    kind: DecoyKind
    by: str  # the credited artist (the cover artist for covers)


@dataclass(slots=True)
class PeerPlan:
    """A Soulseek user: how they name folders and what they share."""

    username: str
    style: Style
    upload_speed: int
    queue_length: int
    free_slot: bool
    response_delay: float
    shares: list[Share] = field(default_factory=list)
    decoys: list[Decoy] = field(default_factory=list)


@dataclass(slots=True)
class PlexEntry:
    """How Plex holds a track, with the noise Plex metadata shows."""

    track_id: str
    title: str
    artist: str
    album: str
    duration_ms: int
    isrc: str | None
    extension: str
    noise: tuple[str, ...]
    added_at: datetime
    decoy_of: str | None = None  # a live version of this wanted track (not the track itself)


class SpotifyRecords(NamedTuple):
    """Everything the Spotify simulator serves."""

    tracks: list[SpotifyTrackRecord]
    playlists: list[SpotifyPlaylistRecord]
    saved: list[tuple[str, str]]  # (track id, added_at)


@dataclass
class World:
    """Everything the simulators serve, generated from one seed."""

    seed: int
    scale: float
    artists: list[Artist] = field(default_factory=list)
    albums: list[Album] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    playlists: list[Playlist] = field(default_factory=list)
    saved: list[tuple[str, str]] = field(default_factory=list)
    plex: list[PlexEntry] = field(default_factory=list)
    peers: list[PeerPlan] = field(default_factory=list)
    _by_id: dict[str, Track] = field(default_factory=dict, repr=False)
    _album_index: dict[str, Album] = field(default_factory=dict, repr=False)

    # --- ground truth -------------------------------------------------------------------------

    def track(self, track_id: str) -> Track:
        """A track by Spotify id."""
        return self._by_id[track_id]

    def by_id(self) -> dict[str, Track]:
        """Tracks by Spotify id."""
        return dict(self._by_id)

    @property
    def referenced(self) -> set[str]:
        """Every track id in the user's playlists or saved tracks (unplayable and local too)."""
        ids = {track_id for track_id, _ in self.saved}
        for playlist in self.playlists:
            ids.update(playlist.track_ids)
        return ids

    @property
    def skipped(self) -> set[str]:
        """Referenced tracks a sync must skip: local files and unplayable tracks."""
        return {
            i for i in self.referenced if self._by_id[i].is_local or not self._by_id[i].is_playable
        }

    @property
    def wanted(self) -> set[str]:
        """Tracks the user wants in the library (referenced, playable, not local)."""
        return self.referenced - self.skipped

    @property
    def in_plex(self) -> set[str]:
        """Tracks the Plex library holds (their own recording, not a decoy version)."""
        return {e.track_id for e in self.plex if e.decoy_of is None}

    @property
    def missing(self) -> list[str]:
        """Ground truth: wanted tracks the Plex library lacks, sorted."""
        return sorted(self.wanted - self.in_plex)

    def soulseek_availability(self) -> dict[str, Availability]:
        """For every missing track, what Soulseek offers for it."""
        albums = self._album_index
        best: dict[str, Availability] = {}
        rank = {"absent": 0, "decoys_only": 1, "locked_only": 2, "low_quality": 3, "good": 4}
        missing = set(self.missing)
        for peer in self.peers:
            for share in peer.shares:
                for number, track_id in enumerate(albums[share.album_id].track_ids, 1):
                    if track_id not in missing or number in share.omitted:
                        continue
                    if share.locked:
                        here: Availability = "locked_only"
                    elif share.quality in GOOD_QUALITIES:
                        here = "good"
                    else:
                        here = "low_quality"
                    if rank[here] > rank[best.get(track_id, "absent")]:
                        best[track_id] = here
            for decoy in peer.decoys:
                if decoy.track_id in missing and decoy.track_id not in best:
                    best[decoy.track_id] = "decoys_only"
        return {track_id: best.get(track_id, "absent") for track_id in self.missing}

    def summary(self) -> dict[str, int]:
        """Sizes, for logs and the CLI."""
        shared = sum(
            len(self._album_index[s.album_id].track_ids) - len(s.omitted)
            for p in self.peers
            for s in p.shares
        )
        return {
            "artists": len(self.artists),
            "albums": len(self.albums),
            "tracks": len(self.tracks),
            "playlists": len(self.playlists),
            "saved": len(self.saved),
            "wanted": len(self.wanted),
            "missing": len(self.missing),
            "plex_tracks": len(self.plex),
            "peers": len(self.peers),
            "shared_files": shared + sum(len(p.decoys) for p in self.peers),
        }

    # --- generation ---------------------------------------------------------------------------

    @classmethod
    def generate(cls, seed: int = 0, scale: float | str = "default") -> World:
        """About 2,000 artists / 5,000 albums / 40,000 tracks at scale 1 (``"default"``)."""
        factor = SCALES[scale] if isinstance(scale, str) else float(scale)
        if factor <= 0:
            raise ValueError("scale must be positive")
        world = cls(seed=seed, scale=factor)
        gen = _Generator(random.Random(seed), world)
        gen.catalogue(
            max(5, round(BASE_ARTISTS * factor)),
            max(8, round(BASE_ALBUMS * factor)),
            max(60, round(BASE_TRACKS * factor)),
        )
        gen.spotify_user(factor)
        gen.plex_library()
        gen.soulseek(max(8, round(120 * factor)))
        return world

    # --- views for each simulator -------------------------------------------------------------

    def spotify_records(self, user_id: str | None = None) -> SpotifyRecords:
        """Tracks, playlists (owned by ``user_id`` or followed) and saved tracks."""
        owner = user_id or SpotifyUserRecord().id
        artist_ids = {a.name: a.id for a in self.artists}
        albums = self._album_index
        tracks = []
        for t in self.tracks:
            artists = [(t.artist_id, t.artist)]
            artists += [(artist_ids.get(name, t.artist_id), name) for name in t.featured]
            album = albums.get(t.album_id)
            tracks.append(
                SpotifyTrackRecord(
                    id=t.id,
                    name=t.title,
                    artists=artists,
                    album=(t.album_id, t.album, album.release_date if album else str(t.year)),
                    duration_ms=t.duration_ms,
                    isrc=t.isrc,
                    is_local=t.is_local,
                    is_playable=t.is_playable,
                )
            )
        playlists = [
            SpotifyPlaylistRecord(
                id=p.id,
                name=p.name,
                owner_id=owner if p.owned else p.owner_id,
                owner_name=p.owner_name,
                track_ids=list(p.track_ids),
            )
            for p in self.playlists
        ]
        return SpotifyRecords(tracks, playlists, list(self.saved))

    def load_spotify(self, sim: SpotifySimulator) -> None:
        """Put the catalogue, playlists and saved tracks into a Spotify simulator."""
        records = self.spotify_records(sim.user.id)
        for track in records.tracks:
            sim.add_track(track)
        for playlist in records.playlists:
            if playlist.owner_id == sim.user.id:
                playlist.owner_name = sim.user.display_name
            sim.add_playlist(playlist)
        sim.user.saved = records.saved

    def plex_tracks(self, root: str = "/music") -> list[PlexLibraryTrack]:
        """What the Plex library indexed, files named under ``root``."""
        albums = self._album_index
        out = []
        for entry in self.plex:
            track = self._by_id[entry.track_id]
            year = albums[track.album_id].year
            name = _safe(f"{track.track_no:02d} - {entry.title}.{entry.extension}")
            out.append(
                PlexLibraryTrack(
                    title=entry.title,
                    artist=entry.artist,
                    album=entry.album,
                    year=year,
                    track_no=track.track_no,
                    duration_ms=entry.duration_ms,
                    file_path=f"{root}/{_safe(entry.artist)}/{_safe(entry.album)}/{name}",
                    isrc=entry.isrc,
                    added_at=entry.added_at,
                )
            )
        return out

    def load_plex(self, sim: PlexSimulator, root: str | None = None) -> None:
        """Fill the Plex simulator's music section."""
        base = root or (str(sim.library_dir) if sim.library_dir is not None else "/music")
        sim.add_tracks(sim.music_section_key, self.plex_tracks(base))

    def soulseek_peers(self) -> list[SoulseekPeer]:
        """Peers with their shared files, named the way their owners name folders."""
        albums = self._album_index
        rng = random.Random(self.seed + 2)
        peers = []
        for plan in self.peers:
            files: list[SharedFile] = []
            for share in plan.shares:
                album = albums[share.album_id]
                for number, track_id in enumerate(album.track_ids, 1):
                    if number not in share.omitted:
                        files.append(
                            _shared_file(rng, plan.style, share, album, self._by_id[track_id])
                        )
            files.extend(
                _decoy_file(rng, decoy, self._by_id[decoy.track_id], albums)
                for decoy in plan.decoys
            )
            peers.append(
                SoulseekPeer(
                    username=plan.username,
                    upload_speed=plan.upload_speed,
                    queue_length=plan.queue_length,
                    has_free_upload_slot=plan.free_slot,
                    files=files,
                    response_delay=plan.response_delay,
                )
            )
        return peers


# --- generation internals ------------------------------------------------------------------------

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_BASE62 = bytes(ord(_BASE62[i % 62]) for i in range(256))  # random bytes -> base-62 ids
_PREPOSITIONS = ["With", "For", "Without", "Like"]
_ADVERBS = ["Home", "Away", "Slow", "Forever", "Tonight"]
_GREETINGS = ["Hey", "Oh", "Goodbye", "Hello"]
_SUFFIXES = ["Blues", "Song", "Lullaby", "Part II", "Reprise"]


class _Generator:
    """Draws the world in a fixed order from one random stream (determinism)."""

    def __init__(self, rng: random.Random, world: World) -> None:
        self.rng = rng
        self.world = world
        self.isrc_next: Counter[str] = Counter()

    def spotify_id(self) -> str:
        return self.rng.randbytes(22).translate(_TO_BASE62).decode()

    # catalogue -------------------------------------------------------------------------------
    def catalogue(self, n_artists: int, n_albums: int, n_tracks: int) -> None:
        rng, world = self.rng, self.world
        names: set[str] = set()
        for _ in range(n_artists):
            name = self.artist_name()
            while name.casefold() in names:
                name = self.artist_name()
            names.add(name.casefold())
            non_latin = not name.isascii() and not _latinish(name)
            country = rng.choice(["RU", "JP", "KR", "GR"] if non_latin else _COUNTRIES)
            registrant = "".join(rng.choices(_BASE62[:36], k=3))
            world.artists.append(Artist(self.spotify_id(), name, country + registrant))
        # Every artist has one album; the rest go to a prolific few (Zipf-like weights).
        owners = list(range(n_artists)) + rng.choices(
            range(n_artists),
            weights=[1 / (i + 1) ** 0.6 for i in range(n_artists)],
            k=max(0, n_albums - n_artists),
        )
        kinds: list[Literal["album", "ep", "single", "live"]] = rng.choices(
            ["album", "ep", "single", "live"], weights=[70, 12, 14, 4], k=len(owners)
        )
        base = {"album": (8, 14), "ep": (4, 6), "single": (1, 3), "live": (10, 16)}
        counts = [rng.randint(*base[k]) for k in kinds]
        _rescale(rng, counts, n_tracks, kinds)
        for owner, kind, count in zip(owners, kinds, counts, strict=True):
            self.album(world.artists[owner], kind, count)
        world._by_id = {t.id: t for t in world.tracks}
        world._album_index = {a.id: a for a in world.albums}

    def artist_name(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            if rng.random() < 0.4:
                return rng.choice(NON_LATIN_BANDS) + rng.choice(
                    ["", "", " " + rng.choice(NON_LATIN_WORDS)]
                )
            return f"{rng.choice(NON_LATIN_FIRST)} {rng.choice(NON_LATIN_LAST)}"
        if roll < 0.28:
            return (
                f"The {rng.choice(ADJECTIVES)} {_plural(rng.choice(NOUNS))}"
                if rng.random() < 0.6
                else f"The {_plural(rng.choice(NOUNS))}"
            )
        if roll < 0.55:
            return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if roll < 0.72:
            return f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if roll < 0.82:
            return f"{rng.choice(FIRST)} & the {_plural(rng.choice(NOUNS))}"
        if roll < 0.90:
            return f"{rng.choice(['DJ', 'MC', 'Lil', 'Young'])} {rng.choice(NOUNS)}"
        noun = rng.choice(NOUNS)
        return rng.choice(
            [noun, _plural(noun), f"{noun} Club", f"{noun} Collective", f"{noun} Trio"]
        )

    def title(self, non_latin: bool) -> str:
        rng = self.rng
        if non_latin and rng.random() < 0.5:
            return " ".join(rng.sample(NON_LATIN_WORDS, rng.randint(1, 2)))
        pattern = rng.randrange(8)
        noun = rng.choice(NOUNS)
        if pattern == 0:
            return f"{rng.choice(ADJECTIVES)} {noun}"
        if pattern == 1:
            return noun
        if pattern == 2:
            return f"{rng.choice(VERBS)} {rng.choice(_PREPOSITIONS)} Me"
        if pattern == 3:
            return f"{noun} of the {rng.choice(NOUNS)}"
        if pattern == 4:
            return f"{_gerund(rng.choice(VERBS))} {rng.choice(_ADVERBS)}"
        if pattern == 5:
            return f"{rng.choice(_GREETINGS)} {rng.choice(FIRST)}"
        if pattern == 6:
            return f"{rng.choice(ADJECTIVES)} {noun} {rng.choice(_SUFFIXES)}"
        return f"{_gerund(rng.choice(VERBS))} {rng.choice(ADJECTIVES)} {_plural(noun)}"

    def album(
        self, artist: Artist, kind: Literal["album", "ep", "single", "live"], count: int
    ) -> None:
        rng, world = self.rng, self.world
        non_latin = not artist.name.isascii() and not _latinish(artist.name)
        year = 1960 + int(65 * rng.random() ** 0.55)
        if kind == "live":
            title = f"Live at {rng.choice(PLACES)}"
        elif rng.random() < 0.04:
            title = artist.name  # self-titled
        else:
            title = self.title(non_latin)
        day = rng.randint(1, 28)
        release = (
            str(year)
            if year < 1980 and rng.random() < 0.5
            else f"{year}-{rng.randint(1, 12):02d}-{day:02d}"
        )
        album = Album(self.spotify_id(), artist.name, title, year, release, kind)
        used: set[str] = set()
        for number in range(1, count + 1):
            song = album.title if kind == "single" and number == 1 else self.title(non_latin)
            while song in used:
                song = self.title(non_latin)
            used.add(song)
            featured: tuple[str, ...] = ()
            if rng.random() < 0.07 and len(world.artists) > 1:
                guest = rng.choice(world.artists).name
                if guest != artist.name:
                    featured = (guest,)
            shown = song
            if featured and rng.random() < 0.5:
                shown = f"{song} (feat. {featured[0]})"  # as Spotify often names them
            if kind == "live":
                shown = f"{song} - Live"
            track = Track(
                id=self.spotify_id(),
                title=shown,
                artist=artist.name,
                artist_id=artist.id,
                album=title,
                album_id=album.id,
                year=year,
                track_no=number,
                duration_ms=max(75_000, min(720_000, int(rng.lognormvariate(12.3, 0.28)))),
                isrc=self.isrc(artist, year) if rng.random() > 0.01 else None,
                featured=featured,
            )
            album.track_ids.append(track.id)
            world.tracks.append(track)
        world.albums.append(album)

    def isrc(self, artist: Artist, year: int) -> str:
        key = f"{artist.isrc_prefix}{year % 100:02d}"
        self.isrc_next[key] += 1
        return f"{key}{self.isrc_next[key]:05d}"

    # Spotify user ----------------------------------------------------------------------------
    def spotify_user(self, factor: float) -> None:
        rng, world = self.rng, self.world
        playable = [t for t in world.tracks if t.is_playable]
        # Taste: favourite artists' tracks dominate the user's playlists.
        favourites = rng.sample(world.artists, max(3, len(world.artists) // 12))
        favourite_names = {a.name for a in favourites}
        liked = [t.id for t in playable if t.artist in favourite_names]
        everything = [t.id for t in playable]
        cap = min(500, len(everything))

        def pick(size: int, taste: float) -> list[str]:
            size = min(size, len(everything))
            chosen: dict[str, None] = {}
            while len(chosen) < size:
                pool = liked if liked and rng.random() < taste else everything
                chosen[rng.choice(pool)] = None
            return list(chosen)

        owned = max(3, round(10 * factor**0.3))
        followed = max(2, round(6 * factor**0.3))
        for index in range(owned + followed):
            is_owned = index < owned
            if index == 0:
                size = 5
            elif index == owned:
                size = cap
            else:
                size = rng.choice([rng.randint(5, 30), rng.randint(30, 120), rng.randint(120, cap)])
                size = min(size, max(5, round(cap * 0.8)))
            owner = ("harmony_user", "Harmony User") if is_owned else rng.choice(_CURATORS)
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(['Mix', 'Radio', 'Hits', 'Vibes', 'Essentials', 'Playlist'])}"
            world.playlists.append(
                Playlist(
                    self.spotify_id(),
                    name,
                    is_owned,
                    owner[0],
                    owner[1],
                    pick(size, 0.8 if is_owned else 0.3),
                )
            )
        start = datetime(2019, 1, 1, tzinfo=UTC)
        saved_ids = pick(max(5, round(1_500 * factor)), 0.85)
        world.saved = [
            (track_id, (start + timedelta(minutes=97 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"))
            for i, track_id in enumerate(saved_ids)
        ]
        # A few referenced tracks a sync must skip: unplayable in the market, and local files.
        referenced = sorted(world.referenced)
        for track_id in rng.sample(referenced, max(1, len(referenced) // 150)):
            world._by_id[track_id].is_playable = False
        for n in range(max(1, round(4 * factor**0.5))):
            local = Track(
                id=f"local{n:017d}",
                title=f"{rng.choice(NOUNS)} (Voice Memo {n + 1})",
                artist="Home Recordings",
                artist_id="",
                album="",
                album_id="",
                year=2020,
                track_no=0,
                duration_ms=rng.randint(30_000, 200_000),
                isrc=None,
                is_local=True,
            )
            world.tracks.append(local)
            world._by_id[local.id] = local
            world.playlists[n % owned].track_ids.append(local.id)

    # Plex ------------------------------------------------------------------------------------
    def plex_library(self) -> None:
        rng, world = self.rng, self.world
        wanted = sorted(world.wanted)
        held = set(rng.sample(wanted, round(len(wanted) * 0.7)))
        wanted_set = set(wanted)
        albums_with_held = {world._by_id[i].album_id for i in held}
        deluxe = {a.id for a in world.albums if rng.random() < 0.05}
        ascii_artists = {
            a.name for a in world.artists if not a.name.isascii() and rng.random() < 0.3
        }
        added = datetime(2021, 6, 1, tzinfo=UTC)
        for album in world.albums:
            whole = album.id in albums_with_held and rng.random() < 0.8
            whole = whole or rng.random() < 0.2
            extension = "flac" if rng.random() < 0.6 else "mp3"
            for track_id in album.track_ids:
                if track_id in wanted_set:
                    if track_id not in held:
                        continue
                elif not whole:
                    continue
                track = world._by_id[track_id]
                noise: list[str] = []
                title = track.title
                if track.featured and "feat." not in title:
                    title = f"{title} (feat. {', '.join(track.featured)})"
                    noise.append("feat_in_title")
                if rng.random() < 0.05:
                    title += rng.choice(
                        [" (Remastered)", f" - Remastered {rng.randint(2005, 2023)}"]
                    )
                    noise.append("remastered")
                album_title = track.album
                if album.id in deluxe:
                    album_title += " (Deluxe Edition)"
                    noise.append("deluxe")
                artist = track.artist
                if artist in ascii_artists and _latinish(artist):
                    artist = _strip_accents(artist)
                    noise.append("ascii_artist")
                isrc = track.isrc if rng.random() < 0.6 else None
                if isrc is None:
                    noise.append("no_isrc")
                world.plex.append(
                    PlexEntry(
                        track_id,
                        title,
                        artist,
                        album_title,
                        track.duration_ms + rng.randint(-1_500, 1_500),
                        isrc,
                        extension,
                        tuple(noise),
                        added + timedelta(hours=rng.randint(0, 30_000)),
                    )
                )
        # Near misses: Plex has a live recording of some tracks it lacks.
        lacking = [i for i in wanted if i not in held]
        for track_id in rng.sample(lacking, max(1, len(lacking) // 20)) if lacking else []:
            track = world._by_id[track_id]
            world.plex.append(
                PlexEntry(
                    track_id,
                    f"{track.title} (Live)",
                    track.artist,
                    f"Live at {rng.choice(PLACES)}",
                    track.duration_ms + rng.randint(20_000, 60_000),
                    None,
                    "mp3",
                    ("live_version",),
                    added + timedelta(hours=rng.randint(0, 30_000)),
                    decoy_of=track_id,
                )
            )

    # Soulseek --------------------------------------------------------------------------------
    def soulseek(self, n_peers: int) -> None:
        rng, world = self.rng, self.world
        styles: list[Style] = ["collector", "mp3", "scene", "messy"]
        names: set[str] = set()
        for index in range(n_peers):
            name = f"{rng.choice(USER_WORDS)}{rng.choice(['_', '', '.'])}{rng.choice(USER_WORDS)}{rng.randint(1, 999)}"
            while name in names:
                name += str(index)
            names.add(name)
            world.peers.append(
                PeerPlan(
                    name,
                    styles[index % 4],
                    upload_speed=int(rng.lognormvariate(14, 1.2)),
                    queue_length=rng.choice([0, 0, 0, 1, 3, 12, 60]),
                    free_slot=rng.random() < 0.75,
                    response_delay=round(rng.uniform(0.05, 0.95), 3),
                )
            )
        wanted = world.wanted
        by_style: dict[Style, list[PeerPlan]] = {
            s: [p for p in world.peers if p.style == s] for s in styles
        }
        for album in world.albums:
            wanted_here = any(t in wanted for t in album.track_ids)
            copies = rng.choices(
                [0, 1, 2, 3, 4], weights=[8, 30, 30, 20, 12] if wanted_here else [30, 40, 20, 7, 3]
            )[0]
            for _ in range(copies):
                style = rng.choice(styles)
                quality: Quality = rng.choice(_STYLE_QUALITIES[style])
                omitted: frozenset[int] = frozenset()
                if len(album.track_ids) > 3 and rng.random() < 0.12:
                    omitted = frozenset(
                        rng.sample(range(1, len(album.track_ids) + 1), rng.randint(1, 2))
                    )
                share = Share(album.id, quality, rng.random() < 0.06, omitted)
                rng.choice(by_style[style]).shares.append(share)
        # Decoys: other recordings that look like a wanted song.
        for track_id in sorted(wanted):
            track = world._by_id[track_id]
            if rng.random() < 0.2:
                kind: DecoyKind = rng.choice(_DECOY_KINDS)
                by = rng.choice(world.artists).name if kind == "cover" else track.artist
                if by == track.artist and kind == "cover":
                    kind = "live"
                rng.choice(world.peers).decoys.append(Decoy(track_id, kind, by))


_COUNTRIES = ["US", "US", "GB", "GB", "DE", "SE", "FR", "NL", "CA", "AU", "NO", "ES", "IT", "BR"]
_CURATORS = [("spotify", "Spotify"), ("indiemixtapes", "Indie Mixtapes"), ("d4ve", "Dave")]
_STYLE_QUALITIES: dict[Style, list[Quality]] = {
    "collector": ["flac16", "flac16", "flac16", "flac24"],
    "mp3": ["mp3_320", "mp3_320", "mp3_v0", "mp3_192", "mp3_128"],
    "scene": ["mp3_320", "mp3_v0", "flac16"],
    "messy": ["mp3_320", "mp3_192", "mp3_128", "mp3_128", "flac16"],
}
_BITRATES = {"mp3_320": 320, "mp3_v0": 245, "mp3_192": 192, "mp3_128": 128}
_TAGS = {
    "flac16": "FLAC",
    "flac24": "FLAC 24-96",
    "mp3_320": "320",
    "mp3_v0": "V0",
    "mp3_192": "192",
    "mp3_128": "128",
}


def _rescale(rng: random.Random, counts: list[int], total: int, kinds: Sequence[str]) -> None:
    """Adjust per-album track counts in place so they add up to ``total`` exactly."""
    factor = total / max(1, sum(counts))
    for i, count in enumerate(counts):
        counts[i] = max(1, round(count * factor))
    long_albums = [i for i, k in enumerate(kinds) if k in ("album", "live")] or list(
        range(len(counts))
    )
    diff = total - sum(counts)
    while diff != 0:
        i = rng.choice(long_albums)
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            diff += 1


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")


def _latinish(text: str) -> bool:
    """Latin script with diacritics (Zoë, Dvořák) rather than another script."""
    return all(ord(c) < 0x250 for c in text)


def _strip_accents(text: str) -> str:
    return (
        "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        .replace("ø", "o")
        .replace("Ø", "O")
        .replace("ł", "l")
        .replace("Ł", "L")
    )


_UNSAFE = re.compile(r'[<>:"/\\|?*]')


@functools.cache
def _safe(name: str) -> str:
    """A name usable as one path component on Windows shares too."""
    return _UNSAFE.sub("_", name).strip(" .") or "_"


def _gerund(verb: str) -> str:
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    if verb in ("Run", "Chase"):
        return {"Run": "Running", "Chase": "Chasing"}[verb]
    return verb + "ing"


def _audio(
    rng: random.Random, quality: str, seconds: int
) -> tuple[int, int | None, int | None, int | None, str]:
    """size, bit rate, bit depth, sample rate, extension."""
    if quality.startswith("flac"):
        hires = quality == "flac24"
        kbps = rng.randint(2_400, 3_600) if hires else rng.randint(700, 1_100)
        return seconds * kbps * 125, None, 24 if hires else 16, 96_000 if hires else 44_100, "flac"
    bitrate = _BITRATES[quality]
    return seconds * bitrate * 125 + rng.randint(0, 4_096), bitrate, None, None, "mp3"


def _shared_file(
    rng: random.Random, style: Style, share: Share, album: Album, track: Track
) -> SharedFile:
    seconds = track.duration_ms // 1000
    size, bitrate, depth, rate, ext = _audio(rng, share.quality, seconds)
    artist, title, no = _safe(track.artist), _safe(track.title), track.track_no
    album_name = _safe(album.title)
    if style == "collector":
        path = f"@@music\\{artist}\\{album_name} ({album.year}) [{_TAGS[share.quality]}]\\{no:02d} - {title}.{ext}"
    elif style == "mp3":
        path = f"@@share\\Music\\{artist} - {album_name} ({album.year}) [{_TAGS[share.quality]}]\\{no:02d} - {title}.{ext}"
    elif style == "scene":
        fmt = "FLAC-" if ext == "flac" else ""
        folder = f"{artist}-{album_name}-WEB-{fmt}{album.year}-{rng.choice(SCENE_GROUPS)}".replace(
            " ", "_"
        )
        path = f"@@scene\\{folder}\\{no:02d}-{artist}-{title}.{ext}".replace(" ", "_")
        path = path[: path.rfind("\\") + 1] + path[path.rfind("\\") + 1 :].lower()
    else:
        path = f"@@downloads\\Music\\{artist} - {title}.{ext}"
    return SharedFile(
        filename=path,
        size=size,
        bit_rate=bitrate,
        bit_depth=depth,
        sample_rate=rate,
        length=seconds,
        is_locked=share.locked,
        title=track.title,
        artist=track.artist,
        album=album.title,
        track_no=no,
    )


def _decoy_file(
    rng: random.Random, decoy: Decoy, track: Track, albums: dict[str, Album]
) -> SharedFile:
    seconds = track.duration_ms // 1000
    artist = _safe(decoy.by)
    album = albums[track.album_id].title if track.album_id in albums else ""
    quality = rng.choice(["mp3_320", "mp3_v0", "flac16"])
    if decoy.kind == "live":
        seconds += rng.randint(15, 90)
        place = rng.choice(PLACES)
        song = f"{track.title} (Live)" if rng.random() < 0.6 else track.title  # folder tells
        album = f"Live at {place}"
        folder = f"@@share\\Music\\{artist} - Live at {place} ({rng.randint(1970, 2024)})"
    elif decoy.kind == "remix":
        seconds += rng.randint(40, 180)
        song = f"{track.title} ({rng.choice(LAST)} Remix)"
        album = f"{track.title} (Remixes)"
        folder = f"@@share\\Music\\{artist} - {_safe(album)} [WEB]"
    elif decoy.kind == "cover":
        seconds += rng.randint(-20, 20)
        song = track.title
        album = f"{rng.choice(ADJECTIVES)} Covers"
        folder = f"@@music\\{artist}\\{_safe(album)} ({rng.randint(1990, 2024)})"
    else:
        song = f"{track.title} (In the Style of {track.artist})"
        album = f"Karaoke Hits Vol. {rng.randint(1, 40)}"
        folder = f"@@karaoke\\{_safe(album)}"
        artist = "Karaoke Stars"
    size, bitrate, depth, rate, ext = _audio(rng, quality, max(30, seconds))
    return SharedFile(
        filename=f"{folder}\\{rng.randint(1, 14):02d} - {_safe(song)}.{ext}",
        size=size,
        bit_rate=bitrate,
        bit_depth=depth,
        sample_rate=rate,
        length=max(30, seconds),
        is_locked=False,
        title=song,
        artist=artist,
        album=album,
        track_no=1,
    )
