"""Titles split into a base and version descriptors, and descriptors into version classes.

A version class that differs between two titles means a different recording (live, remix,
acoustic, ...); neutral descriptors (remaster, mono, single version, years, junk) do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import re

from .normalize import fold

_BRACKETS = re.compile(r"[\(\[\{]([^\)\]\}]*)[\)\]\}]")
_DASH_SUFFIX = re.compile("\\s+[-\u2013\u2014]\\s+(.+)$")
_FEAT_INLINE = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s+.+$", re.IGNORECASE)
_FEAT_DESCRIPTOR = re.compile(r"^(?:feat|ft|featuring|with)\b\s*(.*)$")

NEUTRAL_PATTERNS = [
    r"\bremaster(ed)?\b",
    r"\bre master(ed)?\b",
    r"\bmono\b",
    r"\bstereo\b",
    r"\bsingle version\b",
    r"\balbum version\b",
    r"\boriginal mix\b",
    r"\boriginal version\b",
    r"\boriginal\b$",
    r"^\d{4}$",
    r"^\d{4} (version|mix)$",
    r"\bexplicit\b",
    r"\bclean\b",
    r"\bdirty\b",
    r"\bofficial (audio|video|music video|lyric video)\b",
    r"\blyrics?\b",
    r"^hq$",
    r"^hd$",
    r"\bwww\b",
    r"\bcom\b",
    r"^(flac|mp3|320|v0|v2|web|cd|vinyl|24bit|16bit|lossless|aac|m4a)\b",
    r"\bdeluxe\b",
    r"\bbonus track\b",
    r"^from\b",
    r"\bsoundtrack\b",
    r"\bdigital\b",
]
_NEUTRAL = re.compile("|".join(NEUTRAL_PATTERNS))

# (pattern, class): the first that matches names the version class of a descriptor.
VERSION_CLASSES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), c)
    for p, c in [
        (r"\bkaraoke\b|\bin the style of\b", "karaoke"),
        (r"\bcover\b|\btribute\b", "cover"),
        (r"\bsped up\b|\bspeed up\b|\bnightcore\b", "sped_up"),
        (r"\bslowed\b|\breverb\b", "slowed"),
        (r"\binstrumental\b|\binst\b", "instrumental"),
        (r"\ba ?cappella\b|\bacapella\b", "acappella"),
        (r"\bacoustic\b|\bunplugged\b", "acoustic"),
        (r"\blive\b|\bconcert\b", "live"),
        (r"\bdemo\b", "demo"),
        (r"\bradio edit\b|\bradio version\b|\bradio mix\b", "radio_edit"),
        (r"\bextended\b|\b12 inch\b|\b12\b", "extended"),
        (r"\bremix(es)?\b|\brmx\b|\bmix\b|\bdub\b|\bbootleg\b|\brework\b|\bflip\b", "remix"),
        (r"\bedit\b", "edit"),
        (r"\bre ?record(ed|ing)?\b|\btaylor s version\b|\btaylors version\b", "rerecorded"),
        (r"\borchestral\b|\bsymphonic\b|\bpiano\b", "arrangement"),
        (r"\bsession\b|\brehearsal\b|\btake\b|\bouttake\b", "session"),
    ]
]
# Whole descriptors that name the standard recording even though they contain "mix".
_PLAIN_RECORDING = re.compile(r"^(?:original|album|single) (?:mix|version)$")
# "(Part 2)" is part of the song's name, not a version of it.
_NUMBERED_PIECE = re.compile(r"^(?:part|vol|volume|chapter|no|book|act) \d+$")
_SPLIT_HINT = re.compile("[\\(\\[\\{\\-\u2013\u2014]| [fF]")
_LANG_VERSION = re.compile(r"^(\w+) (?:version|ver)$")


@dataclass(frozen=True)
class ParsedTitle:
    """A title's base (what identifies the song) and its version classes."""

    base: str
    versions: frozenset[str]
    featured: tuple[str, ...]
    remaster: bool


@lru_cache(maxsize=4096)
def classify(descriptor: str) -> str | None:
    """The version class of one folded descriptor, or None when it does not change the recording."""
    if not descriptor or _PLAIN_RECORDING.match(descriptor):
        return None
    for pattern, name in VERSION_CLASSES:
        if pattern.search(descriptor):
            return name
    if _NEUTRAL.search(descriptor):
        return None
    lang = _LANG_VERSION.match(descriptor)
    if lang:
        return f"ver:{lang.group(1)}"
    return f"other:{descriptor}"


@lru_cache(maxsize=65536)
def parse_title(raw: str, *, dash_suffix: bool = True) -> ParsedTitle:
    """Split a title into its base and version classes.

    ``dash_suffix``: treat " - Live at X" as a descriptor (Spotify and library titles); Soulseek
    file names use " - " between artist and title, so their parser passes False.
    """
    text = raw or ""
    if not _SPLIT_HINT.search(text):
        return ParsedTitle(fold(text), frozenset(), (), False)  # nothing to split off
    descriptors: list[str] = [m.group(1) for m in _BRACKETS.finditer(text)]
    text = _BRACKETS.sub(" ", text)
    if dash_suffix:
        match = _DASH_SUFFIX.search(text)
        if match:
            descriptors.append(match.group(1))
            text = text[: match.start()]
    featured: list[str] = []
    inline = _FEAT_INLINE.search(text)
    if inline:
        featured.append(inline.group(0))
        text = text[: inline.start()]
    versions: set[str] = set()
    remaster = False
    for descriptor in descriptors:
        folded = fold(descriptor)
        if _NUMBERED_PIECE.match(folded):
            text = f"{text} {folded}"
            continue
        feat = _FEAT_DESCRIPTOR.match(folded)
        if feat:
            featured.append(descriptor)
            continue
        if "remaster" in folded:
            remaster = True
        version = classify(folded)
        if version:
            versions.add(version)
    return ParsedTitle(fold(text), frozenset(versions), tuple(featured), remaster)


_LIVE_ALBUM = re.compile(r"\blive (at|in|from|on)\b|^live$|\blive$|\bunplugged\b|\bin concert\b")


@lru_cache(maxsize=65536)
def album_versions(album: str) -> frozenset[str]:
    """Version classes an album name implies for all its tracks (a live album's tracks are live)."""
    folded = fold(album)
    return frozenset({"live"}) if folded and _LIVE_ALBUM.search(folded) else frozenset()
