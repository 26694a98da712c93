"""Build the evidence: the pack's results mapped to 45 CFR controls, per tenant, with what each tenant has.

Input is an `AuditSubject` (resources from the declared program or a deployed state, and the
files they came from). The pack judges them over the Analyzer protocol exactly as `plan` does;
this module never re-implements a policy. It decides only what the results *mean* for a control
(fail > advisory > waived > pass > not applicable) and which tenant they belong to.

Tenant scoping (`tenants=[...]`) is decided here, once, before anything is rendered: the report
holds nothing of any other tenant (no id, name, URN, count or finding), because an evidence file
handed to one clinic that names another is itself a disclosure between covered entities.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from components.settings import StackSettings
from components.tags import TENANT_TYPE
from policies.hipaa.contracts import ROOT_STACK_TYPE, is_default_provider
from policies.hipaa.controls import FRAMEWORK_NAME, FRAMEWORK_VERSION
from policies.hipaa.pack import pack_owned, policy_names
from policies.hipaa.waivers import waiver_path
from scripts.engine.analyzer import PolicyOutcome, PolicyPackProcess
from scripts.audit import catalog, records
from scripts.audit.models import (
    STACK_SCOPE,
    AuditReport,
    ControlResult,
    ControlStatus,
    Finding,
    InputFile,
    PromotionEvidence,
    ScopeResult,
    SecretFinding,
    Source,
    Summary,
    TenantEvidence,
    Timings,
    Versions,
    WaiverEvidence,
    WaiverRef,
    worst,
)
from scripts.audit.monitoring import monitoring_evidence
from scripts.audit.retention_floors import with_floors
from scripts.audit.scoping import Scope
from scripts.audit.secrets import check as check_secrets
from scripts.audit.tenants import TenantFacts
from scripts.audit.trail import trail_evidence
from scripts.inputs import POLICY_PACK
from scripts.engine.models import CapturedResource, tenant_owners
from scripts.engine.pack_manifest import pack_version
from scripts.project import InputError, Project, StackConfig, stack_config_for_pack

@dataclass(frozen=True)
class AuditSubject:
    """What is audited: the resources, the stack they belong to, and the files they were read from."""

    project: Project
    stack: str
    project_name: str
    source: Source
    resources: list[CapturedResource]
    inputs: list[InputFile]
    stack_config: StackConfig | None
    versions: Callable[[str], Versions]
    read_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyResults:
    outcome: PolicyOutcome
    pack: str
    seconds: float


def evaluate(subject: AuditSubject) -> PolicyResults:
    """Every resource and the whole stack through the real pack, with known values (as `pulumi up` sees them)."""
    started = time.perf_counter()
    config = stack_config_for_pack(subject.stack_config) if subject.stack_config else {}
    with PolicyPackProcess(subject.project.root / POLICY_PACK, stack_config=config, project=subject.project_name,
                           stack=subject.stack) as pack:
        outcome = pack.analyze(subject.resources, phase="update")
        # The manifest's version, as `pulumi policy publish` and `shards pack` name the pack (not the SDK's).
        label = (f"{pack.info.name}@{pack_version(subject.project.root / POLICY_PACK, root=subject.project.root)}"
                 if pack.info else "unknown")
    return PolicyResults(outcome=outcome, pack=label, seconds=time.perf_counter() - started)


def check_tenants(subject: AuditSubject, tenants: Sequence[str] | None) -> None:
    """Refuse an unknown --tenant before the pack runs; the message names no other tenant."""
    if not tenants:
        return
    known = {str(r.inputs.get("tenantId") or r.name) for r in subject.resources if r.type == TENANT_TYPE}
    unknown = sorted(set(tenants) - known)
    if unknown:
        raise InputError(f"--tenant {', '.join(unknown)}: no such tenant in stack {subject.stack}; "
                         f"`hipaachat tenants list --stack {subject.stack}` lists its tenants")


def _redact(text: str, secrets: set[str]) -> str:
    for value in secrets:
        if len(value) >= 4 and value in text:
            text = text.replace(value, "[redacted]")
    return text


def _findings(subject: AuditSubject, results: PolicyResults, owner: dict[str, str], foreign: bool,
              ) -> tuple[list[Finding], list[SecretFinding], set[str]]:
    secrets_found, secret_values = check_secrets(subject.resources, owner,
                                                 engine_encrypts_listed=subject.source == "declared")
    found: list[Finding] = []
    for v in results.outcome.violations:
        status = "fail" if v.enforcement == "mandatory" else "advisory"
        if foreign and v.policy not in catalog.TENANT_INDEPENDENT:
            status = "not_applicable"
        found.append(Finding(policy=v.policy, status=status, enforcement=v.enforcement, tenant=v.tenant, urn=v.urn,
                             message=_redact(v.message, secret_values)))
    for w in results.outcome.waived:
        found.append(Finding(policy=w.policy, status="waived", enforcement="waived", tenant=w.tenant, urn=w.urn,
                             message=_redact(w.message, secret_values),
                             waiver=WaiverRef(reason=w.reason, approved_by=w.approved_by, expires=w.expires)))
    for s in secrets_found:
        found.append(Finding(policy=catalog.SECRET_HYGIENE, status="fail", enforcement="mandatory", tenant=s.tenant,
                             urn=s.urn, message=f"{s.property}: {s.reason}"))
    return found, secrets_found, secret_values


def _scope_resources(resources: Sequence[CapturedResource], owner: dict[str, str]) -> dict[str, list[CapturedResource]]:
    by_scope: dict[str, list[CapturedResource]] = {}
    for r in resources:
        tenant = owner.get(r.urn)
        if tenant is None and (r.type == ROOT_STACK_TYPE or is_default_provider(r.type, r.name)):
            continue  # the engine's, not the program's: nothing a policy judges
        by_scope.setdefault(tenant or STACK_SCOPE, []).append(r)
    return by_scope


def _judged(scopes: list[str], by_scope: dict[str, list[CapturedResource]],
            applicability: catalog.Applicability, policies: list[str]) -> dict[str, dict[str, list[str]]]:
    """scope -> policy -> URNs that policy judges there; computed once, shared by every control."""
    judged: dict[str, dict[str, list[str]]] = {}
    for scope in scopes:
        by_type: dict[str, list[str]] = {}
        for r in by_scope.get(scope, []):
            by_type.setdefault(r.type, []).append(r.urn)
        judged[scope] = {p: [u for t, urns in by_type.items() if applicability.judges(p, t) for u in urns]
                         for p in policies}
    return judged


def _controls(scopes: list[str], by_scope: dict[str, list[CapturedResource]], findings: list[Finding],
              foreign: bool) -> list[ControlResult]:
    index: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.status != "not_applicable":
            index.setdefault((f.policy, f.tenant or STACK_SCOPE), []).append(f)
    controls = catalog.controls()
    everything = list(dict.fromkeys(p for control in controls for p in control.policies))
    applicability = catalog.Applicability(everything)
    judged = _judged(scopes, by_scope, applicability, everything)
    results = []
    for control in controls:
        scope_results = []
        for scope in scopes:
            applicable = []
            for policy in control.policies:
                if foreign and policy not in catalog.TENANT_INDEPENDENT:
                    continue
                if applicability.stack_only(policy):
                    if scope == STACK_SCOPE:
                        applicable.append(policy)
                elif judged[scope][policy] or (policy, scope) in index:
                    applicable.append(policy)
            scope_findings = [f for p in control.policies for f in index.get((p, scope), [])]
            if not applicable and not scope_findings:
                continue
            statuses = [f.status for f in scope_findings] or ["pass"]
            specific = [p for p in applicable if not applicability.covers_all(p) and not applicability.stack_only(p)]
            urns = list(dict.fromkeys(u for p in specific for u in judged[scope][p]))
            scope_results.append(ScopeResult(
                scope=scope, status=worst(statuses), policies=applicable, resources=urns,
                covers_all_resources=any(applicability.covers_all(p) for p in applicable), findings=scope_findings))
        results.append(ControlResult(
            id=control.id, requirement_id=control.requirement_id, title=control.title, section=control.section,
            status=worst([s.status for s in scope_results]), policies=list(control.policies), scopes=scope_results))
    return results


def build_report(subject: AuditSubject, results: PolicyResults, *, tenants: list[str] | None,
                 now: dt.datetime, today: dt.date) -> tuple[AuditReport, set[str]]:
    """The report, and the plain-text secret values found (renderers prove none of them leaks).

    `tenants` must have passed `check_tenants` (the command runs it before the pack).
    """
    started = time.perf_counter()
    resources = subject.resources
    owner = tenant_owners(resources)
    components = {str(r.inputs.get("tenantId") or r.name): r for r in resources if r.type == TENANT_TYPE}
    foreign = not components
    scope = Scope(components, set(tenants) if tenants else None)
    findings, secrets_found, secret_values = _findings(subject, results, owner, foreign)
    findings = [f for f in findings if scope.shows(f)]
    by_scope = _scope_resources(resources, owner)
    scopes = [*sorted(scope.visible_tenants()), STACK_SCOPE]
    controls = _controls(scopes, by_scope, findings, foreign)
    if scope.limited:
        controls = [scope.control(c) for c in controls]

    waivers = [w for w in records.read_waivers(waiver_path(subject.project.root / POLICY_PACK), today=today,
                                              known=policy_names(), meta=pack_owned())
               if scope.shows_waiver(w, owner)]
    promotions, problems, _ = records.read_promotions(subject.project.root, subject.stack)
    if scope.limited:
        promotions = [p for r in promotions if (p := records.scoped_promotion(r, scope.tenants)) is not None]
        problems = []  # a file-level problem says nothing a clinic can act on, and may sit on another's line

    per_tenant: dict[str, list[ControlStatus]] = {}
    for control in controls:
        for result in control.scopes:
            per_tenant.setdefault(result.scope, []).append(result.status)
    settings = subject.stack_config.settings if subject.stack_config else StackSettings()
    tenant_evidence = [_tenant(tid, components[tid], by_scope.get(tid, []), subject.source, per_tenant.get(tid, []),
                               waivers, promotions, owner, settings) for tid in sorted(scope.visible_tenants())]
    statuses = [c.status for c in controls]
    secret_report = [s for s in secrets_found if scope.shows_urn(s.urn, s.tenant)]
    notes = list(subject.notes)
    if foreign:
        set_aside = sum(1 for f in findings if f.status == "not_applicable")
        notes.append("This state holds no hipaachat tenant (a foreign stack): it is evaluated only for what applies "
                     "without hipaachat's tenant model (key rotation and deletion window, log retention, wildcard "
                     f"principals, secret hygiene); {set_aside} findings of tenant-model policies are listed as "
                     "not applicable.")
    counted = [r for t in scope.visible_tenants() for r in by_scope.get(t, [])]
    if not scope.limited:
        counted += by_scope.get(STACK_SCOPE, [])
    summary = Summary(
        status="fail" if "fail" in statuses else "pass",
        controls={s: statuses.count(s) for s in ("pass", "fail", "waived", "advisory", "not_applicable")},
        tenants=len(tenant_evidence), resources=len(counted),
        findings=sum(1 for f in findings if f.status in ("fail", "advisory")),
        waived=sum(1 for f in findings if f.status == "waived"),
        secret_findings=len(secret_report), foreign_stack=foreign, notes=notes)
    environment = (subject.stack_config.settings.environment if subject.stack_config
                   else "undeclared (judged as production)")
    return AuditReport(
        generated_at=now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        stack=subject.stack, project=subject.project_name, environment=environment, source=subject.source,
        scope=sorted(scope.tenants) if scope.limited else None,
        framework=f"{FRAMEWORK_NAME} ({FRAMEWORK_VERSION})",
        inputs=[i for i in subject.inputs if scope.shows_input(i)], versions=subject.versions(results.pack),
        summary=summary, controls=controls, tenants=tenant_evidence,
        stack_findings=[f for f in findings if f.tenant is None],
        secret_hygiene=secret_report, waivers=waivers, promotions=promotions, promotion_problems=problems,
        timings=Timings(read_seconds=round(subject.read_seconds, 3), policy_seconds=round(results.seconds, 3),
                        evidence_seconds=round(time.perf_counter() - started, 3)),
    ), secret_values


def _tenant(tenant_id: str, component: CapturedResource, resources: list[CapturedResource], source: str,
            statuses: list[ControlStatus], waivers: list[WaiverEvidence], promotions: list[PromotionEvidence],
            owner: dict[str, str], settings: StackSettings) -> TenantEvidence:
    facts = TenantFacts(component, resources, source)
    return TenantEvidence(
        id=tenant_id, name=facts.name, urn=component.urn, environment=facts.declared_text("environment"),
        lifecycle=facts.lifecycle("state"), offboarded_on=facts.lifecycle("offboardedOn"),
        evidence_until=facts.lifecycle("evidenceUntil"), residency=facts.declared_text("residency"),
        aws_region=facts.declared_text("awsRegion"), aws_account=facts.aws_account(),
        cometchat_region=facts.declared_text("cometchatRegion"), resource_count=len(resources),
        resources=[r.urn for r in resources], status=worst(statuses), keys=facts.keys(),
        retention=with_floors(facts.retention(), facts.declared, resources, settings),
        notifications=facts.notifications(), roles=facts.roles(), baa=facts.baa(),
        cometchat=facts.cometchat(), monitoring=monitoring_evidence(facts),
        waivers=[w for w in waivers if w.tenant == tenant_id or (w.urn and owner.get(w.urn) == tenant_id)],
        promotions=[p for p in promotions if tenant_id in p.tenant_sha256], trail=trail_evidence(facts))
