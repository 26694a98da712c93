"""`hipaachat:cometchatClient`: the CometChat client's timeouts and retry budget.

Its own module, below both readers: `components.settings` validates the value when a stack file
is read, and the providers (`components.cometchat.providers`) build their client from it. Keeping
it here lets settings import it without importing the providers, which import settings.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.cometchat.retry import RetryPolicy

# The stack config key (namespace `hipaachat`, as components.settings.NAMESPACE names it).
CLIENT_CONFIG_KEY = "hipaachat:cometchatClient"


class ClientConfigError(ValueError):
    """`hipaachat:cometchatClient` cannot be used; the message says what to write instead."""


class ClientTuning(BaseModel):
    """`hipaachat:cometchatClient`: per-call timeout and retry budget (defaults suit CometChat)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    timeout_seconds: float = Field(10.0, alias="timeoutSeconds", gt=0)
    max_attempts: int = Field(5, alias="maxAttempts", ge=1)
    max_total_seconds: float = Field(60.0, alias="maxTotalSeconds", gt=0)
    base_delay_seconds: float = Field(0.5, alias="baseDelaySeconds", ge=0)
    max_delay_seconds: float = Field(20.0, alias="maxDelaySeconds", ge=0)

    @classmethod
    def from_config(cls, raw: Any) -> "ClientTuning":
        """Config values arrive as JSON strings (objects) or not at all."""
        if raw is None:
            return cls()
        try:
            return cls.model_validate(json.loads(raw) if isinstance(raw, str) else raw)
        except ValueError as exc:  # pydantic.ValidationError is one too
            problems = (", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                        if isinstance(exc, ValidationError) else "not valid JSON")
            raise ClientConfigError(
                f"{CLIENT_CONFIG_KEY} is invalid ({problems}). Expected an object such as "
                '{"timeoutSeconds": 10, "maxAttempts": 5, "maxTotalSeconds": 60}, or remove the key '
                "to use the defaults.") from None

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, max_total_seconds=self.max_total_seconds,
                           base_delay_seconds=self.base_delay_seconds, max_delay_seconds=self.max_delay_seconds)
