"""Logbook lines for the activity feed: what happened, not "detected an event"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Event, HomeAssistant, callback

from .activity import EVENT_ACTIVITY, ActivityType
from .const import DEVICE_NAME, DOMAIN


def _what(data: Mapping[str, Any]) -> str:
    return str(data.get("file") or data.get("search") or data.get("spotify_track") or "a track")


def _autosync(data: Mapping[str, Any]) -> str:
    found = data.get("counts")
    counts: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return (
        f"auto-sync {data.get('status', 'ended')}: {counts.get('imported', 0)} imported, "
        f"{counts.get('not_found', 0)} not found, {counts.get('low_quality', 0)} only in low "
        f"quality, {counts.get('already_owned', 0)} already owned"
    )


MESSAGES: dict[ActivityType, Callable[[Mapping[str, Any]], str]] = {
    ActivityType.DOWNLOAD_COMPLETED: lambda d: f"downloaded and imported {_what(d)}",
    ActivityType.DOWNLOAD_FAILED: lambda d: f"could not download {_what(d)}: {d.get('error')}",
    ActivityType.SOULSEEK_LOW_QUALITY: lambda d: f"found {_what(d)} only below the quality rules",
    ActivityType.AUTOSYNC_COMPLETED: _autosync,
    ActivityType.SCAN_FAILED: lambda d: f"library scan failed: {d.get('error')}",
    ActivityType.MATCHING_BATCH: lambda d: f"matched a batch of {d.get('jobs', 0)} jobs",
    ActivityType.MATCHING_FAILED: lambda d: f"a match failed: {d.get('error')}",
}


def describe(data: Mapping[str, Any]) -> str:
    """The logbook message of one activity event."""
    try:
        kind = ActivityType(str(data.get("type")))
    except ValueError:
        return f"reported {data.get('type')}"
    return MESSAGES[kind](data)


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the activity events."""

    @callback
    def async_describe(event: Event) -> dict[str, str]:
        line = {LOGBOOK_ENTRY_NAME: DEVICE_NAME, LOGBOOK_ENTRY_MESSAGE: describe(event.data)}
        if isinstance(entity_id := event.data.get(ATTR_ENTITY_ID), str):
            line[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        return line

    async_describe_event(DOMAIN, EVENT_ACTIVITY, async_describe)
