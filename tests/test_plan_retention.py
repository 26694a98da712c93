"""`hipaachat plan` and retention floors end to end: law-derived floors block, bad care is bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_plan_policies import HIPAACHAT, edit, mandatory, plan, tenant_file

SHIPPED_CARE = "  jurisdiction: US-MA\n  provider_type: clinic\n  serves_minors: true\n"


def production_ma_hospital(project: Path, messages_days: int) -> None:
    edit(tenant_file(project, "sunrise-clinic", "production"), SHIPPED_CARE,
         "  jurisdiction: US-MA\n  provider_type: hospital\n  serves_minors: false\n")
    edit(tenant_file(project, "sunrise-clinic", "production"), "retention:\n  audit_log_days: 2192",
         f"retention:\n  messages_days: {messages_days}\n  audit_days: 2192")


def test_a_massachusetts_hospital_keeping_messages_ten_years_is_refused(project_copy: Path) -> None:
    production_ma_hospital(project_copy, 3653)
    code, report = plan(project_copy, "production")
    assert code == 1
    assert ("retention-floor-met", "sunrise-clinic") in mandatory(report)
    [finding] = [v for v in report["violations"] if v["policy"] == "retention-floor-met"]
    assert "retention.messages_days: 3653 is below the messages floor of 7305 days" in finding["message"]
    assert "M.G.L. c.111 § 70" in finding["message"] and "set it to 7305 or more" in finding["message"]


def test_twenty_years_plans_clean(project_copy: Path) -> None:
    production_ma_hospital(project_copy, 7305)
    code, report = plan(project_copy, "production")
    assert code == 0, mandatory(report)
    assert validate(project_copy, "production").returncode == 0


def validate(project: Path, stack: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HIPAACHAT, "tenants", "validate", "--stack", stack], cwd=project, capture_output=True,
                          text=True, timeout=120)


def test_validate_refuses_what_the_floor_rule_refuses_in_the_same_words(project_copy: Path) -> None:
    """The pack blocks a retention below its floor in every environment: `tenants validate` says so first."""
    production_ma_hospital(project_copy, 3653)
    code, report = plan(project_copy, "production")
    [finding] = [v for v in report["violations"] if v["policy"] == "retention-floor-met"]
    checked = validate(project_copy, "production")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    located = f"{finding['file']}:{finding['line']}:{finding['column']}: {finding['field']}: "
    assert located == "stacks/tenants/production/sunrise-clinic.yaml:11:18: retention.messages_days: "
    lines = [ln for ln in checked.stderr.splitlines() if located in ln]
    assert len(lines) == 1 and lines[0].endswith(finding["message"].split(f"{finding['field']}: ", 1)[1]), lines
    assert "1 retention value(s) below their floor" in checked.stderr


@pytest.mark.parametrize("key", ["audit_log_days", "audit_days"])
def test_validate_names_the_audit_retention_as_the_file_spells_it(project_copy: Path, key: str) -> None:
    edit(tenant_file(project_copy, "sunrise-clinic"), "audit_log_days: 2192", f"{key}: 30")
    checked = validate(project_copy, "local")
    assert checked.returncode == 2
    assert f"sunrise-clinic.yaml:10:{len(key) + 5}: retention.{key}: 30 is below the audit floor of 2192 days" \
        in checked.stderr, checked.stderr


def bad_plan(project: Path) -> str:
    result = subprocess.run([HIPAACHAT, "plan", "--stack", "local"], cwd=project, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stderr


@pytest.mark.parametrize(("old", "new", "says"), [
    ("jurisdiction: US-MA", "jurisdiction: US-ZZ",
     ["stacks/tenants/local/sunrise-clinic.yaml:6: care.jurisdiction: 'US-ZZ' is not in the retention floor table",
      "US-MA", "policies/hipaa/retention_floors.yaml"]),
    ("provider_type: clinic", "provider_type: dentist",
     ["stacks/tenants/local/sunrise-clinic.yaml:7: care.provider_type: 'dentist'", "clinic, hospital, physician"]),
    ("audit_log_days: 2192", "audit_log_days: 2192\n  messages_days: -5",
     ["sunrise-clinic.yaml:11:18: retention.messages_days:", "greater than or equal to 1"]),
    ("audit_log_days: 2192", "audit_log_days: 2192\n  messages_days: 7305.5",
     ["sunrise-clinic.yaml:11:18: retention.messages_days:", "integer"]),
])
def test_bad_care_or_days_exit_2_naming_file_line_and_field(project_copy: Path, old: str, new: str,
                                                            says: list[str]) -> None:
    edit(tenant_file(project_copy, "sunrise-clinic"), old, new)
    stderr = " ".join(bad_plan(project_copy).split())
    for text in says:
        assert text in stderr
