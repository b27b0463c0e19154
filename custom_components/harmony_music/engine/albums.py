"""What an album name says beyond itself: names many artists share, and compilations of hits."""

from __future__ import annotations

import re

# Album names that many artists share: they vouch for nothing.
_GENERIC_ALBUM = re.compile(
    r"^(?:(?:the )?(?:very )?(?:best|greatest|essential|ultimate)\b.*|(?:greatest )?hits\b.*"
    r"|singles|gold|collection|anthology|live|unplugged|remixes|untitled|soundtrack|ost|"
    r"music|misc|unknown album|various|compilation)$"
)
# Words of a compilation that gathers released recordings ("Experience Hendrix: The Best of Jimi
# Hendrix", "Jazz Masters", "Now That's What I Call Music! 34", "Direct Hits"): its tracks are
# the album masters, though often cut or faded a few seconds differently.
_COMPILATION = re.compile(
    r"\b(?:best|greatest|hits|essential|essentials|ultimate|collection|anthology|masters|gold"
    r"|definitive|classics|singles|retrospective|now thats what i call)\b"
)


def generic_album(folded: str) -> bool:
    """Whether a folded album name is one many artists share ("Greatest Hits", "Singles")."""
    return bool(_GENERIC_ALBUM.match(folded))


def compilation(folded: str) -> bool:
    """Whether a folded album name calls itself a compilation of released recordings."""
    return bool(_COMPILATION.search(folded))
