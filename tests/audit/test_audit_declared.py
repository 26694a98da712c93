"""`hipaachat audit --stack`: the declared stack's evidence in every format, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.audit.conftest import FILES, PLANTED_ID, PLANTED_MARKERS, AuditRun, run
from tests.conftest import PROJECT_ROOT

CSV_HEADERS = ["PROVIDER", "DESCRIPTION", "ACCOUNTID", "REGION", "ASSESSMENTDATE", "REQUIREMENTS_ID",
               "REQUIREMENTS_DESCRIPTION", "REQUIREMENTS_ATTRIBUTES_SECTION", "STATUS", "STATUSEXTENDED",
               "RESOURCEID", "CHECKID", "MUTED", "RESOURCENAME", "FRAMEWORK", "NAME"]
LOCAL_TENANTS = {"sunrise-clinic", "lindenhof-praxis", "lotus-health"}


def test_local_stack_passes_and_writes_every_format(local_audit: AuditRun) -> None:
    assert local_audit.result.returncode == 0, local_audit.result.stderr
    assert sorted(p.name for p in local_audit.out.iterdir()) == sorted(FILES), "no partial files left behind"
    report = local_audit.json()
    assert report["stack"] == "local" and report["source"] == "declared" and report["environment"] == "prototype"
    assert report["summary"]["status"] == "pass" and report["summary"]["controls"]["fail"] == 0
    assert {t["id"] for t in report["tenants"]} == LOCAL_TENANTS
    assert "PASS audit of stack local" in local_audit.result.stdout


def test_json_validates_against_the_printed_schema(local_audit: AuditRun) -> None:
    printed = run("audit", "--schema", cwd=PROJECT_ROOT)
    assert printed.returncode == 0, printed.stderr
    schema = json.loads(printed.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(local_audit.json(), schema)
    broken = local_audit.json()
    broken["controls"][0]["status"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_evidence_holds_inputs_versions_controls_and_tenant_facts(local_audit: AuditRun) -> None:
    report = local_audit.json()
    roles = {i["role"] for i in report["inputs"]}
    assert {"stack settings", "tenant file", "program", "policy pack sources"} <= roles
    assert all(re.fullmatch(r"[0-9a-f]{64}", i["sha256"]) for i in report["inputs"])
    # One pack version everywhere: the manifest's (what `shards pack` publishes), not the SDK's placeholder.
    manifest = yaml.safe_load((PROJECT_ROOT / "policies" / "hipaa" / "PulumiPolicy.yaml").read_text())
    assert report["versions"]["policy_pack"] == f"hipaachat-hipaa@{manifest['version']}" != "hipaachat-hipaa@0.0.1"
    assert re.fullmatch(r"[0-9a-f]{40}", report["versions"]["git_commit"] or "")
    controls = {c["id"]: c for c in report["controls"]}
    rotation = controls["164.312(a)(2)(iv)"]
    assert rotation["title"] == "Encryption and decryption" and rotation["requirement_id"] == "164_312_a_2_iv"
    assert "encryption-kms-key-rotation" in rotation["policies"]
    sunrise = next(s for s in rotation["scopes"] if s["scope"] == "sunrise-clinic")
    assert sunrise["status"] == "pass"
    assert any("aws:kms/key:Key::sunrise-clinic-key" in urn for urn in sunrise["resources"])
    # prototype: the production BAA gate is advisory, and says which tenant lacks one
    baa = controls["164.308(b)(1)"]
    assert baa["status"] == "advisory"
    assert {s["scope"]: s["status"] for s in baa["scopes"]}["sunrise-clinic"] == "advisory"  # plan attestation
    tenant = next(t for t in report["tenants"] if t["id"] == "sunrise-clinic")
    assert (tenant["residency"], tenant["aws_region"], tenant["cometchat_region"]) == ("us", "us-east-2", "us")
    assert tenant["keys"] and tenant["keys"][0]["rotation_enabled"] is True
    assert tenant["keys"][0]["deletion_window_days"] == 30
    assert tenant["retention"]["log_group_days"] == 2192 and tenant["retention"]["object_lock_mode"] == "COMPLIANCE"
    assert tenant["retention"]["object_lock_days"] == 7305 and tenant["retention"]["log_group_encrypted"] is True
    assert tenant["baa"] == {"signed": "2026-10-01", "reference": "BAA-2026-041"}
    assert tenant["cometchat"]["region"] == "us" and tenant["cometchat"]["app_id"]
    assert {r["role"] for r in tenant["roles"]} >= {"patient", "provider", "admin", "front-desk"}
    assert all(r["matches"] for r in tenant["roles"])


def test_notifications_are_rendered_and_linted_per_channel(local_audit: AuditRun) -> None:
    tenant = next(t for t in local_audit.json()["tenants"] if t["id"] == "sunrise-clinic")
    shown = {(n["channel"], n["source"]): n for n in tenant["notifications"]}
    sms = shown[("sms", "tenant file")]
    assert "{{" not in sms["rendered"] and sms["rendered"].startswith("New message in your care portal: https://")
    assert sms["passes"] and sms["lint"] == []
    privacy = shown[("push", "CometChat privacy template (privacy mode on)")]
    assert privacy["rendered"] == "New message" and privacy["passes"]
    assert {c for c, _ in shown} == {"push", "in_app", "email", "sms"}


def test_csv_is_prowlers_compliance_layout_and_parses_back(local_audit: AuditRun) -> None:
    rows = list(csv.reader(io.StringIO(local_audit.text("audit-prowler.csv")), delimiter=";"))
    assert rows[0] == CSV_HEADERS
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert body and {r["STATUS"] for r in body} <= {"PASS", "FAIL", "MANUAL"}
    assert {r["FRAMEWORK"] for r in body} == {"HIPAA"}
    rotation = [r for r in body if r["CHECKID"] == "encryption-kms-key-rotation"]
    assert {r["REQUIREMENTS_ID"] for r in rotation} == {"164_312_a_2_iv"}
    assert {r["RESOURCENAME"] for r in rotation} == LOCAL_TENANTS
    manual = [r for r in body if r["STATUS"] == "MANUAL"]
    assert manual and all(r["CHECKID"].startswith("production-") for r in manual)
    assert {r["ACCOUNTID"] for r in body if r["RESOURCENAME"] in LOCAL_TENANTS} == {"123456789012"}


def test_ocsf_findings_are_compliance_findings(local_audit: AuditRun) -> None:
    findings = json.loads(local_audit.text("audit.ocsf.json"))
    assert findings
    for f in findings:
        assert (f["class_uid"], f["category_uid"], f["activity_id"], f["type_uid"]) == (2003, 2, 1, 200301)
        assert isinstance(f["time"], int) and f["finding_info"]["uid"] and f["metadata"]["product"]["name"]
        assert f["compliance"]["status_id"] in (1, 2, 3) and f["compliance"]["requirements"]
        assert all(c["status_id"] in (1, 2, 3) for c in f["compliance"]["checks"])
    advisory = [f for f in findings if f["compliance"]["status_id"] == 2]
    assert advisory and {f["unmapped"]["hipaachat"]["status"] for f in advisory} == {"advisory"}


def test_html_references_nothing_outside_itself(local_audit: AuditRun) -> None:
    html = local_audit.text("audit.html")
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?!#)""", html, re.I), "no external src/href"
    assert not re.search(r"url\(|@import", html, re.I)


def test_no_secret_value_reaches_any_output(local_audit: AuditRun) -> None:
    everything = local_audit.everything()
    for secret in ("local-mgmt-secret", "local-mgmt-key", "PPPPPPPPPPPPPPPP"):
        assert secret not in everything


def test_scoped_evidence_names_no_other_tenant(planted_full: AuditRun, planted_scoped: AuditRun) -> None:
    assert planted_full.result.returncode == 0, planted_full.result.stderr
    assert planted_scoped.result.returncode == 0, planted_scoped.result.stderr
    # the planted values do reach the unscoped evidence: the search below could fail
    unscoped = planted_full.everything()
    assert all(marker in unscoped for marker in PLANTED_MARKERS)
    scoped = planted_scoped.everything()
    leaked = [m for m in (*PLANTED_MARKERS, "lotus-health", "lindenhof-praxis", "Lotus Health", "Lindenhof")
              if m in scoped]
    assert leaked == []
    report = planted_scoped.json()
    assert report["scope"] == ["sunrise-clinic"] and [t["id"] for t in report["tenants"]] == ["sunrise-clinic"]
    assert report["summary"]["tenants"] == 1
    assert report["summary"]["resources"] == next(t for t in report["tenants"])["resource_count"]
    assert {i["path"] for i in report["inputs"] if i["role"] == "tenant file"} == {
        "stacks/tenants/local/sunrise-clinic.yaml"}
    scopes = {s["scope"] for c in report["controls"] for s in c["scopes"]}
    assert scopes <= {"sunrise-clinic", "(stack)"}


def test_waivers_show_days_left_and_count_as_passing(planted_full: AuditRun) -> None:
    report = planted_full.json()
    waivers = {w["tenant"]: w for w in report["waivers"]}
    assert waivers[PLANTED_ID]["days_left"] == 60 and waivers["lotus-health"]["days_left"] == 75
    lotus = next(t for t in report["tenants"] if t["id"] == "lotus-health")
    assert [w["expires"] for w in lotus["waivers"]] == ["2027-02-14"]
    baa = next(c for c in report["controls"] if c["id"] == "164.308(b)(1)")
    waived = [f for s in baa["scopes"] for f in s["findings"] if f["status"] == "waived"]
    assert {f["tenant"] for f in waived} == {PLANTED_ID, "lotus-health"}
    assert all(f["waiver"]["approved_by"] for f in waived)
    assert report["summary"]["status"] == "pass" and report["summary"]["waived"] == 2
    rows = list(csv.DictReader(io.StringIO(planted_full.text("audit-prowler.csv")), delimiter=";"))
    muted = [r for r in rows if r["MUTED"] == "True"]
    assert {r["STATUS"] for r in muted} == {"FAIL"} and len(muted) == 2 * 3  # 2 waivers x 3 controls of the policy


def test_promotion_history_is_read_defensively_and_scoped(planted_full: AuditRun, planted_scoped: AuditRun) -> None:
    full = planted_full.json()
    assert [p["id"] for p in full["promotions"]] == ["p1", "p2"] and all(p["chain_ok"] for p in full["promotions"])
    assert [(p["line"], p["message"]) for p in full["promotion_problems"]] == [(3, "not JSON; the line is skipped")]
    scoped = planted_scoped.json()
    p2 = next(p for p in scoped["promotions"] if p["id"] == "p2")
    assert p2["tenant_sha256"] == {"sunrise-clinic": "3" * 64}
    assert [g["detail"] for g in p2["gates"]] == [None] and p2["waivers"] == []
    sunrise = scoped["tenants"][0]
    assert [p["id"] for p in sunrise["promotions"]] == ["p1", "p2"]


@pytest.mark.parametrize("args, needle", [
    (("--stack", "nosuchstack"), "stacks/Pulumi.nosuchstack.yaml"),
    (("--stack", "local", "--tenant", "nobody-here"), "nobody-here"),
    (("--stack", "local", "--format", "html,pdf"), "pdf"),
    ((), "--stack"),
])
def test_bad_input_exits_2_and_writes_nothing(args: tuple[str, ...], needle: str, tmp_path: Path) -> None:
    out = tmp_path / "evidence"
    result = run("audit", *args, "--out", str(out), cwd=PROJECT_ROOT)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert not out.exists()


def test_unknown_tenant_error_lists_no_other_tenant(tmp_path: Path) -> None:
    result = run("audit", "--stack", "local", "--tenant", "nobody-here", "--out", str(tmp_path / "e"),
                 cwd=PROJECT_ROOT)
    assert result.returncode == 2
    assert not any(t in result.stderr for t in LOCAL_TENANTS)


def test_help_teaches_with_examples_and_exit_codes() -> None:
    result = run("audit", "--help", cwd=PROJECT_ROOT)
    assert result.returncode == 0
    for needle in ("Examples:", "hipaachat audit --state state.json", "--tenant", "Exit codes: 0", "2 bad input"):
        assert needle in result.stdout
