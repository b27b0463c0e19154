"""Actions of Harmony Music, registered once in async_setup."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .activity import ActivityType
from .const import DOMAIN
from .coordinator import HarmonyConfigEntry
from .store import ArtistPreference, Job, JobState, JobType, StoreError

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_SPOTIFY_TRACK = "spotify_track"
ATTR_CANDIDATES = "candidates"
ATTR_WAIT = "wait"
ATTR_TIMEOUT = "timeout"
ATTR_JOB_ID = "job_id"
ATTR_TYPE = "type"
ATTR_STATE = "state"
ATTR_LIMIT = "limit"

SERVICE_MATCH = "match"
SERVICE_DOWNLOAD = "download"
ATTR_USERNAME = "username"
ATTR_FILES = "files"
SERVICE_LIST_JOBS = "list_jobs"
SERVICE_LIST_ACTIVITY = "list_activity"
SERVICE_RETRY_JOB = "retry_job"
SERVICE_CANCEL_JOB = "cancel_job"
SERVICE_SCAN_LIBRARY = "scan_library"
ATTR_PATH = "path"
SERVICE_RUN_AUTOSYNC = "run_autosync"
SERVICE_MARK_WRONG_MATCH = "mark_wrong_match"
SERVICE_RESET_SKIPPED = "reset_skipped"
SERVICE_SET_ARTIST_PREFERENCE = "set_artist_preference"
SERVICE_LIST_ARTIST_PREFERENCES = "list_artist_preferences"
ATTR_ARTIST = "artist"
ATTR_PREFERENCE = "preference"
PREFERENCE_CLEAR = "clear"

ENTRY_SCHEMA: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}


# Job ids are SQLite rowids: a larger number cannot name a job (sqlite3 raises OverflowError).
SQLITE_MAX_INT = 2**63 - 1


def _whole(value: Any) -> int:
    """vol.Coerce(int), with infinity invalid too (int() raises OverflowError for it)."""
    try:
        number: int = vol.Coerce(int)(value)
    except OverflowError as err:
        raise vol.Invalid("expected a finite whole number") from err
    return number


MATCH_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Required(ATTR_SPOTIFY_TRACK): dict,
        vol.Required(ATTR_CANDIDATES): [dict],
        vol.Optional(ATTR_WAIT, default=False): cv.boolean,
        vol.Optional(ATTR_TIMEOUT, default=30): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=300)
        ),
    }
)
_TRACK_ID = re.compile(
    r"^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z-]+/)?track/)?([0-9A-Za-z]{22})(?:[?#].*)?$"
)


def spotify_track_id(value: Any) -> str:
    """A Spotify track id from an id, a ``spotify:track:`` URI or an open.spotify.com URL."""
    match = _TRACK_ID.match(str(value).strip())
    if match is None:
        raise vol.Invalid("expected a Spotify track id, URI or URL")
    return match.group(1)


def _storable(value: str) -> str:
    """Text the database can store (a lone surrogate has no UTF-8 form)."""
    try:
        value.encode()
    except UnicodeEncodeError as err:
        raise vol.Invalid("text with an unpaired surrogate character") from err
    return value


def _peer_or_track(data: dict[str, Any]) -> dict[str, Any]:
    has_peer = ATTR_USERNAME in data or ATTR_FILES in data
    has_track = ATTR_SPOTIFY_TRACK in data
    if has_peer == has_track or (has_peer and not (ATTR_USERNAME in data and ATTR_FILES in data)):
        raise vol.Invalid("give either username and files, or spotify_track")
    return data


_DOWNLOAD_FIELDS = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Optional(ATTR_SPOTIFY_TRACK): spotify_track_id,
        vol.Optional(ATTR_USERNAME): vol.All(cv.string, vol.Length(min=1, max=200), _storable),
        vol.Optional(ATTR_FILES): vol.All(
            cv.ensure_list,
            vol.Length(min=1, max=500),
            [
                vol.Schema(
                    {
                        vol.Required("filename"): vol.All(
                            cv.string, vol.Length(min=1, max=4096), _storable
                        ),
                        vol.Required("size"): vol.All(_whole, vol.Range(min=1, max=64 * 1024**3)),
                        vol.Optional("length"): vol.All(vol.Coerce(float), vol.Range(min=0)),
                    },
                    extra=vol.REMOVE_EXTRA,
                )
            ],
        ),
        vol.Optional("priority", default=0): vol.All(_whole, vol.Range(min=-100, max=100)),
    },
)
DOWNLOAD_SCHEMA = vol.All(_DOWNLOAD_FIELDS, _peer_or_track)
LIST_JOBS_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Optional(ATTR_TYPE): vol.All(vol.In([t.value for t in JobType]), vol.Coerce(JobType)),
        vol.Optional(ATTR_STATE): vol.All(
            cv.ensure_list, [vol.All(vol.In([s.value for s in JobState]), vol.Coerce(JobState))]
        ),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(_whole, vol.Range(min=1, max=500)),
    }
)
LIST_ACTIVITY_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Optional(ATTR_TYPE): vol.All(
            vol.In([t.value for t in ActivityType]), vol.Coerce(ActivityType)
        ),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(_whole, vol.Range(min=1, max=500)),
    }
)
JOB_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Required(ATTR_JOB_ID): vol.All(_whole, vol.Range(min=1, max=SQLITE_MAX_INT)),
    }
)
RESET_SKIPPED_SCHEMA = vol.Schema(
    # Without a track every skip record is cleared.
    {**ENTRY_SCHEMA, vol.Optional(ATTR_SPOTIFY_TRACK): vol.All(cv.string, spotify_track_id)}
)
ARTIST_PREFERENCE_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Required(ATTR_ARTIST): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=200)),
        vol.Required(ATTR_PREFERENCE): vol.In(
            [*(p.value for p in ArtistPreference), PREFERENCE_CLEAR]
        ),
    }
)
SCAN_SCHEMA = vol.Schema(
    # A blank path would name no folder (the client refuses it).
    {**ENTRY_SCHEMA, vol.Optional(ATTR_PATH): vol.All(cv.string, vol.Strip, vol.Length(min=1))}
)


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> HarmonyConfigEntry:
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: HarmonyConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def _database_error(err: StoreError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="database_error_action",
        translation_placeholders={"error": str(err)},
    )


def job_as_dict(job: Job, *, with_payload: bool = False) -> dict[str, Any]:
    """A job as action response data (JSON-safe)."""
    data: dict[str, Any] = {
        "id": job.id,
        "type": job.type.value,
        "state": job.state.value,
        "priority": job.priority,
        "attempts": job.attempts,
        "last_error": job.last_error,
        "result": job.result,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }
    if with_payload:
        data["payload"] = job.payload
    return data


async def _async_match(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    worker = entry.runtime_data.matching
    payload = {
        ATTR_SPOTIFY_TRACK: call.data[ATTR_SPOTIFY_TRACK],
        ATTR_CANDIDATES: call.data[ATTR_CANDIDATES],
    }
    try:
        job, created = await worker.async_submit_match(payload)
        if call.data[ATTR_WAIT]:
            job = await worker.queue.async_wait(job.id, call.data[ATTR_TIMEOUT]) or job
    except StoreError as err:
        raise _database_error(err) from err
    response: dict[str, Any] = {"job_id": job.id, "created": created, "state": job.state.value}
    if job.state is JobState.INVALID_PAYLOAD:
        response["reason"] = job.last_error
    if job.state is JobState.COMPLETED and job.result is not None:
        response["matches"] = job.result.get("matches", [])
        response["best_index"] = job.result.get("best_index")
    return response


async def _async_download(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    try:
        worker = entry.runtime_data.download
        if ATTR_SPOTIFY_TRACK in call.data:
            job, created = await worker.async_submit_track(
                call.data[ATTR_SPOTIFY_TRACK], priority=call.data["priority"]
            )
        else:
            job, created = await worker.async_submit_files(
                call.data[ATTR_USERNAME], call.data[ATTR_FILES], priority=call.data["priority"]
            )
    except StoreError as err:
        raise _database_error(err) from err
    return {"job_id": job.id, "created": created, "state": job.state.value}


async def _async_list_jobs(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    try:
        jobs = await entry.runtime_data.store.jobs.async_list(
            job_type=call.data.get(ATTR_TYPE),
            states=call.data.get(ATTR_STATE),
            limit=call.data[ATTR_LIMIT],
        )
    except StoreError as err:
        raise _database_error(err) from err
    return {"jobs": [job_as_dict(job, with_payload=True) for job in jobs]}


async def _async_list_activity(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    try:
        rows = await entry.runtime_data.store.activity.async_list(
            activity_type=call.data.get(ATTR_TYPE), limit=call.data[ATTR_LIMIT]
        )
    except StoreError as err:
        raise _database_error(err) from err
    return {
        "activity": [
            {
                "id": row.id,
                "ts": row.ts.isoformat(),
                "type": row.type,
                "status": row.status,
                "details": row.details,
            }
            for row in rows
        ]
    }


async def _async_change_job(call: ServiceCall, *, cancel: bool) -> None:
    entry = _loaded_entry(call.hass, call)
    runtime = entry.runtime_data
    job_id = call.data[ATTR_JOB_ID]
    try:
        job = await runtime.store.jobs.async_get(job_id)
        if job is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="job_not_found",
                translation_placeholders={"job_id": str(job_id)},
            )
        # The queue of the job's type wakes that type's worker.
        worker = runtime.worker_for(job.type)
        jobs = runtime.store.jobs
        if cancel:
            changed = await (
                worker.async_cancel_job(job_id) if worker else jobs.async_cancel(job_id)
            )
        else:
            changed = await (
                worker.queue.async_retry(job_id) if worker else jobs.async_retry(job_id)
            )
    except StoreError as err:
        raise _database_error(err) from err
    if not changed:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="job_cannot_cancel" if cancel else "job_cannot_retry",
            translation_placeholders={"job_id": str(job_id), "state": job.state.value},
        )


async def _async_retry_job(call: ServiceCall) -> None:
    await _async_change_job(call, cancel=False)


async def _async_cancel_job(call: ServiceCall) -> None:
    await _async_change_job(call, cancel=True)


async def _async_scan_library(call: ServiceCall) -> ServiceResponse:
    # A running scan raises a translated ServiceValidationError (scan_running); a failed one a
    # HomeAssistantError (scan_failed).
    entry = _loaded_entry(call.hass, call)
    state = await entry.runtime_data.scan.async_scan_now(call.data.get(ATTR_PATH))
    return {
        "tracks": state.tracks,
        "albums": state.albums,
        "artists": state.artists,
        "snapshot_version": state.snapshot_version,
        "snapshot_tracks": state.snapshot_tracks,
        "duration_ms": state.last_duration_ms,
    }


async def _async_run_autosync(call: ServiceCall) -> ServiceResponse:
    # A run in progress raises a translated ServiceValidationError (autosync_running).
    entry = _loaded_entry(call.hass, call)
    run_id = await entry.runtime_data.autosync.async_run_now()
    return {"run_id": run_id}


async def _async_mark_wrong_match(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    job_id = call.data[ATTR_JOB_ID]
    try:
        job, removed = await entry.runtime_data.download.async_mark_wrong_match(job_id)
    except ValueError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_track_download",
            translation_placeholders={"job_id": str(job_id)},
        ) from err
    except StoreError as err:
        raise _database_error(err) from err
    return {"removed": removed, "job_id": job.id, "state": job.state.value}


async def _async_reset_skipped(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    track = call.data.get(ATTR_SPOTIFY_TRACK)
    try:
        cleared = await entry.runtime_data.store.autosync.async_clear_skip(track)
    except StoreError as err:
        raise _database_error(err) from err
    return {"cleared": cleared}


async def _async_set_artist_preference(call: ServiceCall) -> None:
    entry = _loaded_entry(call.hass, call)
    value = call.data[ATTR_PREFERENCE]
    preference = None if value == PREFERENCE_CLEAR else ArtistPreference(value)
    try:
        await entry.runtime_data.store.autosync.async_set_artist_preference(
            call.data[ATTR_ARTIST], preference
        )
    except StoreError as err:
        raise _database_error(err) from err


async def _async_list_artist_preferences(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    try:
        preferences = await entry.runtime_data.store.autosync.async_artist_preferences()
    except StoreError as err:
        raise _database_error(err) from err
    return {
        "artists": [
            {"artist": artist, "preference": preference.value}
            for artist, preference in preferences.values()
        ]
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN_AUTOSYNC,
        _async_run_autosync,
        schema=vol.Schema(ENTRY_SCHEMA),
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_MARK_WRONG_MATCH,
        _async_mark_wrong_match,
        schema=JOB_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESET_SKIPPED,
        _async_reset_skipped,
        schema=RESET_SKIPPED_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_ARTIST_PREFERENCE,
        _async_set_artist_preference,
        schema=ARTIST_PREFERENCE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_ARTIST_PREFERENCES,
        _async_list_artist_preferences,
        schema=vol.Schema(ENTRY_SCHEMA),
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_MATCH,
        _async_match,
        schema=MATCH_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DOWNLOAD,
        _async_download,
        schema=DOWNLOAD_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_JOBS,
        _async_list_jobs,
        schema=LIST_JOBS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_ACTIVITY,
        _async_list_activity,
        schema=LIST_ACTIVITY_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(DOMAIN, SERVICE_RETRY_JOB, _async_retry_job, schema=JOB_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_CANCEL_JOB, _async_cancel_job, schema=JOB_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_SCAN_LIBRARY,
        _async_scan_library,
        schema=SCAN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
