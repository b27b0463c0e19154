"""beets client: the real beets of this environment, importing real, tagged audio files."""

from __future__ import annotations

from pathlib import Path
import sys
import time

import mutagen
import numpy as np
import pytest
import soundfile as sf

from custom_components.harmony_music.clients.beets import BeetsClient
from custom_components.harmony_music.clients.errors import BeetsError, BeetsPathError


def make_audio(path: Path, seconds: float = 2.0, **tags: str) -> Path:
    """A real, decodable audio file (format from the suffix) with the given tags."""
    rate = 8000
    tone = 0.1 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)
    sf.write(path, tone, rate, format=path.suffix[1:].upper())
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = value
    audio.save()
    return path


# beets run with every outgoing connection refused and recorded: proves imports stay offline.
OFFLINE_BEETS = (
    "import runpy, socket, sys\n"
    "marker = sys.argv.pop(1)\n"
    "def refuse(*args, **kwargs):\n"
    "    open(marker, 'a').write(repr(args) + '\\n')\n"
    "    raise OSError('network disabled')\n"
    "socket.socket.connect = refuse\n"
    "socket.getaddrinfo = refuse\n"
    "runpy.run_module('beets', run_name='__main__', alter_sys=True)\n"
)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Downloads, music directory and the folder of the library database."""
    paths = tmp_path / "downloads", tmp_path / "music", tmp_path / "beets"
    for path in paths:
        path.mkdir()
    return paths


async def test_check_reports_the_unusable_path(tmp_path: Path) -> None:
    """Each unusable path is named before beets runs; beets would create a missing folder."""
    music = tmp_path / "music"
    music.mkdir()
    missing_folder = tmp_path / "nowhere" / "library.db"
    with pytest.raises(BeetsPathError) as err:
        await BeetsClient(missing_folder, music).async_check()
    assert err.value.field == "library"
    assert not missing_folder.parent.exists()
    with pytest.raises(BeetsPathError) as err:
        await BeetsClient(tmp_path / "library.db", tmp_path / "no-music").async_check()
    assert err.value.field == "directory"
    with pytest.raises(BeetsPathError) as err:
        await BeetsClient(
            tmp_path / "library.db", music, config_file=tmp_path / "missing.yaml"
        ).async_check()
    assert err.value.field == "config_file"

    version = await BeetsClient(tmp_path / "library.db", music).async_check()
    assert version.split(".")[0].isdigit()


async def test_beets_errors_carry_beets_text(tmp_path: Path) -> None:
    """A broken user config and an unopenable library come back in beets' words."""
    config = tmp_path / "config.yaml"
    config.write_text("directory: [unclosed\n")
    with pytest.raises(BeetsError) as err:
        await BeetsClient(tmp_path / "library.db", tmp_path, config_file=config).async_version()
    message = str(err.value)
    assert str(config) in message  # the user's file, not our private link to it
    assert "could not be read" in message
    assert "Traceback" not in message

    with pytest.raises(BeetsError, match="database") as err:
        await BeetsClient(tmp_path, tmp_path).async_version()  # a folder is no database


async def test_missing_command_and_timeout_kill(tmp_path: Path) -> None:
    """A command that does not exist fails clearly; one that hangs is killed with its children."""
    with pytest.raises(BeetsError, match="cannot start"):
        await BeetsClient(
            tmp_path / "l.db", tmp_path, command=["/nonexistent/beet"]
        ).async_version()

    pid_file = tmp_path / "child.pid"
    hanging = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    client = BeetsClient(
        tmp_path / "l.db", tmp_path, command=[sys.executable, "-c", hanging], timeout=1.5
    )
    started = time.monotonic()
    with pytest.raises(BeetsError, match="did not finish within 1.5 s"):
        await client.async_version()
    assert time.monotonic() - started < 5
    child = Path(f"/proc/{pid_file.read_text()}/status")
    deadline = time.monotonic() + 3
    while child.exists() and "\nState:\tZ" not in child.read_text():
        assert time.monotonic() < deadline, "the wrapper's child survived the timeout"
        time.sleep(0.05)


async def test_import_lands_files_and_queries_find_them(
    dirs: tuple[Path, Path, Path],
) -> None:
    """One quiet run copies FLAC and MP3 into the library; bad inputs get beets' reason."""
    downloads, music, beets = dirs
    flac = make_audio(
        downloads / "01 - Lullaby.flac",
        title="Lullaby",
        artist="The Cure",
        album="Disintegration",
        tracknumber="3",
        isrc="GBAHT8900123",
    )
    mp3 = make_audio(
        downloads / "Baker Street.mp3",
        seconds=3.0,
        title="Baker Street",
        artist="Gerry Rafferty",
        album="City to City",
        isrc="GB-UM7-78-20077",
    )
    junk = downloads / "not audio.mp3"
    junk.write_bytes(b"\x00 definitely not an mp3 " * 200)
    attempts = beets / "network-attempts.txt"
    offline = [sys.executable, "-c", OFFLINE_BEETS, str(attempts)]
    client = BeetsClient(beets / "library.db", music, command=offline)

    results = await client.async_import([flac, mp3, junk, downloads / "missing.flac"])

    assert [r.source for r in results] == [flac, mp3, junk, downloads / "missing.flac"]
    lullaby, baker, bad, missing = results
    assert lullaby.destination == music / "The Cure" / "Disintegration" / "03 Lullaby.flac"
    assert baker.destination is not None
    assert baker.destination.suffix == ".mp3"
    for landed in (lullaby, baker):
        assert landed.error is None
        assert landed.destination is not None
        assert landed.destination.is_file()
    assert flac.is_file()  # copied, not moved
    assert mp3.is_file()
    assert bad.destination is None
    assert bad.error is not None
    assert "unreadable" in bad.error
    assert missing.destination is None
    assert missing.error == f"no such file: {downloads / 'missing.flac'}"

    [item] = await client.async_query(isrc="gbaht8900123")
    assert (item.title, item.artist, item.album) == ("Lullaby", "The Cure", "Disintegration")
    assert item.path == lullaby.destination
    assert item.format == "FLAC"
    assert item.length == pytest.approx(2.0, abs=0.1)
    [by_dashless] = await client.async_query(isrc="GBUM77820077")
    assert by_dashless.path == baker.destination
    [by_name] = await client.async_query(artist="gerry rafferty", title="BAKER STREET")
    assert by_name.path == baker.destination
    assert by_name.length == pytest.approx(3.0, abs=0.1)
    assert await client.async_query(artist="Gerry Rafferty", title="Baker") == []
    assert await client.async_query(isrc="XX0000000000") == []
    with pytest.raises(ValueError, match="ISRC"):
        await client.async_query()

    # Moving: the source goes, the download folder stays.
    extra = make_audio(
        downloads / "Close to Me.mp3", title="Close to Me", artist="The Cure", album="The Head"
    )
    [moved] = await client.async_import([extra], move=True)
    assert moved.destination is not None
    assert moved.destination.is_file()
    assert not extra.exists()
    assert downloads.is_dir()
    assert len(await client.async_query(artist="The Cure")) == 2
    assert not attempts.exists(), attempts.read_text()


async def test_user_config_is_layered_under_ours(dirs: tuple[Path, Path, Path]) -> None:
    """The user's path template applies; their library and directory do not."""
    downloads, music, beets = dirs
    elsewhere = beets / "elsewhere"
    config = beets / "config.yaml"
    config.write_text(
        f"library: {elsewhere / 'other.db'}\n"
        f"directory: {elsewhere}\n"
        "paths:\n  singleton: Loose/$artist - $title\n"
    )
    song = make_audio(downloads / "x.flac", title="Song", artist="Band", album="LP")
    client = BeetsClient(beets / "library.db", music, config_file=config)
    [result] = await client.async_import([song])
    assert result.destination == music / "Loose" / "Band - Song.flac"
    assert not elsewhere.exists()
    assert config.read_text().startswith("library:")  # never written to
    assert [item.title for item in await client.async_query(title="song")] == ["Song"]
