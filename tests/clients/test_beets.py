"""beets client: the real beets of this environment, run as a subprocess."""

from __future__ import annotations

from pathlib import Path
import sys

import pytest

from custom_components.harmony_music.clients.beets import BeetsClient
from custom_components.harmony_music.clients.errors import BeetsError


async def test_version_runs_real_beets(tmp_path: Path) -> None:
    """beets starts with our explicit library and directory."""
    client = BeetsClient(tmp_path / "library.db", tmp_path)
    assert (await client.async_version()).startswith("2.")


async def test_beets_error_text_is_surfaced(tmp_path: Path) -> None:
    """A broken config shows beets' own error text."""
    config = tmp_path / "config.yaml"
    config.write_text("directory: [unclosed\n")
    client = BeetsClient(tmp_path / "library.db", tmp_path, config_file=config)
    with pytest.raises(BeetsError) as err:
        await client.async_version()
    assert "config" in str(err.value).lower()


async def test_missing_command_and_timeout(tmp_path: Path) -> None:
    """A command that does not exist, or never ends, becomes a BeetsError."""
    with pytest.raises(BeetsError, match="cannot start"):
        await BeetsClient(
            tmp_path / "l.db", tmp_path, command=["/nonexistent/beet"]
        ).async_version()
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    with pytest.raises(BeetsError, match="did not finish"):
        await BeetsClient(tmp_path / "l.db", tmp_path, command=sleeper, timeout=0.5).async_version()


def make_audio(
    path: Path, *, title: str, artist: str, album: str, isrc: str, seconds: float = 2.0
) -> Path:
    """A real, decodable, tagged audio file."""
    import mutagen
    import numpy as np
    import soundfile as sf

    rate = 8000
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)
    sf.write(path, tone, rate, format=path.suffix[1:].upper())
    tags = mutagen.File(path, easy=True)
    if tags.tags is None:
        tags.add_tags()
    tags["title"], tags["artist"], tags["album"], tags["isrc"] = title, artist, album, isrc
    tags.save()
    return path


async def test_import_reports_destinations_and_queries(tmp_path: Path) -> None:
    """Real files are copied into the music directory; ISRC and artist/title find them."""
    downloads, music = tmp_path / "downloads", tmp_path / "music"
    downloads.mkdir()
    music.mkdir()
    flac = make_audio(
        downloads / "01 - Lullaby.flac",
        title="Lullaby",
        artist="The Cure",
        album="Disintegration",
        isrc="GBAHT8900123",
    )
    mp3 = make_audio(
        downloads / "Baker Street.mp3",
        title="Baker Street",
        artist="Gerry Rafferty",
        album="City to City",
        isrc="GBUM77820077",
    )
    client = BeetsClient(tmp_path / "beets" / "library.db", music)
    (tmp_path / "beets").mkdir()
    results = await client.async_import([flac, mp3, downloads / "missing.flac"])
    assert [r.source for r in results] == [flac, mp3, downloads / "missing.flac"]
    for result in results[:2]:
        assert result.error is None
        assert result.destination is not None
        assert result.destination.is_file()
        assert music in result.destination.parents
    assert flac.exists()  # copied, not moved
    assert results[2].destination is None
    assert results[2].error

    [item] = await client.async_query(isrc="GBAHT8900123")
    assert (item.title, item.artist, item.album) == ("Lullaby", "The Cure", "Disintegration")
    assert item.length is not None
    assert abs(item.length - 2.0) < 1.0
    [other] = await client.async_query(artist="Gerry Rafferty", title="Baker Street")
    assert other.path == results[1].destination
    assert await client.async_query(isrc="XX0000000000") == []
    with pytest.raises(ValueError, match="ISRC"):
        await client.async_query()
