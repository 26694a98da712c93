"""Retention policies through the real Analyzer protocol."""

from __future__ import annotations

import pytest

from components.tags import RETAIN_TAG
from tests.policies.conftest import PRODUCTION, only, policies_violated, two_tenants


def test_compliant_stack_keeps_its_evidence(analyze):
    assert not {p for p in policies_violated(analyze(two_tenants())) if p.startswith("retention-")}


def test_shortened_log_retention_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-audit").inputs["retentionInDays"] = 365
    found = only(analyze(stack), "retention-log-group-minimum")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", stack.get("alpha-audit").urn)]
    assert "2192" in found[0].message


@pytest.mark.parametrize("days", [0, 2192, 3653])
def test_never_expire_and_long_retention_pass(analyze, days):
    stack = two_tenants()
    stack.get("alpha-audit").inputs["retentionInDays"] = days
    assert only(analyze(stack), "retention-log-group-minimum") == []


def test_value_cloudwatch_does_not_accept_is_refused(analyze):
    stack = two_tenants()
    stack.get("bravo-audit").inputs["retentionInDays"] = 2500
    found = only(analyze(stack), "retention-log-group-minimum")
    assert [(v.tenant, v.enforcement) for v in found] == [("bravo", "mandatory")]
    assert "not a CloudWatch Logs retention value" in found[0].message and "2557" in found[0].message


def test_pack_config_can_raise_the_minimum(analyze):
    stack = two_tenants()
    outcome = analyze(stack, policy_config={"retention-log-group-minimum": {"retentionMinimumDays": 2557}})
    assert {(v.tenant, v.enforcement) for v in only(outcome, "retention-log-group-minimum")} == {
        ("alpha", "mandatory"), ("bravo", "mandatory")}


def test_stack_minimum_is_read_from_stack_config(analyze):
    stack = two_tenants()
    stack.get("alpha-audit").inputs["retentionInDays"] = 365
    assert only(analyze(stack, {"hipaachat:environment": "prototype", "hipaachat:retentionMinimumDays": "365"}),
                "retention-log-group-minimum") == []


def test_governance_mode_lock_is_refused(analyze):
    stack = two_tenants()
    stack.get("bravo-audit-lock").outputs["rule"]["defaultRetention"]["mode"] = "GOVERNANCE"
    found = only(analyze(stack), "retention-object-lock-compliance")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "bravo", stack.get("bravo-audit-bucket").urn)]
    assert "COMPLIANCE" in found[0].message


def test_short_lock_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-audit-lock").outputs["rule"]["defaultRetention"] = {"mode": "COMPLIANCE", "years": 1}
    found = only(analyze(stack), "retention-object-lock-compliance")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-audit-bucket").urn)]
    assert "retention.audit_log_days: 366 is below the 2192-day minimum; set it to 2192 or more" in found[0].message


def test_archive_without_object_lock_is_refused(analyze):
    stack = two_tenants()
    stack.remove("alpha-audit-lock")
    stack.get("alpha-audit-bucket").outputs["objectLockEnabled"] = False
    found = only(analyze(stack), "retention-object-lock-compliance")
    assert len(found) == 2 and {v.tenant for v in found} == {"alpha"}


def test_suspended_versioning_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-templates-versioning").outputs["versioningConfiguration"]["status"] = "Suspended"
    found = only(analyze(stack), "retention-s3-versioning")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "alpha", stack.get("alpha-templates").urn)]


def test_audit_sink_not_marked_retained_is_refused(analyze):
    stack = two_tenants()
    del stack.get("alpha-audit").inputs["tags"][RETAIN_TAG]
    found = only(analyze(stack), "retention-audit-sinks-retained")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", stack.get("alpha-audit").urn)]


def test_production_sinks_must_be_protected(analyze):
    assert only(analyze(two_tenants("production"), PRODUCTION), "retention-audit-sinks-retained") == []
    stack = two_tenants("production")
    stack.get("bravo-audit-lock").options.protect = False
    found = only(analyze(stack, PRODUCTION), "retention-audit-sinks-retained")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "bravo", stack.get("bravo-audit-lock").urn)]
