"""Auto-sync's collect and diff at a quarter of account scale, in the test command.

The full-size figures (20,000 tracks against 100,000 library items) come from
``benchmarks/autosync_scale.py``; this runs the same steps at 5,000 x 25,000 in a fresh event
loop in debug mode: the Spotify simulator in a child process, a 10 ms heartbeat on the loop.
What a user would notice is checked: every track collected once with its sources, an unchanged
account read without its playlists' items, the diff's answers exact, and the loop never held
for 100 ms by the integration's own code (garbage-collection pauses are taken out: their length
is the heap's, see the benchmark's README).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from benchmarks.autosync_scale import Report, make_account, run_scale

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LOOP_BLOCK_LIMIT_S = 0.1


def test_collect_and_diff_never_hold_the_loop(socket_enabled: None, tmp_path: Path) -> None:
    """5,000 tracks (saved and in 10 playlists) against a crowded 25,000-item library."""
    account = make_account(5_000, 25_000, seed=3, playlists=10)

    async def run() -> Report:
        asyncio.get_running_loop().slow_callback_duration = LOOP_BLOCK_LIMIT_S
        return await run_scale(account, tmp_path / "scale.db", baseline=False, traced=False)

    report = asyncio.run(run(), debug=True)

    assert report.once == (True, "5,000 tracks, each once, sources exact")
    assert report.unchanged_once[0], report.unchanged_once[1]
    answers = report.answers
    assert answers.present_owned == answers.present > 0
    assert answers.absent_missing == answers.absent > 0
    assert answers.owned + answers.missing == 5_000

    # The unchanged run reads no playlist's items again, only the saved tracks.
    assert not any("/items" in route for route in report.unchanged.requests)
    assert report.unchanged.request_total < report.full.request_total

    for step in (report.full, report.unchanged, report.executor):
        assert step.outside_gc < LOOP_BLOCK_LIMIT_S, (step.name, step.outside_gc, step.gc)
