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
    assert "stacks/tenants/local/lotus-health.yaml:4: residency:" in result.stderr
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
    bad = run("tenants", "new", "--stack", "local", "River_Clinic", cwd=project_copy)
    assert bad.returncode == 2 and "lowercase" in bad.stderr
    assert not (project_copy / "stacks" / "tenants" / "local" / "River_Clinic.yaml").exists()


def test_tenants_list_and_schema(project_root: Path) -> None:
    listed = run("tenants", "list", "--stack", "local", "--format", "json", cwd=project_root)
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["lindenhof-praxis"]["aws_region"] == "eu-central-1" and rows["lindenhof-praxis"]["baa"] is None
    schema = json.loads(run("tenants", "schema", cwd=project_root).stdout)
    assert set(schema["required"]) >= {"id", "name", "residency", "roles", "notifications"}


def test_validate_warns_on_phi_and_strict_fails(project_copy: Path) -> None:
    tenant = project_copy / "stacks" / "tenants" / "local" / "sunrise-clinic.yaml"
    tenant.write_text(tenant.read_text().replace(
        'sms: "New message in your care portal: {{deep_link}}"',
        'sms: "Hi {{patient_name}}, your biopsy results are ready"'))
    relaxed = run("tenants", "validate", "--stack", "local", cwd=project_copy)
    assert relaxed.returncode == 0 and "notifications.sms" in relaxed.stderr
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
