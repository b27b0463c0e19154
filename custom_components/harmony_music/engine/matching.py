"""Does a library item or Soulseek file hold the same recording as a Spotify track?

Hard gates first (version, ISRC conflict, artist, title, duration), then a weighted score of the
criteria both sides know. ``score_details`` explains a decision part by part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from functools import cached_property, lru_cache
import math
import re
from typing import Any, TypeGuard

from .normalize import drop_article, fold, german_fold, is_non_latin, japanese_reading
from .versions import ParsedTitle, album_versions, classify, parse_title

DEFAULT_CONFIDENCE_THRESHOLD: float = 0.8

WEIGHTS = {"title": 0.40, "artist": 0.35, "duration": 0.15, "album": 0.10}
TITLE_GATE = 0.8
CROWDED_TITLE = 25
DURATION_EXACT_S = 3.0
DURATION_GATE_S = 7.0
AUDIO_EXTENSIONS = frozenset(
    {"mp3", "flac", "m4a", "aac", "ogg", "opus", "wav", "wma", "alac", "aiff", "aif", "ape", "wv"}
)
_ARTIST_SPLIT = re.compile(
    r"\s*(?:,|;|/|\bfeat\b\.?|\bft\b\.?|\bfeaturing\b|\bwith\b|\bx\b|\band\b|\bvs\b\.?)\s*"
)
_TRACK_NUMBER = re.compile(r"^\s*(?:\d{1,2}[-.]\d{1,2}|[a-dA-D]?\d{1,3})(?:\s*[-._)]\s*|\s+)(?=\S)")
_RAW_ARTIST_SPLIT = re.compile(r"\s*[,;]\s*|\s+/\s+")  # not inside "AC/DC"
_FEAT_WORD = re.compile(r"^\s*(?:feat\.?|ft\.?|featuring|with)\s+", re.IGNORECASE)
_NOT_ARTISTS = frozenset({"", "the", "a", "and"})
_ACRONYM_SKIP = frozenset({"and", "of", "the", "a"})
_VOWELS = re.compile(r"[aeiouy]")
# Catalogue numbers of classical works, often left out of file tags ("Suite bergamasque, L. 75").
_CATALOGUE = re.compile(r"\b(?:op|opus|bwv|kv|k|hob|rv|wwv|l|d|s)\s?\d+[a-z]?\b")
# Text-speak that spells the same words: "Nothing Compares 2 U" == "Nothing Compares To You".
_TEXTESE = {"2": "to", "4": "for", "u": "you", "r": "are", "n": "and", "o": "of"}
# Version classes an edit can differ by when the lengths agree (a plain-named copy of a single
# is its radio edit), and classes a copy inherits from its album (a plain title on a live album).
_EDIT_CLASSES = frozenset({"radio_edit", "edit"})
_ALBUM_CLASSES = frozenset({"live", "acoustic"})
_FOLDER_CLASSES = frozenset({"live", "acoustic", "karaoke"})
_FULL_LENGTH_CLASSES = frozenset({"ver:long", "ver:full"})
SECONDARY_ARTIST = 0.9
SHORT_TITLE = 0.8  # the title part of a short name (see short_title)
SHORT_TITLE_WORDS = 3
SKELETON_MIN = 2  # shorter consonant skeletons ('Oui' -> '') say nothing
NO_ARTIST = 0.35
ALBUM_VOUCHED_ARTIST = 0.6
# Album names that many artists share: they vouch for nothing.
_GENERIC_ALBUM = re.compile(
    r"^(?:(?:the )?(?:very )?(?:best|greatest|essential|ultimate)\b.*|(?:greatest )?hits\b.*"
    r"|singles|gold|collection|anthology|live|unplugged|remixes|untitled|soundtrack|ost|"
    r"music|misc|unknown album|various|compilation)$"
)
# What odd input (wrong types, cut-off strings, pathological nesting) can raise while scoring.
_ODD_INPUT = (
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    IndexError,
    RecursionError,
    ArithmeticError,
)
_DISC_DIR = re.compile(r"^(cd|disc|disk)\s*\d+$")
_YEAR_PREFIX = re.compile(r"^\s*[\(\[]?(19|20)\d{2}[\)\]]?\s*[-.]?\s*")
_NUMBER = re.compile(r"\d+")
_BRACKETED = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")


@dataclass(frozen=True)
class MatchDetails:
    """A decision with its explanation."""

    score: float
    gate: str | None = None
    parts: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage and action responses."""
        return {"score": round(self.score, 4), "gate": self.gate, "parts": dict(self.parts)}


def _is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """Inputs come from users and peers: check shapes at run time whatever the annotations say."""
    return type(value) is dict or isinstance(value, Mapping)  # the ABC check is slow


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


@lru_cache(maxsize=65536)
def artist_units(text: str) -> frozenset[str]:
    """Compact names of every artist a credit string names, and of the whole credit."""
    folded = fold(text)
    if not folded:
        return frozenset()
    units = {drop_article(folded).replace(" ", "")} | _credit_names(text)
    german = german_fold(text)  # "Die Ärzte" is also written "Die Aerzte"
    if german:
        units |= artist_units(german)
    return frozenset(units - _NOT_ARTISTS)


def _credit_names(text: str) -> set[str]:
    """The compact name of each artist a credit names ("A, B & C" -> a, b, c)."""
    parts = _RAW_ARTIST_SPLIT.split(text) if any(c in text for c in ",;/") else (text,)
    return {
        drop_article(name).replace(" ", "")
        for part in parts
        for name in _ARTIST_SPLIT.split(fold(part))
    }


def _acronym(words: str) -> str:
    """'electric light orchestra' -> 'elo' (three letters or more, else '')."""
    letters = [w[0] for w in words.split() if w not in _ACRONYM_SKIP]
    return "".join(letters) if len(letters) >= 3 else ""


@dataclass(frozen=True)
class TrackFeatures:
    """What the matcher needs from a Spotify track; rarely needed parts are computed on demand."""

    title: ParsedTitle
    primary: str
    names: tuple[str, ...]
    primary_units: frozenset[str]
    album: str
    album_versions: frozenset[str]
    duration_s: float | None
    isrc: str | None
    non_latin_title: bool = False
    name: str = ""  # the title as Spotify wrote it
    album_remaster: bool = False

    @cached_property
    def reading_forms(self) -> tuple[str, ...]:
        """Romanisations of a non-Latin title: unidecode's, and the Japanese reading."""
        if not self.non_latin_title:
            return ()
        japanese = japanese_reading(self.name)
        forms = [self.title.base]
        if japanese:
            forms.append(parse_title(japanese).base)
        return tuple(forms)

    @cached_property
    def primary_words(self) -> str:
        """The primary artist folded, without article."""
        return drop_article(fold(self.primary))

    @cached_property
    def secondary_units(self) -> frozenset[str]:
        """The other artists Spotify credits (a duet partner, the performer of a classical work)."""
        units: set[str] = set()
        for artist in self.names[1:]:
            units |= artist_units(artist)
        return frozenset(units - self.primary_units)

    @cached_property
    def secondary_tokens(self) -> tuple[tuple[str, ...], ...]:
        """The other credited artists' words, to find them in folder names."""
        return tuple(
            words for name in self.names[1:] if (words := tuple(drop_article(fold(name)).split()))
        )

    @cached_property
    def primary_tokens(self) -> tuple[str, ...]:
        """The primary artist's words, to find it in folder names."""
        return tuple(self.primary_words.split())

    @cached_property
    def non_latin_artist(self) -> bool:
        """Whether the primary artist is written in a script transliteration may not bridge."""
        return is_non_latin(self.primary)

    @cached_property
    def title_forms(self) -> tuple[str, ...]:
        """The title, its other names (subtitle, translation) and both run together."""
        base, aliases = self.title.base, self.title.aliases
        return (base, *aliases, *(f"{base} {alias}" for alias in aliases))

    @cached_property
    def all_units(self) -> frozenset[str]:
        """Every credited artist, featured ones from the title included."""
        units: set[str] = set()
        for artist in (*self.names, *self.title.featured):
            units |= artist_units(artist)
        return frozenset(units)


def _raw_isrc(track: Mapping[str, Any]) -> str | None:
    ids = track.get("external_ids")
    isrc = _str(ids.get("isrc")) if _is_mapping(ids) else ""
    return isrc.upper().replace("-", "") or None


def _raw_duration_s(track: Mapping[str, Any]) -> float | None:
    duration_ms = _num(track.get("duration_ms"))
    return duration_ms / 1000 if duration_ms else None


def _primary_artist(track: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    artists_raw = track.get("artists")
    names: tuple[str, ...] = ()
    if isinstance(artists_raw, list):
        names = tuple(n for a in artists_raw if _is_mapping(a) if (n := _str(a.get("name"))))
    return (names[0] if names else ""), names


def track_features(track: Mapping[str, Any]) -> TrackFeatures:
    """Features of a Spotify track object (missing or odd fields are tolerated)."""
    primary, names = _primary_artist(track)
    album_raw = track.get("album")
    album = _str(album_raw.get("name")) if _is_mapping(album_raw) else _str(album_raw)
    name = _str(track.get("name"))
    album_title = parse_title(album)
    return TrackFeatures(
        title=parse_title(name),
        primary=primary,
        names=names,
        primary_units=artist_units(primary),
        album=album_title.base,
        album_versions=album_versions(album),
        duration_s=_raw_duration_s(track),
        isrc=_raw_isrc(track),
        non_latin_title=is_non_latin(name),
        name=name,
        album_remaster=album_title.remaster,
    )


@dataclass(frozen=True)
class Reading:
    """One way to read a candidate: title, credited artists, album, folder context."""

    title: ParsedTitle
    artist_units: frozenset[str]
    context_tokens: tuple[str, ...]
    album: str
    album_versions: frozenset[str]
    artist_words: str = ""  # the credit folded, without article
    artist_non_latin: bool = False
    folder_names: frozenset[str] = frozenset()  # compact names of the parent folders
    album_remaster: bool = False


@dataclass(frozen=True)
class CandidateFeatures:
    """Readings of a candidate (Soulseek names can be read several ways) and its hard facts."""

    readings: tuple[Reading, ...]
    duration_s: float | None
    isrc: str | None


def library_features(candidate: Mapping[str, Any]) -> CandidateFeatures:
    """Features of a library item."""
    album = _str(candidate.get("album"))
    album_title = parse_title(album)
    artist = _str(candidate.get("artist"))
    reading = Reading(
        title=parse_title(_str(candidate.get("title"))),
        artist_units=artist_units(artist),
        context_tokens=(),
        album=album_title.base,
        album_versions=album_versions(album),
        artist_words=drop_article(fold(artist)),
        artist_non_latin=is_non_latin(artist),
        album_remaster=album_title.remaster,
    )
    duration_ms = _num(candidate.get("duration_ms"))
    isrc = _str(candidate.get("isrc")).upper().replace("-", "")
    return CandidateFeatures((reading,), duration_ms / 1000 if duration_ms else None, isrc or None)


def _strip_extension(name: str, extension: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if dot and (ext.lower() in AUDIO_EXTENSIONS or ext.lower() == extension.lower().lstrip(".")):
        return stem
    return name


def _folder_album(folder: str) -> tuple[str, str]:
    """(artist, album) read from a folder name like 'Artist - Album (Year) [FLAC]'."""
    plain = _BRACKETED.sub(" ", folder).strip()
    plain = _YEAR_PREFIX.sub("", plain) or plain  # an album called "1989" keeps its name
    if " - " in plain:
        artist, _, album = plain.partition(" - ")
        return artist, _YEAR_PREFIX.sub("", album)
    if " " not in plain and plain.count("-") >= 2:  # scene: artist-album-source-year-group
        parts = plain.replace("_", " ").split("-")
        return parts[0], parts[1]
    return "", plain


def _folder_versions(folders: Sequence[str]) -> frozenset[str]:
    """Versions the folders imply: the album folder's live/unplugged name, a karaoke collection."""
    found: set[str] = set()
    for depth, folder in enumerate(folders):
        if depth == 0:
            found |= album_versions(_BRACKETED.sub(" ", folder))
            for descriptor in _BRACKETED.findall(folder):
                found |= (classify(fold(descriptor)) or frozenset()) & _FOLDER_CLASSES
        if "karaoke" in folder.lower():
            found.add("karaoke")
    return frozenset(found)


def _name_splits(stem: str) -> list[tuple[str, str]]:
    """(artist, title) readings of a file name: 'Artist - Title', 'Title - Artist', scene names,
    and 'Artist - Album - 07 - Title'."""
    splits: list[tuple[str, str]] = []
    if " - " in stem:
        segments = [s for s in stem.split(" - ") if s.strip()]
        if segments and _NUMBER.fullmatch(segments[0].strip()):
            segments = segments[1:]
        if len(segments) >= 2:
            splits.append((segments[0], " - ".join(segments[1:])))
            splits.append((segments[-1], " - ".join(segments[:-1])))
        if len(segments) == 3:  # the middle one is often the album
            splits.append((segments[0], segments[2]))
            splits.append((segments[2], segments[0]))
        for index in range(1, len(segments) - 1):
            if _NUMBER.fullmatch(segments[index].strip()) and len(segments[index].strip()) <= 3:
                splits.append((segments[0], " - ".join(segments[index + 1 :])))
                break
    elif "-" in stem and stem.count("-") <= 3 and not re.search(r"\s-|-\s", stem):
        segments = [s for s in stem.split("-") if s.strip()]
        if len(segments) >= 2:
            splits.append((segments[0], segments[-1]))
    return splits


def soulseek_features(candidate: Mapping[str, Any]) -> CandidateFeatures:
    """Features of a Soulseek file as slskd reports it."""
    path = _str(candidate.get("filename")).replace("/", "\\")
    parts = [p for p in path.split("\\") if p]
    name = parts[-1] if parts else ""
    # The share's root ("@@name") says nothing about the music in it.
    folders = [
        p for p in reversed(parts[:-1]) if not p.startswith("@@") and not _DISC_DIR.match(fold(p))
    ][:3]
    stem = _strip_extension(name, _str(candidate.get("extension")))
    if " " not in stem:
        stem = stem.replace("_", " ")
    stem = _TRACK_NUMBER.sub("", stem, count=1)

    context: list[str] = []
    album = ""
    folder_artist = ""
    for depth, folder in enumerate(folders):
        artist_part, album_part = _folder_album(folder)
        if depth == 0:
            album = album_part
            folder_artist = artist_part
        context.extend(fold(folder.replace("_", " ")).split())
    album_vers = _folder_versions(folders)
    folder_names = frozenset(drop_article(fold(folder)).replace(" ", "") for folder in folders)

    splits = _name_splits(stem)
    splits.append((folder_artist, stem))

    # Descriptors anywhere in the name ("Hello - Lionel Richie (Karaoke)") hold for every reading.
    stem_versions = parse_title(stem, dash_suffix=False).versions
    album_base = parse_title(album).base
    readings = []
    for artist, title in splits:
        credit = _BRACKETED.sub(" ", artist)
        readings.append(
            Reading(
                title=_with_versions(parse_title(title, dash_suffix=False), stem_versions),
                artist_units=artist_units(credit),
                context_tokens=tuple(context),
                album=album_base,
                album_versions=album_vers,
                artist_words=drop_article(fold(credit)),
                artist_non_latin=is_non_latin(credit),
                folder_names=folder_names,
            )
        )
    return CandidateFeatures(tuple(readings), _num(candidate.get("length")), None)


def _with_versions(title: ParsedTitle, versions: frozenset[str]) -> ParsedTitle:
    return replace(title, versions=title.versions | versions)


def candidate_features(candidate: Mapping[str, Any]) -> CandidateFeatures | None:
    """Features of either kind of candidate, or None for something we cannot read."""
    kind = candidate.get("kind")
    if kind == "library":
        return library_features(candidate)
    if kind == "soulseek" or (kind is None and "filename" in candidate):
        return soulseek_features(candidate)
    return None


def title_similarity(a: str, b: str) -> float:
    """1.0 for equal titles; strict otherwise (one changed letter or number is another song)."""
    if not a or not b:
        return 0.0
    a2, b2 = drop_article(a), drop_article(b)
    if a2 == b2 or a2.replace(" ", "") == b2.replace(" ", ""):
        return 1.0
    if _textese(a2) == _textese(b2):
        return 1.0
    if _NUMBER.findall(a2) != _NUMBER.findall(b2):
        a3, b3 = _CATALOGUE.sub(" ", a2), _CATALOGUE.sub(" ", b2)
        if (a3 == a2 and b3 == b2) or _NUMBER.findall(a3) != _NUMBER.findall(b3):
            return 0.0
        a2, b2 = a3, b3
    # Whole words only: 'Parabol' vs 'Parabola' are two songs, so no letter-level fuzziness.
    ta, tb = set(a2.split()), set(b2.split())
    if not ta or not tb:  # nothing left but catalogue numbers
        return 0.0
    return len(ta & tb) / len(ta | tb)


def short_title(a: str, b: str) -> bool:
    """One title is the other's first three or more words ("Killing Me Softly" for "Killing Me
    Softly With His Song"): a common short name, trusted only with the same artist and length."""
    ta, tb = drop_article(a).split(), drop_article(b).split()
    short, long = (ta, tb) if len(ta) < len(tb) else (tb, ta)
    return (
        len(short) >= SHORT_TITLE_WORDS
        and long[: len(short)] == short
        and not any(word.isdigit() for word in long[len(short) :])  # "... 2" is another song
    )


def _textese(text: str) -> str:
    return " ".join(_TEXTESE.get(word, word) for word in text.split())


def transliteration_similarity(a: str, b: str) -> float:
    """Similarity of two romanisations of one title (systems differ: 'Solntse'/'Solnce').

    Letters are compared without spaces, and again without vowels, which scripts such as Arabic
    and Hebrew do not write. Numbers must agree.
    """
    # 'y' and 'i' stand for the same letters in many systems (й: 'Obiymy'/'Obiimi').
    ca, cb = a.replace(" ", "").replace("y", "i"), b.replace(" ", "").replace("y", "i")
    if not ca or not cb or _NUMBER.findall(a) != _NUMBER.findall(b):
        return 0.0
    ratio = SequenceMatcher(None, ca, cb, autojunk=False).ratio()
    sa, sb = _VOWELS.sub("", ca), _VOWELS.sub("", cb)
    if len(sa) >= 4 and len(sb) >= 4:
        ratio = max(ratio, SequenceMatcher(None, sa, sb, autojunk=False).ratio())
    return ratio


def _title_part(track: TrackFeatures, reading: Reading) -> float:
    """Best similarity over the titles' other names; transliterations get letter-level help."""
    best = title_similarity(track.title.base, reading.title.base)
    if best >= TITLE_GATE:
        return best
    # A copy's bracketed other name counts only across scripts ("마지막처럼 (As If It's Your
    # Last)"): "Suerte (Whenever, Wherever)" is the Spanish recording, not the English one.
    theirs_aliases = (
        reading.title.aliases if reading.title.non_latin or track.non_latin_title else ()
    )
    if track.title.aliases or theirs_aliases:
        for ours in track.title_forms:
            for theirs in (reading.title.base, *theirs_aliases):
                best = max(best, title_similarity(ours, theirs))
    if best < TITLE_GATE and track.non_latin_title:
        for form in track.reading_forms:
            best = max(
                best,
                title_similarity(form, reading.title.base),
                transliteration_similarity(form, reading.title.base),
            )
    elif best < TITLE_GATE and reading.title.non_latin:
        # The copy is tagged in the original script, the track romanised ("तुम ही हो").
        best = max(best, transliteration_similarity(track.title.base, reading.title.base))
    if best < TITLE_GATE and short_title(track.title.base, reading.title.base):
        best = SHORT_TITLE
    return best


def _contains_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    if not phrase or len(phrase) > len(tokens):
        return False
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))


def _same_band(primary: str, credit: str) -> bool:
    """'Jimi Hendrix' in 'The Jimi Hendrix Experience', 'ELO' for 'Electric Light Orchestra'."""
    if not primary or not credit:
        return False
    if " " in primary and f" {primary} " in f" {credit} ":
        return True
    if " " in credit and f" {credit} " in f" {primary} ":
        return True
    compact = credit.replace(" ", "")
    return _acronym(primary) == compact or _acronym(credit) == primary.replace(" ", "")


def _artist_part(track: TrackFeatures, reading: Reading) -> float | None:
    """1.0 same artist, 0.9 another credited artist, 0.0 another artist, 0.35 no artist known,
    0.3 only a featured artist of the title; None when scripts differ and nothing can tell."""
    units = reading.artist_units
    if track.primary_units and (
        track.primary_units & units
        or (len(track.primary_units) > 1 and track.primary_units - {""} <= units)
    ):
        return 1.0
    if _contains_phrase(reading.context_tokens, track.primary_tokens):
        return 1.0
    if any(_contains_phrase(reading.context_tokens, t) for t in track.secondary_tokens):
        return SECONDARY_ARTIST  # the performer in the folder name ("Debussy - Seong-Jin Cho")
    if _same_band(track.primary_words, reading.artist_words):
        return 1.0
    if track.non_latin_artist or reading.artist_non_latin:
        return None
    if reading.folder_names & track.primary_units:
        return 1.0  # a folder named after the artist ("Miracles, The")
    if not units:
        return NO_ARTIST
    if track.secondary_units & units:
        return SECONDARY_ARTIST
    if track.all_units & units:  # credited to a featured artist only: likely their own version
        return 0.3
    return 0.0


def _guest_units(featured: tuple[str, ...]) -> frozenset[str]:
    """Each guest named in a title's feat./with credit, one compact name per guest."""
    units: set[str] = set()
    for credit in featured:
        units |= _credit_names(_FEAT_WORD.sub(" ", credit.strip(" ()[]")))
    return frozenset(units - _NOT_ARTISTS)


def _extra_guest(track: TrackFeatures, reading: Reading) -> bool:
    """The copy features someone the track credits nowhere: a remix with a new verse."""
    if not reading.title.featured:
        return False
    guests = _guest_units(reading.title.featured)
    return bool(guests) and not guests <= track.all_units


def _versions_compatible(track: TrackFeatures, cand: CandidateFeatures, reading: Reading) -> bool:
    """Same version classes, or a plain-titled copy that is the track's labelled version.

    Spotify always labels versions, so only its label may be missing on the copy, never the other
    way round, and only when the lengths agree: an unlabelled copy as long as the radio edit is
    the radio edit; a plain title from the same album as a live track is that live take.
    """
    ours = track.title.versions | track.album_versions
    theirs = reading.title.versions | reading.album_versions
    if ours == theirs:
        return True
    if not _same_length(track, cand):
        return False
    if ours ^ theirs <= _FULL_LENGTH_CLASSES:
        return True  # "(Long Version)" as long as the plain track is the plain track
    if not theirs < ours:
        return False
    extra = ours - theirs
    if extra <= _EDIT_CLASSES:
        return True
    if extra == {"remix:"} and len(track.names) > 1:
        # Spotify's unnamed "Remix" that adds guests, and a copy credited to every one of them.
        return all(artist_units(name) & reading.artist_units for name in track.names[1:])
    return (
        not reading.title.versions
        and extra <= _ALBUM_CLASSES
        and bool(track.album and reading.album)
        and title_similarity(track.album, reading.album) >= TITLE_GATE
    )


def _same_length(track: TrackFeatures, cand: CandidateFeatures) -> bool:
    return _duration_part(track, cand) == 1.0


def _duration_part(track: TrackFeatures, cand: CandidateFeatures) -> float | None:
    if track.duration_s is None or cand.duration_s is None:
        return None
    diff = abs(track.duration_s - cand.duration_s)
    if diff <= DURATION_EXACT_S:
        return 1.0
    if diff > DURATION_GATE_S:
        return 0.0
    return 1.0 - (diff - DURATION_EXACT_S) / (DURATION_GATE_S - DURATION_EXACT_S)


def _score_reading(track: TrackFeatures, cand: CandidateFeatures, reading: Reading) -> MatchDetails:
    # A live track matches a plain title on a live album and vice versa: compare classes.
    parts: dict[str, float] = {}
    if not _versions_compatible(track, cand, reading):
        return MatchDetails(0.0, "version", {"version": 0.0})
    parts["version"] = 1.0

    title = _title_part(track, reading)
    parts["title"] = title
    if title < TITLE_GATE:
        return MatchDetails(0.0, "title", parts)
    if _extra_guest(track, reading):
        return MatchDetails(0.0, "guest", parts)

    artist = _artist_part(track, reading)
    if artist is not None:
        parts["artist"] = artist
        if artist == 0.0:
            return MatchDetails(0.0, "artist", parts)
    if title == SHORT_TITLE and artist != 1.0:
        return MatchDetails(0.0, "evidence", parts)

    duration = _duration_part(track, cand)
    if duration is not None:
        parts["duration"] = duration
        if duration == 0.0:
            return MatchDetails(0.0, "duration", parts)
    if (artist is None or artist == SECONDARY_ARTIST or title < 1.0) and duration != 1.0:
        # A transliterated title, another credited artist or a near title: only with the
        # same length is it the same recording.
        return MatchDetails(0.0, "evidence", parts)

    if track.album and reading.album:
        album_sim = title_similarity(track.album, reading.album)
        parts["album"] = 1.0 if album_sim >= 0.8 else 0.5
        if (
            artist == NO_ARTIST
            and parts["album"] == 1.0
            and duration == 1.0
            and not _GENERIC_ALBUM.match(track.album)
        ):
            # No artist in the path, but the album folder and the length agree.
            parts["artist"] = ALBUM_VOUCHED_ARTIST

    weighted = sum(WEIGHTS[k] * v for k, v in parts.items() if k in WEIGHTS)
    total = sum(WEIGHTS[k] for k in parts if k in WEIGHTS)
    score = weighted / total if total else 0.0
    if duration is not None and duration < 1.0:
        # Lengths a few seconds apart are doubt about the whole match, not one part of it.
        score *= 0.85 + 0.15 * duration
    if track.isrc and cand.isrc and track.isrc != cand.isrc:
        # A remaster gets a new ISRC: then a conflict only lowers the score.
        parts["isrc"] = 0.0
        if not (
            track.title.remaster
            or reading.title.remaster
            or track.album_remaster
            or reading.album_remaster
        ):
            return MatchDetails(0.0, "isrc", parts)
        score *= 0.9
    return MatchDetails(max(0.0, min(1.0, score)), None, parts)


def details_from_features(track: TrackFeatures, cand: CandidateFeatures | None) -> MatchDetails:
    """Decide with precomputed features."""
    if cand is None:
        return MatchDetails(0.0, "unreadable", {})
    if track.isrc and cand.isrc and track.isrc == cand.isrc:
        return MatchDetails(0.99, None, {"isrc": 1.0})
    best: MatchDetails | None = None
    for reading in cand.readings:
        details = _score_reading(track, cand, reading)
        if best is None or details.score > best.score:
            best = details
    return best if best is not None else MatchDetails(0.0, "unreadable", {})


def score_details(track: Mapping[str, Any], candidate: Mapping[str, Any]) -> MatchDetails:
    """Score with an explanation; never raises on odd input."""
    try:
        if not _is_mapping(track) or not _is_mapping(candidate):
            return MatchDetails(0.0, "unreadable", {})
        return details_from_features(track_features(track), candidate_features(candidate))
    except _ODD_INPUT:
        return MatchDetails(0.0, "unreadable", {})


def score(track: Mapping[str, Any], candidate: Mapping[str, Any]) -> float:
    """Confidence 0.0 .. 1.0 that the candidate is the track's recording."""
    return score_details(track, candidate).score


def best_match(
    track: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    threshold: float | None = None,
) -> tuple[int, float] | None:
    """Index and score of the best candidate at or above the threshold."""
    limit = DEFAULT_CONFIDENCE_THRESHOLD if threshold is None else threshold
    try:
        features = track_features(track) if isinstance(track, Mapping) else None
    except _ODD_INPUT:
        features = None
    if features is None or not isinstance(candidates, Sequence):
        return None
    best: tuple[int, float] | None = None
    for index, candidate in enumerate(candidates):
        if not _is_mapping(candidate):
            continue
        try:
            value = details_from_features(features, candidate_features(candidate)).score
        except _ODD_INPUT:
            continue
        if value >= limit and (best is None or value > best[1]):
            best = (index, value)
    return best


class LibraryIndex:
    """Blocking index over a library: ISRC map and title keys, so a diff never compares all pairs."""

    def __init__(self, library: Sequence[Mapping[str, Any]]) -> None:
        self._library = library
        self._features: dict[int, CandidateFeatures | None] = {}
        self._keys: list[str] = []
        self._by_isrc: dict[str, list[int]] = defaultdict(list)
        self._by_title: dict[str, list[int]] = defaultdict(list)  # by title key without spaces
        self._by_token: dict[str, list[int]] = defaultdict(list)
        # Durations and ISRCs by position make the duration gate a list lookup.
        self._durations: list[float | None] = []
        self._isrcs: list[str] = []
        self._non_latin: set[int] = set()  # items titled in a non-Latin script
        # Consonant skeletons of titles, by scope ("all", "non_latin"), built on first use.
        self._skeleton_scopes: dict[str, dict[str, list[int]]] = {}
        by_isrc, by_title, by_token, keys = (
            self._by_isrc,
            self._by_title,
            self._by_token,
            self._keys,
        )
        durations, isrcs = self._durations, self._isrcs
        items: Sequence[object] = library  # entries are checked at run time, whatever the hints
        for index, item in enumerate(items):  # the hot loop of a whole-library diff
            if not _is_mapping(item):
                keys.append("")
                durations.append(None)
                isrcs.append("")
                continue
            duration_ms = item.get("duration_ms")
            durations.append(
                duration_ms / 1000
                if isinstance(duration_ms, int | float)
                and not isinstance(duration_ms, bool)
                and duration_ms > 0
                else None
            )
            isrc = item.get("isrc")
            if isrc and isinstance(isrc, str):
                isrc = isrc.upper().replace("-", "")
                by_isrc[isrc].append(index)
                isrcs.append(isrc)
            else:
                isrcs.append("")
            title = item.get("title")
            key = _title_key(title) if isinstance(title, str) else ""
            keys.append(key)
            if key:
                if isinstance(title, str) and not title.isascii() and is_non_latin(title):
                    self._non_latin.add(index)
                by_title[key.replace(" ", "")].append(index)
                for token in key.split():  # words as text-speak spells them too ('2 U')
                    by_token[_TEXTESE.get(token, token)].append(index)

    def _candidate(self, index: int) -> CandidateFeatures | None:
        if index not in self._features:
            item = self._library[index]
            self._features[index] = library_features(item) if _is_mapping(item) else None
        return self._features[index]

    def _duration_gated(self, duration_s: float | None, isrc: str | None, index: int) -> bool:
        """The duration gate, checked on raw fields before any parsing (same rule as scoring)."""
        item_s = self._durations[index]
        if duration_s is None or item_s is None or abs(duration_s - item_s) <= DURATION_GATE_S:
            return False
        return not (isrc and self._isrcs[index] == isrc)

    def candidates(self, track: Mapping[str, Any]) -> list[int]:
        """Library positions worth scoring for this track (a handful, never the whole library)."""
        return self._positions(_str(track.get("name")), _raw_isrc(track))[0]

    def _positions(
        self, name: str, isrc: str | None, *, near: bool = False
    ) -> tuple[list[int], bool]:
        """Candidate positions, and whether near titles were searched for them."""
        key = _title_key(name)
        found: dict[int, None] = {}
        for index in self._by_isrc.get(isrc, []) if isrc else []:
            found[index] = None
        for index in self._by_title.get(key.replace(" ", ""), []):
            found[index] = None
        if _KEY_HINT.search(name):
            # Other names in the title: "Untitled #3 - Samskeyti" may be filed as "Samskeyti".
            # "La-La (Means I Love You)" may be filed as "La La Means I Love You".
            parsed = parse_title(name)
            for alias in parsed.aliases:
                for other_name in (alias, f"{parsed.base} {alias}"):
                    for index in self._by_title.get(_title_key(other_name).replace(" ", ""), []):
                        found[index] = None
        transliterated = is_non_latin(name)
        keys = [key]
        if transliterated and (japanese := japanese_reading(name)):
            keys.append(_title_key(japanese))
            for index in self._by_title.get(keys[-1].replace(" ", ""), []):
                found[index] = None
        searched = near or not found
        if searched:
            for near_key in keys:
                self._near_titles(near_key, transliterated, found)
        return list(found), searched

    def _by_skeleton(self, key: str, transliterated: bool) -> list[int]:
        """Items whose title has the same consonants ('tmly m k' / 'Tamally Maak').

        Romanisations may share no whole word. The map is built on first use: over the items
        tagged in a non-Latin script, and over the whole library once a non-Latin track asks."""
        wanted = _skeleton(key)
        if len(wanted) < SKELETON_MIN:
            return []
        scope = "all" if transliterated else "non_latin"
        if scope not in self._skeleton_scopes:
            indices = range(len(self._keys)) if transliterated else sorted(self._non_latin)
            skeletons: dict[str, list[int]] = defaultdict(list)
            for index in indices:
                if self._keys[index]:
                    skeletons[_skeleton(self._keys[index])].append(index)
            self._skeleton_scopes[scope] = skeletons
        return self._skeleton_scopes[scope].get(wanted, [])

    def _near_titles(self, key: str, transliterated: bool, found: dict[int, None]) -> None:
        """Titles that could pass the title gate, found by prefix filtering."""
        words = _textese(key).split()  # the index holds words as text-speak spells them
        pool = self._prefix_pool(set(words))
        if transliterated or self._non_latin:
            pool.update(self._by_skeleton(key, transliterated))
            # Romanisations differ letter by letter ('hii'/'hi'): any of the rarer words will do,
            # for a non-Latin track, or for items tagged in a non-Latin script.
            present = sorted(
                (posting for token in set(words) if (posting := self._by_token.get(token))),
                key=len,
            )
            lenient: set[int] = set()
            for posting in present[:2]:
                lenient.update(posting)
            pool |= lenient if transliterated else lenient & self._non_latin
        stripped = set(_textese(_CATALOGUE.sub(" ", key)).split())
        if stripped and len(stripped) < len(key.split()):
            # title_similarity drops catalogue numbers ("BWV 1007") when the numbers differ.
            pool |= self._prefix_pool(stripped)
        for index in pool:
            other = self._keys[index]
            if (
                title_similarity(key, other) >= TITLE_GATE
                or short_title(key, other)
                or (
                    (transliterated or index in self._non_latin)
                    and transliteration_similarity(key, other) >= TITLE_GATE
                )
            ):
                found[index] = None
        # A library item filed under the title's first words ("Killing Me Softly").
        leading = drop_article(key).split()
        for size in range(SHORT_TITLE_WORDS, len(leading)):
            for index in self._by_title.get("".join(leading[:size]), []):
                found[index] = None

    def _prefix_pool(self, tokens: set[str]) -> set[int]:
        """Items holding one of the n - ceil(0.8 n) + 1 rarest words.

        A title passing the gate shares at least ceil(0.8 n) of the n words, so it holds one of
        them: only their postings are read. Words the library never uses sort first (empty).
        """
        needed = len(tokens) - math.ceil(TITLE_GATE * len(tokens) - 1e-9) + 1
        postings = sorted((self._by_token.get(token, []) for token in tokens), key=len)
        if not postings:
            return set()
        pool = set(postings[0])
        if needed == 1:  # every word is needed (short titles): intersect them all
            for posting in postings[1:]:
                if not pool:
                    break
                pool.intersection_update(posting)
        else:
            for posting in postings[1:needed]:
                pool.update(posting)
        return pool

    def match(
        self, track: Mapping[str, Any], threshold: float | None = None
    ) -> tuple[int, float] | None:
        """Best library position and score for the track, or None."""
        limit = DEFAULT_CONFIDENCE_THRESHOLD if threshold is None else threshold
        if not _is_mapping(track):
            return None
        try:
            duration_s, isrc = _raw_duration_s(track), _raw_isrc(track)
            name = _str(track.get("name"))
            found, searched_near = self._positions(name, isrc)
            positions = [i for i in found if not self._duration_gated(duration_s, isrc, i)]
            if not positions and not searched_near:
                # Every same-titled item has another length: look at near titles as well.
                positions = [
                    index
                    for index in self._positions(name, isrc, near=True)[0]
                    if not self._duration_gated(duration_s, isrc, index)
                ]
            if not positions:
                return None
            features = track_features(track)
            if len(positions) > CROWDED_TITLE:
                # A common title ("Intro"): score only items by the same artist.
                positions = [
                    index
                    for index in positions
                    if artist_units(_str(self._library[index].get("artist")))
                    & features.primary_units
                ]
            best: tuple[int, float] | None = None
            for index in positions:
                value = details_from_features(features, self._candidate(index)).score
                if value >= limit and (best is None or value > best[1]):
                    best = (index, value)
        except _ODD_INPUT:
            return None
        return best


_KEY_STRIP = re.compile(
    r"[\(\[\{](?!\s*(?:part|pt|vol|volume|chapter|no|book|act)\b\.?\s*[\divx]+\s*[\)\]\}])"
    r"[^\)\]\}]*[\)\]\}]|\s+[-\u2013\u2014]\s+.*$|\s+(?:feat\.?|ft\.?|featuring)\s+.*$",
    re.IGNORECASE,
)


_KEY_HINT = re.compile("[\\(\\[\\{\\-\u2013\u2014]| [fF]")


@lru_cache(maxsize=262144)
def _title_key(title: str) -> str:
    """Blocking key: the folded title without version descriptors, features or article."""
    if _KEY_HINT.search(title):
        title = _KEY_STRIP.sub(" ", title)
    return drop_article(fold(title))


def _skeleton(key: str) -> str:
    """Consonants of a title, doubled letters once: what romanisation systems agree on."""
    consonants = _VOWELS.sub("", key.replace(" ", ""))
    return "".join(c for i, c in enumerate(consonants) if i == 0 or consonants[i - 1] != c)


def clear_caches() -> None:
    """Forget memoised text features: benchmarks time cold runs, long-lived callers free memory."""
    for cached in (_title_key, artist_units, fold, parse_title, album_versions, classify):
        cached.cache_clear()
