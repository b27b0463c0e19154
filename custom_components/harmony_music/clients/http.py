"""One JSON-over-HTTP request with the retry policy our clients share.

429 waits for ``Retry-After`` (capped); 5xx, timeouts and dropped connections retry with capped
exponential backoff; 401/403 raise InvalidAuthError at once; 404 raises NotFoundError.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import (
    CannotConnectError,
    InvalidAuthError,
    NotFoundError,
    RateLimitedError,
    ResponseError,
)


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
        return float(value) if value is not None else None
    except ValueError:
        return None


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json: Any = None,
    params: dict[str, str] | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - a per-request HTTP timeout, not a wait
    policy: RetryPolicy | None = None,
    service: str = "service",
) -> Any:
    """Send a request and return the decoded JSON body (None for an empty body)."""
    policy = policy or RetryPolicy()
    last_error = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                json=json,
                params=params,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                if response.status in (401, 403):
                    raise InvalidAuthError(
                        f"{service} rejected the credentials ({response.status})"
                    )
                if response.status == 404:
                    raise NotFoundError(f"{service}: {url} not found")
                if response.status == 429:
                    wait = _retry_after(response)
                    last_error = f"{service} is rate limiting (429)"
                    if attempt == policy.attempts:
                        raise RateLimitedError(last_error, wait)
                    await asyncio.sleep(
                        min(
                            policy.max_retry_after,
                            wait if wait is not None else policy.backoff(attempt),
                        )
                    )
                    continue
                if response.status >= 500:
                    last_error = f"{service} answered {response.status}"
                elif response.status >= 400:
                    raise ResponseError(
                        f"{service} answered {response.status}: {await response.text()}"
                    )
                else:
                    body = await response.read()
                    if not body.strip():
                        return None
                    try:
                        return await response.json(content_type=None)
                    except ValueError as err:
                        raise ResponseError(f"{service} sent invalid JSON") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            last_error = f"{service} unreachable: {type(err).__name__} {err}".strip()
        if attempt < policy.attempts:
            await asyncio.sleep(policy.backoff(attempt))
    raise CannotConnectError(last_error or f"{service} unreachable")
