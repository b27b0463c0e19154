"""Reading raw input fields: users and peers send any shape, so every field is checked here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import re
from typing import Any, TypeGuard

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")

# What odd input (wrong types, cut-off strings, pathological nesting) can raise while scoring.
ODD_INPUT = (
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    IndexError,
    RecursionError,
    ArithmeticError,
)


def is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """Inputs come from users and peers: check shapes at run time whatever the annotations say."""
    return type(value) is dict or isinstance(value, Mapping)  # the ABC check is slow


def text(value: Any) -> str:
    """The value if it is a string, else ''."""
    return value if isinstance(value, str) else ""


def duration_seconds(value: Any, *, milliseconds: bool) -> float | None:
    """A positive length in seconds, else None: Spotify and library items give milliseconds,
    slskd seconds. (On the hot path of an index build: one call, exact type checks first.)"""
    kind = type(value)
    if (kind is not int and kind is not float) and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return None  # a bool is an int, not a length
    if not value > 0:
        return None
    return value / 1000 if milliseconds else float(value)


def normal_isrc(value: Any) -> str | None:
    """An ISRC upper-cased without hyphens ('us-um7-1700001' == 'USUM71700001'), or None."""
    if not value or not isinstance(value, str):
        return None
    return value.upper().replace("-", "") or None


def track_isrc(track: Mapping[str, Any]) -> str | None:
    """The ISRC of a Spotify track object (in ``external_ids``)."""
    ids = track.get("external_ids")
    return normal_isrc(ids.get("isrc")) if is_mapping(ids) else None


def years(texts: Iterable[str]) -> frozenset[str]:
    """The years (1900-2099) written in some names: which edition an album or folder holds."""
    return frozenset(year for name in texts for year in _YEAR.findall(name))
