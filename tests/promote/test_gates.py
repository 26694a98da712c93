"""Gates that need no plan: commit state, strict PHI linting and the waivers a tenant relies on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scripts.engine.models import Waived
from scripts.plan.report import PlanReport, PlanTimings
from scripts.project import InputError, Project
from scripts.promote.gates import _relied_on, committed_gate, templates_gate

TODAY = dt.date(2026, 11, 30)


def _report(*waived: Waived) -> PlanReport:
    return PlanReport(stack="production", environment="production", tenants=[], resource_count=0,
                      waived=list(waived), timings=PlanTimings(program_seconds=0, policy_seconds=0))


def _waiver(tenant: str, days: int, policy: str = "retention-log-group-minimum") -> Waived:
    return Waived(policy=policy, tenant=tenant, message="m", reason="Migration window, ticket SEC-123",
                  approved_by="compliance@example.org", expires=(TODAY + dt.timedelta(days=days)).isoformat())


def test_a_waiver_expiring_within_30_days_is_a_warning_with_a_fix() -> None:
    gate, uses = _relied_on(_report(_waiver("a-clinic", 12), _waiver("b-clinic", 3)), {"a-clinic"}, TODAY)
    assert gate.passed and gate.warning
    assert "expires 2026-12-12, 12 day(s) left" in gate.detail and "b-clinic" not in gate.detail
    assert "Renew or retire retention-log-group-minimum" in gate.fix
    assert [(u.tenant, u.expires) for u in uses] == [("a-clinic", "2026-12-12")]


def test_a_distant_waiver_is_listed_without_a_warning() -> None:
    gate, uses = _relied_on(_report(_waiver("a-clinic", 90)), {"a-clinic"}, TODAY)
    assert gate.passed and not gate.warning and gate.fix is None and len(uses) == 1
    gate, uses = _relied_on(_report(), {"a-clinic"}, TODAY)
    assert gate.detail == "relies on no waiver" and uses == []


def test_strict_linting_refuses_phi_in_any_channel(project_copy: Path) -> None:
    project = Project.find(project_copy)
    path = project_copy / "stacks" / "tenants" / "prototype" / "sunrise-clinic.yaml"
    clean = path.read_bytes()
    assert templates_gate({path: clean}, project).passed
    dirty = clean.replace(b'push: "You have a new message from your care team."',
                          b'push: "Jane Roe, your biopsy results are in"')
    gate = templates_gate({path: dirty}, project)
    assert not gate.passed and "notifications.push" in gate.detail and "Jane Roe" not in gate.detail
    assert gate.fix
    line = next(n for n, ln in enumerate(dirty.decode().splitlines(), 1) if ln.strip().startswith("push:"))
    # the same shape and place as `tenants validate` and `plan`
    assert gate.detail.startswith(f"stacks/tenants/prototype/sunrise-clinic.yaml:{line}:10: notifications.push: "
                                  "looks like PHI: a person's or organization's name (characters 0-8)")


@pytest.mark.parametrize("content", [b"id: [unclosed\n", b"- a list\n", b"notifications: [push, sms]\n"])
def test_a_malformed_tenant_file_is_bad_input_not_a_traceback(project_copy: Path, content: bytes) -> None:
    project = Project.find(project_copy)
    path = project_copy / "stacks" / "tenants" / "prototype" / "broken-clinic.yaml"
    with pytest.raises(InputError, match="stacks/tenants/prototype/broken-clinic.yaml"):
        templates_gate({path: content}, project)


def test_outside_git_the_commit_gate_fails_unless_dirty_is_allowed(project_copy: Path) -> None:
    project = Project.find(project_copy)
    path = project_copy / "stacks" / "tenants" / "prototype" / "sunrise-clinic.yaml"
    refused = committed_gate(project, [path], allow_dirty=False)
    assert not refused.passed and "not a git repository" in refused.detail and "--allow-dirty" in refused.fix
    allowed = committed_gate(project, [path], allow_dirty=True)
    assert allowed.passed and allowed.warning and "allowed by --allow-dirty" in allowed.detail


def test_a_waiver_bound_to_a_urn_of_a_promoted_tenant_is_listed() -> None:
    from scripts.plan.report import PlannedResource, TenantPlan

    urn = "urn:pulumi:production::hipaachat::hipaachat:index:Tenant$aws:cloudwatch/logGroup:LogGroup::a-clinic-audit"
    other = urn.replace("a-clinic", "b-clinic")
    report = _report(
        Waived(policy="retention-log-group-minimum", urn=urn, message="m", reason="Migration window, ticket SEC-124",
               approved_by="compliance@example.org", expires=(TODAY + dt.timedelta(days=60)).isoformat()),
        Waived(policy="retention-log-group-minimum", urn=other, message="m", reason="Migration window, SEC-125",
               approved_by="compliance@example.org", expires=(TODAY + dt.timedelta(days=60)).isoformat()))
    report.tenants = [TenantPlan(id=t, residency="us", cometchat_region="us", aws_region="us-east-1",
                                 resources=[PlannedResource(type="aws:cloudwatch/logGroup:LogGroup",
                                                            name=f"{t}-audit", urn=u)])
                      for t, u in (("a-clinic", urn), ("b-clinic", other))]
    gate, uses = _relied_on(report, {"a-clinic"}, TODAY)
    assert [u.urn for u in uses] == [urn]
    assert f"retention-log-group-minimum ({urn}) expires" in gate.detail and "b-clinic" not in gate.detail
