"""The emulator as one ASGI application: routing by `Host`, faults, and the admin endpoints.

Routing:
* `Host: {appId}.api-{region}.cometchat.io` -> REST v3 of that app, exactly as CometChat routes
  (the path is rewritten to the local form, so the wrong region is refused the same way);
* `/_apps/{appId}/{region}/v3/...` -> the same REST v3, for clients on 127.0.0.1;
* `/_emulator/...` -> admin (state, faults, reset, clock), never subject to faults;
* everything else -> the Management API at the root, as on `apimgmt.cometchat.io`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Message, Receive, Scope, Send

from components.cometchat.redact import mask_key_paths
from scripts.emulator import management_api, rest_api
from scripts.emulator.errors import ApiError
from scripts.emulator.faults import Fault, FaultConfig, FaultInjector
from scripts.emulator.http import M, call_of
from scripts.emulator.state import EmulatorState

log = logging.getLogger("hipaachat.emulator")

DEFAULT_MANAGEMENT_KEY = "local-mgmt-key"
DEFAULT_MANAGEMENT_SECRET = "local-mgmt-secret"
RATE_LIMIT = 20000  # CometChat's standard-operations limit per minute
_APP_HOST = re.compile(r"^([a-z0-9]+)\.api-([a-z]+)\.cometchat\.io(?::\d+)?$", re.IGNORECASE)


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance_seconds: float = Field(ge=0)


class Emulator:
    """CometChat's Management API and REST v3 in memory, with fault injection."""

    def __init__(self, *, management_key: str = DEFAULT_MANAGEMENT_KEY,
                 management_secret: str = DEFAULT_MANAGEMENT_SECRET, faults: FaultConfig | None = None) -> None:
        self.management_key, self.management_secret = management_key, management_secret
        self.state = EmulatorState()
        self.startup_faults = faults or FaultConfig()
        self.faults = FaultInjector(self.startup_faults)
        self.requests: deque[dict[str, Any]] = deque(maxlen=1000)
        self._window = (0, 0)  # (minute, requests in it) for X-Rate-Limit-Remaining
        self._api = Router(routes=[*management_api.routes(self), *rest_api.routes(self)])
        self._admin = Router(routes=[
            Route("/_emulator/state", self._get_state, methods=["GET"]),
            Route("/_emulator/faults", self._get_faults, methods=["GET"]),
            Route("/_emulator/faults", self._set_faults, methods=["POST"]),
            Route("/_emulator/reset", self._reset, methods=["POST"]),
            Route("/_emulator/clock", self._advance_clock, methods=["POST"]),
        ])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        scope = self._route_by_host(scope)
        path, method = scope["path"], scope["method"]
        if path.startswith("/_emulator/"):
            await self._admin(scope, receive, send)
            return
        fault = self.faults.decide(method, path)
        source = "chat-api" if path.startswith("/_apps/") else "apimgmt"
        if fault in ("429", "5xx"):
            response = self._refusal(fault, source)
            self._record(method, path, fault, response.status_code)
            await response(scope, receive, send)
            return
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self._api(scope, receive, capture)
        start = next(m for m in messages if m["type"] == "http.response.start")
        start["headers"] = [*start.get("headers", []), *self._rate_headers()]
        self._record(method, path, fault, start["status"])
        if fault == "timeout":
            await asyncio.sleep(self.faults.config.slow_seconds)
        if fault == "drop":
            # The work is done; the client gets the status line and then a closed connection,
            # which httpx reports as a transport error: it never learns the outcome.
            await send(start)
            return
        for message in messages:
            await send(message)

    @staticmethod
    def _route_by_host(scope: Scope) -> Scope:
        headers = dict(scope.get("headers") or [])
        match = _APP_HOST.match(headers.get(b"host", b"").decode("latin-1"))
        if not match:
            return scope
        path = f"/_apps/{match.group(1).lower()}/{match.group(2).lower()}{scope['path']}"
        return {**scope, "path": path, "raw_path": path.encode()}

    def _refusal(self, fault: Fault, source: str) -> Response:
        if fault == "429":
            wait = self.faults.config.retry_after_seconds
            headers = {"Retry-After": str(wait), "X-Rate-Limit-Reset": str(int(time.time()) + wait),
                       "X-Rate-Limit": str(RATE_LIMIT), "X-Rate-Limit-Remaining": "0"}
            return ApiError(429, "ERR_TOO_MANY_REQUESTS", "Too many requests; retry later.").response(source, headers)
        # CometChat's 5xx body is undocumented; the envelope keeps clients' parsing uniform.
        return ApiError(503, "ERR_SERVICE_UNAVAILABLE", "The service is temporarily unavailable.").response(source)

    def _rate_headers(self) -> list[tuple[bytes, bytes]]:
        minute = int(time.time() // 60)
        used = self._window[1] + 1 if self._window[0] == minute else 1
        self._window = (minute, used)
        return [(b"x-rate-limit", str(RATE_LIMIT).encode()),
                (b"x-rate-limit-remaining", str(max(0, RATE_LIMIT - used)).encode())]

    def _record(self, method: str, path: str, fault: Fault | None, status: int) -> None:
        shown = mask_key_paths(path)
        self.requests.append({"method": method, "path": shown, "fault": fault, "status": status})
        log.info("%s %s -> %d%s", method, shown, status, f" (fault: {fault})" if fault else "")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- admin endpoints (loopback tooling for tests and `hipaachat local`) ---------------------

    async def _get_state(self, _: Request) -> Response:
        snapshot = self.state.snapshot()
        snapshot["requests"] = list(self.requests)
        return JSONResponse(snapshot)

    async def _admin_body(self, request: Request, model: type[M]) -> M:
        """An admin body: an optional JSON object, parsed by the same rules as the APIs' bodies."""
        return call_of(self, request, await request.body() or b"{}").parse(model)

    async def _get_faults(self, _: Request) -> Response:
        config = self.faults.config.model_copy(update={"script": self.faults.pending_script()})
        return JSONResponse(config.model_dump())

    async def _set_faults(self, request: Request) -> Response:
        try:
            config = await self._admin_body(request, FaultConfig)
        except ApiError as err:
            return err.response("emulator")
        self.faults.configure(config)
        return JSONResponse(config.model_dump())

    async def _reset(self, _: Request) -> Response:
        """Forget every app and request, and restore the faults the emulator started with."""
        self.state.reset()
        self.requests.clear()
        self.faults.configure(self.startup_faults)
        return JSONResponse({"success": True})

    async def _advance_clock(self, request: Request) -> Response:
        """Move the emulator's clock forward, e.g. past an archived app's 30 days."""
        try:
            advance = await self._admin_body(request, ClockAdvance)
        except ApiError as err:
            return err.response("emulator")
        with self.state.lock:
            self.state.clock_offset += advance.advance_seconds
        return JSONResponse({"now": self.state.now()})
