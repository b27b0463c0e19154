"""beets as a subprocess of the same Python environment (or a configured command).

Every run gets a private, throw-away BEETSDIR holding a config we generate: explicit library and
music directory, quiet singleton import without autotagging (files are imported as tagged, which is
what slskd delivers, and nothing talks to MusicBrainz), and a tiny plugin of ours that reports
where each file landed. The user's personal beets config is never read or written unless they name
a config file; that file is then the "user config" under ours, so their paths, replacements and
plugins still apply while library, directory and import mode stay ours.

The library is read with sqlite (read-only, in an executor): beets' schema for items is stable and
this avoids a subprocess per lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import sqlite3
import sys
import tempfile
from typing import Any, TypeVar

import yaml  # type: ignore[import-untyped]

from .errors import BeetsError, BeetsPathError

_T = TypeVar("_T")

PLUGIN_NAME = "harmony_report"
REPORT_ENV = "HARMONY_BEETS_REPORT"
# Singletons still carry album tags from Soulseek; keep them grouped like an album import would.
SINGLETON_PATH = "$albumartist/%if{$album,$album,Singles}/%if{$track,$track }$title"

# Written into the private plugin path at every run. Lines are written once beets has stored the
# item (import_task_files), so a reported destination is in the library, not just copied.
_PLUGIN_SOURCE = '''"""Harmony Music: report where beets put each imported file (generated)."""
import json
import os

from beets.plugins import BeetsPlugin


class HarmonyReport(BeetsPlugin):
    def __init__(self):
        super().__init__()
        self._sources = {}
        self.register_listener("item_copied", self._landed)
        self.register_listener("item_moved", self._landed)
        self.register_listener("import_task_files", self._stored)

    def _landed(self, item, source, destination):
        self._sources[bytes(destination)] = bytes(source)

    def _stored(self, session, task):
        report = os.environ.get("HARMONY_BEETS_REPORT")
        if not report:
            return
        with open(report, "a", encoding="utf-8") as out:
            for item in task.imported_items():
                source = self._sources.pop(bytes(item.path), None)
                if source is None:
                    continue
                record = {
                    "source": os.fsdecode(source),
                    "destination": os.fsdecode(item.path),
                    "id": item.id,
                }
                out.write(json.dumps(record) + "\\n")
'''

_ITEM_COLUMNS = "id, path, title, artist, albumartist, album, isrc, length, format, bitrate"


@dataclass(frozen=True)
class BeetsItem:
    """An item of the beets library."""

    id: int
    path: Path
    title: str
    artist: str
    albumartist: str
    album: str
    isrc: str | None
    length: float | None  # seconds
    format: str
    bitrate: int | None  # bits per second, as beets stores it


@dataclass(frozen=True)
class BeetsImportResult:
    """Where one file landed (or why it did not)."""

    source: Path
    destination: Path | None
    error: str | None = None


@dataclass(frozen=True)
class _Run:
    returncode: int
    stdout: str
    stderr: str
    report: list[dict[str, Any]]

    @property
    def error_text(self) -> str:
        """beets' own words: stderr, else stdout (beets prints some errors there)."""
        text = self.stderr.strip() or self.stdout.strip()
        return _last_exception(text) if text else f"beets exited with {self.returncode}"


def _last_exception(text: str) -> str:
    """A crash's final exception and message, without the traceback above it."""
    if "Traceback (most recent call last)" not in text:
        return text
    lines = text.splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    start = frames[-1] + 1 if frames else 0
    while start < len(lines) and lines[start][:1].isspace():
        start += 1  # the frame's source line and its ~~~^^^ markers
    return "\n".join(lines[start:]).strip() or text


def _fold(value: object) -> str | None:
    return value.casefold().strip() if isinstance(value, str) else None


def _normal_isrc(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.replace("-", "").replace(" ", "").upper() or None


def _absolute(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


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
        self.library = _absolute(Path(library))
        self.directory = _absolute(Path(directory))
        self.config_file = _absolute(Path(config_file)) if config_file else None
        self.command = list(command) if command else [sys.executable, "-m", "beets"]
        self.timeout = timeout
        # One import at a time per client: concurrent beets runs would fight over the library.
        self._import_lock = asyncio.Lock()

    # --- public API ---------------------------------------------------------------------------

    async def async_version(self) -> str:
        """beets' version, proving beets runs with this config and can open the library."""
        run = await self._run(["version"], limit=min(self.timeout, 60))
        if run.returncode != 0:
            raise BeetsError(run.error_text)
        for line in run.stdout.splitlines():
            if line.lower().startswith("beets version"):
                return line.split()[-1]
        raise BeetsError(f"unexpected output of 'beet version': {run.stdout.strip()[:200]}")

    async def async_check(self) -> str:
        """Paths usable and beets runs; returns beets' version.

        Raises ``BeetsPathError`` (with the field) for a missing or read-only path, before beets
        runs: beets would silently create a missing library folder. Raises ``BeetsError`` with
        beets' own text when beets fails.
        """
        await self._executor(self._check_paths)
        return await self.async_version()

    async def async_import(
        self, paths: Sequence[Path], *, move: bool = False
    ) -> list[BeetsImportResult]:
        """Import files as singletons in one quiet beets run; report where each one landed.

        Files that do not exist are reported without running beets for them. Raises
        ``BeetsError`` when beets times out, or fails without importing anything.
        """
        sources = [_absolute(Path(path)) for path in paths]
        present = await self._executor(lambda: [path.is_file() for path in sources])
        wanted = [path for path, ok in zip(sources, present, strict=True) if ok]
        run: _Run | None = None
        if wanted:
            mode = "-m" if move else "-c"
            args = ["import", "-q", "-s", "-A", mode, *(str(path) for path in wanted)]
            async with self._import_lock:
                run = await self._run(args, move=move)
            if run.returncode != 0 and not run.report:
                raise BeetsError(run.error_text)
        landed = {
            _absolute(Path(record["source"])): Path(record["destination"])
            for record in (run.report if run else [])
        }
        results = []
        for source, ok in zip(sources, present, strict=True):
            if not ok:
                results.append(BeetsImportResult(source, None, f"no such file: {source}"))
            elif source in landed:
                results.append(BeetsImportResult(source, landed[source]))
            else:
                assert run is not None
                results.append(BeetsImportResult(source, None, _why_not(run, source)))
        return results

    async def async_remove(self, path: Path) -> None:
        """Remove one item from the library and delete its file (``beet remove -f -d``)."""
        args = ["remove", "-f", "-d", f"path:{_absolute(Path(path))}"]
        async with self._import_lock:
            run = await self._run(args)
        if run.returncode != 0:
            raise BeetsError(run.error_text)

    async def async_query(
        self, *, isrc: str | None = None, artist: str | None = None, title: str | None = None
    ) -> list[BeetsItem]:
        """Library items matching every criterion given.

        ISRCs compare without dashes or case; artist and title compare whole and case-folded
        (``artist`` matches the track artist or the album artist).
        """
        clauses: list[str] = []
        params: list[str] = []
        if isrc:
            clauses.append("isrc_key(isrc) = ?")
            params.append(_normal_isrc(isrc) or "")
        if artist:
            clauses.append("(fold(artist) = ? OR fold(albumartist) = ?)")
            params += [_fold(artist) or ""] * 2
        if title:
            clauses.append("fold(title) = ?")
            params.append(_fold(title) or "")
        if not clauses:
            raise ValueError("give an ISRC, an artist or a title")
        where = " AND ".join(clauses)
        return await self._executor(lambda: self._select(where, params))

    # --- internals ----------------------------------------------------------------------------

    @staticmethod
    async def _executor(func: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(None, func)

    def _check_paths(self) -> None:
        def usable(path: Path) -> bool:
            return path.is_dir() and os.access(path, os.W_OK | os.X_OK)

        if not usable(self.library.parent):
            raise BeetsPathError(
                f"library folder missing or not writable: {self.library.parent}",
                "library",
                str(self.library),
            )
        if self.library.exists() and not (
            self.library.is_file() and os.access(self.library, os.R_OK | os.W_OK)
        ):
            raise BeetsPathError(
                f"library is not a writable file: {self.library}", "library", str(self.library)
            )
        if not usable(self.directory):
            raise BeetsPathError(
                f"music directory missing or not writable: {self.directory}",
                "directory",
                str(self.directory),
            )
        if self.config_file is not None and not self.config_file.is_file():
            raise BeetsPathError(
                f"beets config file not found: {self.config_file}",
                "config_file",
                str(self.config_file),
            )

    def _user_config(self) -> dict[str, Any]:
        """The user's config as far as we merge it; beets itself reports a broken file."""
        if self.config_file is None:
            return {}
        try:
            data = yaml.safe_load(self.config_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, yaml.YAMLError):
            return {}
        return data if isinstance(data, dict) else {}

    def _prepare(self, move: bool) -> Path:
        """A private BEETSDIR with our config, our plugin and (linked) the user's config."""
        home = Path(tempfile.mkdtemp(prefix="harmony-beets-"))
        plugins_dir = home / "plugins"
        plugins_dir.mkdir()
        (plugins_dir / f"{PLUGIN_NAME}.py").write_text(_PLUGIN_SOURCE, encoding="utf-8")
        user = self._user_config()
        if self.config_file is not None:
            # beets reads $BEETSDIR/config.yaml as the user config; ours (-c) overrides it.
            (home / "config.yaml").symlink_to(self.config_file)

        def as_list(value: Any) -> list[str]:
            if isinstance(value, str):
                return value.split()
            return [str(v) for v in value] if isinstance(value, list) else []

        config: dict[str, Any] = {
            "directory": str(self.directory),
            "library": str(self.library),
            # A list in the overlay replaces the user's: merge so their plugins keep working.
            "plugins": [*as_list(user.get("plugins")), PLUGIN_NAME],
            "pluginpath": [*as_list(user.get("pluginpath")), str(plugins_dir)],
            "terminal_encoding": "utf-8",
            "import": {
                "quiet": True,
                "quiet_fallback": "asis",
                "autotag": False,
                "timid": False,
                "write": True,
                "copy": not move,
                "move": move,
                "link": False,
                "hardlink": False,
                "reflink": False,
                "delete": False,
                "resume": False,
                "incremental": False,
                "singletons": True,
                "group_albums": False,
                "pretend": False,
            },
        }
        user_paths = user.get("paths")
        if not (isinstance(user_paths, dict) and "singleton" in user_paths):
            config["paths"] = {"singleton": SINGLETON_PATH}
        # JSON is valid YAML and needs no escaping rules of its own.
        (home / "harmony.yaml").write_text(json.dumps(config, indent=2), encoding="utf-8")
        return home

    async def _run(
        self, args: Sequence[str], *, limit: float | None = None, move: bool = False
    ) -> _Run:
        home = await self._executor(lambda: self._prepare(move))
        try:
            return await self._run_in(home, args, limit or self.timeout)
        finally:
            await self._executor(lambda: shutil.rmtree(home, ignore_errors=True))

    async def _run_in(self, home: Path, args: Sequence[str], limit: float) -> _Run:
        report = home / "report.jsonl"
        argv = [*self.command, "-c", str(home / "harmony.yaml")]
        argv += ["-l", str(self.library), "-d", str(self.directory), *args]
        env = {**os.environ, "BEETSDIR": str(home), REPORT_ENV: str(report)}
        env["PYTHONIOENCODING"] = "utf-8"
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,  # lets a timeout kill a wrapper and its children
            )
        except OSError as err:
            raise BeetsError(f"cannot start beets ({argv[0]}): {err}") from err
        try:
            async with asyncio.timeout(limit):
                stdout, stderr = await process.communicate()
        except TimeoutError as err:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.communicate()
            raise BeetsError(f"beets did not finish within {limit:g} s") from err
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
        records = await self._executor(lambda: _read_report(report))
        assert process.returncode is not None

        def text(data: bytes) -> str:
            out = data.decode(errors="replace")
            if self.config_file is not None:  # name the user's file, not our link to it
                out = out.replace(str(home / "config.yaml"), str(self.config_file))
            return out

        return _Run(process.returncode, text(stdout), text(stderr), records)

    def _select(self, where: str, params: Sequence[str]) -> list[BeetsItem]:
        if not self.library.is_file():
            return []  # beets creates the library on its first run
        try:
            conn = sqlite3.connect(f"{self.library.as_uri()}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error as err:
            raise BeetsError(f"cannot open the beets library {self.library}: {err}") from err
        try:
            conn.create_function("fold", 1, _fold, deterministic=True)
            conn.create_function("isrc_key", 1, _normal_isrc, deterministic=True)
            rows = conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE {where} ORDER BY id", params
            ).fetchall()
        except sqlite3.Error as err:
            raise BeetsError(f"cannot read the beets library {self.library}: {err}") from err
        finally:
            conn.close()
        return [_item(row) for row in rows]


def _read_report(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and {"source", "destination"} <= record.keys():
                records.append(record)
    return records


def _why_not(run: _Run, source: Path) -> str:
    """beets' lines about this file (e.g. ``unreadable file: …``), else a general reason."""
    lines = [
        line.strip()
        for line in (run.stderr + "\n" + run.stdout).splitlines()
        if str(source) in line
    ]
    if lines:
        return "\n".join(lines)
    if run.returncode != 0:
        return run.error_text
    return "beets did not import the file"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _item(row: Sequence[Any]) -> BeetsItem:
    item_id, path, title, artist, albumartist, album, isrc, length, fmt, bitrate = row
    return BeetsItem(
        id=int(item_id),
        path=Path(os.fsdecode(path)) if isinstance(path, bytes | str) else Path(),
        title=_text(title),
        artist=_text(artist),
        albumartist=_text(albumartist),
        album=_text(album),
        isrc=isrc or None,
        length=float(length) if isinstance(length, int | float) and length > 0 else None,
        format=_text(fmt),
        bitrate=int(bitrate) if isinstance(bitrate, int | float) and bitrate > 0 else None,
    )
