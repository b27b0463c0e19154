"""SQLite persistence: schema, migrations and a single-writer async store."""

from .database import (
    Activity,
    Job,
    Match,
    Store,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
)

__all__ = [
    "Activity",
    "Job",
    "Match",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
]
