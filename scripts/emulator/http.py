"""Turning handler functions into starlette endpoints with CometChat's auth and envelopes.

A handler is a plain function `(Call) -> Reply | data`, run under the state lock; it raises
`ApiError` to refuse. The wrappers here authenticate (Management: `key`/`secret`; REST v3:
`apikey` with its scope), parse the JSON body and render `{"data": ...}` or the error envelope.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from scripts.emulator.errors import ApiError, bad_request, from_validation
from scripts.emulator.faults import FaultInjector
from scripts.emulator.state import ApiKeyRecord, AppRecord, EmulatorState

M = TypeVar("M", bound=BaseModel)
Endpoint = Callable[[Request], Any]


class Backend(Protocol):
    """What the endpoints use of the emulator (scripts.emulator.app.Emulator is one).

    A protocol rather than the class itself, so the API modules need not import the app that
    imports them: the arrows run app -> management_api/rest_api -> http -> state.
    """

    management_key: str
    management_secret: str
    state: EmulatorState
    faults: FaultInjector


@dataclass
class Reply:
    data: Any
    status: int = 200
    meta: dict[str, Any] | None = None


@dataclass
class Call:
    """Everything a handler may use; `app`/`key` are set once authentication passed."""

    emulator: Backend
    request: Request
    body: Any
    params: dict[str, str]
    app: AppRecord | None = None
    key: ApiKeyRecord | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def parse(self, model: type[M]) -> M:
        if not isinstance(self.body, dict):
            raise bad_request("The request body must be a JSON object.", body="expected an object")
        try:
            return model.model_validate(self.body)
        except ValidationError as exc:
            raise from_validation(exc) from None

    def query(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    @property
    def the_app(self) -> AppRecord:
        assert self.app is not None, "handler registered without an app"
        return self.app


Handler = Callable[[Call], Any]


def call_of(emulator: Backend, request: Request, raw: bytes) -> Call:
    """Parse the body only after authentication, so a stranger learns nothing from its errors."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        raise bad_request("The request body is not valid JSON.", body="invalid JSON") from None
    return Call(emulator, request, body, dict(request.path_params), headers=dict(request.headers))


def _render(result: Any) -> Response:
    reply = result if isinstance(result, Reply) else Reply(result)
    content: dict[str, Any] = {"data": reply.data}
    if reply.meta is not None:
        content["meta"] = reply.meta
    return JSONResponse(content, status_code=reply.status)


def management(emulator: Backend, handler: Handler, *, needs_app: bool = True) -> Endpoint:
    """A Management API endpoint: `key` and `secret` headers, then (optionally) a live app."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            key, secret = request.headers.get("key"), request.headers.get("secret")
            if not key or not secret:
                raise ApiError(401, "AUTH_ERR_EMPTY_AUTH_HEADER", "The key and secret headers are required.")
            if not (secrets.compare_digest(key.encode(), emulator.management_key.encode())
                    and secrets.compare_digest(secret.encode(), emulator.management_secret.encode())):
                # CometChat's code for wrong management credentials is undocumented.
                raise ApiError(401, "AUTH_ERR_INVALID_CREDENTIALS", "The key and secret do not match.")
            call = call_of(emulator, request, raw)
            with emulator.state.lock:
                if needs_app:
                    call.app = emulator.state.live_app(call.params["app_id"])
                return _render(handler(call))
        except ApiError as err:
            return err.response("apimgmt")

    return endpoint


def rest(emulator: Backend, handler: Handler) -> Endpoint:
    """A REST v3 endpoint: the app in its own region, an `apikey` of that app, fullAccess scope."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            with emulator.state.lock:
                app, key = emulator.state.rest_app(request.path_params["app_id"], request.path_params["region"],
                                                   request.headers.get("apikey"))
                if key.scope != "fullAccess":
                    raise ApiError(403, "AUTH_ERR_NO_ACCESS",
                                   "An authOnly key may only create and log in users; use a fullAccess key.")
                call = call_of(emulator, request, raw)
                call.app, call.key = app, key
                return _render(handler(call))
        except ApiError as err:
            return err.response("chat-api")

    return endpoint


def paginate(call: Call, items: list[Any], *, default_per_page: int = 100, max_per_page: int = 1000) -> Reply:
    """CometChat's `perPage`/`page` in, `meta.pagination` out."""
    try:
        per_page = int(call.query("perPage") or default_per_page)
        page = int(call.query("page") or 1)
    except ValueError:
        raise bad_request("perPage and page must be integers.", perPage="integer", page="integer") from None
    if not 1 <= per_page <= max_per_page or page < 1:
        raise bad_request(f"perPage must be 1..{max_per_page} and page at least 1.", perPage=f"1..{max_per_page}")
    total_pages = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page: page * per_page]
    next_url = (str(call.request.url.include_query_params(page=page + 1, perPage=per_page))
                if page < total_pages else None)
    return Reply(chunk, meta={"pagination": {
        "total": len(items), "count": len(chunk), "per_page": per_page, "current_page": page,
        "total_pages": total_pages, "links": {"next": next_url}}})
