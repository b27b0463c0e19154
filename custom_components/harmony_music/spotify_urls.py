"""Spotify's URLs; environment variables point them at the local simulator during development."""

from __future__ import annotations

import os

SPOTIFY_API_URL = "https://api.spotify.com/v1"
SPOTIFY_ACCOUNTS_URL = "https://accounts.spotify.com"


def spotify_api_url() -> str:
    """Base URL of the Web API (``HARMONY_MUSIC_SPOTIFY_API_URL`` overrides it)."""
    return os.environ.get("HARMONY_MUSIC_SPOTIFY_API_URL", SPOTIFY_API_URL).rstrip("/")


def spotify_accounts_url() -> str:
    """Base URL of the accounts service (``HARMONY_MUSIC_SPOTIFY_ACCOUNTS_URL`` overrides it)."""
    return os.environ.get("HARMONY_MUSIC_SPOTIFY_ACCOUNTS_URL", SPOTIFY_ACCOUNTS_URL).rstrip("/")
