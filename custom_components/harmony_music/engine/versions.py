"""Titles split into a base and version descriptors, and descriptors into version classes.

A version class that differs between two titles means a different recording (live, remix,
acoustic, ...); neutral descriptors (remaster, mono, single version, years, junk) do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import re

from .normalize import flatten_brackets, fold, is_non_latin

_BRACKETS = re.compile(r"[\(\[\{]([^\)\]\}]*)[\)\]\}]")
_TWO_OPENERS = re.compile(r"[\(\[\{][^\)\]\}]*[\(\[\{]")  # a bracket opened inside another
_DASH_SUFFIX = re.compile("\\s+[-\u2013\u2014]\\s+(.+)$")
_FEAT_INLINE = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s+.+$", re.IGNORECASE)
_FEAT_DESCRIPTOR = re.compile(r"^(?:feat|ft|featuring|with)\b\s*(.*)$")

# remastered, remasterisé, remasterizado, rimasterizzato
_REMASTER_PATTERN = r"\b(?:re ?|ri)master\w*"
# Instruments a "with ..." descriptor names when it is a new arrangement, not a guest.
_INSTRUMENTS = r"(?:guitars?|strings|orchestra|choir|horns)"

NEUTRAL_PATTERNS = [
    _REMASTER_PATTERN,
    r"\bmono\b",
    r"\bstereo\b",
    r"\bsingle version\b",
    r"\balbum version\b",
    r"\boriginal mix\b",
    r"\boriginal version\b",
    r"\boriginal\b$",
    r"^\d{4}$",
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
    r"\d* ?kbps\b",
    r"\bdeluxe\b",
    r"\bbonus track\b",
    r"\bfrom\b",
    r"\bsoundtrack\b",
    r"\bdigital\b",
]
_NEUTRAL = re.compile("|".join(NEUTRAL_PATTERNS))

# Every class whose pattern matches a descriptor applies ("Acoustic; Live at MTV Unplugged" is
# both). Remixes also carry who remixed them: "Diplo Remix" is not "Remix".
VERSION_CLASSES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), c)
    for p, c in [
        (r"\bkaraoke\b|\bin the style of\b", "karaoke"),
        # 歌ってみた / 弾いてみた ("I tried singing / playing it"), as unidecode spells them.
        (r"\bcover\b|\btribute\b|\bge tsutemita\b|\bdan itemita\b", "cover"),
        (r"\bsped up\b|\bspeed up\b|\bnightcore\b", "sped_up"),
        (r"\bslowed\b|\breverb\b|\bchopped\b|\bscrewed\b", "slowed"),
        (r"\b8d\b|\bbass boosted\b", "processed"),
        (r"\bmash ?up\b", "mashup"),
        # CJK version words as unidecode spells them: 伴奏 instrumental, 現場 live, 鋼琴 piano.
        (r"\binstrumental\b|\binst\b|\boff vocal\b|\bban zou\b|\binsuto\b", "instrumental"),
        (r"\ba ?cappella\b|\bacapella\b", "acappella"),
        (r"\bacoustic\b|\bacustic[oa]\b|\bunplugged\b|\bstripped\b", "acoustic"),
        (
            r"\blive\b|\bconcert\b|\bunplugged\b|\brecorded at\b"
            r"|\b(?:en|ao|dal) vivo\b|\ben directo\b|\ben public\b|\bconcierto\b"
            r"|\bxian chang\b|\braibu\b|\braibeu\b",
            "live",
        ),
        (r"\bdemo\b|\bhome recording\b", "demo"),
        (r"\bradio edit\b|\bradio version\b|\bradio mix\b", "radio_edit"),
        (r"\bextended\b|\b12 inch\b|\b12\b", "extended"),
        (
            r"\bremix(es|ed)?\b|\brmx\b|\bdub\b|\bbootleg\b|\brework\b|\bflip\b|\bvip\b"
            r"|(?<!radio )(?<!extended )(?<!original )\bmix\b",
            "remix",
        ),
        (r"(?<!radio )\bedit\b", "edit"),
        (
            r"\bre ?record(ed|ing)?\b|\btaylor s version\b|\btaylors version\b"
            r"|\bnew (version|recording|vocals?)\b",
            "rerecorded",
        ),
        (r"\bvocals? only\b|\bstems?\b|\bisolated\b", "stem"),
        (
            rf"\borchestral\b|\bgang qin\b|\bsymphonic\b|\bpiano\b|\bwith (?:.* )?{_INSTRUMENTS}\b",
            "arrangement",
        ),
        (r"\bsession\b|\brehearsal\b|\btake\b|\bouttake\b", "session"),
        (r"\breprise\b", "reprise"),
        (r"\balternate\b|\balternative\b|\balt\b", "alternate"),
        (r"\binterlude\b|\bintro\b|\boutro\b|\bskit\b", "interlude"),
    ]
]
# Whole descriptors that name the standard recording even though they contain "mix".
_PLAIN_RECORDING = re.compile(
    r"^(?:(?:original|album|single) (?:mix|version)|(?:mono|stereo) mix)$"
)
# "(Part 2)" is part of the song's name, not a version of it.
_NUMBERED_PIECE = re.compile(r"^(?:parts?|vol|volume|chapter|no|book|act) \d+(?: \d+)?$")
# "Pts. 1-5", "Parts I-V", "Pt. II": one spelling, so both name the same pieces.
_PART_WORD = re.compile(r"^(?:pts?|parts?)\b")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10"}  # fmt: skip


def _part_numbers(folded: str) -> str:
    """A folded "pts 1 5" / "parts i v" / "pt ii" descriptor as "parts 1 5" / "part 2"."""
    if not _PART_WORD.match(folded):
        return folded
    word, _, rest = folded.partition(" ")
    numbers = [_ROMAN.get(token, token) for token in rest.split()]
    if not numbers or not all(number.isdigit() for number in numbers):
        return folded  # "(Part of the Plan)" is a subtitle, not numbered pieces
    plural = word in {"pts", "parts"} or len(numbers) > 1
    return " ".join(["parts" if plural else "part", *numbers])


_REMIX_WORDS = re.compile(
    r"\b(?:remix(?:es|ed)?|rmx|mix|dub|bootleg|rework|flip|vip|official|the|version|feat|ft|featuring"
    r"|radio|edit|extended|club|short|long)\b"
)
# "With Long-Lost Guitars", "with Strings": a new arrangement, not a featured artist.
_INSTRUMENTATION = re.compile(rf"\b{_INSTRUMENTS}\b")
_SPLIT_HINT = re.compile("[\\(\\[\\{\\-\u2013\u2014]| [fF]")
_LANG_VERSION = re.compile(r"^(\w+) (?:version|ver)$")
# An unknown descriptor that calls itself a version or mix is one ("Mina Harker's Version").
_NAMED_VERSION = re.compile(r"\b(?:version|ver|mix|edit|ban)\b")  # ban: 版
# A year beside other words ("Clayman 2020"), not a bare year ("^\d{4}$" is neutral).
_DATED = re.compile(r"^(?!\d{4}$).*\b(?:19|20)\d{2}\b")
_REMASTERED = re.compile(_REMASTER_PATTERN)
# Promotional taglines name no version (versions such as "Official Remix" are classified first).
_TAGLINE = re.compile(r"\bofficial\b")


# A year closing the title before a version ("The Final Countdown 2000 (Radio Edit)"): the year
# of that remix or edit, not part of the song's name.
_VERSION_YEAR = re.compile(r"^(.+\S)\s+((?:19|20)\d{2})$")


# Brackets other scripts and tags use for a descriptor ("Lemon【MV】", "Кукушка «Чёрный альбом»",
# "Summer ~Extended Mix~"), read as parentheses when some title comes before them.
_OTHER_BRACKETS = re.compile(
    "(?<=\\S)\\s*(?:【([^】]*)】|«([^»]*)»|\u3014([^\u3015]*)\u3015|《([^》]*)》)"
)
_TILDE_PAIR = re.compile("(?<=\\S)\\s+[~\u301c\uff5e](?=\\S)([^~\u301c\uff5e]*\\S)[~\u301c\uff5e]")


def _plain_brackets(text: str) -> str:
    def paren(match: re.Match[str]) -> str:
        return f" ({next(group for group in match.groups() if group is not None)})"

    return _TILDE_PAIR.sub(paren, _OTHER_BRACKETS.sub(paren, text))


@dataclass(frozen=True)
class ParsedTitle:
    """A title's base (what identifies the song), its version classes and other names.

    ``aliases`` are descriptors that are neither versions nor neutral: a subtitle or a
    translation ("Untitled #3 - Samskeyti", "뚜두뚜두 (DDU-DU DDU-DU)") by which a copy may be named.
    """

    base: str
    versions: frozenset[str]
    featured: tuple[str, ...]
    remaster: bool
    aliases: tuple[str, ...] = ()
    non_latin: bool = False  # the base is written in a non-Latin script


@lru_cache(maxsize=4096)
def classify(descriptor: str) -> frozenset[str] | None:
    """Version classes of one folded descriptor: empty when it does not change the recording,
    None when it is unknown (a subtitle, a translation: neither a version nor neutral)."""
    if not descriptor or _PLAIN_RECORDING.match(descriptor):
        return frozenset()
    classes = {name for pattern, name in VERSION_CLASSES if pattern.search(descriptor)}
    if "remix" in classes:
        remixer = " ".join(_REMIX_WORDS.sub(" ", descriptor).split())
        classes.discard("remix")
        classes.add(f"remix:{remixer.replace(' ', '')}")
    if classes:
        return frozenset(classes)
    if _TAGLINE.search(descriptor):
        return frozenset()  # "The Official 2010 FIFA World Cup Song": a tagline, dated or not
    if _NEUTRAL.search(descriptor):
        if _DATED.search(descriptor) and not _REMASTERED.search(descriptor):
            # "1984 Original Version" is the earlier recording, "Remastered 2011" is not one.
            return frozenset({f"ver:{descriptor.replace(' ', '')}"})
        return frozenset()
    lang = _LANG_VERSION.match(descriptor)
    if lang:
        return frozenset({f"ver:{lang.group(1)}"})
    if _NAMED_VERSION.search(descriptor) or _DATED.search(descriptor):
        # "Mina Harker's Version", "Clayman 2020": a version of its own, whatever its name.
        return frozenset({f"ver:{descriptor.replace(' ', '')}"})
    return None


@lru_cache(maxsize=65536)
def parse_title(raw: str, *, dash_suffix: bool = True) -> ParsedTitle:
    """Split a title into its base and version classes.

    ``dash_suffix``: treat " - Live at X" as a descriptor (Spotify and library titles); Soulseek
    file names use " - " between artist and title, so their parser passes False.
    """
    text = _plain_brackets(raw or "")
    if not _SPLIT_HINT.search(text):
        # Nothing to split off.
        return ParsedTitle(fold(text), frozenset(), (), False, (), is_non_latin(text))
    if _TWO_OPENERS.search(text):
        text = flatten_brackets(text)
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
    aliases: list[str] = []
    remaster = False
    for descriptor in descriptors:
        folded = fold(descriptor)
        folded = _part_numbers(folded)
        if _NUMBERED_PIECE.match(folded):
            text = f"{text} {folded}"
            continue
        feat = _FEAT_DESCRIPTOR.match(folded)
        if feat and not _INSTRUMENTATION.search(folded):
            featured.append(descriptor)
            continue
        if _REMASTERED.search(folded):
            remaster = True
        classes = classify(folded)
        if classes is None:
            aliases.append(folded)
        else:
            versions.update(classes)
    base = fold(text)
    if versions:
        dated = _VERSION_YEAR.match(base)
        if dated:
            base = dated.group(1)
            versions.add(f"ver:{dated.group(2)}")
    return ParsedTitle(
        base,
        frozenset(versions),
        tuple(featured),
        remaster,
        tuple(aliases),
        is_non_latin(text),
    )


_LIVE_ALBUM = re.compile(
    r"\blive (at|in|from|on)\b|^live$|\blive$|^live \d{4}\b|\bin concert\b|\bunplugged\b"
)
_RERECORDED_ALBUM = re.compile(r"\bre ?record(?:ed|ings?)\b")  # "Greatest Hits (Re-Recorded)"
# "The Remix", "Skin - The Remixes", "Remixed": the tracks are remixes, whoever made them.
_REMIX_ALBUM = re.compile(r"\bremix(?:es|ed)?\b")
# "Jagged Little Pill Acoustic", "Acoustic Sessions" (not "Acoustic Soul": only a closing word).
_ACOUSTIC_ALBUM = re.compile(r"\bacoustic(?: (?:versions?|sessions?|edition|recordings?))?$")
_INSTRUMENTAL_ALBUM = re.compile(r"\binstrumentals?\b")  # "The Score (Instrumentals)"
# The class a remix collection gives a plain title: a remix by someone unnamed.
ALBUM_REMIX = "remix:"


@lru_cache(maxsize=65536)
def album_versions(album: str) -> frozenset[str]:
    """Version classes an album name implies for all its tracks (a live album's tracks are live).

    MTV Unplugged albums are live and acoustic; "Taylor's Version" albums and albums called
    re-recorded are re-recordings; acoustic and instrumental albums hold such versions; karaoke
    compilations hold karaoke tracks; remix collections
    hold remixes (ALBUM_REMIX, which a title naming its remix replaces: see with_album).
    """
    folded = fold(album)
    if not folded:
        return frozenset()
    found: set[str] = set()
    if _LIVE_ALBUM.search(folded):
        found.add("live")
    if "unplugged" in folded or _ACOUSTIC_ALBUM.search(folded):
        found.add("acoustic")
    if _INSTRUMENTAL_ALBUM.search(folded):
        found.add("instrumental")
    if "karaoke" in folded:
        found.add("karaoke")
    if "taylors version" in folded or "taylor s version" in folded:
        found.add("rerecorded")
    if _RERECORDED_ALBUM.search(folded):
        found.add("rerecorded")
    if _REMIX_ALBUM.search(folded):
        found.add(ALBUM_REMIX)
    return frozenset(found)


def with_album(title_versions: frozenset[str], album_classes: frozenset[str]) -> frozenset[str]:
    """The version classes of a title on its album: a remix collection makes a plain title a
    remix, but a title that names its remix ("Never Be Like You - Wave Racer Remix" on
    "Skin: The Remixes") is that remix and no other."""
    if ALBUM_REMIX in album_classes and any(c.startswith("remix:") for c in title_versions):
        album_classes = album_classes - {ALBUM_REMIX}
    return title_versions | album_classes
