"""beets as a subprocess of the same Python environment (or a configured command).

beets runs with a config we generate (no plugins, no network autotagging: files are imported
as tagged, which is what slskd delivers) and its own BEETSDIR, so the user's personal beets
config is only used when they name it (it is then included under ours).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass
import hashlib
import json
import os
from pathlib import Path
import sys

from .errors import BeetsError

FIELDS = ("path", "title", "artist", "album", "isrc", "length")
LIST_FORMAT = "\t".join(f"${name}" for name in FIELDS)


@dataclass(frozen=True)
class BeetsItem:
    """An item of the beets library."""

    path: Path
    title: str
    artist: str
    album: str
    isrc: str | None
    length: float | None


@dataclass(frozen=True)
class BeetsImportResult:
    """Where one file landed (or why it did not)."""

    source: Path
    destination: Path | None
    error: str | None = None


def _seconds(text: str) -> float | None:
    """beets formats ``$length`` as M:SS."""
    minutes, _, seconds = text.partition(":")
    try:
        return int(minutes) * 60 + float(seconds) if seconds else float(minutes)
    except ValueError:
        return None


def _source_token(path: Path) -> str:
    return hashlib.sha1(str(path).encode()).hexdigest()[:16]


class BeetsClient:
    """Runs beets with an explicit library and music directory."""

    def __init__(
        self,
        library: Path,
        directory: Path,
        *,
        config_file: Path | None = None,
        command: Sequence[str] | None = None,
        timeout: float = 300,
    ) -> None:
        self.library = library
        self.directory = directory
        self.config_file = config_file
        self.command = list(command) if command else [sys.executable, "-m", "beets"]
        self.timeout = timeout

    def _write_config(self, move: bool) -> Path:
        """Our beets config beside the library (JSON is valid YAML); the user's config under it."""
        state = self.library.parent / ".harmony_music_beets"
        state.mkdir(parents=True, exist_ok=True)
        config: dict[str, object] = {
            "directory": str(self.directory),
            "library": str(self.library),
            "plugins": [],
            "import": {
                "quiet": True,
                "quiet_fallback": "asis",
                "autotag": False,
                "write": True,
                "copy": not move,
                "move": move,
                "resume": False,
                "incremental": False,
            },
            "paths": {"singleton": "$albumartist/$album/$track $title"},
        }
        # beets reads $BEETSDIR/config.yaml as the user's config and lays ours (-c) over it.
        beetsdir = state / "beetsdir"
        beetsdir.mkdir(exist_ok=True)
        user_config = beetsdir / "config.yaml"
        user_config.unlink(missing_ok=True)
        if self.config_file is not None:
            user_config.symlink_to(self.config_file)
        path = state / ("config-move.yaml" if move else "config.yaml")
        path.write_text(json.dumps(config, indent=2))
        return path

    async def _run(self, *args: str, max_seconds: float | None = None, move: bool = False) -> str:
        config = await asyncio.get_running_loop().run_in_executor(None, self._write_config, move)
        argv = [*self.command, "-c", str(config)]
        argv += ["-l", str(self.library), "-d", str(self.directory), *args]
        env = {**os.environ, "BEETSDIR": str(config.parent / "beetsdir")}
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
            )
        except OSError as err:
            raise BeetsError(f"cannot start beets ({argv[0]}): {err}") from err
        try:
            async with asyncio.timeout(max_seconds or self.timeout):
                stdout, stderr = await process.communicate()
        except TimeoutError as err:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise BeetsError(
                f"beets did not finish within {max_seconds or self.timeout:.0f} s"
            ) from err
        if process.returncode != 0:
            message = (
                stderr.decode(errors="replace").strip() or stdout.decode(errors="replace").strip()
            )
            raise BeetsError(message or f"beets exited with {process.returncode}")
        return stdout.decode(errors="replace")

    async def async_version(self) -> str:
        """beets' version line, proving beets runs with this library."""
        output = await self._run("version", max_seconds=min(self.timeout, 60))
        for line in output.splitlines():
            if line.lower().startswith("beets version"):
                return line.split()[-1]
        raise BeetsError(f"unexpected output of 'beet version': {output.strip()[:200]}")

    async def async_import(
        self, paths: Sequence[Path], *, move: bool = False
    ) -> list[BeetsImportResult]:
        """Import files as singletons, quietly; report where each one landed."""
        results = []
        for source in paths:
            token = _source_token(source)
            try:
                await self._run(
                    "import", "-q", "-s", "--set", f"harmony_source={token}", str(source), move=move
                )
                found = await self.async_query_raw(f"harmony_source:{token}")
            except BeetsError as err:
                results.append(BeetsImportResult(source, None, str(err)))
                continue
            if found:
                results.append(BeetsImportResult(source, found[-1].path))
            else:
                results.append(BeetsImportResult(source, None, "beets skipped the file"))
        return results

    async def async_query(
        self, *, isrc: str | None = None, artist: str | None = None, title: str | None = None
    ) -> list[BeetsItem]:
        """Library items by ISRC, or by artist and title."""
        terms = []
        if isrc:
            terms.append(f"isrc:{isrc}")
        if artist:
            terms.append(f"artist:{artist}")
        if title:
            terms.append(f"title:{title}")
        if not terms:
            raise ValueError("give an ISRC or an artist and title")
        return await self.async_query_raw(*terms)

    async def async_query_raw(self, *terms: str) -> list[BeetsItem]:
        """``beet ls`` with our field format, parsed."""
        output = await self._run("ls", "-f", LIST_FORMAT, *terms)
        items = []
        for line in output.splitlines():
            values = line.split("\t")
            if len(values) != len(FIELDS):
                continue
            path, title, artist, album, isrc, length = values
            try:
                seconds: float | None = (
                    float(length.replace(":", "."))
                    if ":" not in length
                    else (int(length.split(":")[0]) * 60 + int(length.split(":")[1]))
                )
            except ValueError:
                seconds = None
            items.append(BeetsItem(Path(path), title, artist, album, isrc or None, seconds))
        return items
