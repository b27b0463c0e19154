"""Automatic cyclic garbage collection held off while a whole-library pass builds its tables.

An index build or a diff creates a few hundred thousand containers that all stay alive (posting
lists, parsed features). Each full collection that falls inside the pass walks all of them and
the rest of Home Assistant's heap while holding the GIL, so the event loop stalls with it even
though the pass runs in an executor thread (measured: 337 ms, benchmarks/autosync_scale.py).
The pass makes no cyclic garbage, so nothing is lost by collecting after it instead: once the
pass is done its tables are sealed (tuples the collector untracks) or emptied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import gc
import threading

_lock = threading.Lock()
_depth = 0
_resume = False  # whether collection was on when the first pass paused it


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection until every pass that asked for a pause has ended."""
    global _depth, _resume  # noqa: PLW0603 - one process-wide switch, counted
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
