"""What a promotion decides and what it leaves behind: gates, the record, the check's findings.

The record is evidence an auditor reads years later, so its shape is a contract:
`{id, previous, time, actor, commit, from, to, tenants: [{id, sha256}], gates: [{name, passed,
detail}], plan_sha256, waivers}`. Fields only the operator needs at the terminal (a gate's fix,
a waiver's days left) live on the in-memory models and never reach the record file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Gate(BaseModel):
    """One condition a promotion must meet; `fix` tells the operator what to change when it fails."""

    name: str
    passed: bool
    detail: str
    fix: str | None = None
    # Passed, but something needs attention soon (e.g. a waiver expiring within 30 days).
    warning: bool = False


class RecordedGate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    passed: bool
    detail: str


class TenantDigest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    sha256: str


class WaiverUse(BaseModel):
    """A waiver the promoted tenant relies on in the destination stack."""

    model_config = ConfigDict(extra="forbid")

    policy: str
    tenant: str | None = None
    urn: str | None = None
    expires: str
    approved_by: str
    reason: str


class PromotionRecord(BaseModel):
    """One line of stacks/promotions/<DST>.jsonl (hash-chained through `previous`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    previous: str | None
    time: str
    actor: str
    commit: str | None
    from_: str = Field(alias="from")
    to: str
    tenants: list[TenantDigest]
    gates: list[RecordedGate]
    # A move between shards (`shards move`) plans nothing: no gates, no plan hash.
    plan_sha256: str | None
    waivers: list[WaiverUse] = Field(default_factory=list)
    # "promotion" (absent in records written before moves existed) or "move": a move is recorded in
    # both stacks' files, so the source's chain says the tenant left and the target's that it arrived.
    kind: Literal["promotion", "move"] = "promotion"


class Problem(BaseModel):
    """One reason `promote --check` fails, with the file to look at and how to fix it."""

    file: str
    tenant: str | None = None
    message: str
    fix: str


class Pending(BaseModel):
    """A source tenant file that production does not have yet, byte for byte: promote it when ready."""

    tenant: str
    source: str
    destination: str | None
    state: Literal["new", "changed"]
    command: str
