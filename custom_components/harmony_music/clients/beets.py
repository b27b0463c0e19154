"""beets as a subprocess of the same Python environment (or a configured command)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import contextlib
from pathlib import Path
import sys

from .errors import BeetsError


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

    async def _run(self, *args: str, max_seconds: float | None = None) -> str:
        argv = [*self.command]
        if self.config_file is not None:
            argv += ["-c", str(self.config_file)]
        argv += ["-l", str(self.library), "-d", str(self.directory), *args]
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
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
