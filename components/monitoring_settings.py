"""Where a tenant's alarms go (`hipaachat:oncall`) and when they fire (`hipaachat:monitoring`).

A production stack must say who is paged: a silent default would deploy alarms that notify
nobody, which is worse than no alarm because it looks like monitoring. Thresholds default per
environment (a prototype is quiet for days, production is not) and a stack may override each.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

ONCALL_KEY = "hipaachat:oncall"
ONCALL_EXAMPLE = ("hipaachat:oncall: {email: [oncall@example.org], https: [https://pager.example.org/hooks/hipaachat], "
                  "topicArn: arn:aws:sns:us-east-2:111122223333:example-oncall}")
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_HTTPS = r"^https://[A-Za-z0-9.-]+(:\d+)?(/\S*)?$"
_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$"


class OnCall(BaseModel):
    """Subscriptions of every tenant's alarm topic, and/or an existing topic that also gets each alarm."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    email: list[str] = Field(default_factory=list)
    https: list[str] = Field(default_factory=list)
    topic_arn: str | None = Field(None, alias="topicArn", pattern=_TOPIC_ARN)

    @model_validator(mode="after")
    def _endpoints(self) -> "OnCall":
        bad = [e for e in self.email if not re.match(_EMAIL, e)] + [u for u in self.https if not re.match(_HTTPS, u)]
        if bad:
            raise ValueError(f"{len(bad)} endpoint(s) are not an email address / https:// URL; e.g. {ONCALL_EXAMPLE}")
        if not (self.email or self.https or self.topic_arn):
            raise ValueError(f"names no email, https or topicArn; e.g. {ONCALL_EXAMPLE}")
        return self


class Thresholds(BaseModel):
    """When an alarm fires; None = the environment's default (ENVIRONMENT_DEFAULTS)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    silence_hours: int | None = Field(None, alias="silenceHours", ge=1, le=168)
    """No index record for this many hours = the pipeline is silent (max 7 days: 168 hourly periods)."""
    function_errors: int | None = Field(None, alias="functionErrors", ge=1)
    throttles: int | None = Field(None, ge=1)
    api_5xx: int | None = Field(None, alias="api5xx", ge=1)
    auth_failures: int | None = Field(None, alias="authFailures", ge=1)
    """401s in one period above which someone is probing the ingest credentials."""
    period_minutes: int | None = Field(None, alias="periodMinutes", ge=1, le=60)

    def resolved(self, environment: str) -> "ResolvedThresholds":
        defaults = ENVIRONMENT_DEFAULTS[environment]
        return ResolvedThresholds(**{name: getattr(self, name) if getattr(self, name) is not None
                                     else getattr(defaults, name) for name in ResolvedThresholds.model_fields})


class ResolvedThresholds(BaseModel):
    model_config = ConfigDict(frozen=True)

    silence_hours: int
    function_errors: int
    throttles: int
    api_5xx: int
    auth_failures: int
    period_minutes: int


ENVIRONMENT_DEFAULTS: dict[str, ResolvedThresholds] = {
    # Production clinics message every working day: 12 silent hours is an outage, not a weekend.
    "production": ResolvedThresholds(silence_hours=12, function_errors=1, throttles=1, api_5xx=1, auth_failures=10,
                                     period_minutes=5),
    # Prototypes see synthetic traffic now and then: page only on a silent week-end plus a day.
    "prototype": ResolvedThresholds(silence_hours=72, function_errors=5, throttles=5, api_5xx=5, auth_failures=50,
                                    period_minutes=5),
}


def oncall_problem(environment: str, oncall: OnCall | None) -> str | None:
    """Why these settings cannot deploy: production must say who is paged (None = fine).

    Checked by the CLI (bad input, exit 2) and the program, not by the settings model: the policy
    pack reads the same settings and judges the deployed alarms, not the stack file.
    """
    if environment == "production" and oncall is None:
        return f"config.{ONCALL_KEY}: a production stack must say who is paged; add e.g. {ONCALL_EXAMPLE}"
    return None
