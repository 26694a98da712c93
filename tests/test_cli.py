"""The `hipaachat` CLI as users and CI run it: real processes, exit codes, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_plan_local_json_lists_every_tenant_and_what_it_owns(project_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = run("plan", "--stack", "local", "--format", "json", "--out", str(out), cwd=project_root)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert json.loads(out.read_text()) == report
    assert report["stack"] == "local" and report["environment"] == "prototype"
    assert {t["id"]: (t["residency"], t["cometchat_region"], t["aws_region"]) for t in report["tenants"]} == {
        "sunrise-clinic": ("us", "us", "us-east-2"),
        "lindenhof-praxis": ("eu", "eu", "eu-central-1"),
        "lotus-health": ("in", "in", "ap-south-1"),
    }
    for tenant in report["tenants"]:
        names = {(r["type"], r["name"]) for r in tenant["resources"]}
        tid = tenant["id"]
        for expected in [("aws:kms/key:Key", f"{tid}-key"),
                         ("aws:secretsmanager/secret:Secret", f"{tid}-cometchat-credentials"),
                         ("aws:s3/bucket:Bucket", f"{tid}-templates"),
                         ("aws:cloudwatch/logGroup:LogGroup", f"{tid}-audit"),
                         ("aws:s3/bucket:Bucket", f"{tid}-audit-archive"),
                         ("aws:iam/role:Role", f"{tid}-operator"),
                         ("aws:iam/role:Role", f"{tid}-auditor")]:
            assert expected in names, (tid, expected)
        templates = [n for t, n in names if t == "aws:s3/bucketObjectv2:BucketObjectv2"]
        assert sorted(templates) == sorted(f"{tid}-template-{c}" for c in ("push", "in-app", "email", "sms"))
    assert report["resource_count"] >= sum(len(t["resources"]) for t in report["tenants"])
    # prototype: production gates are reported but advisory; nothing mandatory is violated
    assert report["violations"], "the local tenants lack a BAA / plan attestation: gates must say so"
    assert {v["enforcement"] for v in report["violations"]} == {"advisory"}
    assert all(v["policy"].startswith("production-") for v in report["violations"])


def test_plan_never_prints_a_secret(project_root: Path) -> None:
    result = run("plan", "--stack", "local", "--format", "json", cwd=project_root)
    assert result.returncode == 0, result.stderr
    for secret in ("local-mgmt-secret", "local-mgmt-key"):
        assert secret not in result.stdout and secret not in result.stderr


def test_bad_tenant_field_exits_2_naming_file_line_and_field(project_copy: Path) -> None:
    tenant = project_copy / "stacks" / "tenants" / "local" / "lotus-health.yaml"
    tenant.write_text(tenant.read_text().replace("residency: in", "residency: moon"))
    result = run("plan", "--stack", "local", cwd=project_copy)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "stacks/tenants/local/lotus-health.yaml:4:12: residency:" in result.stderr
    assert "use us, eu or in" in result.stderr


def test_bad_stack_setting_exits_2_naming_the_stack_file(project_copy: Path) -> None:
    stack = project_copy / "stacks" / "Pulumi.local.yaml"
    stack.write_text(stack.read_text().replace("hipaachat:environment: prototype", "hipaachat:environment: staging"))
    result = run("plan", "--stack", "local", cwd=project_copy)
    assert result.returncode == 2
    assert "stacks/Pulumi.local.yaml: config.hipaachat:environment:" in result.stderr


def test_commands_find_the_project_from_a_subdirectory_and_plan_its_edits(project_copy: Path) -> None:
    source = project_copy / "stacks" / "tenants" / "local" / "sunrise-clinic.yaml"
    (source.parent / "harbor-clinic.yaml").write_text(
        source.read_text().replace("id: sunrise-clinic", "id: harbor-clinic")
        .replace("Sunrise Family Clinic", "Harbor Clinic"))
    result = run("plan", "--stack", "local", "--format", "json", cwd=project_copy / "stacks" / "tenants")
    assert result.returncode == 0, result.stderr
    assert "harbor-clinic" in {t["id"] for t in json.loads(result.stdout)["tenants"]}


def test_outside_a_project_is_a_clear_input_error(tmp_path: Path) -> None:
    result = run("plan", "--stack", "local", cwd=tmp_path)
    assert result.returncode == 2
    assert "no Pulumi.yaml" in result.stderr and "--cwd" in result.stderr


def test_tenants_new_scaffolds_a_valid_tenant_and_refuses_reuse(project_copy: Path) -> None:
    result = run("tenants", "new", "--stack", "local", "river-clinic", "--residency", "eu", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    created = project_copy / "stacks" / "tenants" / "local" / "river-clinic.yaml"
    assert "residency: eu" in created.read_text()
    assert run("tenants", "validate", "--stack", "local", cwd=project_copy).returncode == 0
    again = run("tenants", "new", "--stack", "local", "river-clinic", cwd=project_copy)
    assert again.returncode == 2 and "never reused" in again.stderr
    cared = run("tenants", "new", "--stack", "local", "bay-hospital", "--jurisdiction", "US-MA", "--provider-type",
                "hospital", "--serves-minors", cwd=project_copy)
    assert cared.returncode == 0, cared.stderr
    text = (project_copy / "stacks" / "tenants" / "local" / "bay-hospital.yaml").read_text()
    assert "  jurisdiction: US-MA\n  provider_type: hospital\n  serves_minors: true\n" in text
    unknown = run("tenants", "new", "--stack", "local", "far-clinic", "--jurisdiction", "US-ZZ", "--provider-type",
                  "clinic", cwd=project_copy)
    assert unknown.returncode == 2 and "known jurisdictions" in unknown.stderr and "retention_floors.yaml" in unknown.stderr
    assert not (project_copy / "stacks" / "tenants" / "local" / "far-clinic.yaml").exists()
    bad = run("tenants", "new", "--stack", "local", "River_Clinic", cwd=project_copy)
    assert bad.returncode == 2 and "lowercase" in bad.stderr
    assert not (project_copy / "stacks" / "tenants" / "local" / "River_Clinic.yaml").exists()


def test_tenants_new_writes_the_same_bytes_for_every_stack(project_copy: Path) -> None:
    """Promotion copies the file byte for byte into production: its header must not name the stack."""
    for stack in ("local", "prototype"):
        result = run("tenants", "new", "--stack", stack, "harbor-clinic", "--residency", "us", cwd=project_copy)
        assert result.returncode == 0, result.stderr
    local, prototype = (project_copy / "stacks" / "tenants" / s / "harbor-clinic.yaml" for s in ("local", "prototype"))
    assert local.read_bytes() == prototype.read_bytes()
    assert "stacks/tenants/" not in local.read_text() and "local" not in local.read_text()


def test_tenants_list_and_schema(project_root: Path) -> None:
    listed = run("tenants", "list", "--stack", "local", "--format", "json", cwd=project_root)
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["lindenhof-praxis"]["aws_region"] == "eu-central-1" and rows["lindenhof-praxis"]["baa"] is None
    schema = json.loads(run("tenants", "schema", cwd=project_root).stdout)
    assert set(schema["required"]) >= {"id", "name", "residency", "roles", "notifications"}


def test_validate_gives_the_packs_verdict_on_templates_with_spans(project_copy: Path) -> None:
    tenant = project_copy / "stacks" / "tenants" / "local" / "sunrise-clinic.yaml"
    original = tenant.read_text()
    tenant.write_text(original.replace(
        'sms: "New message in your care portal: {{deep_link}}"', 'sms: "Your HbA1c result is 9.1"'))
    line = next(n for n, text in enumerate(tenant.read_text().splitlines(), 1) if text.strip().startswith("sms:"))
    blocked = run("tenants", "validate", "--stack", "local", cwd=project_copy)
    assert blocked.returncode == 2  # the pack refuses this template everywhere, so validate does too
    located = [ln for ln in blocked.stderr.splitlines() if "notifications.sms" in ln]
    assert len(located) == 1, blocked.stderr  # once, not once per finding
    assert f"sunrise-clinic.yaml:{line}:14: notifications.sms: not pointer-only: a clinical term (characters 5-10)" \
        in located[0]
    assert "HbA1c" not in blocked.stderr and "are valid" not in blocked.stdout

    tenant.write_text(original.replace('push: "You have a new message from your care team."',
                                       'push: "Your biopsy results are ready"'))
    relaxed = run("tenants", "validate", "--stack", "local", cwd=project_copy)
    assert relaxed.returncode == 0 and "warning:" in relaxed.stderr and "notifications.push: looks like PHI" \
        in relaxed.stderr  # advisory in the pack, a warning here
    strict = run("tenants", "validate", "--stack", "local", "--strict", cwd=project_copy)
    assert strict.returncode == 2
    assert "biopsy" not in strict.stderr  # findings describe what is wrong; they never echo the PHI


def test_plan_needs_no_credentials_but_says_what_a_deploy_will_need(project_root: Path) -> None:
    result = run("plan", "--stack", "production", cwd=project_root)
    # exit 1: the shipped placeholder CometChat attestation is refused (tests/test_plan_policies.py)
    assert result.returncode == 1, result.stderr
    assert "hipaachat:cometchatManagementKey is not set" in result.stderr
    assert "pulumi config set --secret -s production hipaachat:cometchatManagementKey" in result.stderr


def test_a_broken_policy_pack_fails_closed(project_copy: Path) -> None:
    main = project_copy / "policies" / "hipaa" / "__main__.py"
    main.write_text("raise SystemExit('synthetic pack failure for the test')\n" + main.read_text())
    result = run("plan", "--stack", "local", "--format", "json", cwd=project_copy)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "the policy pack failed, so the plan cannot pass" in result.stderr
