"""Audio file formats, by extension: what auto-sync may ask for and what a file name may end in."""

from __future__ import annotations

from typing import Final

# Formats a user can choose for auto-sync, in the order the options list them.
AUDIO_FORMATS: Final[tuple[str, ...]] = (
    "flac",
    "mp3",
    "m4a",
    "aac",
    "ogg",
    "opus",
    "wav",
    "alac",
    "aiff",
)
# Every extension an audio file's name may end in: the formats above and rarer ones or spellings.
AUDIO_EXTENSIONS: Final[frozenset[str]] = frozenset({*AUDIO_FORMATS, "wma", "aif", "ape", "wv"})
# Lossless formats meet any bitrate rule.
LOSSLESS_FORMATS: Final[frozenset[str]] = frozenset(
    {"flac", "wav", "alac", "aiff", "aif", "ape", "wv"}
)
