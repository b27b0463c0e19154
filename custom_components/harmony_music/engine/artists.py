"""Artist credits: the compact names a credit string holds, and when two names are one act."""

from __future__ import annotations

from functools import lru_cache
import re

from .normalize import drop_article, fold, german_fold

_ARTIST_SPLIT = re.compile(
    r"\s*(?:,|;|/|\bfeat\b\.?|\bft\b\.?|\bfeaturing\b|\bwith\b|\bx\b|\band\b|\bvs\b\.?)\s*"
)
_RAW_ARTIST_SPLIT = re.compile(r"\s*[,;]\s*|\s+/\s+")  # not inside "AC/DC"
_FEAT_WORD = re.compile(r"^\s*(?:feat\.?|ft\.?|featuring|with)\s+", re.IGNORECASE)
_NOT_ARTISTS = frozenset({"", "the", "a", "and"})
# Words by which an act or collection says it plays someone else's songs ("Pink Floyd Tribute
# Band", "Piano Tribute to Coldplay", "Taylor Swift Cover Band", "performs the music of Queen").
_OTHER_ACT = re.compile(
    r"\b(?:tributes?|covers?|covered|karaoke|salute|homage|renditions?|performs|plays|"
    r"(?:music|songs|hits) of|in the style of|made famous by|originally performed)\b"
)
_FEATURING = re.compile(r"\s(?:feat\.?|ft\.?|featuring|with)\s.*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,;/&+]|\b(?:and|x|vs|with)\b", re.IGNORECASE)
_BACKING_BAND = re.compile(r"(?:&|\band\b)\s+the\s", re.IGNORECASE)
# A credited name this close to a guest's is the same guest ("Berlin Phil" / "Berliner Phil...").
_SAME_NAME_PREFIX = 5
_ACRONYM_SKIP = frozenset({"and", "of", "the", "a"})


@lru_cache(maxsize=65536)
def artist_units(text: str) -> frozenset[str]:
    """Compact names of every artist a credit string names, and of the whole credit."""
    folded = fold(text)
    if not folded:
        return frozenset()
    units = {drop_article(folded).replace(" ", "")} | credit_names(text)
    german = german_fold(text)  # "Die Ärzte" is also written "Die Aerzte"
    if german:
        units |= artist_units(german)
    return frozenset(units - _NOT_ARTISTS)


def credit_names(text: str) -> set[str]:
    """The compact name of each artist a credit names ("A, B & C" -> a, b, c)."""
    parts = _RAW_ARTIST_SPLIT.split(text) if any(c in text for c in ",;/") else (text,)
    return {
        drop_article(name).replace(" ", "")
        for part in parts
        for name in _ARTIST_SPLIT.split(fold(part))
    }


@lru_cache(maxsize=65536)
def credit_guests(text: str) -> frozenset[str]:
    """Compact names of the guests a credit names after "feat."/"ft."/"with" ("Avicii feat.
    Aloe Blacc" -> aloeblacc)."""
    found = _FEATURING.search(text)
    if found is None:
        return frozenset()
    return frozenset(credit_names(_FEAT_WORD.sub(" ", found.group(0))) - _NOT_ARTISTS)


def guest_units(featured: tuple[str, ...]) -> frozenset[str]:
    """Each guest named in a title's feat./with credit, one compact name per guest."""
    units: set[str] = set()
    for credit in featured:
        units |= credit_names(_FEAT_WORD.sub(" ", credit.strip(" ()[]")))
    return frozenset(units - _NOT_ARTISTS)


@lru_cache(maxsize=65536)
def co_billed(text: str) -> frozenset[str]:
    """Compact names of the artists a credit bills side by side ("A & B", "A, B", "A x B").

    Guests after "feat."/"with" are left out (a file may name a track's uncredited singer:
    "Avicii feat. Aloe Blacc"), and so is a backing band ("Prince & The Revolution").
    """
    if not _SEPARATOR.search(text):
        return frozenset()  # one name: the common case, decided without splitting
    billed = _FEATURING.sub("", text)
    if _BACKING_BAND.search(billed):
        return frozenset()
    names = credit_names(billed) - _NOT_ARTISTS
    return frozenset(names) if len(names) > 1 else frozenset()


def named_among(name: str, credited: frozenset[str], compacts: tuple[str, ...]) -> bool:
    """Whether a compact name is one of the credited artists, or part or a spelling of one
    ("bach" of "johannsebastianbach", "berlinphilharmonic" of "berlinerphilharmoniker")."""
    if name in credited:
        return True
    prefix = name[:_SAME_NAME_PREFIX]
    return any(
        name in full or (len(prefix) == _SAME_NAME_PREFIX and full.startswith(prefix))
        for full in compacts
    )


def other_act(words: str, primary_words: str) -> bool:
    """Whether folded words name a tribute or cover act or collection (and the primary artist's
    own name does not: "The Cover Girls" may cover no one)."""
    return bool(_OTHER_ACT.search(words)) and not _OTHER_ACT.search(primary_words)


# Words around an act's name by which another act is named after it: "Rumours of Fleetwood Mac",
# "The Australian Pink Floyd Show", "The Beatles Revival Band".
_NAMED_AFTER = re.compile(r"\bof$|^(?:show|revival|tribute|legacy)\b")


def named_after(primary: str, credit: str) -> bool:
    """Whether a credit holding the primary artist's name with more words names another act
    after it: "of" just before the name, or a show, revival or tribute word just after it."""
    if not primary or primary == credit:
        return False
    before, found, after = f" {credit} ".partition(f" {primary} ")
    if not found:
        return False
    return bool(_NAMED_AFTER.search(before.strip()) or _NAMED_AFTER.search(after.strip()))


def acronym(words: str) -> str:
    """'electric light orchestra' -> 'elo' (three letters or more, else '')."""
    letters = [w[0] for w in words.split() if w not in _ACRONYM_SKIP]
    return "".join(letters) if len(letters) >= 3 else ""


def same_band(primary: str, credit: str) -> bool:
    """'Jimi Hendrix' in 'The Jimi Hendrix Experience', 'ELO' for 'Electric Light Orchestra'."""
    if not primary or not credit:
        return False
    if " " in primary and f" {primary} " in f" {credit} ":
        return True
    if " " in credit and f" {credit} " in f" {primary} ":
        return True
    compact = credit.replace(" ", "")
    return acronym(primary) == compact or acronym(credit) == primary.replace(" ", "")


def words_beside(primary: str, credit: str) -> str:
    """The words a credit holds besides the primary artist's whole name ("experience" of "jimi
    hendrix experience"), or '' when it does not hold that name with more words."""
    if " " not in primary or primary == credit:
        return ""
    before, found, after = f" {credit} ".partition(f" {primary} ")
    return f"{before} {after}".strip() if found else ""


def contains_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether the words of ``phrase`` appear together, in order, among ``tokens``."""
    if not phrase or len(phrase) > len(tokens):
        return False
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))
