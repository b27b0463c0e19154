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


def guest_units(featured: tuple[str, ...]) -> frozenset[str]:
    """Each guest named in a title's feat./with credit, one compact name per guest."""
    units: set[str] = set()
    for credit in featured:
        units |= credit_names(_FEAT_WORD.sub(" ", credit.strip(" ()[]")))
    return frozenset(units - _NOT_ARTISTS)


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


def contains_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether the words of ``phrase`` appear together, in order, among ``tokens``."""
    if not phrase or len(phrase) > len(tokens):
        return False
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))
