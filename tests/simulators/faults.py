"""Fault injection shared by every simulator.

A rule matches requests by method and path regex and makes them fail: an HTTP status (optionally
with ``Retry-After``), a hang (the client's timeout fires), or a dropped connection. Rules are set
from tests (``FaultInjector.add``), over HTTP (``POST /_sim/faults``) or on the command line
(``--fault "POST /api/v0/searches status=429 retry_after=2 times=3"``).

``FaultInjector.chaos(rate, seed)`` adds seeded random faults on top: each request that no rule
matched fails with probability ``rate``, one of a 5xx (500, 502 or 503), a hang of
``hang_delay`` seconds, a dropped connection or a 429 with ``Retry-After``, equally likely.
``injected`` counts what was done, by kind.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
import random
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


@dataclass
class Chaos:
    """Random faults on every route: the rate, the generator and the shapes they take."""

    rate: float
    rng: random.Random
    hang_delay: float = 30.0
    retry_after: float = 1.0
    exempt: tuple[str, ...] = ()  # path regexes left alone

    def draw(self, method: str, path: str) -> FaultRule | None:
        """A fault for this request, or None (most of the time)."""
        if any(re.search(pattern, path) for pattern in self.exempt):
            return None
        if self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(("5xx", "hang", "drop", "429"))
        if kind == "5xx":
            return FaultRule(path, method, status=self.rng.choice((500, 502, 503)))
        if kind == "429":
            return FaultRule(path, method, status=429, retry_after=self.retry_after)
        return FaultRule(path, method, kind=kind, delay=self.hang_delay)  # type: ignore[arg-type]


class FaultInjector:
    """The set of active fault rules of one simulator."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.random: Chaos | None = None
        self.injected: Counter[str] = Counter()  # "status 503", "hang", "drop", "status 429"

    def chaos(
        self,
        rate: float,
        seed: int,
        *,
        hang_delay: float = 30.0,
        retry_after: float = 1.0,
        exempt: tuple[str, ...] = (),
    ) -> None:
        """Fail a ``rate`` share of the requests no rule matches, at random (seeded)."""
        self.random = Chaos(rate, random.Random(seed), hang_delay, retry_after, exempt)

    def add(self, rule: FaultRule | str) -> FaultRule:
        """Add a rule (or a spec string); the newest matching rule wins."""
        parsed = FaultRule.parse(rule) if isinstance(rule, str) else rule
        self.rules.append(parsed)
        return parsed

    def clear(self) -> None:
        """Remove every rule, and the random faults."""
        self.rules.clear()
        self.random = None

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
        return self.random.draw(method, path) if self.random is not None else None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp middleware applying the rules (control routes under /_sim are exempt)."""
        if request.path.startswith("/_sim/"):
            return await handler(request)
        rule = self.take(request.method, request.path)
        if rule is None:
            return await handler(request)
        self.injected[f"status {rule.status}" if rule.kind == "status" else rule.kind] += 1
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
