"""`hipaachat audit` shows what watches each tenant, endpoints as kind and domain, and flags who is not told."""

from __future__ import annotations

from scripts.audit.monitoring import redact
from tests.audit.conftest import AuditRun, run
from tests.conftest import PROJECT_ROOT


def test_local_tenants_list_alarms_rule_topic_and_are_flagged_unsubscribed(local_audit: AuditRun) -> None:
    tenants = {t["id"]: t for t in local_audit.json()["tenants"]}
    for tenant_id, tenant in tenants.items():
        monitoring = tenant["monitoring"]
        assert monitoring["topic"] == f"hipaachat-local-{tenant_id}-oncall" and monitoring["topic_encrypted"]
        assert [a.rpartition(f"{tenant_id}-")[2] for a in monitoring["alarms"]] == [
            "api-5xx", "auth-failures", "ingest-errors", "ingest-throttles", "silence"]
        assert monitoring["tamper_rule"] == f"hipaachat-local-{tenant_id}-evidence-tamper"
        # The local stack names no hipaachat:oncall: nobody would be told, and the audit says so.
        assert monitoring["subscriptions"] == []
        assert any("nobody is subscribed" in p for p in monitoring["problems"])
        assert f"monitoring {tenant_id}: nobody is subscribed" in local_audit.result.stdout


def test_production_subscriptions_are_shown_as_kind_and_domain_only(tmp_path, project_copy) -> None:
    # The copy records a synthetic CometChat attestation: the shipped placeholder would fail the audit.
    out = tmp_path / "evidence"
    result = run("audit", "--stack", "production", "--format", "json", "--out", str(out), cwd=project_copy)
    assert result.returncode == 0, result.stderr[-2000:]
    audit = AuditRun(result, out)
    [tenant] = audit.json()["tenants"]
    assert tenant["monitoring"]["subscriptions"] == [
        {"protocol": "email", "endpoint": "email @harbor-health.test"},
        {"protocol": "https", "endpoint": "https pager.harbor-health.test"}]
    assert tenant["monitoring"]["problems"] == []
    everything = audit.everything()
    assert "oncall@harbor-health.test" not in everything and "/hooks/hipaachat" not in everything


def test_alarms_to_example_domains_are_flagged_as_paging_nobody(tmp_path, project_copy) -> None:
    """The prototype ships example on-call endpoints: the audit says nobody would be paged."""
    out = tmp_path / "evidence"
    result = run("audit", "--stack", "prototype", "--format", "json", "--out", str(out), cwd=project_copy)
    assert result.returncode == 0, result.stderr[-2000:]
    for tenant in AuditRun(result, out).json()["tenants"]:
        assert tenant["monitoring"]["subscriptions"] == [{"protocol": "email", "endpoint": "email @example.org"}]
        assert any("example domains (example.org): nobody is paged" in p for p in tenant["monitoring"]["problems"])
    assert "prototype-alerts@" not in AuditRun(result, out).everything()


def test_redaction_keeps_no_mailbox_path_or_credentials() -> None:
    assert redact("email", "dr.jane.doe@clinic.example") == "email @clinic.example"
    assert redact("https", "https://user:pw@pager.example.org:8443/hook?token=abc") == "https pager.example.org"
    assert redact("sqs", "arn:aws:sqs:us-east-2:111122223333:pager") == "sqs sqs in account 111122223333"
    assert redact("sms", "+15550100") == "sms (endpoint not shown)"
