"""The library tables: replace, upsert, delete and state in one transaction; a reload sees it all."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.harmony_music.store import LibraryTrack, Store, StoreError


def _track(n: int, title: str | None = None) -> LibraryTrack:
    return LibraryTrack(
        str(n), title or f"Song {n}", "Artist", "Album", 200_000, None, f"/m/{n}.flac", 100, 100 + n
    )


async def test_replace_upsert_delete_and_state(tmp_path: Path) -> None:
    """A full write replaces everything; a delta upserts and deletes; a new Store reads it back."""
    store = Store(tmp_path / "h.db")
    await store.async_open()
    await store.library.async_apply([_track(1), _track(2)], state={"version": "1"})
    await store.library.async_apply([_track(3)], state={"version": "2"}, replace=True)
    assert await store.library.async_count() == 1
    await store.library.async_apply(
        [_track(3, "Renamed"), _track(4)], ["3", "missing"], state={"version": "3"}
    )
    await store.async_close()

    reopened = Store(tmp_path / "h.db")
    await reopened.async_open()
    tracks, state = await reopened.library.async_load()
    await reopened.async_close()
    # Deletes run before upserts, so a changed track that was also "deleted" survives.
    assert sorted((t.rating_key, t.title) for t in tracks) == [("3", "Renamed"), ("4", "Song 4")]
    assert state == {"version": "3"}
    assert tracks[0].as_candidate()["kind"] == "library"


async def test_failed_write_changes_nothing(tmp_path: Path) -> None:
    """A write that fails half way (a NULL title) leaves the previous snapshot and state."""
    store = Store(tmp_path / "h.db")
    await store.async_open()
    await store.library.async_apply([_track(1)], state={"version": "1"})
    broken = LibraryTrack("2", None, "A", "B", None, None, None, None, None)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        await store.library.async_apply([_track(5), broken], state={"version": "2"}, replace=True)
    tracks, state = await store.library.async_load()
    await store.async_close()
    assert [t.rating_key for t in tracks] == ["1"]
    assert state == {"version": "1"}
