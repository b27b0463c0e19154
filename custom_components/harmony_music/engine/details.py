"""A decision with its explanation: the score, the gate that rejected, the parts that counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .thresholds import WEIGHTS


@dataclass(frozen=True)
class MatchDetails:
    """A decision with its explanation.

    ``gate`` names the hard rule that rejected the candidate (score 0), or is None when the
    score was computed; ``decided_by`` also names the weakest part of a computed score, so a
    candidate below the threshold always says why.
    """

    score: float
    gate: str | None = None
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def decided_by(self) -> str | None:
        """The gate, else the part with the lowest value (the heavier one on a tie); None when
        every part agreed fully."""
        if self.gate is not None:
            return self.gate
        weakest = min(
            self.parts.items(),
            key=lambda item: (item[1], -WEIGHTS.get(item[0], 1.0)),
            default=None,
        )
        return weakest[0] if weakest is not None and weakest[1] < 1.0 else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage and action responses."""
        return {
            "score": round(self.score, 4),
            "gate": self.gate,
            "decided_by": self.decided_by,
            "parts": dict(self.parts),
        }
