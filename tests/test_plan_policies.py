"""`hipaachat plan` end to end with the policy pack: what blocks a deploy, and waivers.

Each case edits a copy of the project the way a reviewer's pull request would, and runs the
CLI as CI does; the program runs under mocks and the pack over the Analyzer protocol.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


def plan(project: Path, stack: str = "local", today: str | None = None) -> tuple[int, dict]:
    env = {**os.environ, **({"HIPAACHAT_TODAY": today} if today else {})}
    result = subprocess.run([HIPAACHAT, "plan", "--stack", stack, "--format", "json"], cwd=project,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def mandatory(report: dict) -> set[tuple[str, str]]:
    return {(v["policy"], v["tenant"]) for v in report["violations"] if v["enforcement"] == "mandatory"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new))


def tenant_file(project: Path, tenant: str, stack: str = "local") -> Path:
    return project / "stacks" / "tenants" / stack / f"{tenant}.yaml"


def test_shortened_retention_blocks_the_deploy(project_copy: Path) -> None:
    edit(tenant_file(project_copy, "lotus-health"), "features:", "retention:\n  audit_log_days: 365\nfeatures:")
    code, report = plan(project_copy)
    assert code == 1
    assert ("retention-log-group-minimum", "lotus-health") in mandatory(report)
    # The audit floor names its rule; the archive's default still covers messages' floor (2192 days).
    assert ("retention-floor-met", "lotus-health") in mandatory(report)
    assert all(tenant == "lotus-health" for _, tenant in mandatory(report))


def test_a_patient_name_in_an_sms_template_blocks_the_deploy(project_copy: Path) -> None:
    edit(tenant_file(project_copy, "sunrise-clinic"), 'sms: "New message in your care portal: {{deep_link}}"',
         'sms: "Hi Jane Roe, Dr. Synthetic has a message for you"')
    code, report = plan(project_copy)
    assert code == 1
    assert mandatory(report) == {("notifications-email-sms-phi-free", "sunrise-clinic")}
    assert "Jane Roe" not in json.dumps(report)  # the finding describes; it never repeats the PHI


def test_a_production_tenant_without_a_baa_blocks_the_deploy(project_copy: Path) -> None:
    lindenhof = tenant_file(project_copy, "lindenhof-praxis").read_text()
    tenant_file(project_copy, "lindenhof-praxis", "production").write_text(lindenhof)
    code, report = plan(project_copy, "production")
    assert code == 1
    assert mandatory(report) == {("production-baa-attested", "lindenhof-praxis")}


def test_the_shipped_production_stack_is_blocked_only_by_its_placeholder_evidence(project_root: Path) -> None:
    """A fork must not pass the production gate on the shipped example evidence (EXAMPLE, example.org):
    neither the CometChat attestation nor alarms that would page example.org."""
    code, report = plan(project_root, "production")
    assert code == 1 and mandatory(report) == {("production-cometchat-plan-hipaa-eligible", "sunrise-clinic"),
                                               ("production-oncall-recorded", "sunrise-clinic")}
    message = next(v["message"] for v in report["violations"] if v["policy"] == "production-cometchat-plan-hipaa-eligible")
    assert "placeholder (reference CC-HIPAA-ADDON-EXAMPLE-0001, attestedBy compliance@example.org)" in message
    assert "stacks/environments/production.yaml" in message and "hipaachat stacks sync --environment production" in message
    oncall = sorted(v["message"] for v in report["violations"] if v["policy"] == "production-oncall-recorded")
    assert len(oncall) == 2 and "email subscription goes to example.org" in oncall[0] \
        and "https subscription goes to pager.example.org" in oncall[1], oncall


def test_production_with_a_recorded_attestation_plans_clean(project_copy: Path) -> None:
    code, report = plan(project_copy, "production")
    assert code == 0, mandatory(report)
    assert report["environment"] == "production" and report["violations"] == []


def test_a_waiver_silences_a_violation_until_it_expires(project_copy: Path) -> None:
    edit(tenant_file(project_copy, "lotus-health"), "features:", "retention:\n  audit_log_days: 1827\nfeatures:")
    (project_copy / "policies" / "waivers.yaml").write_text(
        "- policy: retention-log-group-minimum\n"
        "  tenant: lotus-health\n"
        '  reason: "Migration window agreed with compliance, ticket SEC-123 (synthetic)"\n'
        '  approved_by: "compliance@example.org"\n'
        "  expires: 2026-12-31\n")
    code, report = plan(project_copy, today="2026-12-31")
    waived = [(w["policy"], w["tenant"], w["expires"]) for w in report["waived"]]
    assert ("retention-log-group-minimum", "lotus-health", "2026-12-31") in waived
    assert ("retention-log-group-minimum", "lotus-health") not in mandatory(report)
    code_after, after = plan(project_copy, today="2027-01-01")
    assert code_after == 1
    assert ("retention-log-group-minimum", "lotus-health") in mandatory(after)
    assert any(v["policy"] == "waivers-valid" for v in after["violations"])
    assert after["waived"] == []


def test_every_shipped_stack_passes_in_both_phases(project_copy: Path) -> None:
    """A first `pulumi preview` of every shipped stack (nothing created yet) draws no mandatory finding,
    once production's placeholder CometChat attestation is recorded (the copy records it)."""
    root = project_copy
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (root / "stacks").glob("Pulumi.*.yaml"))
    assert {"local", "prototype", "production"} <= set(stacks)
    for stack in stacks:
        code, report = plan(root, stack)
        assert code == 0 and mandatory(report) == set(), (stack, mandatory(report))
        assert all(v["phase"] in ("preview", "update") for v in report["violations"])
        # The preview defers what it cannot know (policy documents built from ARNs) instead of failing it.
        assert report["deferred"] and all(d["policy"] and d["reason"] for d in report["deferred"])
