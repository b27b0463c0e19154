"""Errors of the store; each message is readable by a user."""

from __future__ import annotations

from pathlib import Path
import sqlite3


class StoreError(Exception):
    """Base class; the message is user-readable."""


class StoreCorruptError(StoreError):
    """The file is not a usable database."""


class StoreLockedError(StoreError):
    """Another process holds the database lock."""


class StoreReadOnlyError(StoreError):
    """The file (or its folder) cannot be written."""


def translate_error(err: sqlite3.DatabaseError, path: Path) -> StoreError:
    """sqlite's error as one of ours, naming the file."""
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return StoreLockedError(f"database {path} is locked by another process")
    if "readonly" in text or "read-only" in text:
        return StoreReadOnlyError(f"database {path} cannot be written: {err}")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreCorruptError(f"database {path} is damaged: {err}")
    return StoreError(f"database {path}: {err}")
