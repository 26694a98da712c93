"""`hipaachat plan --state`: the program's registrations against a deployed state, and lifecycle findings.

Resources are matched by URN (the engine's identity): in the program only = create, in the
state only = delete, in both with different inputs = update. Inputs are compared as values,
without the providers' diff semantics (a provider may ignore a difference or need a
replacement for it); secrets compare equal whatever they hold, since a state holds only their
ciphertext. The findings are what a `pulumi up` must never do to a tenant, each naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from components.catalog import Tenant
from components.cometchat.providers.app import REPLACE_ON
from components.lifecycle import EVIDENCE_PARTS, deploys, evidence_until
from components.retention_plan import FIELD_OF
from components.tags import TENANT_TYPE
from policies.hipaa.contracts import AUDIT_SINKS_TYPE, AWS_PROVIDER_TYPE, COMETCHAT_APP_TYPE, is_default_provider
from scripts.engine.capture import DYNAMIC_PROVIDER_INPUT
from scripts.engine.models import CapturedResource, Violation, tenant_owners
from scripts.engine.state.envelope import ARCHIVE_SIG, ASSET_SIG, SIG_KEY, opaque_secrets, sealed
from scripts.engine.state.models import PendingOperation

COMPARISON_NOTE = ("changed inputs are compared as values, without provider diff semantics: a provider may "
                   "ignore some differences or need a replacement for others; `pulumi preview` decides")
# Parts of a tenant whose resources are evidence even in a state written before they were retained.
EVIDENCE_COMPONENTS = ("hipaachat:tenant:Keys", AUDIT_SINKS_TYPE)
EVIDENCE_NAME_SUFFIXES = ("-auditor", "-auditor-policy")


class ResourceChange(BaseModel):
    type: str
    name: str
    urn: str
    changed_inputs: list[str] = Field(default_factory=list)


class TenantChanges(BaseModel):
    tenant: str | None = Field(description="None for resources outside every tenant (providers, the stack)")
    creates: list[ResourceChange] = Field(default_factory=list)
    deletes: list[ResourceChange] = Field(default_factory=list)
    updates: list[ResourceChange] = Field(default_factory=list)


class StateChanges(BaseModel):
    """The `changes` section of the plan JSON."""

    state_file: str
    note: str = COMPARISON_NOTE
    creates: int
    deletes: int
    updates: int
    tenants: list[TenantChanges]
    # Operations an interrupted `pulumi up` left unfinished (the state's pending_operations): until
    # `pulumi refresh` settles them, the counts above may be off for these URNs.
    pending_operations: list[PendingOperation] = Field(default_factory=list)


class TenantLifecycle(BaseModel):
    """Where an offboarded tenant stands; the plan lists one for every tenant that is not active."""

    tenant: str
    state: Literal["offboarded", "released"]
    offboarded_on: dt.date
    evidence_until: dt.date | None = Field(description="first day the evidence may be released; None = never")
    deploys: Literal["evidence", "nothing"]
    message: str


def _finding(policy: str, tenant: str | None, message: str, urn: str | None = None,
             enforcement: Literal["mandatory", "advisory"] = "mandatory") -> Violation:
    # Phase `preview`: known from the files and the state before anything is created. No real
    # `pulumi preview` raises these (the Analyzer protocol never shows a delete); this plan does.
    return Violation(policy=policy, enforcement=enforcement, tenant=tenant, urn=urn, message=message, phase="preview")


def lifecycle_of(catalog: Sequence[Tenant], stack: str, production: bool, today: dt.date
                 ) -> tuple[list[TenantLifecycle], list[Violation]]:
    """Every non-active tenant's standing, and the notices the plan gives about them."""
    standing: list[TenantLifecycle] = []
    notices: list[Violation] = []
    for tenant in catalog:
        life = tenant.lifecycle
        if life.state == "active" or life.offboarded_on is None:
            continue
        until = evidence_until(tenant)
        what = deploys(tenant, today)
        file = f"stacks/tenants/{stack}/{tenant.id}.yaml"
        if until is None:
            message = ("evidence is kept indefinitely (retention.audit_days: 0 = never expire); only its "
                       "evidence subtree deploys")
        elif today < until:
            message = f"only its evidence subtree deploys; evidence is kept until {until} (offboarded_on + " \
                      f"{(until - life.offboarded_on).days} days, its longest retention of any data type)"
            if life.state == "released":
                notices.append(_finding("lifecycle-released-early", tenant.id, (
                    f"{file} says released, but its retention runs until {until}; the evidence stays deployed "
                    f"until then. Set lifecycle.state back to offboarded"), enforcement="advisory"))
        elif life.state == "offboarded":
            unprotect = ("first `pulumi state unprotect <urn>` each of its evidence resources (production "
                         "protects them), then " if production else "")
            message = (f"retention ended on {until}: the evidence may now be released. Releasing is a decision, "
                       f"never automatic: set lifecycle.state: released in {file}; {unprotect}`pulumi up` stops "
                       f"managing it (AWS keeps it: retain_on_delete). Delete it in AWS once your records officer "
                       f"approves: {', '.join(EVIDENCE_PARTS)}")
            notices.append(_finding("lifecycle-evidence-releasable", tenant.id, message, enforcement="advisory"))
        else:
            message = (f"released after its retention ended on {until}: the stack no longer manages its evidence; "
                       f"AWS keeps it until you delete it")
        standing.append(TenantLifecycle(tenant=tenant.id, state=life.state, offboarded_on=life.offboarded_on,
                                        evidence_until=until, deploys=what, message=message))
    return standing, notices


def _comparable(value: Any) -> Any:
    """Declared and deployed values in one form: secrets opaque, assets without their stored hash."""
    value = opaque_secrets(sealed(value))
    return _without_hashes(value)


def _without_hashes(value: Any) -> Any:
    if isinstance(value, dict):
        asset = value.get(SIG_KEY) in (ASSET_SIG, ARCHIVE_SIG)
        return {k: _without_hashes(v) for k, v in value.items() if not (asset and k == "hash")}
    if isinstance(value, list):
        return [_without_hashes(v) for v in value]
    return value


def changed_inputs(declared: CapturedResource, deployed: CapturedResource) -> list[str]:
    ours = {k: v for k, v in declared.inputs.items() if k != DYNAMIC_PROVIDER_INPUT}
    theirs = {k: v for k, v in deployed.inputs.items() if k != DYNAMIC_PROVIDER_INPUT}
    return sorted(k for k in set(ours) | set(theirs)
                  if k not in ours or k not in theirs or _comparable(ours[k]) != _comparable(theirs[k]))


def _is_evidence(resource: CapturedResource) -> bool:
    qualified = resource.urn.split("::")[2]
    return (resource.options.retain_on_delete or resource.options.protect
            or any(part in qualified.split("$") for part in EVIDENCE_COMPONENTS)
            or resource.name.endswith(EVIDENCE_NAME_SUFFIXES))


def _change(r: CapturedResource, inputs: Iterable[str] = ()) -> ResourceChange:
    return ResourceChange(type=r.type, name=r.name, urn=r.urn, changed_inputs=list(inputs))


def compare(declared: Sequence[CapturedResource], deployed: Mapping[str, CapturedResource], *, state_file: str,
            catalog: Sequence[Tenant], stack: str, today: dt.date,
            pending_operations: Sequence[PendingOperation] = ()
            ) -> tuple[StateChanges, list[Violation]]:
    """The changes a `pulumi up` of `declared` would make to `deployed`, and the ones it must not make."""
    ours = {r.urn: r for r in declared}
    owners = {**tenant_owners(list(deployed.values())), **tenant_owners(declared)}
    groups: dict[str | None, TenantChanges] = {}

    def group(urn: str) -> TenantChanges:
        tenant = owners.get(urn)
        return groups.setdefault(tenant, TenantChanges(tenant=tenant))

    for urn, r in ours.items():
        if urn not in deployed:
            group(urn).creates.append(_change(r))
        elif inputs := changed_inputs(r, deployed[urn]):
            group(urn).updates.append(_change(r, inputs))
    for urn, r in deployed.items():
        # default providers exist in every real state but are created by the engine, not the program
        if urn not in ours and not is_default_provider(r.type, r.name):
            group(urn).deletes.append(_change(r))
    findings = _blocked(ours, deployed, owners, groups, {t.id: t for t in catalog}, stack, today)
    tenants = sorted(groups.values(), key=lambda g: (g.tenant is None, g.tenant or ""))
    changes = StateChanges(state_file=state_file, creates=sum(len(g.creates) for g in tenants),
                           deletes=sum(len(g.deletes) for g in tenants), updates=sum(len(g.updates) for g in tenants),
                           tenants=tenants, pending_operations=list(pending_operations))
    return changes, findings


def _tenants_in(resources: Iterable[CapturedResource]) -> dict[str, CapturedResource]:
    return {str(r.inputs.get("tenantId") or r.name): r for r in resources if r.type == TENANT_TYPE}


def _moved(was: CapturedResource, now: CapturedResource, before: str | None,
           after: str | None) -> tuple[str, str] | None:
    """(old, new) residency or AWS region of a tenant that moved, else None.

    The Tenant component's declared residency is compared when the state recorded it; the
    tenant's regional AWS provider (whose inputs every state keeps: `before`, `after`) is
    compared in any case.
    """
    old, new = was.inputs.get("residency"), now.inputs.get("residency")
    if isinstance(old, str) and isinstance(new, str) and old != new:
        return old, new
    if isinstance(before, str) and isinstance(after, str) and before != after:
        return f"AWS region {before}", f"AWS region {after}"
    return None


def _provider_regions(resources: Iterable[CapturedResource], owners: Mapping[str, str]) -> dict[str, Any]:
    """Each tenant's AWS provider region (its first AWS provider), in one pass over the stack."""
    regions: dict[str, Any] = {}
    for r in resources:
        if r.type == AWS_PROVIDER_TYPE and r.urn in owners:
            regions.setdefault(owners[r.urn], r.inputs.get("region"))
    return regions


def _retention_lowered(tid: str, was: CapturedResource, now: CapturedResource, file: str) -> list[Violation]:
    """Deployed per-type retention (the Tenant component's `retention` input) may grow, never shrink."""
    def days(component: CapturedResource) -> dict[str, int]:
        declared = component.inputs.get("retention")
        kept = {t: v.get("kept") for t, v in declared.items() if isinstance(v, dict)} if isinstance(declared, dict) \
            else {"audit": component.inputs.get("retentionDays")}  # a state from before per-type retention
        # Numbers travel as floats over the engine's protocol.
        return {t: int(d) for t, d in kept.items() if isinstance(d, (int, float)) and not isinstance(d, bool)}
    before, after = days(was), days(now)
    lowered = [(t, before[t], after[t]) for t in sorted(before.keys() & after.keys())
               if before[t] == 0 and after[t] != 0 or 0 < after[t] < before[t]]
    return [_finding("lifecycle-retention-lowered", tid, (
        f"{FIELD_OF.get(t, t)} of {tid} would drop from {'never expire (0)' if old == 0 else f'{old} days'} to "
        f"{new} days: the archive is under Object Lock COMPLIANCE, which no one can shorten, so what is already "
        f"archived stays locked for the deployed period and the apply would fail or keep two periods; restore "
        f"{FIELD_OF.get(t, t)}: {old} in {file} (retention only grows)"), was.urn) for t, old, new in lowered]


def _blocked(ours: Mapping[str, CapturedResource], deployed: Mapping[str, CapturedResource],
             owners: Mapping[str, str], groups: Mapping[str | None, TenantChanges], catalog: Mapping[str, Tenant],
             stack: str, today: dt.date) -> list[Violation]:
    findings: list[Violation] = []
    was, now = _tenants_in(deployed.values()), _tenants_in(ours.values())
    before, after = _provider_regions(deployed.values(), owners), _provider_regions(ours.values(), owners)
    for tid, component in sorted(was.items()):
        file = f"stacks/tenants/{stack}/{tid}.yaml"
        if tid not in catalog:
            findings.append(_finding("lifecycle-tenant-file-removed", tid, (
                f"tenant {tid} is deployed but {file} is gone: `pulumi up` would delete its CometChat app "
                f"(message history) and drop its evidence. Restore the file and offboard the tenant instead: "
                f"hipaachat tenants offboard {tid} --stack {stack}"), component.urn))
        if tid in now and (moved := _moved(component, now[tid], before.get(tid), after.get(tid))) is not None:
            old, new = moved
            findings.append(_finding("lifecycle-residency-changed", tid, (
                f"residency of {tid} changes from {old} to {new}: a region move needs a migration, not an update "
                f"(create a new tenant in {new}, move the data, then offboard {tid}); restore the residency in "
                f"{file}"), component.urn))
        if tid in now:
            findings.extend(_retention_lowered(tid, component, now[tid], file))
    for tid, tenant_group in groups.items():
        spec = catalog.get(tid) if tid is not None else None
        if spec is None:
            continue  # outside every tenant, or a removed file (reported once above)
        until = evidence_until(spec)
        if spec.lifecycle.state == "released" and until is not None and today >= until:
            continue  # retention is over and a person released the evidence
        when = ("the tenant is active (offboard it; evidence is then kept for its retention)"
                if spec.lifecycle.state == "active" else
                f"its retention runs until {until}" if until else "its retention never ends (audit_days: 0)")
        for gone in tenant_group.deletes:
            resource = deployed[gone.urn]
            if _is_evidence(resource):
                findings.append(_finding("lifecycle-evidence-deleted-early", tid, (
                    f"{resource.type} {resource.name} is evidence of {tid} and would leave the stack although "
                    f"{when}; keep it in the program (an offboarded tenant keeps its evidence subtree)"), gone.urn))
        if spec.lifecycle.state != "active":
            continue
        for gone in tenant_group.deletes:
            if deployed[gone.urn].type == COMETCHAT_APP_TYPE:
                findings.append(_finding("lifecycle-cometchat-app-replaced", tid, (
                    f"the CometChat app of active tenant {tid} would be deleted (CometChat archives it and deletes "
                    f"it with its message history 30 days later); keep its name and parent unchanged, or offboard "
                    f"the tenant first"), gone.urn))
        for update in tenant_group.updates:
            replaced = sorted(set(update.changed_inputs) & set(REPLACE_ON))
            if update.type == COMETCHAT_APP_TYPE and replaced:
                findings.append(_finding("lifecycle-cometchat-app-replaced", tid, (
                    f"the CometChat app of active tenant {tid} would be replaced ({', '.join(replaced)} cannot "
                    f"change in place): its message history would be archived and deleted 30 days later; revert "
                    f"the change"), update.urn))
    return findings
