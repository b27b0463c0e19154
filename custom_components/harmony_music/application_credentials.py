"""Application credentials: Spotify's OAuth2 authorization server."""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer
from homeassistant.core import HomeAssistant

from .spotify_urls import spotify_accounts_url


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Spotify's authorize and token endpoints."""
    base = spotify_accounts_url()
    return AuthorizationServer(authorize_url=f"{base}/authorize", token_url=f"{base}/api/token")


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Text shown when the user adds credentials."""
    return {
        "developer_dashboard_url": "https://developer.spotify.com/dashboard",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }
