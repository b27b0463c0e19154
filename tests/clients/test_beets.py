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
