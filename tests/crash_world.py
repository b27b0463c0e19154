"""A bigger, plainer auto-sync world for the crash and fault suites: many downloads, few searches.

``build_crash_world`` fills the three simulators with one Spotify playlist of ``albums`` whole
albums (``tracks_per_album`` tracks each), none of which Plex holds, every album shared on
Soulseek as one folder of 320 kbit/s MP3s by one of a few fast peers with free slots. One
"<artist> <album>" search finds a whole album, so an auto-sync queues every track after about
``albums`` searches (the search budget is 34 per 220 s), and the downloads run while it searches.
Plex keeps a handful of unrelated tracks so its section is not empty.

Names come from word lists (no two albums or titles share a word set); ``seed`` changes which
words, the durations, sizes and which peer shares what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import random
import string

from tests.simulators.plex import PlexLibraryTrack, PlexSimulator
from tests.simulators.slskd import SharedFile, SlskdSimulator, SoulseekPeer
from tests.simulators.spotify import SpotifyPlaylistRecord, SpotifySimulator, SpotifyTrackRecord


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Anouk Basil Cosima Dario Elsa Fintan Greta Hollis Idris Juno Kasper Linnea Magnus Nell "
    "Orla Pavel Quinn Rafe Saskia Tobiah Ulla Vesna Wilder Ximena Yusuf Zelda"
)
LAST = _words(
    "Ashdown Brightwater Calloway Dunmore Everly Fairweather Greyson Hartwell Ingram Jessup "
    "Kettering Lockhart Merriweather Northcott Oakhurst Pemberton Quillon Radcliffe Stanhope "
    "Thornbury Underhill Vantongeren Whitlock Yardley"
)
WORDS = _words(
    "amber anchor aster basalt beacon bramble breakwater cairn canopy cinder clover compass "
    "copperleaf cormorant driftwood dunlin ember estuary fennel fjord foxglove glacier granite "
    "harrow heather heron hollyhock inlet juniper kelp kestrel lantern larch lichen lowland "
    "marram meadow millpond moorland nettle nightjar oarlock orchard osprey paddock pebble "
    "peregrine quarry quayside rampart reedbed rookery saltmarsh sandpiper shingle skylark "
    "sorrel spindle starling sycamore tamarisk thistle timber towpath tundra vale verdigris "
    "wagtail weir whinchat willow wren yarrow alder bittern bluebell buttress chalkpit "
    "coppice curlew dogrose eelgrass fieldfare flintstone gorse hawthorn hayloft ironstone "
    "jackdaw kingfisher lapwing limestone mistletoe moorhen nuthatch oxbow plover primrose "
    "redshank riverbank rowan samphire sedge shearwater sloe snowdrop stonechat teasel "
    "turnstone waymark whimbrel woodlark"
)
BASE62 = string.ascii_letters + string.digits
MP3_320 = 40_000  # bytes a second


@dataclass(frozen=True)
class CrashTrack:
    """One wanted track and the file that should be downloaded for it."""

    track_id: str
    artist: str
    title: str
    album: str
    username: str
    filename: str


@dataclass
class CrashWorld:
    """What ``build_crash_world`` put into the simulators."""

    tracks: dict[str, CrashTrack]  # Spotify track id -> the track
    playlist: SpotifyPlaylistRecord

    def by_file(self) -> dict[tuple[str, str], CrashTrack]:
        """(username, filename) -> the track it is."""
        return {(t.username, t.filename): t for t in self.tracks.values()}


def _id(rng: random.Random) -> str:
    return "".join(rng.choice(BASE62) for _ in range(22))


def build_crash_world(
    spotify: SpotifySimulator,
    plex: PlexSimulator,
    slskd: SlskdSimulator,
    *,
    seed: int = 0,
    albums: int = 10,
    tracks_per_album: int = 6,
    peers: int = 4,
    upload_speed: int = 3_000_000,
) -> CrashWorld:
    """Fill the simulators (Spotify's account, Plex's music section, slskd's peers)."""
    rng = random.Random(seed)
    words = list(WORDS)
    rng.shuffle(words)
    if albums * (tracks_per_album + 2) > len(words):
        raise ValueError("not enough words for that many distinct titles")
    artists = [f"{first} {last}" for first in FIRST for last in LAST]
    rng.shuffle(artists)

    spotify.tracks.clear()
    spotify.playlists.clear()
    spotify.user.saved = []
    spotify.user.playlist_ids = []
    network = [
        SoulseekPeer(f"crate_digger_{n}", upload_speed=upload_speed, response_delay=0.1 + n / 20)
        for n in range(peers)
    ]
    playlist = SpotifyPlaylistRecord(
        id=_id(rng),
        name="Everything, crashed",
        owner_id=spotify.user.id,
        owner_name=spotify.user.display_name,
        track_ids=[],
    )
    tracks: dict[str, CrashTrack] = {}
    added = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(albums):
        artist = artists[number]
        album = words.pop().capitalize() + " " + words.pop().capitalize()
        year = rng.randint(1995, 2024)
        album_id = _id(rng)
        artist_id = _id(rng)
        peer = network[number % peers]
        folder = f"@@mp3\\Music\\{artist} - {album} ({year})"
        for position in range(1, tracks_per_album + 1):
            title = words.pop().capitalize()
            seconds = rng.randint(100, 200)
            record = SpotifyTrackRecord(
                id=_id(rng),
                name=title,
                artists=[(artist_id, artist)],
                album=(album_id, album, f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"),
                duration_ms=seconds * 1000 + rng.randint(-400, 400),
                isrc=None,
            )
            spotify.add_track(record)
            playlist.track_ids.append(record.id)
            playlist.added_at[record.id] = (
                added + timedelta(hours=len(tracks) * 5 + rng.randint(0, 4))
            ).strftime("%Y-%m-%dT%H:%M:%SZ")
            filename = f"{folder}\\{position:02d} - {title}.mp3"
            peer.files.append(
                SharedFile(
                    filename=filename,
                    size=seconds * MP3_320 + rng.randint(0, 20_000),
                    bit_rate=320,
                    bit_depth=None,
                    sample_rate=None,
                    length=round(record.duration_ms / 1000),
                    title=title,
                    artist=artist,
                    album=album,
                    track_no=position,
                )
            )
            tracks[record.id] = CrashTrack(record.id, artist, title, album, peer.username, filename)
    spotify.add_playlist(playlist)
    slskd.peers = network

    section = plex.sections[plex.music_section_key]
    if section.entries:
        plex.remove_tracks([entry.rating_key for entry in section.entries])
    root = (section.locations[0] if section.locations else "/music").rstrip("/")
    owned = [
        PlexLibraryTrack(
            title=f"Unrelated Song {n}",
            artist="Somebody Else",
            album="Another Record",
            year=2001,
            track_no=n,
            duration_ms=200_000 + n * 1000,
            file_path=f"{root}/Somebody Else/Another Record (2001)/{n:02d} - Unrelated.mp3",
            isrc=None,
            added_at=added,
            updated_at=added,
        )
        for n in range(1, 6)
    ]
    plex.add_tracks(plex.music_section_key, owned)
    return CrashWorld(tracks=tracks, playlist=playlist)
