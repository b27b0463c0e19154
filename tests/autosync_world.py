"""The test world of the auto-sync end-to-end test: one Spotify account, its Plex library, Soulseek.

``build_world`` fills three simulators (constructed by the caller, started or not) so that every
Spotify track of the account has one known outcome for an auto-sync run with the default options
(formats flac, mp3; lossy files at 256 kbit/s or more; confidence threshold 0.8):

- ``"owned"``: already in Plex (as Plex tags it: durations off by under a second, no ISRC, since
  Plex has no ISRC field). One of them is spelled differently there: ``AutoSyncWorld.variant``
  ("Amélie & The Lanterns" / "Don't Wait Up" on Spotify, "Amelie and the Lanterns" /
  "Dont Wait Up" / album "Dont Wait Up - Single" in Plex). It must count as owned.
- ``"download"``: missing, and shared on Soulseek in FLAC or MP3 >= 256 kbit/s by one or more
  peers, often as a whole album folder (three albums have 4-5 wanted tracks each, so one
  "<artist> <album>" search finds them all). ``AutoSyncWorld.acceptable[track_id]`` is the set
  of (username, filename) that are fine to download: the same recording, unlocked, meeting the
  quality rules, its ``length`` within a second of Spotify's duration. Low-bitrate and locked
  copies of the same recording also exist and are not in the set.
- ``"not_found"``: missing and nowhere on Soulseek (one of them has a namesake by another artist
  that a title-only search finds; two are the tracks an otherwise shared album folder lacks).
- ``"low_quality"``: missing and shared only as 128 kbit/s MP3 (``low_quality_files``).

The decoy (``AutoSyncWorld.decoy``): the missing track "Signal Fire" by Nadia Rahman. Searching
"<artist> <title>" finds two files: the real one (320 kbit/s MP3 from a peer with a queue) and a
live recording ("Signal Fire (Live at Union Chapel)", FLAC, 38 s longer, from the fastest peer
with a free slot), in another folder. The live file must never be chosen.

What ``build_world`` does to the simulators:

- Spotify: the catalogue, the playlists and the saved tracks are replaced (a simulator made by
  the ``spotify_sim`` fixture comes with ``demo_catalogue``; that is cleared), so the world is
  the user's whole account: one playlist of 50 tracks owned by ``spotify.user`` and 20 saved
  tracks, 12 of which are also in the playlist (58 distinct tracks). Tokens are left alone.
- Plex: the section ``plex_section_key`` must exist and be a music section; the caller creates
  it (``PlexSimulator`` always has one: pass ``plex.music_section_key``). Tracks already in it
  are removed, then the 29 owned tracks are added. File paths lie under the section's first
  location but no files are written (Plex's scan only adds files, so a refresh keeps them).
- slskd: ``slskd.peers`` is replaced by the world's nine peers (the demo peers go). Files are
  written by the simulator when downloaded, as real audio of the file's ``length``.

Names are fixed; ``seed`` changes ids, ISRCs, durations (within the rules above), file sizes,
dates and the playlist order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import random
import re
from typing import Any, Final

from tests.simulators.plex import PlexLibraryTrack, PlexSimulator
from tests.simulators.slskd import SharedFile, SlskdSimulator, SoulseekPeer
from tests.simulators.spotify import (
    SpotifyPlaylistRecord,
    SpotifySimulator,
    SpotifyTrackRecord,
)

OWNED: Final = "owned"
DOWNLOAD: Final = "download"
NOT_FOUND: Final = "not_found"
LOW_QUALITY: Final = "low_quality"
OUTCOMES: Final = (OWNED, DOWNLOAD, NOT_FOUND, LOW_QUALITY)

PLAYLIST_NAME: Final = "Everything I Love"
SAVED: Final = "saved"  # the source name auto-sync gives the saved tracks

FileRef = tuple[str, str]  # (username, filename)


# --- the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Song:
    number: int
    title: str
    seconds: int
    outcome: str
    lists: str  # "P": the playlist, "S": saved, "PS": both
    featuring: tuple[str, ...] = ()
    file_title: str | None = None  # how rips name it, when not as Spotify does


@dataclass(frozen=True)
class _Release:
    key: str
    artist: str
    album: str
    date: str
    songs: tuple[_Song, ...]
    folder_album: str | None = None  # the album as shares name it (an original, not a remaster)
    folder_year: int | None = None

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def shared_album(self) -> str:
        return self.folder_album or self.album

    @property
    def shared_year(self) -> int:
        return self.folder_year or self.year


def _album(key: str, artist: str, album: str, date: str, *songs: _Song, **kw: Any) -> _Release:
    return _Release(key, artist, album, date, songs, **kw)


def _single(
    key: str, artist: str, title: str, date: str, seconds: int, outcome: str, lists: str
) -> _Release:
    return _Release(key, artist, title, date, (_Song(1, title, seconds, outcome, lists),))


_S = _Song
_REMASTER = " - 2020 Remaster"

RELEASES: Final[tuple[_Release, ...]] = (
    _album(
        "tides",
        "Marlowe & The Tides",
        "Saltwater Hymns",
        "2019-09-13",
        _S(1, "Harbour Lights", 241, OWNED, "PS"),
        _S(2, "Undertow", 263, DOWNLOAD, "PS"),
        _S(3, "Paper Lanterns (feat. Ines Okafor)", 228, DOWNLOAD, "P", ("Ines Okafor",)),
        _S(4, "Gulls Over Brighton", 197, OWNED, "P"),
        _S(5, "The Long Swim", 305, DOWNLOAD, "P"),
        _S(6, "Saltwater Hymn", 254, OWNED, "P"),
        _S(7, "Tidal Clock", 219, DOWNLOAD, "P"),
    ),
    _album(
        "juniper",
        "Juniper Vale",
        "Northern Static",
        "2022-03-04",
        _S(1, "Static Bloom", 232, DOWNLOAD, "PS"),
        _S(2, "Coldwater", 276, OWNED, "PS"),
        _S(3, "Telegraph Hill", 249, DOWNLOAD, "P"),
        _S(4, "Fieldnotes", 188, DOWNLOAD, "P"),
        _S(5, "Aurora Exit", 301, OWNED, "P"),
        _S(6, "Low Orbit", 264, DOWNLOAD, "P"),
        _S(7, "Snowmelt", 215, DOWNLOAD, "S"),
    ),
    _album(
        "arcade",
        "The Velvet Arcade",
        "Neon Cathedral",
        "2017-06-23",
        _S(1, "Midnight Liturgy", 287, OWNED, "P"),
        _S(2, "Chrome Saints", 243, OWNED, "P"),
        _S(3, "Glasshouse", 226, DOWNLOAD, "PS"),
        _S(4, "Velvet Underpass", 258, OWNED, "P"),
        _S(5, "Stained Glass Radio", 312, DOWNLOAD, "P"),
        _S(6, "Candle Logic", 199, DOWNLOAD, "P"),
        _S(7, "Afterglow Mass", 275, DOWNLOAD, "P"),
    ),
    _album(
        "sofia",
        "Sofia Lindqvist",
        "Paper Moons",
        "2020-10-02",
        _S(1, "Paper Moons", 214, OWNED, "P"),
        _S(2, "Kites", 189, OWNED, "PS"),
        _S(3, "Slow Dancer", 231, LOW_QUALITY, "PS"),
        _S(4, "Night Ferry", 247, OWNED, "P"),
        _S(5, "Sunday Radio", 205, LOW_QUALITY, "P"),
        _S(6, "Lakeside", 262, OWNED, "P"),
    ),
    _album(
        "okonkwo",
        "Okonkwo Brothers",
        "Lagos After Dark",
        "2016-02-12",
        _S(1, "Danfo Driver", 256, OWNED, "P"),
        _S(2, "Third Mainland", 298, OWNED, "P"),
        _S(3, "Palm Wine Blues", 244, OWNED, "P"),
        _S(4, "Eko Nights", 271, NOT_FOUND, "P"),
        _S(5, "Area Boys", 233, NOT_FOUND, "P"),
        _S(6, "Okada Ride", 219, OWNED, "S"),
    ),
    _album(
        "pines",
        "Hollow Pines",
        "Ember Season",
        "2014-11-07",
        _S(1, "Ember Season", 248, OWNED, "P"),
        _S(2, "Firewatch", 222, DOWNLOAD, "PS"),
        _S(3, "Cinder Road", 259, OWNED, "P"),
        _S(4, "Ash & Amber", 237, DOWNLOAD, "P"),
        _S(5, "Woodsmoke", 290, OWNED, "P"),
        _S(6, "Last Light in October", 318, OWNED, "P"),
    ),
    _album(
        "nadia",
        "Nadia Rahman",
        "Quiet Machines",
        "2021-05-21",
        _S(1, "Quiet Machines", 238, OWNED, "P"),
        _S(2, "Signal Fire", 251, DOWNLOAD, "PS"),
        _S(3, "Copper Wire", 226, OWNED, "P"),
        _S(4, "Small Hours", 273, OWNED, "P"),
    ),
    _album(
        "cassius",
        "Cassius Orr",
        "Tall Grass Gospel (2020 Remaster)",
        "2020-05-15",
        _S(1, f"Tall Grass Gospel{_REMASTER}", 266, OWNED, "P", file_title="Tall Grass Gospel"),
        _S(
            2,
            f"Brother, Take the Wheel{_REMASTER}",
            241,
            DOWNLOAD,
            "PS",
            file_title="Brother, Take the Wheel",
        ),
        _S(
            3,
            f"Dust on the Hymnal{_REMASTER}",
            228,
            DOWNLOAD,
            "P",
            file_title="Dust on the Hymnal",
        ),
        _S(4, f"Jericho Porch{_REMASTER}", 284, OWNED, "P", file_title="Jericho Porch"),
        folder_album="Tall Grass Gospel",
        folder_year=2015,
    ),
    _single("amelie", "Amélie & The Lanterns", "Don't Wait Up", "2021-08-06", 214, OWNED, "PS"),
    _single("kasimir", "Kasimir", "Blue Hour Taxi", "2023-01-20", 199, DOWNLOAD, "S"),
    _single("theo", "Theo Marsh", "Greyhound", "2018-07-13", 236, DOWNLOAD, "S"),
    _single("lila", "Lila Brandt", "Weekend Ghosts", "2019-03-29", 243, NOT_FOUND, "PS"),
    _single("kofi", "DJ Kofi Mensah", "Harmattan", "2020-12-04", 327, NOT_FOUND, "S"),
    _single("wren", "Wren Holloway", "Lighthouse", "2019-10-11", 244, NOT_FOUND, "P"),
    _single("rosa", "Rosa Quintero", "Calle Luna", "2018-06-01", 208, LOW_QUALITY, "P"),
    _single("bram", "Bram & Ilse", "Zomerregen", "2017-08-18", 221, LOW_QUALITY, "S"),
    _single("mika", "Mika Sato", "Glass Elevator", "2022-02-18", 203, OWNED, "S"),
    _single("ferro", "Ferro Lux", "Dial Tone Romance", "2011-04-08", 256, OWNED, "P"),
    _single("ines", "Ines Okafor", "Gold Teeth", "2020-09-25", 194, OWNED, "S"),
)

# The owned track Plex spells differently: diacritic dropped, "&" written out, "The" in lower
# case, the apostrophe lost, and the single's album marked as such.
VARIANT_RELEASE: Final = "amelie"
VARIANT_PLEX: Final = ("Amelie and the Lanterns", "Dont Wait Up", "Dont Wait Up - Single")

DECOY_RELEASE: Final = "nadia"
DECOY_NUMBER: Final = 2
DECOY_EXTRA_SECONDS: Final = 38


# --- the world ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpellingVariant:
    """The owned track whose Plex tags are spelled unlike Spotify's: (artist, title, album)."""

    track_id: str
    spotify: tuple[str, str, str]
    plex: tuple[str, str, str]


@dataclass(frozen=True)
class Decoy:
    """The missing track whose search also finds another recording (never to be chosen)."""

    track_id: str
    decoy: FileRef
    decoy_length: int
    real: frozenset[FileRef]


@dataclass
class AutoSyncWorld:
    """What ``build_world`` put into the simulators, and what auto-sync should make of it."""

    tracks: dict[str, SpotifyTrackRecord]  # every track of the account: playlist order, then saved
    playlist: SpotifyPlaylistRecord
    saved: list[tuple[str, str]]  # (track id, added_at), as on the user record
    expected: dict[str, str]  # track id -> owned | download | not_found | low_quality
    acceptable: dict[str, frozenset[FileRef]]  # "download" track id -> files fine to download
    low_quality_files: dict[str, frozenset[FileRef]]  # "low_quality" track id -> its 128k files
    plex_section_key: int
    plex_keys: dict[str, int]  # owned track id -> Plex rating key
    plex_tracks: dict[str, PlexLibraryTrack]  # owned track id -> the Plex item
    variant: SpellingVariant
    decoy: Decoy
    peers: list[SoulseekPeer]
    # Every shared copy of a track's recording (any quality, locked ones too; not the decoy).
    recording_files: dict[str, frozenset[FileRef]] = field(default_factory=dict)
    album_of: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (artist, album)

    # --- queries on the expectations ---------------------------------------------------------

    def ids(self, outcome: str) -> list[str]:
        """Track ids with this expected outcome, in account order."""
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        return [track_id for track_id, value in self.expected.items() if value == outcome]

    def counts(self) -> Counter[str]:
        """How many tracks expect each outcome."""
        return Counter(self.expected.values())

    @property
    def saved_ids(self) -> list[str]:
        """The saved tracks, newest first (as Spotify lists them)."""
        return [t for t, _ in sorted(self.saved, key=lambda s: s[1], reverse=True)]

    @property
    def missing_ids(self) -> list[str]:
        """Every track Plex lacks."""
        return [t for t, value in self.expected.items() if value != OWNED]

    def sources(self, track_id: str) -> set[str]:
        """Where the account holds the track: the playlist's id and/or ``"saved"``."""
        found = {self.playlist.id} if track_id in self.playlist.track_ids else set()
        if any(t == track_id for t, _ in self.saved):
            found.add(SAVED)
        return found

    def wanted_albums(self) -> dict[tuple[str, str], list[str]]:
        """(artist, album) -> the missing tracks of albums with two or more of them."""
        groups: dict[tuple[str, str], list[str]] = {}
        for track_id in self.missing_ids:
            groups.setdefault(self.album_of[track_id], []).append(track_id)
        return {album: ids for album, ids in groups.items() if len(ids) >= 2}

    # --- what a search would send ------------------------------------------------------------

    def first_artist(self, track_id: str) -> str:
        """The track's main credited artist."""
        return str(self.tracks[track_id].artists[0][1])

    def search_text(self, track_id: str) -> str:
        """The first search: "<first artist> <title without (feat.)/brackets/- suffix>"."""
        return f"{self.first_artist(track_id)} {bare_title(self.tracks[track_id].name)}"

    def album_search_text(self, track_id: str) -> str:
        """The album search: "<first artist> <album without brackets>"."""
        return f"{self.first_artist(track_id)} {bare_title(self.tracks[track_id].album[1])}"

    def queries(self, track_id: str) -> list[str]:
        """Artist + title, artist + album, title alone (the searches the brief names)."""
        found: list[str] = []
        for query in (
            self.search_text(track_id),
            self.album_search_text(track_id),
            bare_title(self.tracks[track_id].name),
        ):
            if query.casefold() not in (q.casefold() for q in found):
                found.append(query)
        return found

    # --- shapes other code reads -------------------------------------------------------------

    def web_track(self, track_id: str) -> dict[str, Any]:
        """The track in the Web API's field names (what the matching engine reads)."""
        record = self.tracks[track_id]
        album_id, album_name, release_date = record.album
        return {
            "id": record.id,
            "name": record.name,
            "artists": [{"id": a_id, "name": name} for a_id, name in record.artists],
            "album": {"id": album_id, "name": album_name, "release_date": release_date},
            "duration_ms": record.duration_ms,
            "external_ids": {"isrc": record.isrc} if record.isrc else {},
        }

    def shared(self, username: str, filename: str) -> SharedFile:
        """A shared file by (username, filename); KeyError when no peer shares it."""
        for peer in self.peers:
            if peer.username == username:
                for file in peer.files:
                    if file.filename == filename:
                        return file
        raise KeyError((username, filename))

    def search_file(self, username: str, filename: str) -> dict[str, Any]:
        """A shared file in the download action's shape (filename, size, length)."""
        file = self.shared(username, filename)
        return {"filename": file.filename, "size": file.size, "length": file.length}


# --- building -----------------------------------------------------------------------------------

_BRACKETS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]")
_DASH_SUFFIX = re.compile("\\s+[-\u2013\u2014]\\s+.*$")
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s+.*$", re.IGNORECASE)
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def bare_title(title: str) -> str:
    """A title without "(feat. ...)", "[...]" or "- 2020 Remaster"."""
    stripped = _FEATURING.sub("", _DASH_SUFFIX.sub("", _BRACKETS.sub("", title))).strip()
    return stripped or title.strip()


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(_BASE62) for _ in range(22))


def _isrc(rng: random.Random, year: int) -> str:
    country = rng.choice(["GB", "US", "SE", "NL", "DE", "NG"])
    registrant = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(3))
    return f"{country}{registrant}{year % 100:02d}{rng.randint(0, 99_999):05d}"


class _Shares:
    """Builds the peers' files and remembers which recording each file holds."""

    # Bytes per second of audio: FLAC 16/44.1 about 880 kbit/s, 24/96 about 2.8 Mbit/s.
    RATES: Final = {"flac": 110_000, "flac24": 350_000, 320: 40_000, 256: 32_000, 128: 16_000}

    def __init__(self, rng: random.Random, seconds: dict[tuple[str, int], int]) -> None:
        self.rng = rng
        self.seconds = seconds  # (release key, number) -> announced length
        self.peers: dict[str, SoulseekPeer] = {}
        self.holds: dict[FileRef, tuple[str, int]] = {}  # file -> (release key, number)

    def peer(self, username: str, **kwargs: Any) -> SoulseekPeer:
        self.peers[username] = SoulseekPeer(username, **kwargs)
        return self.peers[username]

    def add(
        self,
        username: str,
        release: _Release,
        song: _Song,
        filename: str,
        quality: str | int,
        *,
        length: int | None = None,
        title: str | None = None,
        locked: bool = False,
        recording: bool = True,
    ) -> FileRef:
        seconds = self.seconds[(release.key, song.number)] if length is None else length
        lossless = quality in ("flac", "flac24")
        size = seconds * self.RATES[quality] + self.rng.randint(0, 90_000)
        file = SharedFile(
            filename=filename,
            size=size,
            bit_rate=None if lossless else int(quality),
            bit_depth=(24 if quality == "flac24" else 16) if lossless else None,
            sample_rate=(96_000 if quality == "flac24" else 44_100) if lossless else None,
            length=seconds,
            is_locked=locked,
            title=title or song.file_title or song.title,
            artist=release.artist,
            album=release.shared_album,
            track_no=song.number,
        )
        self.peers[username].files.append(file)
        ref = (username, filename)
        if recording:
            self.holds[ref] = (release.key, song.number)
        return ref

    # Folder and file name styles seen on Soulseek.
    def flac_folder(self, username: str, release: _Release, numbers: Iterable[int] = ()) -> None:
        folder = f"{release.artist} - {release.shared_album} ({release.shared_year}) [FLAC]"
        for song in _songs(release, numbers):
            name = f"{song.number:02d} - {song.file_title or song.title}.flac"
            self.add(username, release, song, f"@@flac\\Music\\{folder}\\{name}", "flac")

    def hires_folder(self, username: str, release: _Release) -> None:
        folder = f"{release.shared_album} ({release.shared_year}) [24-96 FLAC]"
        for song in release.songs:
            name = f"{song.number:02d}. {song.file_title or song.title}.flac"
            path = f"@@lossless\\{release.artist}\\{folder}\\{name}"
            self.add(username, release, song, path, "flac24")

    def mp3_folder(
        self,
        username: str,
        release: _Release,
        *,
        share: str = "@@mp3",
        numbers: Iterable[int] = (),
        locked: Iterable[int] = (),
    ) -> None:
        folder = f"{release.artist}\\{release.shared_year} - {release.shared_album}"
        closed = set(locked)
        for song in _songs(release, numbers):
            name = f"{song.number:02d} {song.file_title or song.title}.mp3"
            path = f"{share}\\{folder}\\{name}"
            self.add(username, release, song, path, 320, locked=song.number in closed)

    def scene_folder(self, username: str, release: _Release) -> None:
        def scene(text: str) -> str:
            return re.sub(r"[^\w\s-]", "", text).strip().replace(" ", "_").lower()

        folder = scene(f"{release.artist}-{release.shared_album}-WEB-{release.shared_year}-GRP")
        for song in release.songs:
            title = song.file_title or song.title
            name = f"{song.number:02d}-{scene(release.artist)}-{scene(title)}.mp3"
            self.add(username, release, song, f"{folder}\\{name}", 256)

    def loose_128(self, username: str, release: _Release, numbers: Iterable[int] = ()) -> None:
        folder = f"{release.artist} - {release.shared_album}"
        if len(release.songs) == 1:
            folder = "Singles"
        for song in _songs(release, numbers):
            name = f"{release.artist} - {song.file_title or song.title}.mp3"
            self.add(username, release, song, f"@@music\\{folder}\\{name}", 128)

    def single_file(self, username: str, share: str, release: _Release, bit_rate: int) -> None:
        song = release.songs[0]
        path = f"{share}\\{release.artist} - {song.file_title or song.title}.mp3"
        self.add(username, release, song, path, bit_rate)


def _songs(release: _Release, numbers: Iterable[int]) -> list[_Song]:
    wanted = set(numbers)
    return [s for s in release.songs if not wanted or s.number in wanted]


def _share(shares: _Shares, releases: dict[str, _Release]) -> FileRef:
    """Who shares what; returns the decoy file."""
    r = releases
    shares.peer("vinylghost", upload_speed=6_000_000, response_delay=0.15)
    shares.peer("kbps320", upload_speed=900_000, queue_length=2, response_delay=0.35)
    shares.peer(
        "scene_archive",
        upload_speed=1_500_000,
        has_free_upload_slot=False,
        queue_length=9,
        response_delay=0.6,
    )
    shares.peer("dusty_crates", upload_speed=250_000, response_delay=0.5)
    shares.peer("lofi_larry", upload_speed=400_000, queue_length=1, response_delay=0.25)
    shares.peer("radio_rips", upload_speed=300_000, response_delay=0.7)
    shares.peer("mixtape_mo", upload_speed=1_200_000, queue_length=4, response_delay=0.45)
    shares.peer("live_tapes", upload_speed=8_000_000, response_delay=0.1)
    shares.peer("afro_archive", upload_speed=700_000, response_delay=0.55)

    # Whole album folders, lossless.
    for key in ("tides", "juniper", "cassius"):
        shares.flac_folder("vinylghost", r[key])
    single = r["kasimir"]
    song = single.songs[0]
    folder = f"{single.artist} - {single.album} ({single.year}) [FLAC] [Single]"
    shares.add(
        "vinylghost", single, song, f"@@flac\\Music\\{folder}\\01 - {song.title}.flac", "flac"
    )
    shares.hires_folder("dusty_crates", r["arcade"])
    # 320 kbit/s album folders (one file locked to friends), a 256 kbit/s scene release.
    for key in ("tides", "pines", "nadia"):
        shares.mp3_folder("kbps320", r[key])
    shares.mp3_folder("kbps320", r["arcade"], locked=[6])
    shares.scene_folder("scene_archive", r["juniper"])
    # An album folder lacking two tracks: those are nowhere.
    shares.mp3_folder("afro_archive", r["okonkwo"], share="@@music", numbers=[1, 2, 3, 6])
    # Singles at 320.
    shares.single_file("mixtape_mo", "@@downloads", r["theo"], 320)
    shares.single_file("mixtape_mo", "@@downloads", r["kasimir"], 320)
    # Low quality only (and low-quality copies of tracks found elsewhere in good quality).
    shares.loose_128("lofi_larry", r["sofia"])
    shares.loose_128("lofi_larry", r["pines"], numbers=[2, 4])
    shares.loose_128("lofi_larry", r["rosa"])
    shares.loose_128("lofi_larry", r["bram"])
    shares.single_file("radio_rips", "@@rips\\Latin", r["rosa"], 128)
    sofia = r["sofia"]
    shares.add(
        "radio_rips",
        sofia,
        sofia.songs[2],
        f"@@rips\\Pop\\{sofia.artist} - {sofia.songs[2].title}.mp3",
        128,
    )
    # Another artist's "Lighthouse": what a title-only search for Wren Holloway's finds.
    wren = r["wren"]
    other = _Release("sable", "Sable Fjord", "Lighthouse", "2016-01-01", wren.songs)
    shares.add(
        "mixtape_mo",
        other,
        wren.songs[0],
        "@@downloads\\Sable Fjord - Lighthouse.mp3",
        320,
        length=203,
        recording=False,
    )
    # The decoy: a live recording from the most attractive peer, in its own folder.
    nadia = r[DECOY_RELEASE]
    live = f"@@flac\\Bootlegs\\{nadia.artist} - Live at Union Chapel (2022) [FLAC]"
    decoy: FileRef = ("", "")
    for position, number in enumerate((1, DECOY_NUMBER, 4), 1):
        song = nadia.songs[number - 1]
        extra = DECOY_EXTRA_SECONDS if number == DECOY_NUMBER else 30 + 5 * position
        seconds = shares.seconds[(nadia.key, number)] + extra
        title = f"{song.title} (Live at Union Chapel)"
        ref = shares.add(
            "live_tapes",
            nadia,
            song,
            f"{live}\\{position:02d} - {title}.flac",
            "flac",
            length=seconds,
            title=title,
            recording=False,
        )
        if number == DECOY_NUMBER:
            decoy = ref
    return decoy


def _meets_rules(file: SharedFile) -> bool:
    """Formats flac, mp3; MP3 at 256 kbit/s or more; not locked."""
    if file.is_locked:
        return False
    name = file.filename.lower()
    if name.endswith(".flac"):
        return True
    return name.endswith(".mp3") and (file.bit_rate or 0) >= 256


def build_world(
    spotify: SpotifySimulator,
    plex: PlexSimulator,
    plex_section_key: int,
    slskd: SlskdSimulator,
    seed: int = 0,
) -> AutoSyncWorld:
    """Fill the simulators with the world (see the module docstring for what is replaced)."""
    section = plex.sections.get(plex_section_key)
    if section is None or section.type != "artist":
        raise ValueError(f"Plex section {plex_section_key} is not a music section")
    rng = random.Random(seed)
    releases = {release.key: release for release in RELEASES}

    # Spotify: the whole account.
    spotify.tracks.clear()
    spotify.playlists.clear()
    spotify.user.saved = []
    spotify.user.playlist_ids = []
    artist_ids: dict[str, str] = {}
    records: dict[tuple[str, int], SpotifyTrackRecord] = {}
    seconds: dict[tuple[str, int], int] = {}
    for release in RELEASES:
        album_id = _spotify_id(rng)
        for song in release.songs:
            names = [release.artist, *song.featuring]
            artists = [(artist_ids.setdefault(n, _spotify_id(rng)), n) for n in names]
            duration_ms = song.seconds * 1000 + rng.randint(-450, 450)
            record = SpotifyTrackRecord(
                id=_spotify_id(rng),
                name=song.title,
                artists=artists,
                album=(album_id, release.album, release.date),
                duration_ms=duration_ms,
                isrc=_isrc(rng, release.year),
            )
            spotify.add_track(record)
            records[(release.key, song.number)] = record
            seconds[(release.key, song.number)] = round(duration_ms / 1000)

    playlist_keys = [(r.key, s.number) for r in RELEASES for s in r.songs if "P" in s.lists]
    saved_keys = [(r.key, s.number) for r in RELEASES for s in r.songs if "S" in s.lists]
    rng.shuffle(playlist_keys)
    rng.shuffle(saved_keys)
    user = spotify.user
    start = datetime(2023, 2, 1, 9, tzinfo=UTC)
    playlist = SpotifyPlaylistRecord(
        id=_spotify_id(rng),
        name=PLAYLIST_NAME,
        owner_id=user.id,
        owner_name=user.display_name,
        track_ids=[],
    )
    for position, key in enumerate(playlist_keys):
        when = start + timedelta(days=position * 3, minutes=rng.randint(0, 600))
        playlist.track_ids.append(records[key].id)
        playlist.added_at[records[key].id] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    spotify.add_playlist(playlist)
    saved_start = datetime(2025, 1, 5, 20, tzinfo=UTC)
    user.saved = [
        (
            records[key].id,
            (saved_start + timedelta(days=9 * n, minutes=rng.randint(0, 900))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        )
        for n, key in enumerate(saved_keys)
    ]

    # Plex: the owned half.
    if section.entries:
        plex.remove_tracks([entry.rating_key for entry in section.entries])
    root = (section.locations[0] if section.locations else "/music").rstrip("/")
    owned_keys = [(r.key, s.number) for r in RELEASES for s in r.songs if s.outcome == OWNED]
    plex_items: list[PlexLibraryTrack] = []
    added = datetime(2024, 3, 1, 18, tzinfo=UTC)
    for n, (release_key, number) in enumerate(owned_keys):
        release = releases[release_key]
        song = release.songs[number - 1]
        artist, title, album = release.artist, song.title, release.album
        if release_key == VARIANT_RELEASE:
            artist, title, album = VARIANT_PLEX
        moment = added + timedelta(hours=7 * n, minutes=rng.randint(0, 59))
        plex_items.append(
            PlexLibraryTrack(
                title=title,
                artist=artist,
                album=album,
                year=release.year,
                track_no=number,
                duration_ms=records[(release_key, number)].duration_ms + rng.randint(-600, 600),
                file_path=f"{root}/{artist}/{album} ({release.year})/{number:02d} - {title}.flac",
                isrc=None,  # Plex has no ISRC field
                added_at=moment,
                updated_at=moment,
            )
        )
    rating_keys = plex.add_tracks(plex_section_key, plex_items)

    # slskd: the world's peers.
    shares = _Shares(rng, seconds)
    decoy_ref = _share(shares, releases)
    slskd.peers = list(shares.peers.values())

    # The expectations.
    in_playlist = set(playlist_keys)
    ordered = [*playlist_keys, *(k for k in saved_keys if k not in in_playlist)]
    tracks = {records[key].id: records[key] for key in ordered}
    expected: dict[str, str] = {}
    album_of: dict[str, tuple[str, str]] = {}
    by_key = {records[key].id: key for key in ordered}
    for track_id, (release_key, number) in by_key.items():
        release = releases[release_key]
        expected[track_id] = release.songs[number - 1].outcome
        album_of[track_id] = (release.artist, release.album)
    recording: dict[str, set[FileRef]] = {track_id: set() for track_id in tracks}
    for ref, key in shares.holds.items():
        recording[records[key].id].add(ref)
    acceptable: dict[str, frozenset[FileRef]] = {}
    low: dict[str, frozenset[FileRef]] = {}
    lookup = {(p.username, f.filename): f for p in shares.peers.values() for f in p.files}
    for track_id, outcome in expected.items():
        refs = recording[track_id]
        if outcome == DOWNLOAD:
            acceptable[track_id] = frozenset(r for r in refs if _meets_rules(lookup[r]))
        elif outcome == LOW_QUALITY:
            low[track_id] = frozenset(refs)
    owned_ids = [records[key].id for key in owned_keys]
    variant_record = records[(VARIANT_RELEASE, 1)]
    decoy_record = records[(DECOY_RELEASE, DECOY_NUMBER)]
    return AutoSyncWorld(
        tracks=tracks,
        playlist=playlist,
        saved=list(user.saved),
        expected=expected,
        acceptable=acceptable,
        low_quality_files=low,
        plex_section_key=plex_section_key,
        plex_keys=dict(zip(owned_ids, rating_keys, strict=True)),
        plex_tracks=dict(zip(owned_ids, plex_items, strict=True)),
        variant=SpellingVariant(
            track_id=variant_record.id,
            spotify=(variant_record.artists[0][1], variant_record.name, variant_record.album[1]),
            plex=VARIANT_PLEX,
        ),
        decoy=Decoy(
            track_id=decoy_record.id,
            decoy=decoy_ref,
            decoy_length=lookup[decoy_ref].length,
            real=acceptable[decoy_record.id],
        ),
        peers=slskd.peers,
        recording_files={t: frozenset(refs) for t, refs in recording.items()},
        album_of=album_of,
    )
