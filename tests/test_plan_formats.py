"""`hipaachat plan --format sarif|markdown`: what code scanning and PR reviewers receive.

SARIF is validated against the official OASIS SARIF 2.1.0 JSON Schema (tests/schemas/, source
noted there), and every finding must point at the file and line a reviewer edits.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from policies.hipaa.controls import CONTROLS
from scripts.engine.models import Deferred, Violation
from scripts.plan.report import PlanReport, PlanTimings, TenantPlan
from scripts.plan.render_markdown import render_plan_markdown

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())
PHI_SMS = 'sms: "Your HIV test result for MRN 4417-2231 is ready"'


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def line_of(path: Path, prefix: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(prefix))


@pytest.fixture
def reviewed_change(project_copy: Path) -> Path:
    """A pull request's view: PHI in one tenant's SMS template, a waiver for another's missing BAA."""
    tenant = project_copy / "stacks" / "tenants" / "local" / "sunrise-clinic.yaml"
    text = tenant.read_text()
    tenant.write_text(text.replace(next(ln.strip() for ln in text.splitlines() if ln.strip().startswith("sms:")),
                                   PHI_SMS))
    expires = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    (project_copy / "policies" / "waivers.yaml").write_text(
        "- policy: production-baa-attested\n  tenant: lotus-health\n"
        '  reason: "BAA countersignature pending, ticket SEC-123"\n'
        f'  approved_by: "compliance@example.org"\n  expires: {expires}\n')
    return project_copy


def test_sarif_is_valid_2_1_0_and_points_at_the_offending_line(reviewed_change: Path) -> None:
    result = run("plan", "--stack", "local", "--format", "sarif", cwd=reviewed_change)
    assert result.returncode == 1, result.stderr  # the PHI template is a mandatory violation
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    run_ = sarif["runs"][0]
    errors = [r for r in run_["results"] if r["level"] == "error"]
    assert [r["ruleId"] for r in errors] == ["notifications-email-sms-phi-free"]
    tenant = reviewed_change / "stacks" / "tenants" / "local" / "sunrise-clinic.yaml"
    location = errors[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "stacks/tenants/local/sunrise-clinic.yaml"
    assert location["region"]["startLine"] == line_of(tenant, "sms:")
    assert "MRN 4417-2231" not in result.stdout  # findings describe PHI, never repeat it
    # Advisory gates are warnings; the waived finding (lotus-health's BAA) is not a result.
    warnings = {(r["ruleId"], r["properties"]["tenant"]) for r in run_["results"] if r["level"] == "warning"}
    assert ("production-baa-attested", "lindenhof-praxis") in warnings
    assert ("production-baa-attested", "lotus-health") not in warnings
    stack_finding = next(r for r in run_["results"] if r["ruleId"] == "production-cometchat-plan-hipaa-eligible")
    assert stack_finding["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.local.yaml"
    rules = {rule["id"]: rule for rule in run_["tool"]["driver"]["rules"]}
    rule = rules["notifications-email-sms-phi-free"]
    assert CONTROLS["notifications-email-sms-phi-free"].fix in rule["help"]["text"]
    assert "45 CFR 164.514(b)(2)" in rule["properties"]["tags"]
    assert rule["shortDescription"]["text"]
    assert all(r["ruleIndex"] == list(rules).index(r["ruleId"]) for r in run_["results"])


def test_the_schema_check_rejects_what_code_scanning_would(reviewed_change: Path) -> None:
    sarif = json.loads(run("plan", "--stack", "local", "--format", "sarif", cwd=reviewed_change).stdout)
    sarif["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)


def test_markdown_summarises_tenants_violations_and_waiver_days_left(reviewed_change: Path) -> None:
    result = run("plan", "--stack", "local", "--format", "markdown", cwd=reviewed_change)
    assert result.returncode == 1
    text = result.stdout
    assert text.startswith("### hipaachat plan: stack `local` (prototype)")
    assert "**BLOCKED**" in text
    assert "| `sunrise-clinic` | us | us / us-east-2 | 70 | 1 | 1 |" in text
    assert "| error | `notifications-email-sms-phi-free` | sunrise-clinic |" in text
    assert "| `production-baa-attested` | lotus-health |" in text
    waiver_row = next(line for line in text.splitlines() if line.startswith("| `production-baa-attested` | lotus"))
    assert waiver_row.split(" | ")[3] == "10"  # days left


def test_one_blocked_plan_writes_every_rendering_its_out_suffixes_name(reviewed_change: Path, tmp_path: Path) -> None:
    """What plan.yml does: markdown on stdout, SARIF (and JSON) files from the same run, even when blocked."""
    outs = {name: tmp_path / "reports" / name for name in ("plan.sarif", "plan.json", "summary.md", "plan.report")}
    out_options = [arg for path in outs.values() for arg in ("--out", str(path))]
    result = run("plan", "--stack", "local", "--format", "markdown", *out_options, cwd=reviewed_change)
    assert result.returncode == 1, result.stderr
    assert outs["summary.md"].read_text() == result.stdout  # the same run, rendered twice
    sarif = json.loads(outs["plan.sarif"].read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"] if r["level"] == "error"] == [
        "notifications-email-sms-phi-free"]
    for name in ("plan.json", "plan.report"):  # any other suffix is the JSON report
        report = json.loads(outs[name].read_text())
        assert report["stack"] == "local" and any(v["enforcement"] == "mandatory" for v in report["violations"])
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name not in outs]  # no partial files left
    assert all("MRN 4417-2231" not in path.read_text() for path in outs.values())


def test_markdown_says_which_phase_raises_each_finding() -> None:
    report = PlanReport(stack="production", environment="production", resource_count=0,
                        tenants=[TenantPlan(id="a-clinic", residency="us", cometchat_region="us", aws_region="us-east-2")],
                        violations=[Violation(policy="p1", enforcement="mandatory", tenant="a-clinic",
                                              message="raised | early", phase="preview"),
                                    Violation(policy="p2", enforcement="advisory", tenant="a-clinic",
                                              message="late", phase="update")],
                        deferred=[Deferred(policy="p3", tenant="a-clinic", reason="key ARN unknown")],
                        timings=PlanTimings(program_seconds=0, policy_seconds=0))
    text = render_plan_markdown(report)
    assert "| level | policy | tenant | raised by | message |" in text
    assert "1 check(s) a real `pulumi preview` cannot make yet" in text
    assert "| error | `p1` | a-clinic | pulumi preview | raised \\| early |" in text
    assert "| warning | `p2` | a-clinic | pulumi up only | late |" in text


EXPIRED_WAIVER = ("- policy: production-baa-attested\n  tenant: lotus-health\n"
                  '  reason: "BAA countersignature pending, ticket SEC-123"\n'
                  '  approved_by: "compliance@example.org"\n  expires: 2020-01-01\n')


def _waiver_result(project: Path, waivers: Path) -> dict:
    env = {**os.environ, "HIPAACHAT_WAIVERS": str(waivers)}
    result = subprocess.run([HIPAACHAT, "plan", "--stack", "local", "--format", "sarif"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    return next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "waivers-valid")


def test_sarif_waiver_results_point_at_the_waiver_file_read(project_copy: Path,
                                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    inside = project_copy / "ops" / "waivers.yaml"
    inside.parent.mkdir()
    inside.write_text(EXPIRED_WAIVER)
    result = _waiver_result(project_copy, inside)
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "ops/waivers.yaml"
    assert "outside the repository" not in result["message"]["text"]

    outside = tmp_path_factory.mktemp("elsewhere") / "waivers.yaml"
    outside.write_text(EXPIRED_WAIVER)
    result = _waiver_result(project_copy, outside)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.local.yaml"
    assert f"The waiver file read is {outside.resolve()}" in result["message"]["text"]
    assert "outside the repository" in result["message"]["text"]
