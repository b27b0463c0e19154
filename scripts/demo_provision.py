"""Provision the scripts/develop demo: onboarding, Harmony Music through its real config flow, a
dashboard, and an auto-sync that the terminal follows.

    python scripts/demo_provision.py prepare CONFIG_DIR
        Before Home Assistant starts: marks onboarding's core_config step done in a new
        configuration (that step would add met, radio_browser, google_translate and shopping_list,
        which need the internet and libraries the demo does not install).
    python scripts/demo_provision.py run SIMULATORS_JSON [--url URL] [--started-at EPOCH]
        Once Home Assistant answers: creates the owner user (demo / demo) through the onboarding
        API, adds the Spotify application credentials (websocket) and Harmony Music through
        POST /api/config/config_entries/flow (the OAuth step against the Spotify simulator, then
        Plex, slskd and beets with the simulators' values), creates the "Harmony Music" dashboard,
        starts an auto-sync and prints its progress until it ends.

Idempotent: what exists (user, credentials, entry, dashboard) is used, not added again. It never
fails scripts/develop: errors are printed and the script exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
import json
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

DOMAIN = "harmony_music"
USERNAME = "demo"
PASSWORD = "demo"
DASHBOARD_URL = "harmony-music"
FOLLOW_SECONDS = 1200
_STARTED = time.time()


def say(message: str) -> None:
    """One line on the terminal, marked as ours, with the seconds since scripts/develop started."""
    print(f"[demo {time.time() - _STARTED:6.0f} s] {message}", flush=True)


class ProvisionError(Exception):
    """A step failed; the message says which and why."""


# --- the dashboard ------------------------------------------------------------------------------


NAMES = {
    "download_status": "Download worker",
    "matching_status": "Matching worker",
    "scan_status": "Library scan",
    "autosync_status": "Auto-sync",
    "downloads": "Downloads enabled",
    "download_queue_length": "Queue",
    "active_downloads": "Active downloads",
    "download_throughput": "Throughput",
    "download_jobs_completed": "Downloads completed",
    "download_jobs_failed": "Downloads failed",
    "autosync_phase": "Phase",
    "autosync_searches_remaining": "Searches remaining",
    "autosync_eta": "Time remaining",
    "autosync_wanted": "Wanted",
    "autosync_already_owned": "Already owned",
    "autosync_queued": "Queued",
    "autosync_imported": "Imported",
    "autosync_not_found": "Not found",
    "autosync_low_quality": "Low quality only",
    "autosync_skipped": "Skipped",
    "autosync_last_status": "Result",
    "autosync_last_run": "Finished",
    "autosync_last_duration": "Duration",
    "autosync_next_run": "Next run",
    "library_tracks": "Tracks",
    "library_albums": "Albums",
    "library_artists": "Artists",
    "scan_last_success": "Last successful scan",
    "library_changed": "Library last changed",
}


def downloading_now(entity_id: str) -> str:
    """A markdown template: each file in progress with its percent, peer and speed."""
    return "\n".join(
        [
            f"{{% set d = state_attr('{entity_id}', 'downloads') or [] %}}",
            "{% for f in d %}- {{ f.file }}: **{{ f.percent | round }} %** from {{ f.username }}"
            " ({{ f.speed_kb_s }} kB/s)",
            "{% else %}Nothing is downloading.{% endfor %}",
        ]
    )


def latest_activity(entity_id: str) -> str:
    """A markdown template: the activity event entity's last event and its details."""
    hidden = "['event_types', 'event_type', 'friendly_name', 'icon', 'status']"
    return "\n".join(
        [
            f"{{% set e = states['{entity_id}'] %}}",
            "{% if e and e.attributes.event_type %}",
            "**{{ e.attributes.event_type | replace('_', ' ') }}** ({{ e.attributes.status }}),",
            "{{ relative_time(as_datetime(e.state)) }} ago",
            f"{{% for k, v in e.attributes.items() if k not in {hidden} and v is not none %}}",
            "- {{ k | replace('_', ' ') }}: {% if v is mapping %}"
            "{% for k2, v2 in v.items() %}{{ k2 | replace('_', ' ') }} {{ v2 }}"
            "{{ ', ' if not loop.last }}{% endfor %}{% else %}{{ v }}{% endif %}",
            "{% endfor %}",
            "{% else %}Nothing yet.{% endif %}",
        ]
    )


def dashboard(ids: Mapping[str, str]) -> dict[str, Any]:
    """The dashboard, from translation key -> entity id (only built-in cards)."""

    def rows(*keys: str) -> list[dict[str, str]]:
        """Entity rows with short names (the card title says what they belong to)."""
        return [{"entity": ids[key], "name": NAMES[key]} for key in keys if key in ids]

    def plain(*keys: str) -> list[str]:
        return [ids[key] for key in keys if key in ids]

    def press(key: str, name: str, icon: str) -> dict[str, Any]:
        return {
            "type": "button",
            "entity": ids[key],
            "name": name,
            "icon": icon,
            "show_state": False,
            "tap_action": {
                "action": "perform-action",
                "perform_action": "button.press",
                "target": {"entity_id": ids[key]},
                "confirmation": {"text": f"{name}?"},
            },
        }

    return {
        "title": "Harmony Music",
        "views": [
            {
                "title": "Overview",
                "path": "overview",
                "cards": [
                    {
                        "type": "horizontal-stack",
                        "cards": [
                            press("run_autosync", "Run auto-sync", "mdi:sync"),
                            press("scan_library", "Scan library now", "mdi:magnify-scan"),
                        ],
                    },
                    {
                        "type": "entities",
                        "title": "Workers",
                        "show_header_toggle": False,
                        "entities": rows(
                            "download_status",
                            "matching_status",
                            "scan_status",
                            "autosync_status",
                            "downloads",
                        ),
                    },
                    {
                        "type": "entities",
                        "title": "Downloads",
                        "entities": rows(
                            "download_queue_length",
                            "active_downloads",
                            "download_throughput",
                            "download_jobs_completed",
                            "download_jobs_failed",
                        ),
                    },
                    {
                        "type": "markdown",
                        "title": "Downloading now",
                        "content": downloading_now(ids["active_downloads"])
                        if "active_downloads" in ids
                        else "",
                    },
                    {
                        "type": "entities",
                        "title": "Auto-sync",
                        "entities": rows(
                            "autosync_phase",
                            "autosync_searches_remaining",
                            "autosync_eta",
                            "autosync_wanted",
                            "autosync_already_owned",
                            "autosync_queued",
                            "autosync_imported",
                            "autosync_not_found",
                            "autosync_low_quality",
                            "autosync_skipped",
                        ),
                    },
                    {
                        "type": "entities",
                        "title": "Last auto-sync",
                        "entities": rows(
                            "autosync_last_status",
                            "autosync_last_run",
                            "autosync_last_duration",
                            "autosync_next_run",
                        ),
                    },
                    {
                        "type": "glance",
                        "title": "Library",
                        "columns": 3,
                        "entities": rows("library_tracks", "library_albums", "library_artists"),
                    },
                    {
                        "type": "entities",
                        "entities": rows("scan_last_success", "library_changed"),
                    },
                    {
                        "type": "history-graph",
                        "title": "Downloads and failures",
                        "hours_to_show": 24,
                        "entities": rows(
                            "download_jobs_completed",
                            "download_jobs_failed",
                            "autosync_imported",
                            "library_tracks",
                        ),
                    },
                    {
                        "type": "markdown",
                        "title": "Latest activity",
                        "content": latest_activity(ids["activity"]) if "activity" in ids else "",
                    },
                    {
                        "type": "logbook",
                        "title": "Recent activity",
                        "hours_to_show": 24,
                        "entities": plain("activity"),
                    },
                ],
            }
        ],
    }


# --- Home Assistant over REST and websocket -----------------------------------------------------


class HomeAssistant:
    """The few REST and websocket calls the demo needs, as the frontend makes them."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.client_id = f"{self.url}/"
        self.token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
        headers: dict[str, str] | None = None,
    ) -> Any:
        """JSON in, JSON out; ProvisionError on any other status."""
        async with self.session.request(
            method,
            f"{self.url}{path}",
            json=body,
            data=form,
            headers={**self._headers(), **(headers or {})},
        ) as response:
            text = await response.text()
            if response.status not in ok:
                raise ProvisionError(f"{method} {path}: HTTP {response.status} {text[:300]}")
            if response.content_type != "application/json":
                return None  # e.g. the plain "404: Not Found" of a view that is not there
            return json.loads(text) if text else None

    async def wait_until_up(self, seconds: float) -> None:
        """Until the onboarding API answers (Home Assistant's HTTP server is up)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                # 200 while onboarding, 404 once it is done (the view is gone).
                await self.request("GET", "/api/onboarding", ok=(200, 404))
            except (aiohttp.ClientError, ProvisionError):
                if time.monotonic() > deadline:
                    raise ProvisionError(f"Home Assistant did not answer at {self.url}") from None
                await asyncio.sleep(2)
            else:
                return

    async def log_in(self) -> None:
        """The owner: created by onboarding the first time, logged in with the login flow after."""
        status = await self.request("GET", "/api/onboarding", ok=(200, 404))
        if isinstance(status, list):
            steps = {step["step"]: step["done"] for step in status}
        else:  # onboarding finished: Home Assistant no longer serves its status
            steps = {"user": True, "analytics": True, "integration": True}
        if not steps.get("user"):
            created = await self.request(
                "POST",
                "/api/onboarding/users",
                {
                    "client_id": self.client_id,
                    "name": "Demo",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": "en",
                },
            )
            code = created["auth_code"]
            say(f"created the owner user {USERNAME!r} (password {PASSWORD!r})")
        else:
            flow = await self.request(
                "POST",
                "/auth/login_flow",
                {
                    "client_id": self.client_id,
                    "handler": ["homeassistant", None],
                    "redirect_uri": f"{self.url}/?auth_callback=1",
                },
            )
            result = await self.request(
                "POST",
                f"/auth/login_flow/{flow['flow_id']}",
                {"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
            )
            if result.get("type") != "create_entry":
                raise ProvisionError(
                    f"onboarding was done before, but {USERNAME!r}/{PASSWORD!r} does not log in "
                    f"({result.get('errors')}); delete config/.storage to start over"
                )
            code = result["result"]
            say(f"logged in as the existing user {USERNAME!r}")
        tokens = await self.request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        )
        self.token = tokens["access_token"]
        # core_config is marked done by `prepare` (see the module docstring).
        if not steps.get("analytics"):
            await self.request("POST", "/api/onboarding/analytics", {})
        if not steps.get("integration"):
            await self.request(
                "POST",
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
            )
        if not all(steps.get(step) for step in ("user", "analytics", "integration")):
            say("onboarding done")

    async def ws(self, message_type: str, **data: Any) -> Any:
        """One websocket command; its result, or ProvisionError."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.url}/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            reply = await self._ws.receive_json()
            if reply.get("type") != "auth_ok":
                raise ProvisionError(f"websocket authentication failed: {reply}")
        message_id, self._next_id = self._next_id, self._next_id + 1
        await self._ws.send_json({"id": message_id, "type": message_type, **data})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == message_id and reply.get("type") == "result":
                break
        if not reply.get("success"):
            raise ProvisionError(f"{message_type}: {reply.get('error')}")
        return reply.get("result")

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def entries(self) -> list[dict[str, Any]]:
        """Harmony Music's config entries."""
        result: list[dict[str, Any]] = await self.ws("config_entries/get", domain=DOMAIN)
        return result

    async def state(self, entity_id: str) -> str | None:
        """An entity's state, None when it has none."""
        data = await self.request("GET", f"/api/states/{entity_id}", ok=(200, 404))
        return None if data is None or "state" not in data else str(data["state"])


# --- the steps ----------------------------------------------------------------------------------


async def add_credentials(ha: HomeAssistant, spotify: Mapping[str, Any]) -> None:
    """The Spotify simulator's client id/secret as application credentials, once."""
    existing = await ha.ws("application_credentials/list")
    if any(item.get("domain") == DOMAIN for item in existing):
        say("Spotify application credentials exist")
        return
    await ha.ws(
        "application_credentials/create",
        domain=DOMAIN,
        client_id=spotify["client_id"],
        client_secret=spotify["client_secret"],
        name="Spotify simulator",
    )
    say(f"added Spotify application credentials (client id {spotify['client_id']})")


async def add_entry(ha: HomeAssistant, info: Mapping[str, Any]) -> str:
    """Harmony Music through its config flow, unless an entry exists; the entry id."""
    if existing := await ha.entries():
        entry = existing[0]
        say(f"Harmony Music is already added: {entry['title']!r} ({entry['state']})")
        return str(entry["entry_id"])
    plex, slskd, beets = info["plex"], info["slskd"], info["beets"]
    answers: dict[str, dict[str, Any]] = {
        "pick_implementation": {"implementation": DOMAIN},
        "plex": {"plex_url": plex["url"], "plex_token": plex["token"], "plex_verify_ssl": False},
        "plex_section": {"plex_section": plex["music_section"]},
        "slskd": {
            "slskd_url": slskd["url"],
            "slskd_api_key": slskd["api_key"],
            "slskd_downloads_dir": slskd["downloads_dir"],
        },
        "beets": {"beets_library": beets["library"], "beets_directory": beets["directory"]},
    }
    # The OAuth redirect URI is built from this header, as the frontend sends it.
    base = {"HA-Frontend-Base": ha.url}
    flow = await ha.request(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
        headers=base,
    )
    flow_id = flow["flow_id"]
    for _ in range(12):
        kind = flow["type"]
        if kind == "create_entry":
            say(f"added Harmony Music through the config flow: {flow['title']!r}")
            break
        if kind == "external":
            # The Spotify simulator grants consent and redirects to /auth/external/callback.
            async with ha.session.get(flow["url"]) as response:
                if response.status != 200:
                    raise ProvisionError(f"Spotify authorize: HTTP {response.status}")
            say("Spotify OAuth: the simulator granted consent, Home Assistant took the code")
            flow = await ha.request("POST", f"/api/config/config_entries/flow/{flow_id}", {})
            continue
        if kind == "form":
            step = flow["step_id"]
            if flow.get("errors"):
                raise ProvisionError(f"config flow step {step}: {flow['errors']}")
            if step not in answers:
                raise ProvisionError(f"config flow: unexpected step {step!r}")
            flow = await ha.request(
                "POST", f"/api/config/config_entries/flow/{flow_id}", answers.pop(step)
            )
            if flow.get("type") == "form" and flow.get("step_id") == step:
                raise ProvisionError(f"config flow step {step}: {flow.get('errors')}")
            say(f"config flow: step {step} accepted")
            continue
        raise ProvisionError(f"config flow ended with {kind}: {flow.get('reason')}")
    else:
        raise ProvisionError("config flow: too many steps")
    deadline = time.monotonic() + 120
    while True:
        [entry, *_] = await ha.entries()
        if entry["state"] == "loaded":
            return str(entry["entry_id"])
        if time.monotonic() > deadline or entry["state"] in ("setup_error", "migration_error"):
            raise ProvisionError(f"the entry is {entry['state']}: {entry.get('reason')}")
        await asyncio.sleep(1)


async def entity_ids(ha: HomeAssistant, entry_id: str) -> dict[str, str]:
    """Translation key -> entity id of the entry's entities (looked up, never guessed)."""
    registry = await ha.ws("config/entity_registry/list")
    return {
        item["translation_key"]: item["entity_id"]
        for item in registry
        if item.get("config_entry_id") == entry_id and item.get("translation_key")
    }


async def add_dashboard(ha: HomeAssistant, ids: Mapping[str, str]) -> None:
    """The "Harmony Music" dashboard in storage mode, once (later edits are kept)."""
    dashboards = await ha.ws("lovelace/dashboards/list")
    if any(d.get("url_path") == DASHBOARD_URL for d in dashboards):
        say(f"dashboard exists: {ha.url}/{DASHBOARD_URL}")
        return
    await ha.ws(
        "lovelace/dashboards/create",
        url_path=DASHBOARD_URL,
        title="Harmony Music",
        icon="mdi:music-circle",
        show_in_sidebar=True,
        require_admin=False,
        mode="storage",
    )
    await ha.ws("lovelace/config/save", url_path=DASHBOARD_URL, config=dashboard(ids))
    say(f"created the dashboard {ha.url}/{DASHBOARD_URL}")


async def run_autosync(ha: HomeAssistant, entry_id: str, ids: Mapping[str, str]) -> None:
    """Start an auto-sync and print its progress until it ends."""
    # The entry's first library scan gives Plex's track count to compare with.
    for _ in range(60):
        tracks_before = await ha.state(ids["library_tracks"])
        if tracks_before not in (None, "unknown", "unavailable"):
            break
        await asyncio.sleep(1)
    finished_before = await ha.state(ids["autosync_last_run"])
    completed_before = _number(await ha.state(ids["download_jobs_completed"]))
    try:
        started = await ha.request(
            "POST",
            f"/api/services/{DOMAIN}/run_autosync?return_response",
            {"config_entry_id": entry_id},
        )
    except ProvisionError as err:
        say(f"auto-sync not started: {err}")
        return
    run_id = started.get("service_response", {}).get("run_id")
    say(
        f"started auto-sync run {run_id}; Plex has {tracks_before} tracks (follow it on the dashboard)"
    )
    watched = (
        "autosync_phase",
        "autosync_searches_remaining",
        "autosync_queued",
        "autosync_imported",
        "active_downloads",
        "download_jobs_completed",
        "library_tracks",
    )
    last: dict[str, str | None] = {}
    first_import: float | None = None
    deadline = time.monotonic() + FOLLOW_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(5)
        now = {key: await ha.state(ids[key]) for key in watched if key in ids}
        if now != last:
            say(
                "auto-sync "
                + ", ".join(
                    f"{key.removeprefix('autosync_')}={value}" for key, value in now.items()
                )
            )
            last = now
        # A completed download job is a file verified and imported by beets.
        done = _number(now.get("download_jobs_completed"))
        if first_import is None and done > completed_before:
            first_import = time.time() - _STARTED
            say(f"first file downloaded and imported by beets ({first_import:.0f} s after start)")
        if await ha.state(ids["autosync_last_run"]) != finished_before:
            break
    result = await ha.state(ids["autosync_last_status"])
    tracks_after = await ha.state(ids["library_tracks"])
    say(
        f"auto-sync finished: {result}; imported {last.get('autosync_imported')}; "
        f"Plex tracks {tracks_before} -> {tracks_after}"
    )


def _number(state: str | None) -> float:
    """A numeric state, 0 when it has none yet."""
    try:
        return float(state) if state is not None else 0.0
    except ValueError:
        return 0.0


async def provision(info_file: Path, url: str) -> None:
    """All the steps, in order."""
    info = json.loads(info_file.read_text())
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        ha = HomeAssistant(session, url)
        await ha.wait_until_up(600)
        try:
            await ha.log_in()
            await add_credentials(ha, info["spotify"])
            entry_id = await add_entry(ha, info)
            ids = await entity_ids(ha, entry_id)
            await add_dashboard(ha, ids)
            say(f"open {url} and log in as {USERNAME} / {PASSWORD}")
            await ha.close()  # following the run needs REST only: no open websocket at a stop
            await run_autosync(ha, entry_id, ids)
        finally:
            await ha.close()


def prepare(config_dir: Path) -> None:
    """Mark onboarding's core_config step done in a configuration that has no onboarding yet."""
    storage = config_dir / ".storage"
    target = storage / "onboarding"
    if target.exists():
        return
    storage.mkdir(parents=True, exist_ok=True)
    target.write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config"]},
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; 0 even when provisioning failed (the demo keeps running)."""
    global _STARTED  # noqa: PLW0603 (the clock of the say() lines)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare")
    prep.add_argument("config_dir", type=Path)
    run = sub.add_parser("run")
    run.add_argument("simulators_json", type=Path)
    run.add_argument("--url", default="http://127.0.0.1:8123")
    run.add_argument("--started-at", type=float, default=None, help="epoch seconds")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.config_dir)
        return 0
    if args.started_at:
        _STARTED = args.started_at
    try:
        asyncio.run(provision(args.simulators_json, args.url))
    except (ProvisionError, aiohttp.ClientError, TimeoutError, KeyError, ValueError) as err:
        say(f"provisioning stopped: {type(err).__name__}: {err} (Home Assistant keeps running)")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
