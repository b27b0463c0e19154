"""Constants of the Harmony Music integration."""

from __future__ import annotations

import logging
from typing import Final

from .engine.audio_formats import AUDIO_FORMATS as ENGINE_AUDIO_FORMATS
from .engine.thresholds import DEFAULT_CONFIDENCE_THRESHOLD

DOMAIN: Final = "harmony_music"
DEVICE_NAME: Final = "Harmony Music"  # entity ids: sensor.harmony_music_…
LOGGER = logging.getLogger(__package__)

# Spotify OAuth2 scopes: playlists (owned, followed, private, collaborative) and saved tracks.
SPOTIFY_SCOPES: Final = [
    "user-read-private",
    "playlist-read-private",
    "playlist-read-collaborative",
    "user-library-read",
]

# Config entry data keys (connection settings, changed by reconfigure).
CONF_PLEX_URL: Final = "plex_url"
CONF_PLEX_TOKEN: Final = "plex_token"
CONF_PLEX_VERIFY_SSL: Final = "plex_verify_ssl"
CONF_PLEX_SECTION: Final = "plex_section"
CONF_SLSKD_URL: Final = "slskd_url"
CONF_SLSKD_API_KEY: Final = "slskd_api_key"
CONF_SLSKD_DOWNLOADS_DIR: Final = "slskd_downloads_dir"
CONF_BEETS_LIBRARY: Final = "beets_library"
CONF_BEETS_DIRECTORY: Final = "beets_directory"
CONF_BEETS_CONFIG: Final = "beets_config"

# Options (tuning, applied at the next worker cycle without a reload).
OPT_SYNC_WORKER_CONCURRENCY: Final = "sync_worker_concurrency"
OPT_SYNC_POLL_INTERVAL: Final = "sync_poll_interval"
OPT_SYNC_POLL_INTERVAL_IDLE: Final = "sync_poll_interval_idle"
OPT_SYNC_STUCK_QUEUED: Final = "sync_stuck_queued_seconds"
OPT_SYNC_STUCK_STALLED: Final = "sync_stuck_stalled_seconds"
OPT_SYNC_MIN_FREE_GB: Final = "sync_min_free_gb"
OPT_MATCHING_BATCH_SIZE: Final = "matching_worker_batch_size"
OPT_MATCHING_THRESHOLD: Final = "matching_confidence_threshold"
OPT_SCAN_INTERVAL: Final = "scan_worker_interval_seconds"
OPT_SCAN_INCREMENTAL: Final = "scan_worker_incremental"
OPT_AUTOSYNC_TIME: Final = "autosync_time"
OPT_AUTOSYNC_MIN_BITRATE: Final = "autosync_min_bitrate"
OPT_AUTOSYNC_FORMATS: Final = "autosync_preferred_formats"
OPT_SKIP_THRESHOLD: Final = "skip_threshold"
OPT_AUTOSYNC_COOLDOWN_DAYS: Final = "autosync_skip_cooldown_days"
OPT_AUTOSYNC_PLAYLISTS: Final = "autosync_playlists"
OPT_AUTOSYNC_FAVOURITES: Final = "autosync_favourite_playlists"

AUDIO_FORMATS: Final = list(ENGINE_AUDIO_FORMATS)  # the engine spells audio formats once

DEFAULT_OPTIONS: Final[dict[str, object]] = {
    OPT_SYNC_WORKER_CONCURRENCY: 2,
    OPT_SYNC_POLL_INTERVAL: 2.0,
    OPT_SYNC_POLL_INTERVAL_IDLE: 30.0,
    # Peers give up on "queued" after 90 s to 5 min and on "no progress" after 30 s to 30 min.
    # We wait the longest a peer commonly allows for a remote queue (a place in a popular peer's
    # queue is worth keeping), and 3 minutes without a byte: a peer that sent nothing for that
    # long has usually dropped the connection without telling slskd.
    OPT_SYNC_STUCK_QUEUED: 300,
    OPT_SYNC_STUCK_STALLED: 180,
    OPT_SYNC_MIN_FREE_GB: 5.0,
    OPT_MATCHING_BATCH_SIZE: 50,
    OPT_MATCHING_THRESHOLD: DEFAULT_CONFIDENCE_THRESHOLD,
    OPT_SCAN_INTERVAL: 900,
    OPT_SCAN_INCREMENTAL: True,
    OPT_AUTOSYNC_TIME: "03:00:00",
    OPT_AUTOSYNC_MIN_BITRATE: 256,
    OPT_AUTOSYNC_FORMATS: ["flac", "mp3"],
    OPT_SKIP_THRESHOLD: 3,
    OPT_AUTOSYNC_COOLDOWN_DAYS: 30,
    OPT_AUTOSYNC_PLAYLISTS: [],  # none chosen: every owned and followed playlist
    OPT_AUTOSYNC_FAVOURITES: [],
}

# Ranges of the numeric options: (min, max, step).
OPTION_RANGES: Final[dict[str, tuple[float, float, float]]] = {
    OPT_SYNC_WORKER_CONCURRENCY: (1, 8, 1),
    OPT_SYNC_POLL_INTERVAL: (0.5, 60, 0.5),
    OPT_SYNC_POLL_INTERVAL_IDLE: (5, 600, 1),
    OPT_SYNC_STUCK_QUEUED: (60, 86400, 1),
    OPT_SYNC_STUCK_STALLED: (30, 3600, 1),
    OPT_SYNC_MIN_FREE_GB: (0, 1000, 0.5),
    OPT_MATCHING_BATCH_SIZE: (1, 1000, 1),
    OPT_MATCHING_THRESHOLD: (0.5, 1.0, 0.01),
    OPT_SCAN_INTERVAL: (60, 86400, 60),
    OPT_AUTOSYNC_MIN_BITRATE: (64, 1411, 1),
    OPT_SKIP_THRESHOLD: (1, 20, 1),
    OPT_AUTOSYNC_COOLDOWN_DAYS: (1, 365, 1),
}

DB_FILENAME: Final = "harmony_music.db"

JOB_TYPE_MATCHING: Final = "matching"
JOB_TYPE_DOWNLOAD: Final = "download"
