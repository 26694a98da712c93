"""Typed records that cross the boundary between the program run, the policy pack and reports.

`CapturedResource` is one resource registration as the engine would have seen it; the plan
sends these to the policy pack over the Analyzer protocol and the report lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from components.findings import split_field, where
from components.tags import TENANT_TYPE

Enforcement = Literal["advisory", "mandatory", "remediate", "disabled"]


class CapturedOptions(BaseModel):
    """The resource options the engine forwards to analyzers (AnalyzerResourceOptions)."""

    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = Field(default_factory=list)
    delete_before_replace: bool = False
    additional_secret_outputs: list[str] = Field(default_factory=list)


class CapturedResource(BaseModel):
    """One resource as registered by the program.

    `inputs` use engine (camelCase) property names. Secret values stay wrapped in Pulumi's
    secret signature (`{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "value": ...}`) exactly as the engine would forward them; nothing that prints a plan may
    read them.
    """

    urn: str
    type: str
    name: str
    custom: bool
    # The physical id the provider assigned ("" for components and until a resource is created).
    id: str = ""
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = None
    provider: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    property_dependencies: dict[str, list[str]] = Field(default_factory=dict)
    options: CapturedOptions = Field(default_factory=CapturedOptions)


Phase = Literal["preview", "update"]
"""`preview`: a real `pulumi preview` raises it (values of uncreated resources unknown); `update`:
raised only once values exist, during `pulumi up`."""


class Violation(BaseModel):
    """One policy diagnostic, as the plan JSON contract names its fields."""

    policy: str
    enforcement: Enforcement
    tenant: str | None = None
    urn: str | None = None
    message: str
    phase: Phase = "update"
    # Where to fix it when a tenant-file value causes it (scripts.engine.locate): the file relative
    # to the project, its 1-based line and column, and the dotted tenant-file field.
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def located(self) -> str:
        """`file:line:column: field: what; fix` when the finding has a place in a tenant file, else the message.

        The words are those `hipaachat tenants validate` prints; the policy's description (the
        message's first line) is left to the policy name shown beside it.
        """
        if self.file is None or self.field is None:
            return self.message
        return f"{where(self.file, self.line, self.column)}: {self.finding()}"

    def finding(self) -> str:
        """`field: what; fix` for a tenant-file finding (no description line), else the message."""
        if self.field is None:
            return self.message
        return f"{self.field}: {split_field(self.message)[1]}"


class Deferred(BaseModel):
    """A check the pack could not make at preview because a value it reads is not known yet.

    pulumi-policy reports these as advisory "can't run policy ... during preview"; the update
    phase makes the check with the real values.
    """

    policy: str
    tenant: str | None = None
    urn: str | None = None
    reason: str


class Waived(BaseModel):
    """A violation that a valid, unexpired waiver turned into a reported exception."""

    policy: str
    tenant: str | None = None
    urn: str | None = None
    message: str
    reason: str
    approved_by: str
    expires: str


def tenant_owners(resources: Sequence[CapturedResource]) -> dict[str, str]:
    """URN -> id of the hipaachat:index:Tenant it descends from (walking the parent chain)."""
    parents = {r.urn: r.parent for r in resources}
    owner: dict[str, str | None] = {
        r.urn: str(r.inputs.get("tenantId") or r.name) for r in resources if r.type == TENANT_TYPE}
    for urn in parents:
        chain, node = [], urn
        while node is not None and node not in owner:
            chain.append(node)
            node = parents.get(node)
        found = owner.get(node) if node is not None else None
        for visited in chain:
            owner[visited] = found
    return {urn: tenant for urn, tenant in owner.items() if tenant is not None}
