"""Fault injection shared by every simulator.

A rule matches requests by method and path regex and makes them fail: an HTTP status (optionally
with ``Retry-After``), a hang (the client's timeout fires), or a dropped connection. Rules are set
from tests (``FaultInjector.add``), over HTTP (``POST /_sim/faults``) or on the command line
(``--fault "POST /api/v0/searches status=429 retry_after=2 times=3"``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
import re
from typing import Any, Literal

from aiohttp import web

FaultKind = Literal["status", "hang", "drop"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FaultRule:
    """One injected fault."""

    path: str
    method: str | None = None
    kind: FaultKind = "status"
    status: int = 500
    retry_after: float | None = None
    delay: float = 30.0
    times: int | None = None
    hits: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """Parse ``"[METHOD] PATH_REGEX key=value ..."`` as given on the command line."""
        parts = spec.split()
        if not parts:
            raise ValueError("empty fault spec")
        method: str | None = None
        if parts[0].isalpha() and parts[0].isupper() and len(parts) > 1:
            method = parts.pop(0)
        path = parts.pop(0)
        kwargs: dict[str, Any] = {}
        for item in parts:
            key, _, value = item.partition("=")
            if key == "kind":
                kwargs[key] = value
            elif key in ("status", "times"):
                kwargs[key] = int(value)
            elif key in ("retry_after", "delay"):
                kwargs[key] = float(value)
            else:
                raise ValueError(f"unknown fault option {key!r}")
        if kwargs.get("kind", "status") not in ("status", "hang", "drop"):
            raise ValueError(f"unknown fault kind {kwargs['kind']!r}")
        return cls(path=path, method=method, **kwargs)


class FaultInjector:
    """The set of active fault rules of one simulator."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule | str) -> FaultRule:
        """Add a rule (or a spec string); the newest matching rule wins."""
        parsed = FaultRule.parse(rule) if isinstance(rule, str) else rule
        self.rules.append(parsed)
        return parsed

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        """Return the rule to apply to this request, consuming one of its ``times``."""
        for rule in reversed(self.rules):
            if not rule.matches(method, path):
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
            return rule
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp middleware applying the rules (control routes under /_sim are exempt)."""
        if request.path.startswith("/_sim/"):
            return await handler(request)
        rule = self.take(request.method, request.path)
        if rule is None:
            return await handler(request)
        if rule.kind == "hang":
            await asyncio.sleep(rule.delay)
            return await handler(request)
        if rule.kind == "drop":
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        headers = {}
        if rule.retry_after is not None:
            headers["Retry-After"] = str(
                int(rule.retry_after) if rule.retry_after.is_integer() else rule.retry_after
            )
        return web.json_response(
            {"error": f"injected fault {rule.status}"}, status=rule.status, headers=headers
        )

    def add_routes(self, app: web.Application) -> None:
        """Control routes: list, add and clear rules over HTTP."""

        async def list_rules(_: web.Request) -> web.Response:
            return web.json_response([asdict(rule) for rule in self.rules])

        async def add_rule(request: web.Request) -> web.Response:
            body = await request.json()
            try:
                rule = (
                    FaultRule.parse(body["spec"])
                    if "spec" in body
                    else FaultRule(**{k: v for k, v in body.items() if k != "hits"})
                )
            except (TypeError, ValueError, KeyError) as err:
                return web.json_response({"error": str(err)}, status=400)
            self.add(rule)
            return web.json_response(asdict(rule), status=201)

        async def clear_rules(_: web.Request) -> web.Response:
            self.clear()
            return web.Response(status=204)

        app.router.add_get("/_sim/faults", list_rules)
        app.router.add_post("/_sim/faults", add_rule)
        app.router.add_delete("/_sim/faults", clear_rules)
