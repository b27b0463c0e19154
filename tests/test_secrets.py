"""Secrets: the Spotify tokens, the Plex token and the slskd API key never show.

A whole auto-sync runs over the simulators (the world and fixtures of tests/test_autosync.py)
with every logger at DEBUG and distinctive secrets; the access token is expired at the start, so
the refresh token and the client secret travel too. Then every place a user or an automation can
read is scanned for each secret and its obvious encodings: the log, diagnostics, the activity
table (and the whole database file), every event on the bus (event entity data and state
changes), every entity state and attribute, repairs, and the responses of the actions.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
import json
import logging
from pathlib import Path
import time
from typing import Any
from urllib.parse import quote, quote_plus

from homeassistant.const import MATCH_ALL
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.json import JSONEncoder
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.harmony_music.const import DOMAIN
from custom_components.harmony_music.diagnostics import async_get_config_entry_diagnostics
from tests.autosync_world import DOWNLOAD, AutoSyncWorld
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.simulators.faults import FaultRule
from tests.simulators.plex import PlexSimulator
from tests.simulators.slskd import SlskdSimulator
from tests.simulators.spotify import SCOPES, SpotifySimulator
import tests.test_autosync as autosync_tests
from tests.test_autosync import (  # noqa: F401  (fixtures: the world in three simulators)
    entry,
    plex_sim,
    run,
    slskd_sim,
    world,
)

pytestmark = pytest.mark.real_services

# Distinctive, and with characters that URL and JSON encodings change.
ACCESS_TOKEN = "SpotAccess+Qx7/Zr9=Kw3"
REFRESH_TOKEN = "SpotRefresh+Mv2/Hd8=Lp5"
PLEX_TOKEN = "PlexTok+Ny4/Wb6=Jc1"
SLSKD_API_KEY = "SlskdKey+Fg3/Tu7=Rd2"


def _forms(secret: str) -> set[str]:
    """The secret as it could turn up: plain, URL-quoted, JSON-escaped, base64, and its core."""
    # The middle, e.g. 'Qx7/Zr9': what a log that cuts a token short would still show.
    core = secret.split("+", 1)[1].split("=", 1)[0] if "+" in secret else secret
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        quote(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(secret.encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="),
        core,
        quote(core, safe=""),
    }


@pytest.fixture(autouse=True)
def distinctive_secrets(
    monkeypatch: pytest.MonkeyPatch,
    spotify_sim: SpotifySimulator,
    plex_sim: PlexSimulator,  # noqa: F811  (the fixtures imported from test_autosync)
    slskd_sim: SlskdSimulator,  # noqa: F811
) -> None:
    """The world's simulators and entry with the secrets above; the access token has expired."""
    plex_sim.token = PLEX_TOKEN
    slskd_sim.api_key = SLSKD_API_KEY
    spotify_sim.client_id, spotify_sim.client_secret = CLIENT_ID, CLIENT_SECRET
    spotify_sim._refresh[REFRESH_TOKEN] = SCOPES
    monkeypatch.setenv("HARMONY_MUSIC_SPOTIFY_ACCOUNTS_URL", spotify_sim.url)
    original = autosync_tests.entry_data

    def entry_data(tmp_dir: str = "/tmp") -> dict[str, Any]:
        data = original(tmp_dir)
        data["token"] = {
            **data["token"],
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "expires_in": 3600,
            "expires_at": time.time() - 60,  # refreshed at setup: the refresh token travels
        }
        return data

    monkeypatch.setattr(autosync_tests, "entry_data", entry_data)


@pytest.fixture
def debug_everywhere(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger, ours and the libraries', at DEBUG into caplog."""
    caplog.set_level(logging.DEBUG)
    names = [name for name in logging.root.manager.loggerDict if "." not in name]
    for name in [*names, "custom_components.harmony_music", "homeassistant", "plexapi"]:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every record Home Assistant's process logged, formatted with its traceback.

    Left out: the simulators' own access log (aiohttp.access, the servers' side of a request:
    in real life Spotify, Plex and slskd write those lines) and the test harness's storage mock
    (it logs what it would write to .storage, where Home Assistant keeps credentials anyway).
    """
    handler = caplog.handler
    return "\n".join(
        handler.format(record) + " " + repr(record.args)
        for record in caplog.records
        if record.name != "aiohttp.access"
        and not record.name.startswith(("pytest_homeassistant_custom_component", "tests."))
    )


class Watch:
    """Every event on the bus while a test runs, as JSON."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.events: list[str] = []
        self.unsubscribe = hass.bus.async_listen(MATCH_ALL, self._record)

    @callback
    def _record(self, event: Event) -> None:
        self.events.append(
            json.dumps({"type": event.event_type, "data": event.data}, cls=JSONEncoder)
        )


async def _responses(hass: HomeAssistant, config_entry: MockConfigEntry) -> dict[str, Any]:
    """What the read-only actions (and a scan) answer; a refusal's message and placeholders."""
    responses: dict[str, Any] = {}
    for service, data in (
        ("list_jobs", {"limit": 500}),
        ("list_activity", {"limit": 500}),
        ("list_artist_preferences", {}),
        ("scan_library", {}),
    ):
        try:
            responses[service] = await hass.services.async_call(
                DOMAIN,
                service,
                {"config_entry_id": config_entry.entry_id, **data},
                blocking=True,
                return_response=True,
            )
        except HomeAssistantError as err:
            responses[service] = [str(err), err.translation_key, err.translation_placeholders]
    await hass.async_block_till_done()
    return responses


async def _places(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    watch: Watch,
    responses: dict[str, Any],
) -> dict[str, str]:
    """Everything a user, an automation or a bug report can read, as text."""
    watch.unsubscribe()
    activity = await config_entry.runtime_data.store.activity.async_list(limit=10_000)
    assert activity
    database = b"".join(
        path.read_bytes() for path in sorted(Path(hass.config.config_dir).rglob("harmony_music*"))
    )
    assert database
    states = [
        json.dumps(state.as_dict(), cls=JSONEncoder)
        for state in hass.states.async_all()
        if state.entity_id.split(".", 1)[1].startswith("harmony_music")
    ]
    assert any('"entity_id": "event.' in s for s in states)  # the activity event entity
    places = {
        "log": _log_text(caplog),
        "diagnostics": json.dumps(
            await async_get_config_entry_diagnostics(hass, config_entry), cls=JSONEncoder
        ),
        "activity": json.dumps(
            [(a.type, a.status, a.details) for a in activity], cls=JSONEncoder, default=str
        ),
        "database": database.decode("utf-8", "replace"),
        "events": "\n".join(watch.events),
        "states": "\n".join(states),
        "repairs": json.dumps(
            [
                (issue.translation_key, issue.translation_placeholders)
                for issue in ir.async_get(hass).issues.values()
            ]
        ),
        "responses": json.dumps(responses, cls=JSONEncoder, default=str),
    }
    # The libraries' debug lines are in (urllib3 logs every URL plexapi asks for).
    assert "DEBUG    custom_components.harmony_music" in places["log"]
    assert "urllib3.connectionpool" in places["log"]
    assert "plexapi" in places["log"]
    assert len(watch.events) > 20
    return places


def _leaks(places: dict[str, str], secrets: dict[str, str]) -> list[tuple[str, str, str]]:
    return [
        (name, place, form)
        for name, secret in secrets.items()
        for form in _forms(secret)
        for place, text in places.items()
        if form in text
    ]


def _secrets(config_entry: MockConfigEntry) -> dict[str, str]:
    return {
        "spotify access token (expired)": ACCESS_TOKEN,
        "spotify access token (refreshed)": config_entry.data["token"]["access_token"],
        "spotify refresh token": REFRESH_TOKEN,
        "spotify client secret": CLIENT_SECRET,
        "plex token": PLEX_TOKEN,
        "slskd api key": SLSKD_API_KEY,
    }


async def test_no_secret_shows_anywhere_after_a_whole_auto_sync(
    hass: HomeAssistant,
    debug_everywhere: pytest.LogCaptureFixture,
    entry: MockConfigEntry,  # noqa: F811  (the fixture imported from test_autosync)
    world: AutoSyncWorld,  # noqa: F811
    spotify_sim: SpotifySimulator,
) -> None:
    """Logs, diagnostics, activity, the database, events, states, repairs, action responses."""
    watch = Watch(hass)
    summary = await run(hass, entry)
    assert summary["counts"]["imported"] == len(world.ids(DOWNLOAD)), summary
    # The secrets really were used: refreshed with the refresh token, Plex and slskd answered.
    assert spotify_sim.count("POST /api/token") >= 1
    assert entry.data["token"]["access_token"] != ACCESS_TOKEN
    assert summary["services"] == {"spotify": "ok", "plex": "ok", "soulseek": "ok"}
    responses = {"run_autosync": summary, **await _responses(hass, entry)}
    places = await _places(hass, entry, debug_everywhere, watch, responses)
    assert not _leaks(places, _secrets(entry))


async def test_no_secret_shows_when_every_service_refuses_or_fails(
    hass: HomeAssistant,
    debug_everywhere: pytest.LogCaptureFixture,
    entry: MockConfigEntry,  # noqa: F811
    spotify_sim: SpotifySimulator,
    plex_sim: PlexSimulator,  # noqa: F811
    slskd_sim: SlskdSimulator,  # noqa: F811
) -> None:
    """Error paths carry URLs and the services' own words: still no secret in any of them.

    Plex and slskd start refusing our credentials (401) and Spotify's token expires mid-way
    with its playlists failing (503): errors are logged, stored as activity, raised as repairs.
    """
    watch = Watch(hass)
    plex_sim.token = "another-plex-token"
    slskd_sim.api_key = "another-slskd-key"
    spotify_sim.expire_tokens()
    spotify_sim.faults.add(FaultRule(path=r"/v1/me/playlists", status=503))
    summary = await run(hass, entry)
    assert summary["services"]["spotify"] == "failed", summary
    responses = {"run_autosync": summary, **await _responses(hass, entry)}
    downloaded = await hass.services.async_call(
        DOMAIN,
        "download",
        {
            "config_entry_id": entry.entry_id,
            "username": "peer",
            "files": [{"filename": "a\\b.flac", "size": 5}],
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(downloaded, dict)
    job = await entry.runtime_data.download.queue.async_wait(downloaded["job_id"], 5)
    responses["download"] = downloaded
    await hass.async_block_till_done()
    places = await _places(hass, entry, debug_everywhere, watch, responses)
    # The failures did reach the places scanned.
    assert "401" in places["log"] or "rejected" in places["log"], job
    assert not _leaks(places, _secrets(entry))
