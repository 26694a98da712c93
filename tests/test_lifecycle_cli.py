"""Tenant lifecycle through the CLI as users run it: export, offboard, plan --state, release.

Each case starts from a state exported from the local stack by `plan --export-state` (the same
shape `pulumi stack export` writes), changes the project or the state the way a user or an
older deployment would, and checks the exit code and the tenant named. The plans run the
policy pack through the real Analyzer protocol unless a case only concerns the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
EVIDENCE_TYPES = {"aws:kms/key:Key", "aws:kms/alias:Alias", "aws:cloudwatch/logGroup:LogGroup", "aws:s3/bucket:Bucket",
                  "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"}


def run(*args: str, cwd: Path, today: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"HIPAACHAT_TODAY": today} if today else {})}
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local stack's declared state, as `plan --export-state` writes it (once per module)."""
    from tests.conftest import PROJECT_ROOT

    path = tmp_path_factory.mktemp("state") / "state.json"
    result = run("plan", "--stack", "local", "--no-policies", "--format", "json", "--export-state", str(path),
                 cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    return path


def plan_json(project: Path, *args: str, today: str | None = None) -> tuple[int, dict]:
    result = run("plan", "--stack", "local", "--format", "json", *args, cwd=project, today=today)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def blocking(report: dict) -> set[tuple[str, str]]:
    return {(v["policy"], v["tenant"]) for v in report["violations"] if v["enforcement"] == "mandatory"}


def edited_state(exported: Path, tmp_path: Path, edit) -> Path:
    document = json.loads(exported.read_text())
    for resource in document["deployment"]["resources"]:
        edit(resource)
    path = tmp_path / "edited-state.json"
    path.write_text(json.dumps(document))
    return path


def test_export_marks_every_tenants_evidence_retained(exported):
    resources = json.loads(exported.read_text())["deployment"]["resources"]
    for tenant in ("sunrise-clinic", "lindenhof-praxis", "lotus-health"):
        retained = {(r["type"], r["urn"].rsplit("::", 1)[1]) for r in resources if r["retainOnDelete"]}
        for kind, name in (("aws:kms/key:Key", "key"), ("aws:kms/alias:Alias", "key-alias"),
                           ("aws:cloudwatch/logGroup:LogGroup", "audit"), ("aws:s3/bucket:Bucket", "audit-archive"),
                           ("aws:iam/role:Role", "auditor"), ("aws:iam/rolePolicy:RolePolicy", "auditor-policy")):
            assert (kind, f"{tenant}-{name}") in retained
        assert ("aws:iam/role:Role", f"{tenant}-operator") not in retained
        assert ("pulumi-python:dynamic/hipaachat:CometChatApp", f"{tenant}-cometchat-app") not in retained


def test_an_unchanged_project_has_no_changes(exported, project_root):
    code, report = plan_json(project_root, "--no-policies", "--state", str(exported))
    assert code == 0 and report["changes"]["tenants"] == []
    assert "without provider diff semantics" in report["changes"]["note"]


def test_deployed_resources_keep_their_values_at_preview(exported, project_root):
    """Against a state holding every resource, a preview knows every value: nothing is deferred."""
    code, fresh = plan_json(project_root)
    assert code == 0 and fresh["deferred"], "a first preview defers the checks on computed documents"
    code, report = plan_json(project_root, "--state", str(exported))
    assert code == 0 and report["deferred"] == []
    assert {(v["policy"], v["urn"]) for v in report["violations"]} == {(v["policy"], v["urn"]) for v in fresh["violations"]}


def test_deleting_a_tenant_file_is_refused_but_offboarding_is_not(exported, project_copy):
    (project_copy / "stacks/tenants/local/lotus-health.yaml").unlink()
    code, report = plan_json(project_copy, "--state", str(exported))
    assert code == 1 and blocking(report) == {("lifecycle-tenant-file-removed", "lotus-health")}
    assert "hipaachat tenants offboard lotus-health --stack local" in report["violations"][-1]["message"]

    shutil.copy(Path(__file__).parent.parent / "stacks/tenants/local/lotus-health.yaml",
                project_copy / "stacks/tenants/local/lotus-health.yaml")
    offboard = run("tenants", "offboard", "--stack", "local", "lotus-health", "--on", "2026-11-01", cwd=project_copy)
    assert offboard.returncode == 0, offboard.stderr
    assert "until 2032-11-01" in offboard.stdout and "CometChat app" in offboard.stdout

    code, report = plan_json(project_copy, "--state", str(exported))
    assert code == 0 and not blocking(report), report["violations"]
    lotus = next(t for t in report["tenants"] if t["id"] == "lotus-health")
    assert {r["type"] for r in lotus["resources"]} <= EVIDENCE_TYPES | {
        "pulumi:providers:aws", "hipaachat:tenant:Access", "hipaachat:tenant:Keys", "hipaachat:tenant:AuditSinks",
        "hipaachat:tenant:HardenedBucket",
        # the trail's pseudonym key outlives offboarding: old pseudonyms mean nothing without it
        "hipaachat:tenant:AuditTrail", "random:index/randomBytes:RandomBytes", "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretVersion:SecretVersion", "aws:cloudwatch/queryDefinition:QueryDefinition",
    } | _bucket_config_types()
    names = {r["name"] for r in lotus["resources"]}
    assert {"lotus-health-key", "lotus-health-audit", "lotus-health-audit-archive", "lotus-health-auditor"} <= names
    assert not names & {"lotus-health-cometchat-app", "lotus-health-ingest", "lotus-health-operator"}
    [group] = [g for g in report["changes"]["tenants"] if g["tenant"] == "lotus-health"]
    deleted = {d["name"] for d in group["deletes"]}
    assert {"lotus-health-cometchat-app", "lotus-health-ingest", "lotus-health-operator"} <= deleted
    assert [s["tenant"] for s in report["lifecycle"]] == ["lotus-health"]
    assert report["lifecycle"][0]["evidence_until"] == "2032-11-01"

    # The PR comment says the same: what goes, what stays and until when, and how changes were compared.
    markdown = run("plan", "--stack", "local", "--state", str(exported), "--format", "markdown", cwd=project_copy)
    assert markdown.returncode == 0, markdown.stderr
    assert f"{len(group['deletes'])} to delete" in markdown.stdout and "without provider diff semantics" in markdown.stdout
    assert "| `lotus-health` | offboarded | 2026-11-01 | 2032-11-01 | evidence |" in markdown.stdout


def _bucket_config_types() -> set[str]:
    return {f"aws:s3/{kind}" for kind in (
        "bucketVersioning:BucketVersioning", "bucketPublicAccessBlock:BucketPublicAccessBlock",
        "bucketOwnershipControls:BucketOwnershipControls", "bucketPolicy:BucketPolicy",
        "bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")}


def test_evidence_leaving_the_stack_early_is_refused(exported, project_root, tmp_path):
    # A state from a program that named the key differently: the deployed key would be deleted.
    def rename_key(resource):
        if resource["urn"].endswith("::sunrise-clinic-key"):
            resource["urn"] += "-v0"
    state = edited_state(exported, tmp_path, rename_key)
    code, report = plan_json(project_root, "--no-policies", "--state", str(state))
    assert code == 1 and blocking(report) == {("lifecycle-evidence-deleted-early", "sunrise-clinic")}
    [finding] = [v for v in report["violations"] if v["policy"] == "lifecycle-evidence-deleted-early"]
    assert finding["urn"].endswith("sunrise-clinic-key-v0") and "aws:kms/key:Key" in finding["message"]


def test_replacing_or_deleting_an_active_tenants_app_is_refused(exported, project_root, tmp_path):
    def other_region(resource):
        if resource["type"] == "pulumi-python:dynamic/hipaachat:CometChatApp" and "lindenhof" in resource["urn"]:
            resource["inputs"]["region"] = "us"
    code, report = plan_json(project_root, "--no-policies", "--state",
                             str(edited_state(exported, tmp_path, other_region)))
    assert code == 1 and blocking(report) == {("lifecycle-cometchat-app-replaced", "lindenhof-praxis")}
    assert "region" in report["violations"][-1]["message"]

    def renamed(resource):
        if resource["type"] == "pulumi-python:dynamic/hipaachat:CometChatApp" and "lotus" in resource["urn"]:
            resource["urn"] = resource["urn"].replace("lotus-health-cometchat-app", "lotus-app")
    code, report = plan_json(project_root, "--no-policies", "--state", str(edited_state(exported, tmp_path, renamed)))
    assert code == 1 and blocking(report) == {("lifecycle-cometchat-app-replaced", "lotus-health")}


def test_a_residency_change_is_refused(exported, project_copy, tmp_path):
    path = project_copy / "stacks/tenants/local/sunrise-clinic.yaml"
    path.write_text(path.read_text().replace("residency: us", "residency: eu"))
    code, report = plan_json(project_copy, "--state", str(exported))
    assert code == 1
    assert ("lifecycle-residency-changed", "sunrise-clinic") in blocking(report)
    assert {tenant for _, tenant in blocking(report)} == {"sunrise-clinic"}

    # A state that did not record the component's inputs still shows the move: the provider's region.
    def bare_components(resource):
        if resource["type"] == "hipaachat:index:Tenant":
            resource["inputs"] = {}
    state = edited_state(exported, tmp_path, bare_components)
    code, report = plan_json(project_copy, "--no-policies", "--state", str(state))
    [moved] = [v for v in report["violations"] if v["policy"] == "lifecycle-residency-changed"]
    assert code == 1 and moved["tenant"] == "sunrise-clinic" and "us-east-2" in moved["message"]


def test_lowering_a_deployed_retention_is_refused(exported, project_root, tmp_path):
    def kept_longer(resource):
        if resource["type"] == "hipaachat:index:Tenant" and resource["inputs"].get("tenantId") == "sunrise-clinic":
            resource["inputs"]["retention"]["messages"]["kept"] = 9000
    code, report = plan_json(project_root, "--no-policies", "--state",
                             str(edited_state(exported, tmp_path, kept_longer)))
    assert code == 1 and blocking(report) == {("lifecycle-retention-lowered", "sunrise-clinic")}
    [lowered] = [v for v in report["violations"] if v["policy"] == "lifecycle-retention-lowered"]
    assert "retention.messages_days of sunrise-clinic would drop from 9000 days to 7305 days" in lowered["message"]
    assert "COMPLIANCE" in lowered["message"] and "restore retention.messages_days: 9000" in lowered["message"]

    # A state from before per-type retention recorded only the audit days; raising them is fine.
    def older_state(resource):
        if resource["type"] == "hipaachat:index:Tenant":
            resource["inputs"].pop("retention", None)
            resource["inputs"]["retentionDays"] = 3653 if "lotus" in resource["urn"] else 731
    code, report = plan_json(project_root, "--no-policies", "--state", str(edited_state(exported, tmp_path, older_state)))
    assert code == 1 and blocking(report) == {("lifecycle-retention-lowered", "lotus-health")}


def test_release_is_explicit_and_only_after_the_retention_date(exported, project_copy):
    path = project_copy / "stacks/tenants/local/lotus-health.yaml"
    path.write_text(path.read_text() + "lifecycle:\n  state: offboarded\n  offboarded_on: 2020-01-01\n")
    # Retention (2192 days) ended on 2026-01-01: the plan says so and how, and still keeps the evidence.
    code, report = plan_json(project_copy, "--no-policies", "--state", str(exported), today="2026-06-01")
    assert code == 0
    [notice] = [v for v in report["violations"] if v["policy"] == "lifecycle-evidence-releasable"]
    assert notice["tenant"] == "lotus-health" and notice["enforcement"] == "advisory"
    assert "lifecycle.state: released" in notice["message"]
    assert any(t["id"] == "lotus-health" for t in report["tenants"])

    path.write_text(path.read_text().replace("state: offboarded", "state: released"))
    # Released too early: ignored (evidence still deployed) and reported.
    code, report = plan_json(project_copy, "--no-policies", "--state", str(exported), today="2025-06-01")
    assert code == 0 and any(t["id"] == "lotus-health" for t in report["tenants"])
    assert ("lifecycle-released-early", "lotus-health") in {(v["policy"], v["tenant"]) for v in report["violations"]}
    # Released after the date: the stack stops managing it, and that is not a violation.
    code, report = plan_json(project_copy, "--no-policies", "--state", str(exported), today="2026-06-01")
    assert code == 0 and not blocking(report)
    assert all(t["id"] != "lotus-health" for t in report["tenants"])


@pytest.mark.parametrize(("content", "reason"), [
    ('{"version": 3, "deployment": {"resources": [', "truncated"),
    ('{"name": "hipaachat"}', "not a Pulumi state file"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:prod::webshop::pulumi:pulumi:Stack::w", '
     '"custom": false, "type": "pulumi:pulumi:Stack"}]}}', "holds stack webshop/prod"),
])
def test_a_bad_state_file_is_exit_2_naming_the_file(project_root, tmp_path, content, reason):
    path = tmp_path / "state.json"
    path.write_text(content)
    result = run("plan", "--stack", "local", "--no-policies", "--state", str(path), cwd=project_root)
    assert result.returncode == 2 and str(path) in result.stderr and reason in result.stderr
    assert result.stdout == ""


def test_offboard_refuses_what_it_cannot_do(project_copy):
    future = run("tenants", "offboard", "--stack", "local", "sunrise-clinic", "--on", "2999-01-01", cwd=project_copy)
    assert future.returncode == 2 and "in the future" in future.stderr
    missing = run("tenants", "offboard", "--stack", "local", "no-such-clinic", cwd=project_copy)
    assert missing.returncode == 2 and "no such tenant file" in missing.stderr
    bad_date = run("tenants", "offboard", "--stack", "local", "sunrise-clinic", "--on", "01/02/2026", cwd=project_copy)
    assert bad_date.returncode == 2 and "--on" in bad_date.stderr
    first = run("tenants", "offboard", "--stack", "local", "sunrise-clinic", "--on", "2026-01-02", cwd=project_copy)
    assert first.returncode == 0
    again = run("tenants", "offboard", "--stack", "local", "sunrise-clinic", cwd=project_copy)
    assert again.returncode == 2 and "already offboarded" in again.stderr
    text = (project_copy / "stacks/tenants/local/sunrise-clinic.yaml").read_text()
    assert text.count("lifecycle:") == 1 and "offboarded_on: 2026-01-02" in text
    assert text.startswith("# stacks/tenants/local/sunrise-clinic.yaml")  # comments survive the edit


def test_pending_operations_of_the_state_are_in_the_plan_json(exported, project_root, tmp_path):
    """The CLI warns per unfinished operation; the JSON CI reads lists the same ones."""
    document = json.loads(exported.read_text())
    urn = next(r["urn"] for r in document["deployment"]["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    document["deployment"]["pending_operations"] = [{"type": "updating", "resource": {"urn": urn}}]
    state = tmp_path / "pending-state.json"
    state.write_text(json.dumps(document))
    result = run("plan", "--stack", "local", "--no-policies", "--format", "json", "--state", str(state),
                 cwd=project_root)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["changes"]["pending_operations"] == [{"type": "updating", "urn": urn}]
    assert f"pending updating of {urn}" in " ".join(result.stderr.split())
    code, clean = plan_json(project_root, "--no-policies", "--state", str(exported))
    assert clean["changes"]["pending_operations"] == []
