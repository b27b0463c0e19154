"""Posting lists: the library positions filed under one key of an index.

The index of a 100,000-item library holds some 170,000 of them. Lists are containers that every
full cyclic garbage collection walks while it holds the GIL, so Home Assistant's event loop
stalls with it (~1 µs a list here: 170,000 lists add some 170 ms to each full collection).
A tuple of ints is untracked by the collector the first time it survives one, so an index
files positions in lists while it is built and seals them into tuples when it is done.
"""

from __future__ import annotations

from collections.abc import Hashable, MutableMapping, Sequence


def file_under[K: Hashable](postings: MutableMapping[K, Sequence[int]], key: K, index: int) -> None:
    """Add ``index`` to the posting list of ``key`` (a sealed one is copied, which is rare)."""
    posting = postings.get(key)
    if posting is None:
        postings[key] = [index]
    elif isinstance(posting, list):
        posting.append(index)
    else:
        postings[key] = (*posting, index)


def seal[K: Hashable](postings: MutableMapping[K, Sequence[int]]) -> None:
    """Turn every posting list into a tuple, in place."""
    for key, posting in postings.items():
        if isinstance(posting, list):
            postings[key] = tuple(posting)
