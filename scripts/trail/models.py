"""The trail's boundaries: the index records it reads (both schemas) and the answer it gives."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from components.ingest.correlation import MESSAGE_TRIGGERS, RECEIPT_TRIGGERS, SCHEMA


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 UTC with a `Z`, to the second (CometChat's own resolution)."""
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def from_seconds(seconds: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc) if seconds is not None else None


class IndexRecord(BaseModel):
    """One index record as the ingest writes it. Schema 1 (before correlation) has only the first six fields."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    tenant: str
    event_id: str = Field(alias="eventId")
    trigger: str
    received_at: dt.datetime = Field(alias="receivedAt")
    archive: str
    body_sha256: str = Field(alias="bodySha256", pattern=r"^[0-9a-f]{64}$")
    schema_: str | None = Field(None, alias="schema")
    actor: str | None = None
    sender: str | None = None
    message_id: str | None = Field(None, alias="messageId")
    conversation_id: str | None = Field(None, alias="conversationId")
    receiver: str | None = None
    receiver_type: str | None = Field(None, alias="receiverType")
    sent_at: int | None = Field(None, alias="sentAt")
    occurred_at: int | None = Field(None, alias="occurredAt")
    subjects: tuple[str, ...] = ()

    @property
    def correlated(self) -> bool:
        return self.schema_ == SCHEMA

    @property
    def is_message(self) -> bool:
        return self.correlated and self.trigger in MESSAGE_TRIGGERS and self.message_id is not None

    @property
    def is_receipt(self) -> bool:
        return self.correlated and self.trigger in RECEIPT_TRIGGERS and self.message_id is not None


class Seen(BaseModel):
    uid: str
    at: dt.datetime

    @field_serializer("at")
    def _at(self, value: dt.datetime) -> str | None:
        return iso(value)


class AnsweredMessage(BaseModel):
    message_id: str
    conversation_id: str | None
    sent_at: dt.datetime | None
    sender: str | None
    receiver: str | None
    receiver_type: str | None
    edited: bool
    deleted: bool
    delivered_to: list[Seen]
    read_by: list[Seen]
    archive: str | None

    @field_serializer("sent_at")
    def _sent_at(self, value: dt.datetime | None) -> str | None:
        return iso(value)


class Finding(BaseModel):
    """One index record whose archive object does not prove it."""

    event_id: str
    archive: str
    problem: str


class Integrity(BaseModel):
    checked: int = 0
    verified: int = 0
    mismatched: list[Finding] = Field(default_factory=list)
    missing: list[Finding] = Field(default_factory=list)
    # A newer object version written over an archived key: Object Lock kept the original (which is
    # what was verified), but someone tried to replace the evidence.
    overwritten: list[Finding] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.mismatched or self.missing or self.overwritten)


class TrailAnswer(BaseModel):
    tenant: str
    subject: str
    from_: dt.datetime | None = Field(serialization_alias="from")
    to: dt.datetime | None
    messages: list[AnsweredMessage]
    integrity: Integrity
    predating_events: int

    @field_serializer("from_", "to")
    def _bounds(self, value: dt.datetime | None) -> str | None:
        return iso(value)


Format = Literal["table", "json", "csv"]
