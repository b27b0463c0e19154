"""The schema as a list of migrations: step N brings a database from version N to N + 1.

A table is created by the migration that ships with the first code using it. Steps are never
edited once released; a change is a new step.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import json
import sqlite3

type Migration = str | Callable[[sqlite3.Connection], None]


def candidate_key(candidate: object) -> str:
    """A stable key of a match candidate: the same candidate always gives the same key."""
    canonical = json.dumps(candidate, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _dedupe_matches(conn: sqlite3.Connection) -> None:
    """v3: one saved match per (track, candidate); earlier duplicates are dropped, oldest kept."""
    conn.execute("ALTER TABLE matches ADD COLUMN candidate_key TEXT")
    seen: set[tuple[str, str]] = set()
    duplicates: list[tuple[int]] = []
    keys: list[tuple[str, int]] = []
    for row_id, track_id, candidate in conn.execute(
        "SELECT id, spotify_track_id, candidate FROM matches ORDER BY id"
    ):
        key = candidate_key(json.loads(candidate))
        if (track_id, key) in seen:
            duplicates.append((row_id,))
        else:
            seen.add((track_id, key))
            keys.append((key, row_id))
    conn.executemany("DELETE FROM matches WHERE id = ?", duplicates)
    conn.executemany("UPDATE matches SET candidate_key = ? WHERE id = ?", keys)
    conn.execute(
        "CREATE UNIQUE INDEX matches_track_candidate ON matches(spotify_track_id, candidate_key)"
    )


MIGRATIONS: list[Migration] = [
    # v1: the first schema.
    """
    CREATE TABLE worker_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        dedupe_key TEXT,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        priority INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX worker_jobs_open_dedupe ON worker_jobs(dedupe_key)
        WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
    CREATE INDEX worker_jobs_claim ON worker_jobs(type, state, priority DESC, id);
    CREATE TABLE downloads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER REFERENCES worker_jobs(id) ON DELETE SET NULL,
        username TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER,
        transfer_id TEXT, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0, local_path TEXT, error TEXT, spotify_track_id TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE matches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER REFERENCES worker_jobs(id) ON DELETE SET NULL,
        spotify_track_id TEXT NOT NULL, candidate TEXT NOT NULL, score REAL NOT NULL,
        parts TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE INDEX matches_track ON matches(spotify_track_id);
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, type TEXT NOT NULL,
        status TEXT NOT NULL, details TEXT NOT NULL
    );
    CREATE TABLE auto_sync_skipped_tracks (
        spotify_track_id TEXT PRIMARY KEY, reason TEXT NOT NULL,
        failure_count INTEGER NOT NULL DEFAULT 0, last_attempt TEXT NOT NULL
    );
    CREATE TABLE artist_preferences (artist TEXT PRIMARY KEY, preference TEXT NOT NULL);
    """,
    # v2: jobs keep their result (matches found, files imported) for the actions to return.
    """
    ALTER TABLE worker_jobs ADD COLUMN result TEXT;
    """,
    # v3: tables no code uses yet go; the download and auto-sync work brings its own tables
    # back with the code that reads them. Nothing was ever written to them.
    """
    DROP TABLE downloads;
    DROP TABLE auto_sync_skipped_tracks;
    DROP TABLE artist_preferences;
    CREATE INDEX worker_jobs_due ON worker_jobs(type, state, next_attempt_at);
    """,
    # v4: a match is saved once per (track, candidate), so "Matches saved" counts real matches.
    _dedupe_matches,
    # v5: the download worker's rows, one per file of a download job.
    """
    CREATE TABLE downloads (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER NOT NULL REFERENCES worker_jobs(id) ON DELETE CASCADE,
        username TEXT NOT NULL,
        filename TEXT NOT NULL,
        size INTEGER NOT NULL,
        transfer_id TEXT,
        state TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        local_path TEXT,
        library_path TEXT,
        error TEXT,
        phase TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (job_id, username, filename)
    );
    CREATE INDEX downloads_transfer ON downloads(transfer_id);
    CREATE INDEX downloads_state ON downloads(state);
    """,
    # v6: the Plex library snapshot the scan coordinator keeps, so a restart does not list Plex
    # again; times are Plex's own (Unix seconds of its clock), and library_state holds the
    # snapshot version, the since-watermark and the last contentChangedAt seen.
    """
    CREATE TABLE library_tracks (
        rating_key TEXT PRIMARY KEY, title TEXT NOT NULL, artist TEXT NOT NULL,
        album TEXT NOT NULL, duration_ms INTEGER, isrc TEXT, file_path TEXT,
        added_at INTEGER, updated_at INTEGER
    );
    CREATE TABLE library_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # v7: what the download worker learned about peers: successes and failures per peer (a peer
    # that failed twice lately is not chosen for a while) and files that failed verification
    # (never chosen again).
    """
    CREATE TABLE peer_records (
        username TEXT PRIMARY KEY,
        successes INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        last_failure_at TEXT,
        last_success_at TEXT
    );
    CREATE TABLE bad_files (
        username TEXT NOT NULL,
        filename TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (username, filename)
    );
    """,
    # v8: auto-sync. Each playlist's last snapshot id and tracks (an unchanged playlist is not
    # read again), the tracks whose search failed (with when to try again), the user's artist
    # preferences, and one row per run with its summary.
    """
    CREATE TABLE autosync_playlists (
        playlist_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        snapshot_id TEXT NOT NULL,
        tracks TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE auto_sync_skipped_tracks (
        spotify_track_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_attempt_at TEXT NOT NULL,
        next_attempt_at TEXT
    );
    CREATE TABLE artist_preferences (
        artist_key TEXT PRIMARY KEY,
        artist TEXT NOT NULL,
        preference TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE autosync_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '{}'
    );
    """,
]
