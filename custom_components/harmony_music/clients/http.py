"""One JSON-over-HTTP request with the retry policy our clients share.

429 waits for ``Retry-After`` (a wait longer than the policy accepts raises at once); 5xx, timeouts
and dropped connections retry with capped exponential backoff; 401 raises InvalidAuthError and 403
the caller's ``forbidden`` error (InvalidAuthError unless the service means something else by it);
404 raises NotFoundError.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..const import LOGGER
from .errors import (
    CannotConnectError,
    ClientError,
    InvalidAuthError,
    NotFoundError,
    RateLimitedError,
    ResponseError,
)

# Headers, or a coroutine that makes them per attempt (a token provider may refresh in between).
Headers = Mapping[str, str] | Callable[[], Awaitable[Mapping[str, str]]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a client tries before giving up."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


async def _error_text(response: aiohttp.ClientResponse) -> str:
    """The service's own words: ``{"error": {"message"}}`` or ``{"error": "..."}``, else text."""
    text = (await response.text(errors="replace")).strip()
    try:
        body = await response.json(content_type=None)
    except ValueError:
        return text[:200]
    if isinstance(body, str):  # ASP.NET services (slskd) send a bare JSON string
        return body[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(error) if error else text[:200]


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: Headers | None = None,
    json: Any = None,
    params: Mapping[str, str] | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - a per-request HTTP timeout, not a wait
    policy: RetryPolicy | None = None,
    service: str = "service",
    forbidden: type[ClientError] = InvalidAuthError,
    server_error: type[ClientError] | None = None,
) -> Any:
    """Send a request and return the decoded JSON body (None for an empty body).

    ``server_error``: a 5xx raises it at once with the service's message, for a route whose 500
    is an answer (slskd's enqueue: the peer is offline), not an outage worth retrying.
    """
    policy = policy or RetryPolicy()
    last_error = f"{service} unreachable"
    for attempt in range(1, policy.attempts + 1):
        wait = policy.backoff(attempt)
        try:
            sent = await headers() if callable(headers) else headers
            async with session.request(
                method,
                url,
                headers=sent,
                json=json,
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                status = response.status
                if status < 300:
                    body = await response.read()
                    if not body.strip():
                        return None
                    try:
                        return await response.json(content_type=None)
                    except ValueError as err:
                        raise ResponseError(f"{service} sent invalid JSON for {url}") from err
                if status == 429:
                    retry_after = _retry_after(response)
                    last_error = f"{service} is rate limiting (Retry-After {retry_after})"
                    if attempt == policy.attempts or (
                        retry_after is not None and retry_after > policy.max_retry_after
                    ):
                        raise RateLimitedError(last_error, retry_after)
                    if retry_after is not None:
                        wait = retry_after
                elif status >= 500:
                    if server_error is not None:
                        raise server_error(f"{service}: {await _error_text(response)}")
                    last_error = f"{service} answered {status} for {url}"
                else:
                    message = await _error_text(response)
                    if status == 401:
                        raise InvalidAuthError(f"{service} rejected the credentials: {message}")
                    if status == 403:
                        raise forbidden(f"{service} refused {url}: {message}")
                    if status == 404:
                        raise NotFoundError(f"{service}: {url} not found")
                    raise ResponseError(f"{service} answered {status} for {url}: {message}")
        except (aiohttp.ClientError, TimeoutError) as err:
            last_error = f"{service} unreachable: {type(err).__name__} {err}".strip()
        if attempt < policy.attempts:
            LOGGER.debug("%s; retry %d in %.2f s", last_error, attempt, wait)
            await asyncio.sleep(wait)
    raise CannotConnectError(last_error)
