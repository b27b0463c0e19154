"""Diagnostics: settings and worker state, with every secret redacted."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_PLEX_TOKEN, CONF_PLEX_URL, CONF_SLSKD_API_KEY, CONF_SLSKD_URL
from .coordinator import HarmonyConfigEntry
from .store import JobState, JobType, StoreError

TO_REDACT = {
    "token",
    "access_token",
    "refresh_token",
    CONF_PLEX_TOKEN,
    CONF_SLSKD_API_KEY,
    "client_secret",
}
URL_KEYS = (CONF_PLEX_URL, CONF_SLSKD_URL)


def _worker_state(state: dict[str, Any]) -> dict[str, Any]:
    """A published worker state as JSON-safe values."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in state.items()
    }


def redact_url(url: str) -> str:
    """Drop credentials and query strings (tokens travel there) from a URL."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username or parts.password:
        netloc = f"**REDACTED**@{netloc}"
    query = "**REDACTED**" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HarmonyConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    data = async_redact_data(dict(entry.data), TO_REDACT)
    for key in URL_KEYS:
        if isinstance(data.get(key), str):
            data[key] = redact_url(data[key])
    runtime = entry.runtime_data
    worker = runtime.matching
    jobs: dict[str, Any] = {}
    try:
        for job_type in JobType:
            counts = await runtime.store.jobs.async_counts(job_type)
            jobs[job_type.value] = {state.value: counts[state] for state in JobState}
        recent = [
            {"ts": row.ts.isoformat(), "type": row.type, "status": row.status}
            for row in await runtime.store.activity.async_list(limit=20)
        ]
    except StoreError as err:
        jobs = {"error": str(err)}
        recent = []
    return {
        "entry": {"title": entry.title, "data": data, "options": dict(entry.options)},
        "workers": {
            "matching": _worker_state(asdict(worker.coordinator.data)),
            "download": _worker_state(asdict(runtime.download.coordinator.data)),
            "scan": _worker_state(asdict(runtime.scan.data)),
        },
        "jobs": jobs,
        "recent_activity": recent,
    }
