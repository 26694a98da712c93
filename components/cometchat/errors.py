"""The one exception the CometChat client raises, and the advice it carries.

Callers (the dynamic providers, the CLI) branch on `code`, never on message text. Codes are
CometChat's own `error.code` values when the server sent one, or `HIPAACHAT_*` codes for what
happened on our side. Messages are for the operator: they say what failed and what to do, and
they are scrubbed of every credential the client knows (see `redact.py`) because providers put
exception text into Pulumi's output and logs.
"""

from __future__ import annotations

from typing import Any, Literal

Api = Literal["management", "rest"]

# Codes raised by this client rather than by CometChat.
TIMEOUT = "HIPAACHAT_TIMEOUT"
TRANSPORT_ERROR = "HIPAACHAT_TRANSPORT_ERROR"
BAD_RESPONSE = "HIPAACHAT_BAD_RESPONSE"
INVALID_ARGUMENT = "HIPAACHAT_INVALID_ARGUMENT"
KEYS_UNRECOVERABLE = "HIPAACHAT_KEYS_UNRECOVERABLE"
APP_NAME_CONFLICT = "HIPAACHAT_APP_NAME_CONFLICT"
PARTIAL_FAILURE = "HIPAACHAT_PARTIAL_FAILURE"


class CometChatError(Exception):
    """A CometChat call failed.

    `code`: CometChat's `error.code` (e.g. `ERR_APP_NOT_FOUND`) or a `HIPAACHAT_*` code.
    `status`: the HTTP status, or None when no response arrived (timeout, dropped connection).
    `retryable`: True when the same call may succeed later (429, 5xx, transport failures).
    `retry_after`: seconds the server asked us to wait, when it said so.
    `details`: CometChat's `error.details` or our own context (app id, region); never secrets.
    `attempts`: how many attempts were made before giving up.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.details = details or {}
        self.attempts = attempts

    def __str__(self) -> str:
        where = f"HTTP {self.status} " if self.status is not None else ""
        return f"[{where}{self.code}] {self.message}"

    def __repr__(self) -> str:
        return f"CometChatError(code={self.code!r}, status={self.status!r}, retryable={self.retryable!r})"


def _credentials_hint(api: Api) -> str:
    if api == "management":
        return ("Check the Management API key and secret: `pulumi config set --secret "
                "hipaachat:cometchatManagementKey ...` and `hipaachat:cometchatManagementSecret` "
                "(issued by CometChat Sales for multi-tenant plans; a per-app REST key does not work here).")
    return ("Use the app's fullAccess ('REST API Key') key from the tenant's Secrets Manager secret; "
            "an authOnly key may only create and log in users.")


_ADVICE: dict[str, str] = {
    "ERR_APP_NOT_FOUND": ("Check the app id and its region: per-app REST calls must go to the app's own "
                          "region host, and archived apps disappear after 30 days."),
    "ERR_APP_ARCHIVED": ("The app was deleted and is archived until its permanent deletion (30 days). "
                         "Create a new app, or ask CometChat support to restore it within the window."),
    "ERR_APP_CREATION_FAILED_MAX_LIMIT": ("The plan's app limit is reached: delete unused apps or raise the "
                                          "limit with CometChat Sales."),
    "ERR_APP_DELETION": "The app has a paid subscription: contact CometChat support before deleting it.",
    "ERR_APIKEY_NO_SELF_ACTION": ("A key cannot change or delete itself: call with another fullAccess key "
                                  "(rotate: create new, switch, delete old with the new one)."),
    "ERR_ROLE_DELETE_DENIED": "CometChat's built-in `default` role cannot be deleted; leave it alone.",
    "ERR_EXTENSION_INACTIVE": "Enable the extension (`set_extensions(enabled=[...])`) before configuring it.",
    "ERR_TOO_MANY_REQUESTS": "CometChat is rate-limiting: retry later or lower parallelism (`pulumi up --parallel 4`).",
}


def advice(code: str, status: int | None, api: Api) -> str:
    """What the operator should do about this failure; specific codes first, then by status."""
    if code in _ADVICE:
        return _ADVICE[code]
    if status in (401, 403) or code.startswith("AUTH_ERR"):
        return _credentials_hint(api)
    if status == 429:
        return _ADVICE["ERR_TOO_MANY_REQUESTS"]
    if status is None or status >= 500:
        return ("CometChat did not answer properly: retry later; if it persists, check status.cometchat.com "
                "and the endpoint in `hipaachat:cometchat`.")
    if status == 409:
        return "The object already exists: adopt it (read it) instead of creating it again."
    return "Fix the request as `details` describes and run again."
