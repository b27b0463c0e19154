"""Items of one title sorted by length, so a common title ("Intro") is cut to the few items whose
length can pass the duration gate, by bisection instead of one check per item."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from .thresholds import DURATION_GATE_S

# Lists shorter than this are checked item by item: sorting would cost more than it saves.
WINDOWED = 32
# The window is a little wider than the gate: the gate itself is checked afterwards, exactly.
_SLACK_S = 1e-6


class LengthWindow:
    """Positions of one title's items by length; those without a length always come along."""

    def __init__(self, positions: Sequence[int], durations: list[float | None]) -> None:
        timed = sorted((length, index) for index in positions if (length := durations[index]))
        self._lengths = [length for length, _ in timed]
        self._positions = [index for _, index in timed]
        self._untimed = [index for index in positions if durations[index] is None]

    def around(self, length_s: float) -> list[int]:
        """Positions whose length lies within the duration gate of ``length_s``."""
        low = bisect_left(self._lengths, length_s - DURATION_GATE_S - _SLACK_S)
        high = bisect_right(self._lengths, length_s + DURATION_GATE_S + _SLACK_S)
        return self._untimed + self._positions[low:high]
