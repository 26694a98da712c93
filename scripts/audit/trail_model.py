"""The shape of a tenant's trail evidence in audit.json (kept apart so models.py can name it)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TrailEvidence(BaseModel):
    subscribed_triggers: list[str] | None = Field(description="the webhook's triggers; None without a webhook")
    missing_triggers: list[str] = Field(description="triggers the trail needs that the webhook lacks")
    saved_query: str | None = Field(description="name of the tenant's Logs Insights saved query")
    saved_query_log_groups: list[str]
    record_schema: str | None = Field(description="index record schema the deployed ingest writes")
    pseudonym_key_secret: str | None
    key_reader_roles: list[str] = Field(description="roles whose inline policy can read the pseudonym key")
