"""CometChat's error envelope, as the emulator sends it.

`{"error": {"message", "devMessage", "source", "code", "details"}}` is the REST v3 shape
(confirmed by third-party SDK fixtures); the Management API's is undocumented, so the emulator
uses the same one there. Messages never echo submitted values: those may be passwords or keys.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse


class ApiError(Exception):
    """A refusal with CometChat's status and code; handlers raise it, the app renders it."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}

    def response(self, source: str, headers: dict[str, str] | None = None) -> JSONResponse:
        body = {"error": {"message": self.message, "devMessage": self.message, "source": source,
                          "code": self.code, "details": self.details}}
        return JSONResponse(body, status_code=self.status, headers=headers)


def bad_request(message: str, **details: Any) -> ApiError:
    return ApiError(400, "ERR_BAD_REQUEST", message, {k: [v] for k, v in details.items()})


def from_validation(exc: ValidationError) -> ApiError:
    """A pydantic refusal as ERR_BAD_REQUEST: field -> messages, without the input values."""
    details: dict[str, list[str]] = {}
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "body"
        details.setdefault(field, []).append(error["msg"])
    return ApiError(400, "ERR_BAD_REQUEST", "Failed to validate the data: " + ", ".join(sorted(details)), details)
