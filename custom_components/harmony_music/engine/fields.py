"""Reading raw input fields: users and peers send any shape, so every field is checked here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

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


def positive_number(value: Any) -> float | None:
    """A positive int or float (not a bool) as float, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def duration_seconds(value: Any, *, milliseconds: bool) -> float | None:
    """A length in seconds: Spotify and library items give milliseconds, slskd seconds."""
    number = positive_number(value)
    if number is None:
        return None
    return number / 1000 if milliseconds else number


def normal_isrc(value: Any) -> str | None:
    """An ISRC upper-cased without hyphens ('us-um7-1700001' == 'USUM71700001'), or None."""
    code = text(value).upper().replace("-", "")
    return code or None


def track_isrc(track: Mapping[str, Any]) -> str | None:
    """The ISRC of a Spotify track object (in ``external_ids``)."""
    ids = track.get("external_ids")
    return normal_isrc(ids.get("isrc")) if is_mapping(ids) else None
