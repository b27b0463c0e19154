"""Config flow: Spotify (OAuth2) → Plex → slskd → beets; reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import logging
import math
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)
import voluptuous as vol

from .clients.beets import BeetsClient
from .clients.errors import (
    BeetsError,
    BeetsPathError,
    CannotConnectError,
    ClientError,
    InvalidAuthError,
)
from .clients.plex import PlexClient
from .clients.slskd import SlskdClient
from .clients.spotify import SpotifyClient
from .const import (
    AUDIO_FORMATS,
    CONF_BEETS_CONFIG,
    CONF_BEETS_DIRECTORY,
    CONF_BEETS_LIBRARY,
    CONF_PLEX_SECTION,
    CONF_PLEX_TOKEN,
    CONF_PLEX_URL,
    CONF_PLEX_VERIFY_SSL,
    CONF_SLSKD_API_KEY,
    CONF_SLSKD_DOWNLOADS_DIR,
    CONF_SLSKD_URL,
    DEFAULT_OPTIONS,
    DOMAIN,
    LOGGER,
    OPT_AUTOSYNC_COOLDOWN_DAYS,
    OPT_AUTOSYNC_FAVOURITES,
    OPT_AUTOSYNC_FORMATS,
    OPT_AUTOSYNC_MIN_BITRATE,
    OPT_AUTOSYNC_PLAYLISTS,
    OPT_AUTOSYNC_TIME,
    OPT_MATCHING_BATCH_SIZE,
    OPT_MATCHING_THRESHOLD,
    OPT_SCAN_INCREMENTAL,
    OPT_SCAN_INTERVAL,
    OPT_SKIP_THRESHOLD,
    OPT_SYNC_MIN_FREE_GB,
    OPT_SYNC_POLL_INTERVAL,
    OPT_SYNC_POLL_INTERVAL_IDLE,
    OPT_SYNC_STUCK_QUEUED,
    OPT_SYNC_STUCK_STALLED,
    OPT_SYNC_WORKER_CONCURRENCY,
    OPTION_RANGES,
    SPOTIFY_SCOPES,
)
from .spotify_urls import spotify_api_url

URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TEXT = TextSelector()
PLEX_KEYS = (CONF_PLEX_URL, CONF_PLEX_TOKEN, CONF_PLEX_VERIFY_SSL)


def _plex_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_PLEX_URL, default=defaults.get(CONF_PLEX_URL, "")): URL,
            vol.Required(CONF_PLEX_TOKEN, default=defaults.get(CONF_PLEX_TOKEN, "")): SECRET,
            vol.Required(
                CONF_PLEX_VERIFY_SSL, default=defaults.get(CONF_PLEX_VERIFY_SSL, True)
            ): BooleanSelector(),
        }
    )


def _slskd_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_SLSKD_URL, default=defaults.get(CONF_SLSKD_URL, "")): URL,
            vol.Required(CONF_SLSKD_API_KEY, default=defaults.get(CONF_SLSKD_API_KEY, "")): SECRET,
            vol.Required(
                CONF_SLSKD_DOWNLOADS_DIR, default=defaults.get(CONF_SLSKD_DOWNLOADS_DIR, "")
            ): TEXT,
        }
    )


def _beets_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_BEETS_LIBRARY, default=defaults.get(CONF_BEETS_LIBRARY, "")): TEXT,
            vol.Required(
                CONF_BEETS_DIRECTORY, default=defaults.get(CONF_BEETS_DIRECTORY, "")
            ): TEXT,
            vol.Optional(
                CONF_BEETS_CONFIG,
                description={"suggested_value": defaults.get(CONF_BEETS_CONFIG)},
            ): TEXT,
        }
    )


async def validate_plex(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Errors by field and the server's music sections (key → title)."""
    client = PlexClient(
        data[CONF_PLEX_URL], data[CONF_PLEX_TOKEN], verify_ssl=data[CONF_PLEX_VERIFY_SSL]
    )
    try:
        sections = await client.async_music_sections()
    except CannotConnectError:
        return {"base": "cannot_connect"}, {}
    except InvalidAuthError:
        return {"base": "invalid_auth"}, {}
    except Exception:
        LOGGER.exception("Unexpected error talking to Plex")
        return {"base": "unknown"}, {}
    finally:
        await client.async_close()
    if not sections:
        return {"base": "no_music_section"}, {}
    return {}, {section.key: section.title for section in sections}


async def validate_slskd(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """Errors by field: the API answers, the key is accepted, the folder exists."""
    client = SlskdClient(
        async_get_clientsession(hass), data[CONF_SLSKD_URL], data[CONF_SLSKD_API_KEY]
    )
    try:
        await client.async_get_application()
    except CannotConnectError:
        return {"base": "cannot_connect"}
    except InvalidAuthError:
        return {"base": "invalid_auth"}
    except Exception:
        LOGGER.exception("Unexpected error talking to slskd")
        return {"base": "unknown"}
    if not await hass.async_add_executor_job(Path(data[CONF_SLSKD_DOWNLOADS_DIR]).is_dir):
        return {CONF_SLSKD_DOWNLOADS_DIR: "path_not_found"}
    return {}


_BEETS_FIELDS = {
    "library": CONF_BEETS_LIBRARY,
    "directory": CONF_BEETS_DIRECTORY,
    "config_file": CONF_BEETS_CONFIG,
}


async def validate_beets(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """Errors by field: the paths are usable and beets runs with them."""
    client = BeetsClient(
        Path(data[CONF_BEETS_LIBRARY]),
        Path(data[CONF_BEETS_DIRECTORY]),
        config_file=Path(data[CONF_BEETS_CONFIG]) if data.get(CONF_BEETS_CONFIG) else None,
    )
    try:
        await client.async_check()
    except BeetsPathError as err:
        return {_BEETS_FIELDS.get(err.field, "base"): "path_not_found"}
    except BeetsError as err:
        LOGGER.warning("beets does not run: %s", err)
        return {"base": "cannot_connect"}
    except Exception:
        LOGGER.exception("Unexpected error running beets")
        return {"base": "unknown"}
    return {}


class HarmonyMusicConfigFlow(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Set up Harmony Music."""

    DOMAIN = DOMAIN
    VERSION = 1

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[str, Any] = {}
        self._title = ""
        self._sections: dict[str, str] = {}

    @property
    def logger(self) -> logging.Logger:
        """Logger of the OAuth2 steps."""
        return LOGGER

    @property
    def extra_authorize_data(self) -> dict[str, Any]:
        """Ask Spotify for the scopes we need."""
        return {"scope": " ".join(SPOTIFY_SCOPES)}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> HarmonyMusicOptionsFlow:
        """Options of an entry."""
        return HarmonyMusicOptionsFlow()

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Identify the Spotify account, then go on to Plex (or finish a reauth)."""
        access_token: str = data["token"]["access_token"]

        async def token() -> str:
            return access_token

        client = SpotifyClient(
            async_get_clientsession(self.hass), token, base_url=spotify_api_url()
        )
        try:
            user = await client.async_current_user()
        except Exception:
            LOGGER.exception("Could not read the Spotify account")
            return self.async_abort(reason="connection_error")
        await self.async_set_unique_id(user.id)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data_updates=data)
        self._abort_if_unique_id_configured()
        self._data = dict(data)
        self._title = user.display_name
        return await self.async_step_plex()

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Spotify no longer accepts the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before sending the user to Spotify."""
        if user_input is None:
            return self.async_show_form(step_id="reauth_confirm")
        return await self.async_step_user()

    async def async_step_plex(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Plex server and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors, self._sections = await validate_plex(user_input)
            if not errors:
                self._data.update(user_input)
                return await self.async_step_plex_section()
        return self.async_show_form(
            step_id="plex", data_schema=_plex_schema(user_input or self._data), errors=errors
        )

    async def async_step_plex_section(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the music section."""
        if user_input is not None:
            self._data[CONF_PLEX_SECTION] = user_input[CONF_PLEX_SECTION]
            if self.source == SOURCE_RECONFIGURE:
                return self.async_update_reload_and_abort(
                    self._get_reconfigure_entry(),
                    data_updates={k: self._data[k] for k in (*PLEX_KEYS, CONF_PLEX_SECTION)},
                )
            return await self.async_step_slskd()
        options = [SelectOptionDict(value=k, label=v) for k, v in self._sections.items()]
        current = self._data.get(CONF_PLEX_SECTION)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_PLEX_SECTION,
                    default=current if current in self._sections else next(iter(self._sections)),
                ): SelectSelector(SelectSelectorConfig(options=options))
            }
        )
        return self.async_show_form(step_id="plex_section", data_schema=schema)

    async def async_step_slskd(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """slskd URL, API key and the downloads folder."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await validate_slskd(self.hass, user_input)
            if not errors:
                self._data.update(user_input)
                return await self.async_step_beets()
        return self.async_show_form(
            step_id="slskd", data_schema=_slskd_schema(user_input or {}), errors=errors
        )

    async def async_step_beets(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """beets library, music directory and optional config file."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await validate_beets(self.hass, user_input)
            if not errors:
                self._data.update({CONF_BEETS_CONFIG: None, **user_input})
                return self.async_create_entry(
                    title=self._title, data=self._data, options=dict(DEFAULT_OPTIONS)
                )
        return self.async_show_form(
            step_id="beets", data_schema=_beets_schema(user_input or {}), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change Plex, slskd or beets settings."""
        self._data = dict(self._get_reconfigure_entry().data)
        return self.async_show_menu(
            step_id="reconfigure",
            menu_options=["reconfigure_plex", "reconfigure_slskd", "reconfigure_beets"],
        )

    async def async_step_reconfigure_plex(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New Plex server or token; then the section again."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors, self._sections = await validate_plex(user_input)
            if not errors:
                self._data.update(user_input)
                return await self.async_step_plex_section()
        return self.async_show_form(
            step_id="reconfigure_plex",
            data_schema=_plex_schema(user_input or self._data),
            errors=errors,
        )

    async def async_step_reconfigure_slskd(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New slskd settings."""
        return await self._reconfigure_service(
            "reconfigure_slskd", _slskd_schema, validate_slskd, user_input
        )

    async def async_step_reconfigure_beets(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New beets settings (an omitted config file clears the old one)."""
        return await self._reconfigure_service(
            "reconfigure_beets",
            _beets_schema,
            validate_beets,
            user_input,
            {CONF_BEETS_CONFIG: None},
        )

    async def _reconfigure_service(
        self,
        step_id: str,
        schema: Callable[[Mapping[str, Any]], vol.Schema],
        validate: Callable[[HomeAssistant, Mapping[str, Any]], Awaitable[dict[str, str]]],
        user_input: dict[str, Any] | None,
        cleared: Mapping[str, Any] | None = None,
    ) -> ConfigFlowResult:
        """Validate like the first setup, then update the entry and reload it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await validate(self.hass, user_input)
            if not errors:
                return self.async_update_reload_and_abort(
                    self._get_reconfigure_entry(), data_updates={**(cleared or {}), **user_input}
                )
        return self.async_show_form(
            step_id=step_id, data_schema=schema(user_input or self._data), errors=errors
        )


def _number(key: str) -> NumberSelector:
    low, high, step = OPTION_RANGES[key]
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    )


# Options the form offers: only those some running code reads. Each worker brings its own
# options here with the code that reads them (the rest keep their defaults meanwhile).
FORM_OPTIONS: tuple[str, ...] = (
    OPT_SYNC_WORKER_CONCURRENCY,
    OPT_SYNC_POLL_INTERVAL,
    OPT_SYNC_POLL_INTERVAL_IDLE,
    OPT_SYNC_STUCK_QUEUED,
    OPT_SYNC_STUCK_STALLED,
    OPT_SYNC_MIN_FREE_GB,
    OPT_MATCHING_BATCH_SIZE,
    OPT_MATCHING_THRESHOLD,
    OPT_AUTOSYNC_MIN_BITRATE,
    OPT_AUTOSYNC_FORMATS,
    OPT_SCAN_INTERVAL,
    OPT_SCAN_INCREMENTAL,
    OPT_AUTOSYNC_TIME,
    OPT_SKIP_THRESHOLD,
    OPT_AUTOSYNC_COOLDOWN_DAYS,
    OPT_AUTOSYNC_PLAYLISTS,
    OPT_AUTOSYNC_FAVOURITES,
)
PLAYLIST_OPTIONS: frozenset[str] = frozenset({OPT_AUTOSYNC_PLAYLISTS, OPT_AUTOSYNC_FAVOURITES})
# Options shown as a switch rather than a number.
BOOLEAN_OPTIONS: frozenset[str] = frozenset({OPT_SCAN_INCREMENTAL})


def _selector(key: str, playlists: list[SelectOptionDict] | None = None) -> Any:
    """The form field of an option."""
    if key in PLAYLIST_OPTIONS:
        # Spotify's playlists by name; ids typed by hand still work when Spotify is away.
        return SelectSelector(
            SelectSelectorConfig(options=playlists or [], multiple=True, custom_value=True)
        )
    if key == OPT_AUTOSYNC_TIME:
        return TimeSelector()
    if key == OPT_AUTOSYNC_FORMATS:
        return SelectSelector(
            SelectSelectorConfig(
                options=AUDIO_FORMATS, multiple=True, translation_key="audio_format"
            )
        )
    if key in BOOLEAN_OPTIONS:
        return BooleanSelector()
    return _number(key)


def _typed(key: str, value: Any) -> Any:
    """Number selectors give floats: whole-number options are stored as int."""
    if key in OPTION_RANGES and float(OPTION_RANGES[key][2]).is_integer():
        return int(value)
    return value


class HarmonyMusicOptionsFlow(OptionsFlow):
    """Tuning; workers read the options each cycle, so saving needs no reload."""

    async def _async_playlists(self) -> list[SelectOptionDict]:
        """The account's playlists for the pickers (none when Spotify cannot be reached)."""
        entry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return []
        try:
            playlists = await entry.runtime_data.spotify.async_playlists()
        except ClientError as err:
            LOGGER.debug("Playlists for the options form unavailable: %s", err)
            return []
        return [SelectOptionDict(value=p.id, label=p.name or p.id) for p in playlists]

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The settings of the running workers on one form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            # The number selector lets "nan" through (no range check catches it).
            errors = {
                key: "not_a_number"
                for key, value in user_input.items()
                if key in OPTION_RANGES and not math.isfinite(value)
            }
            if not errors:
                options = {**self.config_entry.options}
                options.update({key: _typed(key, value) for key, value in user_input.items()})
                return self.async_create_entry(data=options)
        current = {**DEFAULT_OPTIONS, **self.config_entry.options}
        playlists = await self._async_playlists()
        fields: dict[vol.Marker, Any] = {
            vol.Required(key, default=current[key]): _selector(key, playlists)
            for key in FORM_OPTIONS
        }
        return self.async_show_form(
            step_id="init", data_schema=vol.Schema(fields), errors=errors or None
        )
