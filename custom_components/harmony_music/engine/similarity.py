"""How alike two folded titles are: whole words, text-speak, catalogue numbers, romanisations."""

from __future__ import annotations

from difflib import SequenceMatcher
import re

from .normalize import drop_article
from .thresholds import SHORT_TITLE_WORDS

VOWELS = re.compile(r"[aeiouy]")
NUMBER = re.compile(r"\d+")
# Catalogue numbers of classical works, often left out of file tags ("Suite bergamasque, L. 75").
CATALOGUE = re.compile(r"\b(?:op|opus|bwv|kv|k|hob|rv|wwv|l|d|s)\s?\d+[a-z]?\b")
# Text-speak that spells the same words: "Nothing Compares 2 U" == "Nothing Compares To You".
TEXTESE = {"2": "to", "4": "for", "u": "you", "r": "are", "n": "and", "o": "of"}


def textese(text: str) -> str:
    """Folded words as text-speak spells them ('2 u' -> 'to you')."""
    return " ".join(TEXTESE.get(word, word) for word in text.split())


def title_similarity(a: str, b: str) -> float:
    """1.0 for equal titles; strict otherwise (one changed letter or number is another song)."""
    if not a or not b:
        return 0.0
    a2, b2 = drop_article(a), drop_article(b)
    if a2 == b2 or a2.replace(" ", "") == b2.replace(" ", ""):
        return 1.0
    if textese(a2) == textese(b2):
        return 1.0
    if NUMBER.findall(a2) != NUMBER.findall(b2):
        a3, b3 = CATALOGUE.sub(" ", a2), CATALOGUE.sub(" ", b2)
        if (a3 == a2 and b3 == b2) or NUMBER.findall(a3) != NUMBER.findall(b3):
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


def transliteration_similarity(a: str, b: str) -> float:
    """Similarity of two romanisations of one title (systems differ: 'Solntse'/'Solnce').

    Letters are compared without spaces, and again without vowels, which scripts such as Arabic
    and Hebrew do not write. Numbers must agree.
    """
    # 'y' and 'i' stand for the same letters in many systems (й: 'Obiymy'/'Obiimi').
    ca, cb = a.replace(" ", "").replace("y", "i"), b.replace(" ", "").replace("y", "i")
    if not ca or not cb or NUMBER.findall(a) != NUMBER.findall(b):
        return 0.0
    ratio = SequenceMatcher(None, ca, cb, autojunk=False).ratio()
    sa, sb = VOWELS.sub("", ca), VOWELS.sub("", cb)
    if len(sa) >= 4 and len(sb) >= 4:
        ratio = max(ratio, SequenceMatcher(None, sa, sb, autojunk=False).ratio())
    return ratio


def skeleton(key: str) -> str:
    """Consonants of a title, doubled letters once: what romanisation systems agree on."""
    consonants = VOWELS.sub("", key.replace(" ", ""))
    return "".join(c for i, c in enumerate(consonants) if i == 0 or consonants[i - 1] != c)
