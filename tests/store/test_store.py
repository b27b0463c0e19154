"""The SQLite store: jobs, matches, activity, migrations, concurrency, crashes, bad files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from custom_components.harmony_music.store import (
    JobState,
    JobType,
    MatchRow,
    Store,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
)
from custom_components.harmony_music.store.schema import MIGRATIONS

REPO = Path(__file__).parents[2]


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    db = Store(tmp_path / "harmony.db")
    await db.async_open()
    yield db  # type: ignore[misc]
    await db.async_close()


async def test_job_lifecycle_and_dedupe(store: Store) -> None:
    """Open jobs dedupe; finished ones do not block a new job; states move as documented."""
    job, created = await store.jobs.async_enqueue(JobType.MATCHING, {"n": 1}, dedupe_key="k")
    again, created_again = await store.jobs.async_enqueue(
        JobType.MATCHING, {"n": 1}, dedupe_key="k"
    )
    assert created
    assert not created_again
    assert again.id == job.id
    [claimed] = await store.jobs.async_claim(JobType.MATCHING, 10)
    assert claimed.state == "running"
    assert claimed.attempts == 1
    await store.jobs.async_complete(job.id, {"ok": True})
    done = await store.jobs.async_get(job.id)
    assert done is not None
    assert done.state == "completed"
    assert done.result == {"ok": True}
    fresh, created = await store.jobs.async_enqueue(JobType.MATCHING, {"n": 1}, dedupe_key="k")
    assert created
    assert fresh.id != job.id
    assert await store.jobs.async_cancel(fresh.id)
    assert not await store.jobs.async_cancel(fresh.id)
    assert await store.jobs.async_retry(fresh.id)
    assert (await store.jobs.async_get(fresh.id)).state == "queued"  # type: ignore[union-attr]
    await store.jobs.async_claim(JobType.MATCHING, 1)
    await store.jobs.async_fail(fresh.id, "bad", state=JobState.INVALID_PAYLOAD)
    invalid = await store.jobs.async_get(fresh.id)
    assert invalid is not None
    assert (invalid.state, invalid.last_error) == ("invalid_payload", "bad")
    assert await store.jobs.async_count(job_type=JobType.MATCHING) == 2
    assert [j.id for j in await store.jobs.async_list(states=[JobState.INVALID_PAYLOAD])] == [
        fresh.id
    ]


async def test_claim_order_retry_and_requeue(store: Store) -> None:
    """Priority first, then age; a retry waits for its time; running jobs requeue at start."""
    low, _ = await store.jobs.async_enqueue(JobType.DOWNLOAD, {"n": "low"})
    high, _ = await store.jobs.async_enqueue(JobType.DOWNLOAD, {"n": "high"}, priority=5)
    other, _ = await store.jobs.async_enqueue(JobType.MATCHING, {"n": "other"})
    claimed = await store.jobs.async_claim(JobType.DOWNLOAD, 1)
    assert [j.id for j in claimed] == [high.id]
    await store.jobs.async_fail(high.id, "timeout", retry_at=datetime.now(UTC) + timedelta(hours=1))
    assert [j.id for j in await store.jobs.async_claim(JobType.DOWNLOAD, 5)] == [low.id]
    assert await store.jobs.async_claim(JobType.DOWNLOAD, 5) == []  # the retry is not due yet
    assert await store.jobs.async_requeue_running(JobType.DOWNLOAD) == 1
    assert (await store.jobs.async_get(other.id)).state == "queued"  # type: ignore[union-attr]
    assert [j.id for j in await store.jobs.async_claim(JobType.DOWNLOAD, 5)] == [low.id]
    await store.jobs.async_fail(low.id, "gone")
    assert (await store.jobs.async_get(low.id)).state == "failed"  # type: ignore[union-attr]


async def test_counts_due_time_and_cancel_of_running_jobs(store: Store) -> None:
    """Counts per state in one query; the next due time; running jobs can be cancelled."""
    first, _ = await store.jobs.async_enqueue(JobType.DOWNLOAD, {"n": 1})
    second, _ = await store.jobs.async_enqueue(JobType.DOWNLOAD, {"n": 2})
    await store.jobs.async_enqueue(JobType.MATCHING, {"n": 3})
    assert await store.jobs.async_next_due(JobType.DOWNLOAD) is not None
    await store.jobs.async_claim(JobType.DOWNLOAD, 2)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert await store.jobs.async_fail(first.id, "busy", retry_at=later)
    assert await store.jobs.async_next_due(JobType.DOWNLOAD) == later
    assert await store.jobs.async_cancel(second.id)  # running: cancelled
    assert not await store.jobs.async_complete(second.id)  # a cancelled job stays cancelled
    counts = await store.jobs.async_counts(JobType.DOWNLOAD)
    assert counts[JobState.QUEUED] == 1
    assert counts[JobState.CANCELLED] == 1
    assert counts[JobState.COMPLETED] == 0
    assert set(counts) == set(JobState)
    assert await store.jobs.async_next_due(JobType.MATCHING) is not None
    await store.jobs.async_claim(JobType.MATCHING, 1)
    assert await store.jobs.async_next_due(JobType.MATCHING) is None


async def test_concurrent_claimers_never_share_a_job(store: Store) -> None:
    """Twenty claimers racing over 200 jobs get each job exactly once."""
    for n in range(200):
        await store.jobs.async_enqueue(JobType.MATCHING, {"n": n})
    results = await asyncio.gather(
        *(store.jobs.async_claim(JobType.MATCHING, 7) for _ in range(40))
    )
    ids = [job.id for batch in results for job in batch]
    assert len(ids) == 200
    assert len(set(ids)) == 200


async def test_many_concurrent_writers(store: Store) -> None:
    """20 tasks x 100 writes: every row is there, in one consistent file."""

    async def writer(n: int) -> None:
        for i in range(100):
            await store.activity.async_add("matching_batch", "ok", {"writer": n, "i": i})

    await asyncio.gather(*(writer(n) for n in range(20)))
    assert len(await store.activity.async_list(limit=5000)) == 2000


async def test_matches_saved_once_with_the_job(store: Store) -> None:
    """Matches and the job's completion are one transaction: a second save is a no-op."""
    job, _ = await store.jobs.async_enqueue(JobType.MATCHING, {})
    await store.jobs.async_claim(JobType.MATCHING, 1)
    row = MatchRow({"kind": "library"}, 0.9, {"title": 1.0}, "library")
    assert await store.matches.async_save_and_complete(job.id, "t1", [row], {"matches": 1}) == 1
    assert await store.matches.async_save_and_complete(job.id, "t1", [row], {"matches": 1}) is None
    assert await store.matches.async_count() == 1
    # The same request again, after the first job completed: the match is not saved twice.
    again, _ = await store.jobs.async_enqueue(JobType.MATCHING, {})
    await store.jobs.async_claim(JobType.MATCHING, 1)
    assert await store.matches.async_save_and_complete(again.id, "t1", [row], {}) == 0
    assert await store.matches.async_count() == 1
    [match] = await store.matches.async_list("t1")
    assert match.parts == {"title": 1.0}
    assert match.job_id == job.id


async def test_activity_retention(tmp_path: Path) -> None:
    """Only the newest rows are kept."""
    db = Store(tmp_path / "a.db", activity_retention=10)
    await db.async_open()
    try:
        for i in range(25):
            await db.activity.async_add("scan_failed", "error", {"i": i})
        rows = await db.activity.async_list(limit=100)
        assert [r.details["i"] for r in rows] == list(range(24, 14, -1))
    finally:
        await db.async_close()


async def test_migrates_an_older_schema(tmp_path: Path) -> None:
    """A version-1 file (no job results yet) opens, keeps its data and gains the new column."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    first = MIGRATIONS[0]
    assert isinstance(first, str)
    conn.executescript(first)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO worker_jobs (type, payload, created_at, updated_at) VALUES ('matching', '{\"a\": 1}', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()
    db = Store(path)
    await db.async_open()
    try:
        [job] = await db.jobs.async_list()
        assert job.payload == {"a": 1}
        await db.jobs.async_claim(JobType.MATCHING, 1)
        await db.jobs.async_complete(job.id, {"kept": True})
        assert (await db.jobs.async_get(job.id)).result == {"kept": True}  # type: ignore[union-attr]
    finally:
        await db.async_close()
    assert sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchone()[0] == len(
        MIGRATIONS
    )


async def test_v4_migration_drops_duplicate_matches_and_unused_tables(tmp_path: Path) -> None:
    """A version-2 file with a doubled match keeps one; tables no code used are gone."""
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        assert isinstance(step, str)
        conn.executescript(step)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (2)")
    for candidate in ('{"b": 1, "a": 2}', '{"a": 2, "b": 1}', '{"a": 3}'):
        conn.execute(
            "INSERT INTO matches (spotify_track_id, candidate, score, parts, source, created_at)"
            " VALUES ('t', ?, 0.9, '{}', 'library', '2026-01-01T00:00:00+00:00')",
            (candidate,),
        )
    conn.commit()
    conn.close()
    db = Store(path)
    await db.async_open()
    try:
        assert [m.candidate for m in await db.matches.async_list()] == [{"a": 3}, {"b": 1, "a": 2}]
    finally:
        await db.async_close()
    tables = {
        row[0]
        for row in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"auto_sync_skipped_tracks", "artist_preferences", "autosync_runs"} <= tables
    # downloads came back (v5) in the download worker's shape, the auto-sync tables (v8) in theirs.
    skip_columns = {
        row[1]
        for row in sqlite3.connect(path).execute("PRAGMA table_info(auto_sync_skipped_tracks)")
    }
    assert {"failures", "next_attempt_at"} <= skip_columns
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(downloads)")}
    assert {"transfer_id", "library_path", "phase"} <= columns


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file from a newer version is not touched."""
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (99)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        await Store(path).async_open()


async def test_corrupt_file(tmp_path: Path) -> None:
    """Random bytes give StoreCorruptError naming the file; the file is left alone."""
    path = tmp_path / "bad.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreCorruptError, match=str(path)):
        await Store(path).async_open()
    assert path.stat().st_size == 8192


async def test_locked_file(tmp_path: Path) -> None:
    """Another connection holding an exclusive lock gives StoreLockedError, not a hang."""
    path = tmp_path / "locked.db"
    db = Store(path)
    await db.async_open()
    await db.async_close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError):
            await Store(path, busy_timeout=0.2).async_open()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_backup_pause_gives_a_consistent_copy(store: Store, tmp_path: Path) -> None:
    """After the pause the main file alone holds every committed row."""
    await store.activity.async_add("scan_failed", "error", {"n": 1})
    await store.async_pause_for_backup()
    copy = tmp_path / "copy.db"
    copy.write_bytes(store.path.read_bytes())  # what a backup archives: the main file
    await store.async_resume_after_backup()
    rows = sqlite3.connect(copy).execute("SELECT COUNT(*) FROM activity").fetchone()[0]
    assert rows == 1


async def test_closed_store_refuses_work(tmp_path: Path) -> None:
    """Using a closed store is a clear error."""
    db = Store(tmp_path / "c.db")
    with pytest.raises(StoreError, match="not open"):
        await db.matches.async_count()


def test_crash_mid_transaction_leaves_consistent_file(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-batch: the file checks out and no batch is half there."""
    path = tmp_path / "crash.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(REPO)!r})
        from custom_components.harmony_music.store import Store
        async def main():
            db = Store(__import__("pathlib").Path({str(path)!r}))
            await db.async_open()
            def batch(conn, n):
                for i in range(50):
                    conn.execute("INSERT INTO activity (ts, type, status, details) VALUES ('t', 'b', 'ok', ?)", (str(n),))
            n = 0
            print("ready", flush=True)
            while True:
                await db.db.async_write(lambda conn, n=n: batch(conn, n))
                n += 1
        asyncio.run(main())
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    import time

    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = conn.execute("SELECT details, COUNT(*) FROM activity GROUP BY details").fetchall()
    conn.close()
    assert counts, "the writer committed nothing before the kill"
    assert all(count == 50 for _, count in counts)


async def test_peer_records_and_bad_files(store: Store) -> None:
    """Failures count until a success; blocked files are remembered; old failures fade."""
    await store.peers.async_record("flaky", success=False)
    await store.peers.async_record("flaky", success=False)
    await store.peers.async_record("good", success=False)
    await store.peers.async_record("good", success=True)
    assert await store.peers.async_recent_failures(timedelta(hours=6)) == {"flaky": 2}
    assert await store.peers.async_recent_failures(timedelta(0)) == {}
    await store.peers.async_block_file("flaky", "a\\b.flac", "not audio")
    await store.peers.async_block_file("flaky", "a\\b.flac", "not audio")
    assert await store.peers.async_bad_files() == {("flaky", "a\\b.flac")}
