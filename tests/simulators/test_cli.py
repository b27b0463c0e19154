"""`python -m tests.simulators`: one world behind three simulators, described, stopped by SIGTERM."""

from __future__ import annotations

import base64
import json
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import Any
import urllib.error
from urllib.parse import parse_qs, urlencode, urlsplit
import urllib.request

import pytest

REPO = Path(__file__).parents[2]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _spotify_token(spotify: dict[str, str]) -> str:
    """Authorization-code grant against the simulator, as Home Assistant's OAuth flow does."""
    query = urlencode(
        {
            "client_id": spotify["client_id"],
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1/callback",
            "state": "xyz",
        }
    )
    with pytest.raises(urllib.error.HTTPError) as redirect:  # the redirect we do not follow
        urllib.request.build_opener(_NoRedirect).open(
            f"{spotify['authorize_url']}?{query}", timeout=5
        )
    assert redirect.value.code == 302
    location = redirect.value.headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    basic = base64.b64encode(f"{spotify['client_id']}:{spotify['client_secret']}".encode())
    request = urllib.request.Request(
        spotify["token_url"],
        data=urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://127.0.0.1/callback",
            }
        ).encode(),
        headers={"Authorization": f"Basic {basic.decode()}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(json.load(response)["access_token"])


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.simulators", "--data-dir", str(tmp_path), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_info(process: subprocess.Popen[bytes], info_file: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while not info_file.exists():
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        assert time.monotonic() < deadline, "simulators.json did not appear"
        time.sleep(0.05)
    return dict(json.loads(info_file.read_text()))


def test_cli_serves_one_world_and_stops_on_sigterm(tmp_path: Path, socket_enabled: None) -> None:
    """The JSON names reachable simulators with working credentials; faults from flags apply."""
    process = _start(
        tmp_path,
        "--scale",
        "tiny",
        "--seed",
        "3",
        "--fault",
        "slskd:GET /api/v0/application status=503 times=1",
    )
    info_file = tmp_path / "simulators.json"
    try:
        info = _wait_for_info(process, info_file)
        slskd, plex, spotify = info["slskd"], info["plex"], info["spotify"]

        # slskd: the injected fault answers first, then the real thing; a wrong key is refused.
        application = f"{slskd['url']}/api/v0/application"
        assert _get(application, {"X-API-Key": slskd["api_key"]})[0] == 503
        status, body = _get(application, {"X-API-Key": slskd["api_key"]})
        assert status == 200
        assert json.loads(body)["server"]["isLoggedIn"] is True
        assert json.loads(body)["shares"]["files"] == info["world"]["shared_files"]
        assert _get(application, {"X-API-Key": "wrong"})[0] == 401
        assert Path(slskd["downloads_dir"]).is_dir()

        # Plex: the token opens the library sections; the music section holds the world.
        status, body = _get(f"{plex['url']}/library/sections", {"X-Plex-Token": plex["token"]})
        assert status == 200
        assert b'type="artist"' in body
        assert _get(f"{plex['url']}/library/sections")[0] == 401
        status, body = _get(
            f"{plex['url']}/library/sections/{plex['music_section']}/all?type=10",
            {
                "X-Plex-Token": plex["token"],
                "X-Plex-Container-Size": "1",
                "X-Plex-Container-Start": "0",
            },
        )
        assert status == 200
        assert f'totalSize="{info["world"]["plex_tracks"]}"'.encode() in body
        assert Path(plex["library_dir"]).is_dir()

        # Spotify: OAuth with the printed client credentials, then the user's playlists.
        token = _spotify_token(spotify)
        status, body = _get(
            f"{spotify['api_url']}/me/playlists?limit=50", {"Authorization": f"Bearer {token}"}
        )
        assert status == 200
        assert json.loads(body)["total"] == info["world"]["playlists"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    stdout = process.stdout.read().decode() if process.stdout else ""
    assert slskd["api_key"] in stdout
    assert plex["url"] in stdout
    assert spotify["client_secret"] in stdout
    assert not info_file.exists()  # no stale ports left behind


def test_cli_rejects_a_malformed_fault(tmp_path: Path) -> None:
    """A fault for an unknown simulator is a usage error before anything starts."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.simulators",
            "--data-dir",
            str(tmp_path),
            "--fault",
            "ftp:GET / status=500",
        ],
        cwd=REPO,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert b"spotify:, plex: or slskd:" in result.stderr
    assert not (tmp_path / "simulators.json").exists()


def test_cli_demo_world_keeps_spotify_tokens_across_restarts(
    tmp_path: Path, socket_enabled: None
) -> None:
    """``--world demo`` serves the auto-sync world; a token issued before a restart still works."""
    info_file = tmp_path / "simulators.json"
    process = _start(tmp_path, "--world", "demo")
    try:
        info = _wait_for_info(process, info_file)
        assert info["world"]["kind"] == "demo"
        assert (info["world"]["tracks"], info["world"]["plex_tracks"]) == (58, 29)
        token = _spotify_token(info["spotify"])
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    process = _start(tmp_path, "--world", "demo")
    try:
        spotify = _wait_for_info(process, info_file)["spotify"]
        status, body = _get(f"{spotify['api_url']}/me", {"Authorization": f"Bearer {token}"})
        assert status == 200
        assert json.loads(body)["id"] == spotify["user_id"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
