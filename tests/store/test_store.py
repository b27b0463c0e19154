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
    Store,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
)
from custom_components.harmony_music.store.database import MIGRATIONS

REPO = Path(__file__).parents[2]


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    db = Store(tmp_path / "harmony.db")
    await db.async_open()
    yield db  # type: ignore[misc]
    await db.async_close()


async def test_job_lifecycle_and_dedupe(store: Store) -> None:
    """Open jobs dedupe; finished ones do not block a new job; states move as documented."""
    job, created = await store.enqueue_job("matching", {"n": 1}, dedupe_key="k")
    again, created_again = await store.enqueue_job("matching", {"n": 1}, dedupe_key="k")
    assert created
    assert not created_again
    assert again.id == job.id
    [claimed] = await store.claim_jobs("matching", 10)
    assert claimed.state == "running"
    assert claimed.attempts == 1
    await store.complete_job(job.id, {"ok": True})
    done = await store.get_job(job.id)
    assert done is not None
    assert done.state == "completed"
    assert done.result == {"ok": True}
    fresh, created = await store.enqueue_job("matching", {"n": 1}, dedupe_key="k")
    assert created
    assert fresh.id != job.id
    assert await store.cancel_job(fresh.id)
    assert not await store.cancel_job(fresh.id)
    assert await store.retry_job(fresh.id)
    assert (await store.get_job(fresh.id)).state == "queued"  # type: ignore[union-attr]
    await store.mark_invalid(fresh.id, "bad")
    invalid = await store.get_job(fresh.id)
    assert invalid is not None
    assert (invalid.state, invalid.last_error) == ("invalid_payload", "bad")
    assert await store.count_jobs(type="matching") == 2
    assert [j.id for j in await store.list_jobs(states=["invalid_payload"])] == [fresh.id]


async def test_claim_order_retry_and_requeue(store: Store) -> None:
    """Priority first, then age; a retry waits for its time; running jobs requeue at start."""
    low, _ = await store.enqueue_job("download", {"n": "low"})
    high, _ = await store.enqueue_job("download", {"n": "high"}, priority=5)
    other, _ = await store.enqueue_job("matching", {"n": "other"})
    claimed = await store.claim_jobs("download", 1)
    assert [j.id for j in claimed] == [high.id]
    await store.fail_job(high.id, "timeout", retry_at=datetime.now(UTC) + timedelta(hours=1))
    assert [j.id for j in await store.claim_jobs("download", 5)] == [low.id]
    assert await store.claim_jobs("download", 5) == []  # the retry is not due yet
    assert await store.requeue_running("download") == 1
    assert (await store.get_job(other.id)).state == "queued"  # type: ignore[union-attr]
    await store.fail_job(low.id, "gone")
    assert (await store.get_job(low.id)).state == "failed"  # type: ignore[union-attr]


async def test_concurrent_claimers_never_share_a_job(store: Store) -> None:
    """Twenty claimers racing over 200 jobs get each job exactly once."""
    for n in range(200):
        await store.enqueue_job("matching", {"n": n})
    results = await asyncio.gather(*(store.claim_jobs("matching", 7) for _ in range(40)))
    ids = [job.id for batch in results for job in batch]
    assert len(ids) == 200
    assert len(set(ids)) == 200


async def test_many_concurrent_writers(store: Store) -> None:
    """20 tasks x 100 writes: every row is there, in one consistent file."""

    async def writer(n: int) -> None:
        for i in range(100):
            await store.add_activity("matching_batch", "ok", {"writer": n, "i": i})

    await asyncio.gather(*(writer(n) for n in range(20)))
    assert len(await store.list_activity(limit=5000)) == 2000


async def test_matches_saved_once_with_the_job(store: Store) -> None:
    """Matches and the job's completion are one transaction: a second save is a no-op."""
    job, _ = await store.enqueue_job("matching", {})
    await store.claim_jobs("matching", 1)
    row = {
        "candidate": {"kind": "library"},
        "score": 0.9,
        "parts": {"title": 1.0},
        "source": "library",
    }
    await store.save_matches_and_complete(job.id, "t1", [row], {"matches": 1})
    await store.save_matches_and_complete(job.id, "t1", [row], {"matches": 1})
    assert await store.count_matches() == 1
    [match] = await store.list_matches("t1")
    assert match.parts == {"title": 1.0}
    assert match.job_id == job.id


async def test_activity_retention(tmp_path: Path) -> None:
    """Only the newest rows are kept."""
    db = Store(tmp_path / "a.db", activity_retention=10)
    await db.async_open()
    try:
        for i in range(25):
            await db.add_activity("scan_failed", "error", {"i": i})
        rows = await db.list_activity(limit=100)
        assert [r.details["i"] for r in rows] == list(range(24, 14, -1))
    finally:
        await db.async_close()


async def test_migrates_an_older_schema(tmp_path: Path) -> None:
    """A version-1 file (no job results yet) opens, keeps its data and gains the new column."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
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
        [job] = await db.list_jobs()
        assert job.payload == {"a": 1}
        await db.complete_job(job.id, {"kept": True})
        assert (await db.get_job(job.id)).result == {"kept": True}  # type: ignore[union-attr]
    finally:
        await db.async_close()
    assert sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchone()[0] == len(
        MIGRATIONS
    )


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
    await store.add_activity("scan_failed", "error", {"n": 1})
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
        await db.count_matches()


def test_crash_mid_transaction_leaves_consistent_file(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-batch: the file checks out and no batch is half there."""
    path = tmp_path / "crash.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(REPO)!r})
        from custom_components.harmony_music.store.database import Store
        async def main():
            db = Store(__import__("pathlib").Path({str(path)!r}))
            await db.async_open()
            def batch(conn, n):
                for i in range(50):
                    conn.execute("INSERT INTO activity (ts, type, status, details) VALUES ('t', 'b', 'ok', ?)", (str(n),))
            n = 0
            print("ready", flush=True)
            while True:
                await db._run(db._tx(lambda conn, n=n: batch(conn, n)))
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
