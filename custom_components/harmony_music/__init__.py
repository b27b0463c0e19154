"""The Harmony Music integration: keeps a self-hosted music library in step with Spotify."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import aiohttp
from homeassistant.const import CONF_ACCESS_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.typing import ConfigType

from .autosync import AutoSyncCoordinator
from .clients.beets import BeetsClient
from .clients.plex import PlexClient
from .clients.slskd import SlskdClient
from .clients.spotify import SpotifyClient
from .const import (
    CONF_BEETS_CONFIG,
    CONF_BEETS_DIRECTORY,
    CONF_BEETS_LIBRARY,
    CONF_PLEX_TOKEN,
    CONF_PLEX_URL,
    CONF_PLEX_VERIFY_SSL,
    CONF_SLSKD_API_KEY,
    CONF_SLSKD_URL,
    DOMAIN,
)
from .coordinator import HarmonyConfigEntry, HarmonyData
from .repairs import (
    ISSUE_DATABASE_DAMAGED,
    ISSUE_DATABASE_READ_ONLY,
    async_database_issue,
)
from .scan import ScanCoordinator
from .services import async_setup_services
from .spotify_urls import spotify_api_url
from .store import Store, StoreCorruptError, StoreError, StoreLockedError, StoreReadOnlyError
from .workers.download import DownloadWorker
from .workers.matching import MatchingWorker

PLATFORMS: list[Platform] = [Platform.BUTTON, Platform.EVENT, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whatever entries exist."""
    async_setup_services(hass)
    return True


def database_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Where an entry's SQLite database lives (one file, one writer, per entry)."""
    return Path(hass.config.path(".storage", f"{DOMAIN}.{entry_id}.db"))


async def async_setup_entry(hass: HomeAssistant, entry: HarmonyConfigEntry) -> bool:
    """Set up Harmony Music from a config entry."""
    implementation = await async_get_config_entry_implementation(hass, entry)
    oauth_session = OAuth2Session(hass, entry, implementation)
    try:
        await oauth_session.async_ensure_token_valid()
    except aiohttp.ClientResponseError as err:
        if 400 <= err.status < 500:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="spotify_auth_failed"
            ) from err
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="spotify_unavailable"
        ) from err
    except aiohttp.ClientError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="spotify_unavailable"
        ) from err

    async def access_token() -> str:
        await oauth_session.async_ensure_token_valid()
        return cast(str, oauth_session.token[CONF_ACCESS_TOKEN])

    db_path = database_path(hass, entry.entry_id)
    store = await _async_open_store(hass, entry, db_path)
    # Teardown runs last-registered first: workers stop before the database closes.
    entry.async_on_unload(store.async_close)

    session = async_get_clientsession(hass)
    data = entry.data
    plex = PlexClient(
        data[CONF_PLEX_URL], data[CONF_PLEX_TOKEN], verify_ssl=data[CONF_PLEX_VERIFY_SSL]
    )
    entry.async_on_unload(plex.async_close)
    slskd = SlskdClient(session, data[CONF_SLSKD_URL], data[CONF_SLSKD_API_KEY])
    beets = BeetsClient(
        Path(data[CONF_BEETS_LIBRARY]),
        Path(data[CONF_BEETS_DIRECTORY]),
        config_file=Path(data[CONF_BEETS_CONFIG]) if data.get(CONF_BEETS_CONFIG) else None,
    )
    spotify = SpotifyClient(session, access_token, base_url=spotify_api_url())
    workers = (
        matching := MatchingWorker(hass, entry, store),
        download := DownloadWorker(hass, entry, store, slskd, beets, plex, spotify),
    )
    scan = ScanCoordinator(hass, entry, store, plex)
    autosync = AutoSyncCoordinator(hass, entry, store, spotify, scan, download)
    entry.runtime_data = HarmonyData(
        store=store,
        spotify=spotify,
        plex=plex,
        slskd=slskd,
        beets=beets,
        matching=matching,
        download=download,
        scan=scan,
        autosync=autosync,
    )
    try:
        for worker in workers:
            await worker.async_prepare()
        await autosync.async_start()
    except StoreError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="database_error",
            translation_placeholders={"path": str(db_path), "error": str(err)},
        ) from err
    for worker in workers:
        worker.async_start()
    # Not a first refresh: the entry loads with Plex down, the scan entities show unavailable.
    scan.async_mark_started()
    entry.async_on_unload(scan.async_stop)
    entry.async_create_background_task(
        hass, scan.async_refresh(), f"{DOMAIN} first scan {entry.entry_id}"
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


# What a database error at setup means: retried or not, the exception's key, the repair.
DATABASE_ERRORS: tuple[tuple[type[StoreError], bool, str, str | None], ...] = (
    (StoreLockedError, True, "database_locked", None),
    (StoreCorruptError, False, "database_corrupt", ISSUE_DATABASE_DAMAGED),
    (StoreReadOnlyError, False, "database_read_only", ISSUE_DATABASE_READ_ONLY),
    (StoreError, False, "database_error", None),
)


async def _async_open_store(hass: HomeAssistant, entry: HarmonyConfigEntry, db_path: Path) -> Store:
    """The entry's database, or a translated setup error (and a repair) that leaves the file be.

    A lock is usually another process for a moment: retried. A damaged or unwritable file stays
    broken until the user acts: not retried (no crash loop), a repair says what to do.
    """
    store = Store(db_path)
    placeholders = {"path": str(db_path), "title": entry.title}
    try:
        await store.async_open()
    except StoreError as err:
        retry, key, issue = next(
            (retry, key, issue)
            for kind, retry, key, issue in DATABASE_ERRORS
            if isinstance(err, kind)
        )
        if issue is not None:
            async_database_issue(hass, entry, issue, placeholders)
        error = ConfigEntryNotReady if retry else ConfigEntryError
        raise error(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"path": str(db_path), "error": str(err)},
        ) from err
    async_database_issue(hass, entry, None, placeholders)
    return store


async def async_unload_entry(hass: HomeAssistant, entry: HarmonyConfigEntry) -> bool:
    """Unload the platforms; each resource's own teardown (async_on_unload) does the rest."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HarmonyConfigEntry) -> None:
    """Delete the entry's database when the user removes the integration."""
    db_path = database_path(hass, entry.entry_id)

    def remove_files() -> None:
        for suffix in ("", "-wal", "-shm"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)

    await hass.async_add_executor_job(remove_files)
