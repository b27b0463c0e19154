"""Errors shared by every client, so callers map them to translated messages in one place."""

from __future__ import annotations


class ClientError(Exception):
    """Base class of every client error."""


class CannotConnectError(ClientError):
    """The service could not be reached (refused, DNS, TLS, timeout, 5xx after retries)."""


class InvalidAuthError(ClientError):
    """The service rejected our credentials (401/403, revoked token, bad API key)."""


class NotFoundError(ClientError):
    """The requested object does not exist on the service (404)."""


class RateLimitedError(ClientError):
    """The service kept answering 429 after our retries."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotLoggedInError(ClientError):
    """slskd answers but is not connected / logged in to the Soulseek server."""


class EnqueueRefusedError(ClientError):
    """slskd answered an enqueue with 500: the peer is offline or unreachable (slskd's words)."""


class ResponseError(ClientError):
    """The service answered with something we cannot understand."""


class BeetsError(ClientError):
    """beets could not run or failed; the message carries beets' own error text."""


class BeetsPathError(BeetsError):
    """A path beets needs is missing or not writable; ``field`` names which one.

    ``field`` is ``"library"``, ``"directory"`` or ``"config_file"``, so a form can point at it.
    """

    def __init__(self, message: str, field: str, path: str) -> None:
        super().__init__(message)
        self.field = field
        self.path = path
