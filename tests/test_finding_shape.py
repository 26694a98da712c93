"""Golden: one finding shape, `file:line:column: field: what; fix`, in validate, plan (table, JSON, SARIF, markdown).

One evaluation of a project copy with one bad tenant file per kind of finding: a policy value
(retention below the floor), a template (PHI in an SMS), an over-broad role matrix; and a
schema problem (admin with clinical content), which stops both commands before any plan.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from scripts.plan.render_markdown import render_plan_markdown
from scripts.plan.render_sarif import render_plan_sarif
from scripts.plan.render_table import render_plan_table
from scripts.plan.report import build_plan
from scripts.project import Project

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
LOCAL = Path("stacks") / "tenants" / "local"
RETENTION = (f"{LOCAL / 'lotus-health.yaml'}:6:19: retention.audit_log_days: 30 is below the 2192-day minimum; "
             "set it to 2192 or more (or 0 = never expire)")
# The fixture adds two retention lines above the roles of the shipped file.
PHARMACIST_LINE = 2 + next(n for n, ln in enumerate((Path(__file__).parents[1] / LOCAL / "lotus-health.yaml")
                                                    .read_text().splitlines(), 1) if "pharmacist:" in ln)
ROLES = (f"{LOCAL / 'lotus-health.yaml'}:{PHARMACIST_LINE}:28: roles.pharmacist.sees: [own, panel, assigned, audit, scheduling] "
         "is every scope with clinical content, more than any care function needs; list only the scopes this "
         "role needs (e.g. [panel] for a provider)")
SMS_PREFIX = f"{LOCAL / 'sunrise-clinic.yaml'}:{{line}}:14: notifications.sms: not pointer-only: a clinical term " \
             "(characters 5-10)"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    import shutil

    from tests.conftest import PROJECT_ROOT

    root = tmp_path_factory.mktemp("shape") / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    for name in ("stacks", "policies"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    lotus = root / LOCAL / "lotus-health.yaml"
    lotus.write_text(lotus.read_text().replace("residency: in\n", "residency: in\nretention:\n  audit_log_days: 30\n")
                     .replace("pharmacist:       {sees: [care-team],",
                              "pharmacist:       {sees: [own, panel, assigned, audit, scheduling],"))
    sunrise = root / LOCAL / "sunrise-clinic.yaml"
    text = sunrise.read_text()
    sms = next(ln for ln in text.splitlines() if ln.strip().startswith("sms:"))
    sunrise.write_text(text.replace(sms, '  sms: "Your HbA1c result is 9.1"'))
    line = next(n for n, ln in enumerate(sunrise.read_text().splitlines(), 1) if ln.strip().startswith("sms:"))
    return root, line


@pytest.fixture(scope="module")
def renderings(bad_project: tuple[Path, int]) -> dict[str, str]:
    root, _ = bad_project
    project = Project.find(root)
    report = build_plan(project, "local")
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render_plan_table(report, console)
    return {"table": console.file.getvalue(), "json": report.model_dump_json(), "sarif": render_plan_sarif(report, project),
            "markdown": render_plan_markdown(report)}


def test_validate_and_every_plan_format_say_the_same_words_at_the_same_place(
        bad_project: tuple[Path, int], renderings: dict[str, str]) -> None:
    root, line = bad_project
    sms = SMS_PREFIX.format(line=line)
    validate = run("tenants", "validate", "--stack", "local", cwd=root)
    assert validate.returncode == 2
    assert sum(sms in ln for ln in validate.stderr.splitlines()) == 1, validate.stderr

    table = renderings["table"]
    for golden in (RETENTION, ROLES, sms):
        assert sum(golden in ln for ln in table.splitlines()) == 1, (golden, table)
        assert golden.replace("|", "\\|") in renderings["markdown"]
    assert "retention_in_days" not in table.replace("(detail: log group retention_in_days = 30)", "")
    # One field two resources break (log group and Object Lock) reads once.
    assert table.count("retention.audit_log_days: 30 is below the 2192-day minimum") == 1
    # The floor rule names the audit retention by its new name; the finding spells it as the file does.
    assert table.count(f"{LOCAL / 'lotus-health.yaml'}:6:19: retention.audit_log_days: 30 is below the audit "
                       "floor of 2192 days") == 1, table
    assert "retention.audit_days" not in table

    violations = json.loads(renderings["json"])["violations"]
    retention = [v for v in violations if v.get("field") == "retention.audit_log_days"]
    # The JSON keeps one violation per policy, each at the field it comes from (the archive's Object Lock now
    # follows the tenant's longest retention floor, so it is not among them).
    assert {"retention-log-group-minimum", "retention-floor-met"} <= {v["policy"] for v in retention}
    assert {(v["file"], v["line"], v["column"]) for v in retention} == {(str(LOCAL / "lotus-health.yaml"), 6, 19)}
    assert {"policy", "enforcement", "tenant", "urn", "message", "phase"} <= set(retention[0])

    results = json.loads(renderings["sarif"])["runs"][0]["results"]
    def located(result: dict) -> str:
        physical = result["locations"][0]["physicalLocation"]
        region = physical["region"]
        return f"{physical['artifactLocation']['uri']}:{region['startLine']}:{region['startColumn']}: " \
               f"{result['message']['text']}"
    sarif = [located(r) for r in results if "startColumn" in r["locations"][0]["physicalLocation"].get("region", {})]
    for golden in (RETENTION, ROLES, sms):
        assert sum(s.startswith(golden) for s in sarif) == 1, (golden, sarif)


def test_a_schema_problem_reads_the_same_in_validate_and_plan(project_copy: Path) -> None:
    lotus = project_copy / LOCAL / "lotus-health.yaml"
    lotus.write_text(lotus.read_text().replace("admin:            {sees: [audit],      clinical_content: false}",
                                               "admin:            {sees: [audit],      clinical_content: true}"))
    golden = f"{LOCAL / 'lotus-health.yaml'}:{{line}}:60: roles.admin.clinical_content: must be false"
    line = next(n for n, ln in enumerate(lotus.read_text().splitlines(), 1) if ln.strip().startswith("admin:"))
    golden = golden.format(line=line)
    for args in (("tenants", "validate"), ("plan",)):
        result = run(*args, "--stack", "local", cwd=project_copy)
        assert result.returncode == 2 and golden in result.stderr, result.stderr
