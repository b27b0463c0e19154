"""`python -m tests.simulators` starts all simulators, describes them, and stops on SIGTERM."""

from __future__ import annotations

import json
from pathlib import Path
import signal
import subprocess
import sys
import time
import urllib.request

REPO = Path(__file__).parents[2]


def test_cli_starts_and_stops(tmp_path: Path, socket_enabled: None) -> None:
    """The JSON names reachable simulators with working credentials."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "--data-dir", str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        info_file = tmp_path / "simulators.json"
        deadline = time.monotonic() + 30
        while not info_file.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.1)
        info = json.loads(info_file.read_text())
        request = urllib.request.Request(
            f"{info['slskd']['url']}/api/v0/application",
            headers={"X-API-Key": info["slskd"]["api_key"]},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["server"]["isLoggedIn"] is True
        with urllib.request.urlopen(f"{info['plex']['url']}/identity", timeout=5) as response:
            assert response.status == 200
        assert Path(info["slskd"]["downloads_dir"]).is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
