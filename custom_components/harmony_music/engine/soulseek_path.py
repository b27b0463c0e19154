"""What the matcher reads from a Soulseek file: artist, title, album and versions from its path.

slskd reports a peer's path ('@@share\\Artist - Album (1989) [FLAC]\\07 - Title.flac'); names are
read several ways ('Artist - Title', 'Title - Artist', scene names) and the best reading counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
import re
from typing import Any

from .artists import artist_units, co_billed, credit_guests
from .audio_formats import AUDIO_EXTENSIONS
from .fields import duration_seconds, text
from .normalize import drop_article, fold, is_non_latin
from .readings import CandidateFeatures, Reading
from .similarity import NUMBER
from .versions import ParsedTitle, album_versions, classify, parse_title

_TRACK_NUMBER = re.compile(r"^\s*(?:\d{1,2}[-.]\d{1,2}|[a-dA-D]?\d{1,3})(?:\s*[-._)]\s*|\s+)(?=\S)")
# Version classes a folder's bracketed descriptor passes on to the files in it.
_FOLDER_CLASSES = frozenset({"live", "acoustic", "karaoke", "demo", "rerecorded", "instrumental"})
# A folder that sorts an artist's files by version ("Live", "Demos", "Unplugged").
_CATEGORY_FOLDER = re.compile(
    r"^(live|demo|acoustic|unplugged)s?(?: (?:recordings|albums|tracks|sessions|versions))?$"
)
# A file named by its track number alone: "Track03", "03", "Piste 3".
_NUMBER_ONLY = re.compile(r"^\s*(?:track|piste|pista|titel|trk)?[\s_.-]*\d{1,3}\s*$", re.I)
_DISC_DIR = re.compile(r"^(cd|disc|disk)\s*\d+$")
# A disc or bonus folder of a box set that says what it holds ("CD3 - Live 1977", "Bonus - Demos").
_DISC_TITLE = re.compile(r"^(?:(?:cd|disc|disk)\s*\d+|bonus(?: disc| cd)?\s*\d*)\s+(.+)$")
_PLURAL = re.compile(r"\b(\w{3,}?)s\b")
_DASH_LAST = re.compile("\\s+[-\u2013\u2014]\\s+([^-\u2013\u2014]+)$")
_YEAR_PREFIX = re.compile(r"^\s*[\(\[]?(19|20)\d{2}[\)\]]?\s*[-.]?\s*")
_BRACKETED = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")


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
    """Versions the folders imply: the album folder's live/unplugged name, a karaoke collection,
    a folder sorting versions ("Live")."""
    found: set[str] = set()
    for depth, folder in enumerate(folders):
        if depth == 0:
            found |= album_versions(_BRACKETED.sub(" ", folder))
            for descriptor in _BRACKETED.findall(folder):
                classes = _recording_classes(fold(descriptor))  # "(Instrumentals)" too
                # "[Diplo's Flip] Calvin Harris\Summer.mp3": a remix named only by its folder.
                found |= {c for c in classes if c in _FOLDER_CLASSES or c.startswith("remix:")}
        if "karaoke" in folder.lower():
            found.add("karaoke")
        category = _CATEGORY_FOLDER.match(fold(folder))
        if category:  # "Bon Iver\Live\2008-09-14 Take Away Show\Skinny Love.mp3"
            found |= classify(category.group(1)) or frozenset()
    return frozenset(found)


def _recording_classes(descriptor: str) -> frozenset[str]:
    """The version classes of a folded descriptor that name another recording, plurals read as
    singulars ("Demos & Outtakes"); dated names ("ver:...") are editions, not versions here."""
    found = (classify(descriptor) or frozenset()) | (
        classify(_PLURAL.sub(r"\1", descriptor)) or frozenset()
    )
    return frozenset(c for c in found if not c.startswith("ver:"))


def _disc_versions(parts: Sequence[str]) -> frozenset[str]:
    """Versions a titled disc or bonus folder gives the files in it."""
    found: set[str] = set()
    for part in parts:
        titled = _DISC_TITLE.match(fold(part))
        if titled:
            found |= _recording_classes(titled.group(1))
    return frozenset(found)


def _name_splits(stem: str) -> list[tuple[str, str]]:
    """(artist, title) readings of a file name: 'Artist - Title', 'Title - Artist', scene names,
    and 'Artist - Album - 07 - Title'."""
    splits: list[tuple[str, str]] = []
    if " - " in stem:
        segments = [s for s in stem.split(" - ") if s.strip()]
        if segments and NUMBER.fullmatch(segments[0].strip()):
            segments = segments[1:]
        if len(segments) >= 2:
            splits.append((segments[0], " - ".join(segments[1:])))
            splits.append((segments[-1], " - ".join(segments[:-1])))
        if len(segments) == 3:  # the middle one is often the album
            splits.append((segments[0], segments[2]))
            splits.append((segments[2], segments[0]))
        for index in range(1, len(segments) - 1):
            if NUMBER.fullmatch(segments[index].strip()) and len(segments[index].strip()) <= 3:
                splits.append((segments[0], " - ".join(segments[index + 1 :])))
                break
    elif "-" in stem and stem.count("-") <= 3 and not re.search(r"\s-|-\s", stem):
        segments = [s for s in stem.split("-") if s.strip()]
        if len(segments) >= 2:
            splits.append((segments[0], segments[-1]))
    return splits


def soulseek_features(candidate: Mapping[str, Any]) -> CandidateFeatures:
    """Features of a Soulseek file as slskd reports it."""
    path = text(candidate.get("filename")).replace("/", "\\")
    parts = [p for p in path.split("\\") if p]
    name = parts[-1] if parts else ""
    # The share's root ("@@name") says nothing about the music in it.
    folders = [
        p
        for p in reversed(parts[:-1])
        if not p.startswith("@@")
        and not _DISC_DIR.match(fold(p))
        and not _DISC_TITLE.match(fold(p))
    ][:3]
    stem = _strip_extension(name, text(candidate.get("extension")))
    if " " not in stem:
        stem = stem.replace("_", " ")
    untitled = bool(_NUMBER_ONLY.match(stem))
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
    album_vers = _folder_versions(folders) | _disc_versions(parts[-4:-1])
    folder_names = frozenset(drop_article(fold(folder)).replace(" ", "") for folder in folders)
    folder_texts = tuple(folders)

    splits = [] if untitled else _name_splits(stem)
    splits.append((folder_artist, stem))  # a number may be the title itself ("22.mp3")

    # Descriptors anywhere in the name ("Hello - Lionel Richie (Karaoke)") hold for every reading.
    stem_versions = parse_title(stem, dash_suffix=False).versions
    last = _DASH_LAST.search(stem) if stem.count(" - ") >= 2 else None
    if last:  # "Artist - Title - Rework": a version after the title
        stem_versions |= _recording_classes(fold(last.group(1)))
    album_base = parse_title(album).base
    # A single's folder naming its title's version ("Title (2012 Remix) [Single]\01 - Title").
    single_versions = frozenset(
        c
        for descriptor in (_BRACKETED.findall(folders[0]) if folders else ())
        for c in _recording_classes(fold(descriptor))
    )
    readings = []
    for artist, title in splits:
        credit = _BRACKETED.sub(" ", artist)
        parsed = parse_title(title, dash_suffix=False)
        reading_album_vers = album_vers
        if single_versions and album_base and parsed.base == album_base:
            reading_album_vers = album_vers | single_versions
        readings.append(
            Reading(
                title=_with_versions(parsed, stem_versions),
                artist_units=artist_units(credit),
                context_tokens=tuple(context),
                album=album_base,
                album_versions=reading_album_vers,
                artist_words=drop_article(fold(credit)),
                artist_non_latin=is_non_latin(credit),
                folder_names=folder_names,
                credited=co_billed(credit),
                guests=credit_guests(credit),
                untitled=untitled,
                edition_text=folder_texts,
            )
        )
    length = duration_seconds(candidate.get("length"), milliseconds=False)
    return CandidateFeatures(tuple(readings), length, None)


def _with_versions(title: ParsedTitle, versions: frozenset[str]) -> ParsedTitle:
    return replace(title, versions=title.versions | versions)
