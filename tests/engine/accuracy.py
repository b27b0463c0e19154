"""Precision and recall of the engine on labelled case files, overall and per category.

Run: `.venv/bin/python -m tests.engine.accuracy [FILE ...]` (default: every file in
`tests/engine/cases/` plus the generated set). A candidate counts as picked when its score reaches
the default threshold; `expected` lists the candidates that are the track's recording. Each miss
and false pick is listed with the engine's explanation, to read, not to tune to.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
import json
from pathlib import Path
import sys
from typing import Any

from custom_components.harmony_music.engine.matching import (
    DEFAULT_CONFIDENCE_THRESHOLD,
    score_details,
)

CASES_DIR = Path(__file__).parent / "cases"


@dataclass
class Tally:
    """Counts of one category (or of all)."""

    cases: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of picked candidates that were expected."""
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """Share of expected candidates that were picked."""
        return self.tp / max(1, self.tp + self.fn)


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of one file in the shared sample's format."""
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


def evaluate(cases: list[dict[str, Any]]) -> dict[str, Tally]:
    """Tallies by category, and ``"all"``."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for case in cases:
        expected = set(case["expected"])
        for tally in (tallies[case["category"]], tallies["all"]):
            tally.cases += 1
        for index, candidate in enumerate(case["candidates"]):
            details = score_details(case["track"], candidate)
            picked = details.score >= DEFAULT_CONFIDENCE_THRESHOLD
            outcome = (
                "tp"
                if picked and index in expected
                else "fp"
                if picked
                else "fn"
                if index in expected
                else None
            )
            if outcome is None:
                continue
            for tally in (tallies[case["category"]], tallies["all"]):
                setattr(tally, outcome, getattr(tally, outcome) + 1)
                if outcome != "tp":
                    tally.errors.append(
                        f"{outcome.upper()} {case['id']}[{index}] score {details.score:.2f} "
                        f"gate {details.gate} parts {details.parts}"
                    )
    return dict(tallies)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 below precision 0.98 or recall 0.95 overall."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--errors", action="store_true", help="list every miss and false pick")
    args = parser.parse_args(argv)
    cases: list[dict[str, Any]] = []
    for path in args.files or sorted(CASES_DIR.glob("*.json")):
        cases += load_cases(path)
    if not args.files:
        from .labelled import build_cases

        cases += build_cases()
    tallies = evaluate(cases)
    print(f"{'category':<20}{'cases':>7}{'precision':>11}{'recall':>8}{'FP':>5}{'FN':>5}")
    for name in sorted(tallies, key=lambda n: (n == "all", n)):
        t = tallies[name]
        print(f"{name:<20}{t.cases:>7}{t.precision:>11.3f}{t.recall:>8.3f}{t.fp:>5}{t.fn:>5}")
    if args.errors:
        for line in tallies["all"].errors:
            print(line)
    overall = tallies["all"]
    return 0 if overall.precision >= 0.98 and overall.recall >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
