"""Where each resource sits: its owning tenant and its ancestors, learned from Analyze calls.

A resource policy sees one resource's inputs and its parent's URN, not the parent itself. The
engine analyzes every registration (components included) in registration order, and a parent
is always registered before its children, so remembering each URN's placement lets a resource
rule answer "which tenant is this?" and "is this inside AuditSinks?" from the structure of the
program rather than from a tag the resource could get wrong. A resource whose parent was never
seen has no tenant: rules treat that as "outside every tenant" (fail closed).

`TenantFacts` are the tenant's declared facts, carried on the `hipaachat:index:Tenant`
component's inputs (components/tenant.py): residency, regions, BAA, features, templates.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policies.hipaa.contracts import TENANT_TYPE
from policies.hipaa.values import UNKNOWN, plain


class Baa(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    signed: str | None = None
    reference: str | None = None


class TenantFacts(BaseModel):
    """The declared facts of one tenant, read leniently: a missing fact is None, not an error."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    tenant_id: str = Field(alias="tenantId")
    residency: str | None = None
    environment: str | None = None
    aws_region: str | None = Field(None, alias="awsRegion")
    cometchat_region: str | None = Field(None, alias="cometchatRegion")
    baa: Baa | None = None
    features: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_props(cls, name: str, props: Mapping[str, Any]) -> "TenantFacts":
        data = {k: v for k, v in plain(props).items() if v is not UNKNOWN}
        data.setdefault("tenantId", name)
        if not isinstance(data.get("baa"), Mapping):
            data["baa"] = None
        if not isinstance(data.get("features"), Mapping):
            data["features"] = {}
        try:
            return cls.model_validate(data)
        except ValidationError:
            return cls(tenantId=str(data["tenantId"]))


class Placement(BaseModel):
    """One resource's place in the tree: its tenant (None = outside every tenant) and ancestor types."""

    model_config = ConfigDict(frozen=True)

    type: str
    tenant: str | None
    ancestors: tuple[str, ...] = ()

    def within(self, component_type: str) -> bool:
        return component_type in self.ancestors


class Lineage:
    """URN -> Placement and tenant id -> facts, shared by all resource rules of one pack process."""

    def __init__(self) -> None:
        self._placements: dict[str, Placement] = {}
        self._facts: dict[str, TenantFacts] = {}
        self._lock = threading.Lock()

    def observe(self, resource_type: str, name: str, urn: str, parent: str | None,
                props: Mapping[str, Any]) -> Placement:
        """Record (or refresh) where `urn` sits, from its type, parent URN and, for tenants, its inputs."""
        parent_placement = self._placements.get(parent) if parent else None
        ancestors = ((parent_placement.type,) + parent_placement.ancestors) if parent_placement else ()
        if resource_type == TENANT_TYPE:
            facts = TenantFacts.from_props(name, props)
            placement = Placement(type=resource_type, tenant=facts.tenant_id, ancestors=ancestors)
            with self._lock:
                self._facts[facts.tenant_id] = facts
        else:
            tenant = parent_placement.tenant if parent_placement else None
            placement = Placement(type=resource_type, tenant=tenant, ancestors=ancestors)
        with self._lock:
            self._placements[urn] = placement
        return placement

    def facts(self, tenant: str | None) -> TenantFacts | None:
        return self._facts.get(tenant) if tenant else None
