"""The evidence record: what `hipaachat audit` knows, as typed models; every format renders these.

The JSON output is `AuditReport.model_dump_json()`; its JSON Schema (`hipaachat audit --schema`)
is generated from these models, so the schema and the file can never disagree. Nothing here
holds a secret value: secret hygiene findings name a URN and a property, never what it holds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scripts.audit.trail_model import TrailEvidence
from scripts.audit.monitoring_models import MonitoringEvidence

SCHEMA_VERSION = "1.0"

ControlStatus = Literal["pass", "fail", "waived", "advisory", "not_applicable"]
# declared-export: a state file `hipaachat plan --export-state` wrote (the declared state, not a deployment).
Source = Literal["declared", "declared-export", "deployed"]

# How statuses combine, worst first: one failing tenant fails the control.
STATUS_ORDER: tuple[ControlStatus, ...] = ("fail", "advisory", "waived", "pass", "not_applicable")
STACK_SCOPE = "(stack)"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class InputFile(_Model):
    """One file the evidence was built from, so an auditor can prove which revision was judged."""

    role: str = Field(description="what the file is: stack settings, tenant file, waivers, state, promotions, ...")
    path: str = Field(description="path relative to the project (or as given on the command line)")
    sha256: str


class Versions(_Model):
    hipaachat: str
    policy_pack: str = Field(description="name@version the policy pack reported over the Analyzer protocol")
    git_commit: str | None = Field(description="HEAD of the project's git checkout; null outside git")
    git_dirty: bool | None = Field(description="true when the checkout has uncommitted changes, or untracked files under "
                                              "stacks/, policies/ or components/")


class Finding(_Model):
    """One policy result (or secret hygiene result) about one resource or the stack."""

    policy: str
    status: Literal["fail", "advisory", "waived", "not_applicable"]
    enforcement: str
    tenant: str | None
    urn: str | None
    message: str
    waiver: "WaiverRef | None" = None


class WaiverRef(_Model):
    reason: str
    approved_by: str
    expires: str


class ScopeResult(_Model):
    """A control's result for one tenant, or for resources outside every tenant (`(stack)`)."""

    scope: str = Field(description=f"tenant id, or {STACK_SCOPE!r} for the stack and resources outside tenants")
    status: ControlStatus
    policies: list[str] = Field(description="policies behind this control that apply here")
    resources: list[str] = Field(description="URNs those policies judge (type-specific policies only)")
    covers_all_resources: bool = Field(description="a policy behind the control judges every resource of the scope")
    findings: list[Finding] = Field(default_factory=list)


class ControlResult(_Model):
    id: str = Field(description="45 CFR section, e.g. 164.312(a)(2)(iv)")
    requirement_id: str = Field(description="Prowler-style requirement id, e.g. 164_312_a_2_iv")
    title: str
    section: str = Field(description="the part of the rule, e.g. 164.312 Technical Safeguards")
    status: ControlStatus
    policies: list[str]
    scopes: list[ScopeResult]


class KeyEvidence(_Model):
    urn: str
    rotation_enabled: bool | None
    deletion_window_days: int | None = Field(description="null = AWS default (30 days)")


class FloorRowEvidence(_Model):
    """The row of policies/hipaa/retention_floors.yaml (or the stack's hipaachat:retentionFloors) that binds."""

    jurisdiction: str
    provider_type: str
    citation: str
    source: str
    checked: str = Field(description="the date the source was read (YYYY-MM-DD)")
    note: str | None


class EnforcedAt(_Model):
    where: Literal["object-lock-default", "per-object-retain-until", "log-group"]
    urn: str | None = Field(description="the resource that enforces it; null = not found in this stack")
    days: int | None = Field(description="days it keeps (log group: 0 = never expire); null = unknown")
    covers_floor: bool | None = Field(description="days >= the floor; null = unknown")


class DataTypeRetention(_Model):
    data_type: Literal["messages", "audit"]
    configured_days: int | None = Field(description="the tenant file's value; null = unset (the floor applies)")
    kept_days: int | None = Field(description="what the program applies (configured, else the floor); 0 = never")
    floor_days: int | None = Field(description="null = the floor cannot be computed (see problem)")
    binding: FloorRowEvidence | None = Field(description="the rule that sets the floor; null = the stack minimum")
    binding_rule: str | None = Field(description="the binding rule in words")
    enforced: list[EnforcedAt]
    problem: str | None = None


class RetentionEvidence(_Model):
    declared_days: int | None = Field(description="audit days the Tenant declares (0 = never expire)")
    care: dict[str, Any] | None = Field(None, description="the tenant file's care: (jurisdiction, provider type, "
                                        "serves_minors); null = not declared")
    data_types: list[DataTypeRetention] = Field(default_factory=list, description=(
        "per data type: configured, floor, binding row and where it is enforced"))
    log_group_urn: str | None
    log_group_days: int | None = Field(description="CloudWatch retention in days; 0 = never expire")
    log_group_encrypted: bool | None
    object_lock_urn: str | None
    object_lock_mode: str | None
    object_lock_days: int | None


class LintFinding(_Model):
    kind: str
    start: int
    end: int
    description: str


class RenderedNotification(_Model):
    channel: str
    source: str = Field(description="where the text comes from: template store, tenant file, "
                                    "CometChat privacy template")
    template: str
    rendered: str = Field(description="as the recipient sees it, allowed placeholders filled with sample values")
    passes: bool
    lint: list[LintFinding]
    matches_declared: bool | None = Field(description="deployed text equals the tenant file; null when not deployed")


class RoleEvidence(_Model):
    role: str
    declared: dict[str, Any] | None
    provisioned: dict[str, Any] | None
    matches: bool


class CometChatEvidence(_Model):
    urn: str | None
    app_id: str | None
    region: str | None
    expected_region: str | None


class BaaEvidence(_Model):
    signed: str | None
    reference: str | None


class WaiverEvidence(_Model):
    policy: str
    tenant: str | None
    urn: str | None
    reason: str | None
    approved_by: str | None
    expires: str | None
    days_left: int | None
    state: Literal["active", "problem"]
    problem: str | None = None


class PromotionGate(_Model):
    name: str
    passed: bool | None
    detail: str | None


class PromotionEvidence(_Model):
    file: str
    line: int
    id: str | None
    time: str | None
    actor: str | None
    commit: str | None
    from_stack: str | None
    to_stack: str | None
    tenant_sha256: dict[str, str] = Field(description="tenant id -> sha256 of the promoted tenant file")
    gates: list[PromotionGate]
    plan_sha256: str | None
    waivers: list[Any]
    chain_ok: bool = Field(description="`previous` names the record on the line before (hashes: promote --check)")


class PromotionProblem(_Model):
    file: str
    line: int | None
    message: str


class TenantEvidence(_Model):
    id: str
    name: str | None
    urn: str
    environment: str | None
    lifecycle: str | None = Field(description="active | offboarded | released")
    offboarded_on: str | None
    evidence_until: str | None = Field(description="offboarded: evidence is kept (and protected) until this date")
    residency: str | None
    aws_region: str | None
    aws_account: str | None = Field(description="the AWS account id the tenant's ARNs name")
    cometchat_region: str | None
    resource_count: int
    resources: list[str] = Field(description="URNs of every resource of the tenant (what covers_all_resources means)")
    status: ControlStatus = Field(description="worst control status of this tenant")
    keys: list[KeyEvidence]
    retention: RetentionEvidence
    notifications: list[RenderedNotification]
    roles: list[RoleEvidence]
    baa: BaaEvidence | None
    cometchat: CometChatEvidence
    monitoring: MonitoringEvidence | None = Field(None, description="alarms, tamper rule, topic, subscriptions")
    waivers: list[WaiverEvidence]
    promotions: list[PromotionEvidence]
    trail: TrailEvidence | None = Field(
        None, description="the audit trail: subscribed triggers, saved query, record schema, pseudonym key readers")


class SecretFinding(_Model):
    """A value that should be a Pulumi secret but is stored in plain text; the value is never kept."""

    urn: str
    tenant: str | None
    property: str = Field(description="e.g. inputs.secretString")
    reason: str


class Summary(_Model):
    status: Literal["pass", "fail"]
    controls: dict[str, int] = Field(description="control status -> number of controls")
    tenants: int
    resources: int
    findings: int
    waived: int
    secret_findings: int
    foreign_stack: bool = Field(description="no hipaachat tenant: only tenant-independent policies apply")
    notes: list[str]


class Timings(_Model):
    read_seconds: float
    policy_seconds: float
    evidence_seconds: float


class AuditReport(_Model):
    """Auditor evidence for one stack (or for some of its tenants only, `scope`)."""

    schema_version: str = SCHEMA_VERSION
    generated_at: str = Field(description="UTC, ISO 8601")
    stack: str
    project: str
    environment: str
    source: Source = Field(description="declared: the repository under mocks; declared-export: a state file "
                           "hipaachat plan --export-state wrote; deployed: a pulumi stack export")
    scope: list[str] | None = Field(description="tenant ids this evidence is limited to; null = the whole stack")
    framework: str
    inputs: list[InputFile]
    versions: Versions
    summary: Summary
    controls: list[ControlResult]
    tenants: list[TenantEvidence]
    stack_findings: list[Finding] = Field(description="findings about the stack or resources outside tenants")
    secret_hygiene: list[SecretFinding]
    waivers: list[WaiverEvidence]
    promotions: list[PromotionEvidence]
    promotion_problems: list[PromotionProblem]
    timings: Timings

    @property
    def failed(self) -> bool:
        return self.summary.status == "fail"


Finding.model_rebuild()


def worst(statuses: list[ControlStatus]) -> ControlStatus:
    """The combined status: the worst one present, not applicable only when nothing applies."""
    return min(statuses, key=STATUS_ORDER.index) if statuses else "not_applicable"
