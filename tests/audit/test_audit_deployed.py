"""`hipaachat audit --state`: what is deployed, from `pulumi stack export` files and checkpoints.

The local stack's export is written once with the project's own writer (scripts.engine.state); each
test edits a copy the way a real deployment would differ (rotation switched off by hand, a
secret input stored in plain text, an edited template) and audits it through the real CLI.
Foreign and malformed files are written here from the documented export format.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest

from scripts.audit.sources import declared
from scripts.project import Project
from scripts.engine.state import write_state
from tests.audit.conftest import FILES, AuditRun, run
from tests.conftest import PROJECT_ROOT

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
PLANTED_SECRET = "SYNTHETIC-plaintext-9f2c4e7a1b"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The local stack as `pulumi stack export` would show it after `pulumi up` (synthetic values)."""
    path = tmp_path_factory.mktemp("export") / "local.json"
    write_state(path, declared(Project.find(PROJECT_ROOT), "local").resources, stack="local")
    document = json.loads(path.read_text())
    # What Pulumi writes: its CLI version in the manifest (hipaachat's writer signs its own name there).
    document["deployment"]["manifest"]["version"] = "v3.205.0"
    return document


def _resource(document: dict, suffix: str) -> dict:
    deployment = document.get("deployment") or document["checkpoint"]["latest"]
    return next(r for r in deployment["resources"] if r["urn"].endswith(suffix))


def _audit(document: dict | str, tmp_path: Path, *args: str) -> AuditRun:
    state = tmp_path / "state.json"
    state.write_text(document if isinstance(document, str) else json.dumps(document))
    out = tmp_path / "evidence"
    return AuditRun(run("audit", "--state", str(state), "--out", str(out), *args, cwd=PROJECT_ROOT), out)


def test_unchanged_export_passes_like_the_declared_stack(export: dict, tmp_path: Path) -> None:
    audit = _audit(export, tmp_path)
    assert audit.result.returncode == 0, audit.result.stdout + audit.result.stderr
    report = audit.json()
    assert report["source"] == "deployed" and report["stack"] == "local"  # the stack comes from the URNs
    assert {t["id"] for t in report["tenants"]} == {"sunrise-clinic", "lindenhof-praxis", "lotus-health"}
    assert report["summary"]["secret_findings"] == 0
    assert {i["role"] for i in report["inputs"]} >= {"state", "stack settings"}


def test_an_export_written_by_hipaachat_is_labelled_declared_not_deployed(export: dict, tmp_path: Path) -> None:
    document = copy.deepcopy(export)
    document["deployment"]["manifest"]["version"] = "hipaachat 0.1.0"  # what `plan --export-state` writes
    audit = _audit(document, tmp_path)
    assert audit.result.returncode == 0, audit.result.stdout + audit.result.stderr
    assert audit.json()["source"] == "declared-export"
    html = audit.text("audit.html")
    assert "not a deployment" in html and "deployed (pulumi stack export)" not in html


def test_key_rotation_off_fails_the_encryption_control(export: dict, tmp_path: Path) -> None:
    document = copy.deepcopy(export)
    key = _resource(document, "aws:kms/key:Key::lotus-health-key")
    key["inputs"]["enableKeyRotation"] = key["outputs"]["enableKeyRotation"] = False
    audit = _audit(document, tmp_path)
    assert audit.result.returncode == 1
    assert "FAIL 164.312(a)(2)(iv) Encryption and decryption: lotus-health" in audit.result.stdout
    control = next(c for c in audit.json()["controls"] if c["id"] == "164.312(a)(2)(iv)")
    failing = {s["scope"]: s for s in control["scopes"] if s["status"] == "fail"}
    assert list(failing) == ["lotus-health"]
    assert [(f["policy"], f["urn"]) for f in failing["lotus-health"]["findings"]] == [
        ("encryption-kms-key-rotation", key["urn"])]
    tenant = next(t for t in audit.json()["tenants"] if t["id"] == "lotus-health")
    assert tenant["keys"][0]["rotation_enabled"] is False and tenant["status"] == "fail"
    rows = list(csv.DictReader(io.StringIO(audit.text("audit-prowler.csv")), delimiter=";"))
    assert [r["RESOURCEID"] for r in rows if r["STATUS"] == "FAIL"] == [key["urn"]]
    ocsf = [f for f in json.loads(audit.text("audit.ocsf.json")) if f["compliance"]["status_id"] == 3]
    assert [(f["compliance"]["requirements"], f["resources"][0]["uid"]) for f in ocsf] == [
        (["164.312(a)(2)(iv)"], key["urn"])]


def test_plaintext_secret_input_is_a_finding_and_never_printed(export: dict, tmp_path: Path) -> None:
    document = copy.deepcopy(export)
    version = _resource(document, "SecretVersion::sunrise-clinic-cometchat-credentials-version")
    assert version["inputs"]["secretString"].keys() >= set(SECRET_SIG)  # encrypted as written...
    version["inputs"]["secretString"] = PLANTED_SECRET  # ...and in plain text as an older program left it
    audit = _audit(document, tmp_path)
    assert audit.result.returncode == 1
    report = audit.json()
    assert [(s["urn"], s["property"], s["tenant"]) for s in report["secret_hygiene"]] == [
        (version["urn"], "inputs.secretString", "sunrise-clinic")]
    control = next(c for c in report["controls"] if c["id"] == "164.308(a)(5)(ii)(D)")
    assert control["status"] == "fail"
    assert PLANTED_SECRET not in audit.everything()
    assert sorted(p.name for p in audit.out.iterdir()) == sorted(FILES)


def test_deployed_template_is_what_gets_linted(export: dict, tmp_path: Path) -> None:
    document = copy.deepcopy(export)
    sms = _resource(document, "BucketObjectv2::lindenhof-praxis-template-sms")
    sms["inputs"]["content"] = sms["outputs"]["content"] = "Your biopsy results are ready: {{deep_link}}"
    audit = _audit(document, tmp_path)
    assert audit.result.returncode == 1
    tenant = next(t for t in audit.json()["tenants"] if t["id"] == "lindenhof-praxis")
    shown = next(n for n in tenant["notifications"] if n["channel"] == "sms")
    assert shown["source"] == "template store (deployed)" and shown["matches_declared"] is False
    assert shown["rendered"].startswith("Your biopsy results are ready: https://") and not shown["passes"]
    assert {finding["kind"] for finding in shown["lint"]} == {"clinical_term"}
    control = next(c for c in audit.json()["controls"] if c["id"] == "164.514(b)(2)")
    assert {s["scope"]: s["status"] for s in control["scopes"]}["lindenhof-praxis"] == "fail"


def test_checkpoint_is_read_like_an_export(export: dict, tmp_path: Path) -> None:
    checkpoint = {"version": 3, "checkpoint": {"stack": "organization/hipaachat/local", "config": {},
                                               "latest": copy.deepcopy(export["deployment"])}}
    _resource(checkpoint, "aws:kms/key:Key::sunrise-clinic-key")["inputs"]["deletionWindowInDays"] = 3
    audit = _audit(checkpoint, tmp_path)
    assert audit.result.returncode == 1
    control = next(c for c in audit.json()["controls"] if c["id"] == "164.308(a)(7)(ii)(A)")
    not_passing = [(s["scope"], s["status"]) for s in control["scopes"] if s["status"] != "pass"]
    assert not_passing == [("sunrise-clinic", "fail")]


def test_show_secrets_plaintext_stays_out_of_the_evidence(tmp_path: Path) -> None:
    """`pulumi stack export --show-secrets` puts secret values in `plaintext`: still secrets, never printed."""
    value = "synthetic-show-secrets-4b8d2f"
    document = {"version": 3, "deployment": {"manifest": {"time": "2026-11-01T00:00:00Z", "version": "v3.100.0"},
                "resources": [
        {"urn": "urn:pulumi:ops::infra::pulumi:pulumi:Stack::infra-ops", "custom": False,
         "type": "pulumi:pulumi:Stack"},
        {"urn": "urn:pulumi:ops::infra::aws:secretsmanager/secretVersion:SecretVersion::db", "custom": True, "id": "v1",
         "type": "aws:secretsmanager/secretVersion:SecretVersion",
         "inputs": {"secretId": "db", "secretString": {**SECRET_SIG, "plaintext": json.dumps(value)}},
         "outputs": {"secretString": {**SECRET_SIG, "plaintext": json.dumps(value)}}}]}}
    audit = _audit(document, tmp_path)
    assert audit.result.returncode == 0, audit.result.stdout + audit.result.stderr
    assert audit.json()["secret_hygiene"] == [] and value not in audit.everything()


FOREIGN = {"version": 3, "deployment": {
    "manifest": {"time": "2025-01-01T00:00:00Z", "magic": "", "version": "v3.90.0"},  # older CLI: no created/modified
    "secrets_providers": {"type": "service"},
    "resources": [
        {"urn": "urn:pulumi:prod::billing::pulumi:pulumi:Stack::billing-prod", "custom": False,
         "type": "pulumi:pulumi:Stack"},
        {"urn": "urn:pulumi:prod::billing::pulumi:providers:aws::default_7_0_0", "custom": True, "id": "prov-1",
         "type": "pulumi:providers:aws", "inputs": {"region": "us-west-2"}, "outputs": {"region": "us-west-2"}},
        {"urn": "urn:pulumi:prod::billing::aws:kms/key:Key::billing", "custom": True, "id": "k-1",
         "type": "aws:kms/key:Key", "provider": "urn:pulumi:prod::billing::pulumi:providers:aws::default_7_0_0::prov-1",
         "inputs": {"__defaults": ["enableKeyRotation"], "enableKeyRotation": False, "deletionWindowInDays": 30,
                    "policy": json.dumps({"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]})},
         "outputs": {"arn": "arn:aws:kms:us-west-2:210987654321:key/k-1", "enableKeyRotation": False}},
        {"urn": "urn:pulumi:prod::billing::aws:cloudwatch/logGroup:LogGroup::app", "custom": True, "id": "/app",
         "type": "aws:cloudwatch/logGroup:LogGroup",
         "provider": "urn:pulumi:prod::billing::pulumi:providers:aws::default_7_0_0::prov-1",
         "inputs": {"retentionInDays": 30, "kmsKeyId": {"4dabf18193072939515e22adb298388d":
                                                            "5cf8f73096256a8f31e491e813e4eb8e",
                                                            "urn": "urn:pulumi:prod::billing::aws:kms/key:Key::billing",
                                                            "id": "k-1"}},
         # as Pulumi exports it: the key's ARN in the outputs the pack's stack rules read
         "outputs": {"retentionInDays": 30, "kmsKeyId": "arn:aws:kms:us-west-2:210987654321:key/k-1"}},
    ]}}


def test_foreign_stack_is_judged_for_what_applies_and_says_so(tmp_path: Path) -> None:
    audit = _audit(FOREIGN, tmp_path)
    assert audit.result.returncode == 1, audit.result.stderr
    report = audit.json()
    assert report["stack"] == "prod" and report["project"] == "billing" and report["tenants"] == []
    assert report["summary"]["foreign_stack"] is True
    assert any("no hipaachat tenant" in note for note in report["summary"]["notes"])
    failing = {(f["policy"], f["urn"].rsplit("::", 1)[1]) for c in report["controls"] for s in c["scopes"]
               for f in s["findings"] if f["status"] == "fail"}
    assert failing == {("encryption-kms-key-rotation", "billing"), ("isolation-no-wildcard-principal", "billing"),
                       ("retention-log-group-minimum", "app")}
    set_aside = {f["policy"] for f in report["stack_findings"] if f["status"] == "not_applicable"}
    assert "isolation-tenant-ancestry" in set_aside
    residency = next(c for c in report["controls"] if c["id"] == "164.308(a)(1)(ii)(B)")
    assert residency["status"] == "not_applicable"


def test_an_unencrypted_foreign_log_group_fails_encryption_at_rest(tmp_path: Path) -> None:
    document = copy.deepcopy(FOREIGN)
    document["deployment"]["resources"].append(
        {"urn": "urn:pulumi:prod::billing::aws:cloudwatch/logGroup:LogGroup::plain", "custom": True, "id": "/plain",
         "type": "aws:cloudwatch/logGroup:LogGroup",
         "provider": "urn:pulumi:prod::billing::pulumi:providers:aws::default_7_0_0::prov-1",
         "inputs": {"retentionInDays": 2192}, "outputs": {"retentionInDays": 2192}})
    audit = _audit(document, tmp_path)
    assert audit.result.returncode == 1, audit.result.stderr
    failing = {(f["policy"], f["urn"].rsplit("::", 1)[1]) for c in audit.json()["controls"] for s in c["scopes"]
               for f in s["findings"] if f["status"] == "fail"}
    assert ("encryption-log-group-tenant-key", "plain") in failing
    assert ("encryption-log-group-tenant-key", "app") not in failing  # encrypted with its own key


@pytest.mark.parametrize("content, reason", [
    ('{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:a::b::t::n", "type"', "truncated"),
    ('{"name": "my-app", "dependencies": {}}', "not a Pulumi state file"),
    ('{"version": 2, "deployment": {"resources": []}}', "version 2 is not supported"),
    ("resources:\n  - urn: x\n", "not valid JSON"),
])
def test_a_file_that_is_not_an_export_exits_2_naming_file_and_reason(content: str, reason: str,
                                                                       tmp_path: Path) -> None:
    audit = _audit(content, tmp_path)
    assert audit.result.returncode == 2
    assert "state.json" in audit.result.stderr and reason in audit.result.stderr
    assert not audit.out.exists()


def test_state_of_another_stack_than_named_is_refused(export: dict, tmp_path: Path) -> None:
    audit = _audit(export, tmp_path, "--stack", "production")
    assert audit.result.returncode == 2 and "belongs to stack 'local'" in audit.result.stderr
