"""Config flow: every step, every error, recovery, duplicates, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.harmony_music.clients.errors import (
    BeetsError,
    CannotConnectError,
    InvalidAuthError,
)
from custom_components.harmony_music.clients.plex_models import PlexSection
from custom_components.harmony_music.clients.spotify import SpotifyUser
from custom_components.harmony_music.clients.spotify_models import SpotifyPlaylist
from custom_components.harmony_music.const import DEFAULT_OPTIONS, DOMAIN

FLOW = "custom_components.harmony_music.config_flow"
TOKEN_URL = "https://accounts.spotify.com/api/token"
REDIRECT = "https://example.com/auth/external/callback"


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    """Folders that exist, like the user's downloads and music folders."""
    for name in ("downloads", "music", "beets"):
        (tmp_path / name).mkdir()
    (tmp_path / "config.yaml").write_text("plugins: []\n")
    return {
        "downloads": str(tmp_path / "downloads"),
        "music": str(tmp_path / "music"),
        "library": str(tmp_path / "beets" / "library.db"),
        "config": str(tmp_path / "config.yaml"),
    }


@pytest.fixture
def clients() -> Generator[dict[str, MagicMock]]:
    """The four clients the flow talks to, answering as healthy services."""
    with (
        patch(f"{FLOW}.SpotifyClient") as spotify,
        patch(f"{FLOW}.PlexClient") as plex,
        patch(f"{FLOW}.SlskdClient") as slskd,
        # The real BeetsClient checks the paths; only running beets is replaced.
        patch(f"{FLOW}.BeetsClient.async_version", return_value="2.3.1") as beets_version,
        patch("custom_components.harmony_music.async_setup_entry", return_value=True),
    ):
        spotify.return_value.async_current_user = AsyncMock(
            return_value=SpotifyUser(id="harmony_user", display_name="Harmony User")
        )
        plex.return_value.async_music_sections = AsyncMock(
            return_value=[PlexSection(key="3", title="Music")]
        )
        plex.return_value.async_close = AsyncMock()
        slskd.return_value.async_get_application = AsyncMock()
        yield {"spotify": spotify, "plex": plex, "slskd": slskd, "beets_version": beets_version}


async def oauth(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    result: Any,
) -> Any:
    """Walk Spotify's OAuth2 dance for a flow and return the next step."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = config_entry_oauth2_flow._encode_jwt(
        hass, {"flow_id": result["flow_id"], "redirect_uri": REDIRECT}
    )
    assert "scope=user-read-private+playlist-read-private" in result["url"]
    client = await hass_client_no_auth()
    response = await client.get(f"/auth/external/callback?code=abcd&state={state}")
    assert response.status == 200
    aioclient_mock.clear_requests()
    aioclient_mock.post(
        TOKEN_URL,
        json={
            "refresh_token": "refresh",
            "access_token": "access",
            "type": "Bearer",
            "expires_in": 3600,
        },
    )
    return await hass.config_entries.flow.async_configure(result["flow_id"])


PLEX = {"plex_url": "http://plex:32400", "plex_token": "tok", "plex_verify_ssl": True}
SLSKD = {"slskd_url": "http://slskd:5030", "slskd_api_key": "key"}


@pytest.mark.usefixtures("current_request_with_host", "setup_credentials")
async def test_full_flow(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    clients: dict[str, MagicMock],
    paths: dict[str, str],
) -> None:
    """Spotify → Plex → section → slskd → beets creates the entry with default options."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await oauth(hass, hass_client_no_auth, aioclient_mock, result)
    assert result["step_id"] == "plex"
    # The account is read with the fresh token.
    token_provider = clients["spotify"].call_args.args[1]
    assert await token_provider() == "access"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], PLEX)
    assert result["step_id"] == "plex_section"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_section": "3"}
    )
    assert result["step_id"] == "slskd"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SLSKD, "slskd_downloads_dir": paths["downloads"]}
    )
    assert result["step_id"] == "beets"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "beets_library": paths["library"],
            "beets_directory": paths["music"],
            "beets_config": paths["config"],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Harmony User"
    entry = result["result"]
    assert entry.unique_id == "harmony_user"
    assert entry.data["plex_section"] == "3"
    assert entry.data["slskd_downloads_dir"] == paths["downloads"]
    assert entry.data["beets_config"] == paths["config"]
    assert entry.data["token"]["access_token"] == "access"
    assert entry.options == DEFAULT_OPTIONS


@pytest.mark.usefixtures("current_request_with_host", "setup_credentials")
async def test_errors_are_shown_and_recoverable(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    clients: dict[str, MagicMock],
    paths: dict[str, str],
) -> None:
    """Each step shows its translated error, keeps the input, and accepts a fix."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await oauth(hass, hass_client_no_auth, aioclient_mock, result)
    sections = clients["plex"].return_value.async_music_sections
    for error, expected in (
        (CannotConnectError("down"), "cannot_connect"),
        (InvalidAuthError("no"), "invalid_auth"),
        (RuntimeError("bug"), "unknown"),
        ([], "no_music_section"),
    ):
        if isinstance(error, list):
            sections.side_effect, sections.return_value = None, error
        else:
            sections.side_effect = error
        result = await hass.config_entries.flow.async_configure(result["flow_id"], PLEX)
        assert result["errors"] == {"base": expected}
        assert result["step_id"] == "plex"
    sections.return_value = [PlexSection(key="7", title="Tunes")]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], PLEX)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_section": "7"}
    )

    application = clients["slskd"].return_value.async_get_application
    for error, expected in (
        (CannotConnectError("down"), {"base": "cannot_connect"}),
        (InvalidAuthError("no"), {"base": "invalid_auth"}),
        (RuntimeError("bug"), {"base": "unknown"}),
        (None, {"slskd_downloads_dir": "path_not_found"}),
    ):
        application.side_effect = error
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**SLSKD, "slskd_downloads_dir": "/nope/downloads"}
        )
        assert result["errors"] == expected
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SLSKD, "slskd_downloads_dir": paths["downloads"]}
    )
    assert result["step_id"] == "beets"

    version = clients["beets_version"]
    good = {"beets_library": paths["library"], "beets_directory": paths["music"]}
    for data, error, expected in (
        ({**good, "beets_library": "/nope/library.db"}, None, {"beets_library": "path_not_found"}),
        ({**good, "beets_directory": "/nope/music"}, None, {"beets_directory": "path_not_found"}),
        ({**good, "beets_config": "/nope/config.yaml"}, None, {"beets_config": "path_not_found"}),
        (good, BeetsError("beets: command not found"), {"base": "cannot_connect"}),
        (good, RuntimeError("bug"), {"base": "unknown"}),
    ):
        version.side_effect = error
        result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
        assert result["errors"] == expected
    version.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], good)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data["plex_section"] == "7"
    assert result["result"].data["beets_config"] is None


@pytest.mark.usefixtures("current_request_with_host", "setup_credentials")
async def test_duplicate_account_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    clients: dict[str, MagicMock],
    mock_config_entry: MockConfigEntry,
) -> None:
    """A second entry for the same Spotify account is refused."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await oauth(hass, hass_client_no_auth, aioclient_mock, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("current_request_with_host", "setup_credentials")
async def test_spotify_account_unreadable_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    clients: dict[str, MagicMock],
) -> None:
    """If Spotify cannot tell who logged in, the flow stops with a clear reason."""
    clients["spotify"].return_value.async_current_user.side_effect = CannotConnectError("down")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await oauth(hass, hass_client_no_auth, aioclient_mock, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "connection_error"


@pytest.mark.usefixtures("current_request_with_host", "setup_credentials")
@pytest.mark.parametrize(
    ("user_id", "reason"),
    [("harmony_user", "reauth_successful"), ("someone_else", "wrong_account")],
)
async def test_reauth(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    aioclient_mock: AiohttpClientMocker,
    clients: dict[str, MagicMock],
    mock_config_entry: MockConfigEntry,
    user_id: str,
    reason: str,
) -> None:
    """Reauth stores the new token for the same account and refuses another account."""
    mock_config_entry.add_to_hass(hass)
    clients["spotify"].return_value.async_current_user.return_value = SpotifyUser(
        id=user_id, display_name="x"
    )
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await oauth(hass, hass_client_no_auth, aioclient_mock, result)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    expected_token = "access" if reason == "reauth_successful" else "test-access-token"
    assert mock_config_entry.data["token"]["access_token"] == expected_token


async def test_reconfigure_each_service(
    hass: HomeAssistant,
    setup_credentials: None,
    clients: dict[str, MagicMock],
    mock_config_entry: MockConfigEntry,
    paths: dict[str, str],
) -> None:
    """Plex, slskd and beets can each be changed, validated like the first time."""
    mock_config_entry.add_to_hass(hass)

    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_plex"}
    )
    clients["plex"].return_value.async_music_sections.side_effect = InvalidAuthError("no")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**PLEX, "plex_token": "bad"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    clients["plex"].return_value.async_music_sections.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**PLEX, "plex_token": "new"}
    )
    assert result["step_id"] == "plex_section"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_section": "3"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data["plex_token"] == "new"
    assert mock_config_entry.data["plex_section"] == "3"

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_slskd"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SLSKD, "slskd_downloads_dir": "/nope"}
    )
    assert result["errors"] == {"slskd_downloads_dir": "path_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**SLSKD, "slskd_api_key": "new-key", "slskd_downloads_dir": paths["downloads"]},
    )
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data["slskd_api_key"] == "new-key"

    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "reconfigure_beets"}
    )
    clients["beets_version"].side_effect = BeetsError("broken")
    data = {"beets_library": paths["library"], "beets_directory": paths["music"]}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["errors"] == {"base": "cannot_connect"}
    clients["beets_version"].side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data["beets_directory"] == paths["music"]


async def test_options_flow_saves_without_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The form offers only options running code reads; saving keeps the entry loaded."""
    playlist = SpotifyPlaylist(
        "37i9dQZF1DXcBWIGoYBM5M", "Road trip", "me", "Me", "s1", 40, False, True
    )
    with patch(
        "custom_components.harmony_music.clients.spotify.SpotifyClient.async_playlists",
        return_value=[playlist],
    ):
        result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert {str(key) for key in result["data_schema"].schema} == {
        "sync_worker_concurrency",
        "sync_poll_interval",
        "sync_poll_interval_idle",
        "sync_stuck_queued_seconds",
        "sync_stuck_stalled_seconds",
        "sync_min_free_gb",
        "matching_worker_batch_size",
        "matching_confidence_threshold",
        "autosync_min_bitrate",
        "autosync_preferred_formats",
        "scan_worker_interval_seconds",
        "scan_worker_incremental",
        "autosync_time",
        "skip_threshold",
        "autosync_skip_cooldown_days",
        "autosync_playlists",
        "autosync_favourite_playlists",
    }
    # The playlist pickers offer the account's playlists by name.
    picker = next(v for k, v in result["data_schema"].schema.items() if k == "autosync_playlists")
    assert picker.config["options"] == [{"value": playlist.id, "label": "Road trip"}]
    # The number selector hands over floats, as the frontend does.
    new = {
        **{key: DEFAULT_OPTIONS[key] for key in result["data_schema"].schema},
        "matching_worker_batch_size": 10.0,
        "matching_confidence_threshold": 0.9,
        "sync_worker_concurrency": 3.0,
        "scan_worker_interval_seconds": 600.0,
        "scan_worker_incremental": False,
        "autosync_time": "05:30:00",
        "skip_threshold": 5.0,
        "autosync_playlists": [playlist.id],
    }
    with patch.object(hass.config_entries, "async_reload") as reload:
        result = await hass.config_entries.options.async_configure(result["flow_id"], new)
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    reload.assert_not_called()
    assert init_integration.state is ConfigEntryState.LOADED
    batch_size = init_integration.options["matching_worker_batch_size"]
    assert (batch_size, type(batch_size)) == (10, int)
    assert init_integration.runtime_data.matching.claim_limit == 10
    assert init_integration.runtime_data.matching.threshold == 0.9
    assert init_integration.runtime_data.download.concurrency in (0, 3)  # 0 while paused
    assert init_integration.options["skip_threshold"] == 5
    assert init_integration.options["autosync_playlists"] == [playlist.id]
    # The auto-sync reads its time at every tick: the next run moved without a reload.
    autosync = init_integration.runtime_data.autosync
    assert autosync._next_run().strftime("%H:%M") == "05:30"
    # Options left as they were keep their stored values.
    assert init_integration.options["sync_poll_interval"] == DEFAULT_OPTIONS["sync_poll_interval"]
