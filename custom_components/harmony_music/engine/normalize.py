"""Text normalisation shared by the matcher: case, diacritics, scripts, punctuation."""

from __future__ import annotations

from functools import lru_cache
import re
import threading
from typing import Any
import unicodedata

from unidecode import unidecode

_AMP = re.compile(r"\s*(?:&|\+)\s*")
_APOSTROPHES = re.compile("[\u2019'`\u00b4]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_THE_SUFFIX = re.compile(r"^(.*),\s*the$", re.IGNORECASE)
_PT = re.compile(r"\bpt\b")
# Roman numerals after the words that number a piece: "Part II" == "Pt. 2".
_NUMBERED_ROMAN = re.compile(r"\b(part|vol|volume|chapter|no|number|book|act|op)( [ivx]{1,5})\b")
_ROMAN = {"i": 1, "v": 5, "x": 10}
# Letters stylised as symbols inside a word: "P!nk", "Ke$ha", "A$AP".
_SYMBOL_LETTERS = re.compile(r"(?<=[a-z])!(?=[a-z])|\$(?=[a-z])|(?<=[a-z])\$")
# Cyrillic look-alikes used as stylised Latin letters ("KoЯn"), mapped only inside Latin words.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТХаеорсхЯяИи", "ABEKMHOPCTXaeopcxRrNn")
_MIXED_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[\u0400-\u04ff])\w+\b")
_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def _roman_to_int(numeral: str) -> int:
    total = 0
    for char, following in zip(numeral, [*numeral[1:], ""], strict=True):
        value = _ROMAN[char]
        total += -value if following and _ROMAN[following] > value else value
    return total


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII with '&'/'+' as 'and', no punctuation, single spaces."""
    if not text:
        return ""
    if not text.isascii():  # the common ASCII case skips the costly transliteration
        text = unicodedata.normalize("NFKC", text)
        if _MIXED_WORD.search(text):
            text = _MIXED_WORD.sub(lambda m: m.group(0).translate(_LOOKALIKES), text)
        text = unidecode(text)
    # Each step runs only when its character is present: fold is on the hot path of a diff.
    if "," in text:
        match = _THE_SUFFIX.match(text.strip())
        if match:  # "Beatles, The" -> "The Beatles"
            text = f"the {match.group(1)}"
    if "&" in text or "+" in text:
        text = _AMP.sub(" and ", text)
    text = text.lower()
    if "!" in text or "$" in text:
        text = _SYMBOL_LETTERS.sub(lambda m: "i" if m.group(0) == "!" else "s", text)
    if "'" in text or "`" in text:
        text = _APOSTROPHES.sub("", text)
    text = _NON_ALNUM.sub(" ", text).strip()
    if "pt" in text:
        text = _PT.sub("part", text)
    if " i" in text or " v" in text or " x" in text:
        text = _NUMBERED_ROMAN.sub(
            lambda m: f"{m.group(1)} {_roman_to_int(m.group(2).strip())}", text
        )
    return text


# Kana and CJK ideographs: text pykakasi can give a Japanese reading of.
_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_KAKASI_LOCK = threading.Lock()
_kakasi: Any = None


@lru_cache(maxsize=8192)
def japanese_reading(text: str) -> str | None:
    """The folded Hepburn reading of Japanese text, or None for text without kana or kanji.

    unidecode reads kanji as Mandarin ('春よ、来い' -> 'chun yo lai i'); files of Japanese music
    are named by their Japanese reading ('Haru yo Koi'). For Chinese titles this reading is wrong,
    so callers use it beside unidecode's, never instead.
    """
    if text.isascii() or not _JAPANESE.search(text):
        return None
    global _kakasi  # noqa: PLW0603 - one converter, built on first use: it loads large dictionaries
    with _KAKASI_LOCK:
        if _kakasi is None:
            import pykakasi

            _kakasi = pykakasi.kakasi()  # type: ignore[no-untyped-call]
        parts = _kakasi.convert(text)
    return fold(" ".join(str(part.get("hepburn", "")) for part in parts)) or None


def german_fold(text: str) -> str | None:
    """The German spelling of umlauts ("Die Ärzte" -> "die aerzte"), or None without any."""
    if text.isascii():
        return None
    german = text.translate(_GERMAN)
    return fold(german) if german != text else None


# A bracket inside another: "(The Official 2010 FIFA World Cup (TM) Song)".
_NESTED = re.compile(r"([\(\[\{][^\)\]\}\(\[\{]*)[\(\[\{]([^\)\]\}\(\[\{]*)[\)\]\}]")


def flatten_brackets(text: str) -> str:
    """Brackets inside brackets opened up, so each outer bracket is one descriptor."""
    while True:
        flat = _NESTED.sub(r"\1 \2", text)
        if flat == text:
            return text
        text = flat


def drop_article(text: str) -> str:
    """Folded text without a leading 'the'/'a'."""
    if text.startswith("the "):
        return text[4:]
    if text.startswith("a ") and len(text) > 6:
        return text[2:]
    return text


def compact(text: str) -> str:
    """Folded text without article and spaces: 'R.E.M.' == 'REM', 'Dinosaur Jr.' == 'Dinosaur Jr'."""
    return drop_article(fold(text)).replace(" ", "")


def is_non_latin(text: str) -> bool:
    """Whether the text has letters outside the Latin script (where transliteration may fail)."""
    if text.isascii():
        return False
    for char in text:
        code = ord(char)
        if char.isalpha() and code > 0x24F and not 0x1E00 <= code <= 0x1EFF:
            return True
    return False
