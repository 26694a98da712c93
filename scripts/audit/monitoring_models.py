"""The shape of a tenant's monitoring evidence in audit.json (read by scripts.audit.monitoring)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SubscriptionEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: str | None
    endpoint: str = Field(description="kind and domain only, e.g. 'email @example.org', 'https pager.example.org'")


class MonitoringEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str | None = Field(description="name of the tenant's alarm topic")
    topic_encrypted: bool | None
    alarms: list[str]
    tamper_rule: str | None
    tamper_targets: int
    subscriptions: list[SubscriptionEvidence]
    problems: list[str] = Field(description="why nobody would be told: missing alarms, rule or subscriptions")
