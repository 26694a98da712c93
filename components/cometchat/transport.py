"""One HTTP exchange with CometChat, turned into JSON or a `CometChatError`, with retries.

Shared by the Management and REST v3 clients. Credentials travel only in request headers set
per request; logs carry method, (masked) path and status, never headers or bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from components.cometchat.errors import (
    BAD_RESPONSE,
    TIMEOUT,
    TRANSPORT_ERROR,
    Api,
    CometChatError,
    advice,
)
from components.cometchat.redact import mask_key_paths, protect_http_library_logs, scrub
from components.cometchat.retry import RetryPolicy, run_with_retries

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Body = dict[str, Any]
log = logging.getLogger("hipaachat.cometchat")

# Below this, a request cannot complete; the retry budget decides what happens next.
_MIN_TIMEOUT = 0.05


class Transport:
    """An httpx client bound to one CometChat base URL and one set of credential headers.

    Cheap to construct and to close: dynamic providers create one per operation (they are
    pickled, so they must never hold one).
    """

    def __init__(
        self,
        base_url: str,
        auth: Mapping[str, SecretStr],
        *,
        api: Api,
        timeout: float,
        retry: RetryPolicy | None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        protect_http_library_logs()
        self.api: Api = api
        self.retry = retry or RetryPolicy()
        self._auth = dict(auth)
        self._secrets: set[str] = {value.get_secret_value() for value in self._auth.values()}
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=http_transport,
            follow_redirects=False,  # a redirect would replay our credential headers elsewhere
            headers={"accept": "application/json", "user-agent": "hipaachat"},
        )

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    def remember_secret(self, value: str) -> None:
        """Scrub this value (e.g. a key just created) from every later error message."""
        self._secrets.add(value)

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def close(self) -> None:
        self._http.close()

    def call(
        self,
        method: str,
        path: str,
        parse: Callable[[Body], T],
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        reconcile: Callable[[float], T | None] | None = None,
        deadline: float | None = None,
    ) -> T:
        """One logical call with retries; `parse` turns the JSON body into the result."""

        def attempt(_number: int, until: float) -> T:
            return parse(self._once(method, path, params, json, headers, until))

        return run_with_retries(self.retry, attempt, describe=f"{method} {mask_key_paths(path)}",
                                reconcile=reconcile, deadline=deadline)

    def delete(self, path: str, gone_codes: frozenset[str], *, json: Any = None) -> Body | None:
        """A DELETE whose repeat may find the object already gone.

        If an earlier attempt's answer was lost, the retry fails with one of `gone_codes`;
        that means the first attempt worked, so it returns None instead of raising.
        """

        def attempt(number: int, until: float) -> Body | None:
            try:
                return self._once("DELETE", path, None, json, None, until)
            except CometChatError as err:
                if number > 1 and err.code in gone_codes:
                    log.info("DELETE %s: already done by an earlier attempt (%s)", mask_key_paths(path), err.code)
                    return None
                raise

        return run_with_retries(self.retry, attempt, describe=f"DELETE {mask_key_paths(path)}")

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        deadline: float,
    ) -> Body:
        shown = mask_key_paths(path)
        timeout = max(_MIN_TIMEOUT, min(self._timeout, deadline - self.retry.monotonic()))
        request_headers = {name: value.get_secret_value() for name, value in self._auth.items()}
        request_headers.update(headers or {})
        try:
            response = self._http.request(method, path, params=params, json=json,
                                          headers=request_headers, timeout=timeout)
        except httpx.TimeoutException:
            log.info("%s %s -> no answer within %.2fs", method, shown, timeout)
            raise CometChatError(
                f"CometChat {self.api} API did not answer {method} {shown} within {timeout:.1f}s. "
                f"{advice(TIMEOUT, None, self.api)}",
                code=TIMEOUT, retryable=True) from None
        except httpx.TransportError as exc:
            log.info("%s %s -> %s", method, shown, type(exc).__name__)
            raise CometChatError(
                f"CometChat {self.api} API connection failed during {method} {shown} ({type(exc).__name__}). "
                f"{advice(TRANSPORT_ERROR, None, self.api)}",
                code=TRANSPORT_ERROR, retryable=True) from None
        log.debug("%s %s -> %d", method, shown, response.status_code)
        if response.is_success:
            return self._json(method, shown, response)
        raise self._error(method, shown, response)

    def _json(self, method: str, shown: str, response: httpx.Response) -> Body:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise CometChatError(
                f"CometChat {self.api} API answered {method} {shown} with something other than a JSON object. "
                "Check that `hipaachat:cometchat` points at CometChat (or the emulator), not a proxy page.",
                code=BAD_RESPONSE, status=response.status_code)
        return body

    def _error(self, method: str, shown: str, response: httpx.Response) -> CometChatError:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or f"HTTP_{status}")
            said = str(error.get("message") or error.get("devMessage") or response.reason_phrase)
            details = error.get("details") if isinstance(error.get("details"), dict) else {}
        else:
            code, said, details = f"HTTP_{status}", response.reason_phrase, {}
        retryable = status == 429 or status >= 500
        retry_after = self.retry.server_delay(response.headers) if retryable else None
        log.info("%s %s -> %d %s", method, shown, status, code)
        message = (f"CometChat {self.api} API refused {method} {shown}: {said.rstrip('.')}. "
                   f"{advice(code, status, self.api)}")
        return CometChatError(self.scrub(message), code=code, status=status, retryable=retryable,
                              retry_after=retry_after, details=self._scrub_tree(details))

    def _scrub_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {str(k): self._scrub_tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_tree(v) for v in value]
        return value


def data_of(body: Body) -> Any:
    """CometChat wraps every successful answer in `{"data": ...}`."""
    if "data" not in body:
        raise CometChatError("CometChat answered without a `data` field; the API may have changed. "
                             "Report this with the call that failed.", code=BAD_RESPONSE)
    return body["data"]


def list_data_of(body: Body, what: str) -> list[Any]:
    """`data` of an answer that must be a list; `what` names the call for the error."""
    data = data_of(body)
    if not isinstance(data, list):
        raise CometChatError(f"CometChat answered {what} with a non-list `data`; the API may have changed.",
                             code=BAD_RESPONSE)
    return data


# A runaway `meta.pagination` must not loop forever: 1,000 pages of 100 is far past any plan.
_MAX_PAGES = 1000


def list_all(
    transport: Transport,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    page_size: int = 100,
    deadline: float | None = None,
) -> list[Body]:
    """Every item of a paginated list (`perPage`/`page` in, `meta.pagination` out)."""
    items: list[Body] = []
    page = 1
    for _ in range(_MAX_PAGES):
        body = transport.call("GET", path, lambda b: b, params={**(params or {}), "perPage": page_size, "page": page},
                              deadline=deadline)
        data = list_data_of(body, f"GET {mask_key_paths(path)}")
        items.extend(item for item in data if isinstance(item, dict))
        meta = body.get("meta")
        pagination = meta.get("pagination") if isinstance(meta, dict) else None
        pagination = pagination if isinstance(pagination, dict) else {}
        current = pagination.get("current_page", page)
        total = pagination.get("total_pages")
        if not data or not isinstance(total, int) or not isinstance(current, int) or current >= total:
            return items
        page = current + 1
    raise CometChatError(f"GET {mask_key_paths(path)} kept returning pages past {_MAX_PAGES}; refusing to loop.",
                         code=BAD_RESPONSE)


def segment(value: str) -> str:
    """One path segment, escaped so an id can never add path components."""
    return quote(value, safe="")


def parse_model(model: type[M], value: Any, what: str) -> M:
    """Validate a response item; a shape we cannot read is `HIPAACHAT_BAD_RESPONSE`.

    Only field names go into the message: pydantic's own text would echo input values,
    which can be keys.
    """
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise CometChatError(f"CometChat returned {what} this client cannot read (fields: {fields}); "
                             "the API may have changed.", code=BAD_RESPONSE) from None
