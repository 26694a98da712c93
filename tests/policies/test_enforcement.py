"""Enforcement from the stack: environment, `hipaachat:policy` overrides, safe defaults, pack metadata."""

from __future__ import annotations

import json

from policies.hipaa.controls import CONTROLS
from policies.hipaa.pack import policy_names
from tests.policies.conftest import PRODUCTION, PROTOTYPE, only, two_tenants


def _with_policy(base: dict, overrides: dict) -> dict:
    return {**base, "hipaachat:policy": json.dumps(overrides)}


def test_pack_reports_every_policy_with_its_level_per_environment(packs):
    prototype = {p.name: p.enforcement for p in packs.get(PROTOTYPE).info.policies}
    production = {p.name: p.enforcement for p in packs.get(PRODUCTION).info.policies}
    assert list(prototype) == policy_names()
    for name in prototype:
        if name.startswith(("production-", "ai-", "monitoring-")) or name == "access-minimum-necessary":
            assert (prototype[name], production[name]) == ("advisory", "mandatory")
        elif name in ("notifications-push-in-app-phi-free", "waiver-applied"):
            assert prototype[name] == production[name] == "advisory"
        else:
            assert prototype[name] == production[name] == "mandatory"


def test_every_policy_maps_to_controls():
    assert set(CONTROLS) == set(policy_names())
    assert all(m.cfr and m.fix for m in CONTROLS.values())
    assert "CKV_AWS_158" in CONTROLS["encryption-log-group-tenant-key"].checkov
    assert "cloudwatch_log_group_retention_policy_specific_days_enabled" in \
        CONTROLS["retention-log-group-minimum"].prowler


def test_undeclared_environment_is_enforced_as_production(analyze):
    found = only(analyze(two_tenants(), {}), "production-cometchat-plan-hipaa-eligible")
    assert {v.enforcement for v in found} == {"mandatory"}
    assert "is not set" in found[0].message


def test_production_gate_may_be_relaxed_in_prototype(analyze):
    config = _with_policy(PROTOTYPE, {"production-baa-attested": "disabled",
                                      "production-cometchat-plan-hipaa-eligible": "advisory"})
    outcome = analyze(two_tenants(baa=None), config)
    assert only(outcome, "production-baa-attested") == []
    assert only(outcome, "policy-config-invalid") == []


def test_production_gate_cannot_be_relaxed_in_production(analyze):
    config = _with_policy(PRODUCTION, {"production-baa-attested": "advisory"})
    outcome = analyze(two_tenants("production", baa=None), config)
    assert [v.enforcement for v in only(outcome, "production-baa-attested")] == ["mandatory"]
    invalid = only(outcome, "policy-config-invalid")
    assert [(v.enforcement, v.tenant, v.urn) for v in invalid] == [("mandatory", None, None)]
    assert "production-baa-attested" in invalid[0].message


def test_isolation_and_encryption_can_never_be_relaxed(analyze):
    config = _with_policy(PROTOTYPE, {"isolation-no-wildcard-principal": "disabled",
                                      "encryption-kms-key-rotation": "advisory"})
    stack = two_tenants()
    stack.get("alpha-key").inputs["enableKeyRotation"] = False
    outcome = analyze(stack, config)
    assert [v.enforcement for v in only(outcome, "encryption-kms-key-rotation")] == ["mandatory"]
    messages = [v.message for v in only(outcome, "policy-config-invalid")]
    assert len(messages) == 2 and all("cannot be relaxed" in m for m in messages)


def test_overrides_may_make_a_policy_stricter(analyze):
    stack = two_tenants()
    text = "Dr. Smith sent you a message"
    stack.get("alpha-template-in-app").inputs["content"] = text
    outcome = analyze(stack, _with_policy(PROTOTYPE, {"notifications-push-in-app-phi-free": "mandatory"}))
    assert [v.enforcement for v in only(outcome, "notifications-push-in-app-phi-free")] == ["mandatory"]
    assert only(outcome, "policy-config-invalid") == []


def test_unknown_policy_override_and_invalid_settings_are_reported(analyze):
    outcome = analyze(two_tenants(), _with_policy({"hipaachat:environment": "staging"}, {"isolation-typo": "advisory"}))
    messages = " | ".join(v.message for v in only(outcome, "policy-config-invalid"))
    assert "isolation-typo" in messages and "environment" in messages
    assert {v.enforcement for v in only(outcome, "policy-config-invalid")} == {"mandatory"}


def test_production_retention_minimum_below_six_years_is_reported(analyze):
    outcome = analyze(two_tenants("production"), {**PRODUCTION, "hipaachat:retentionMinimumDays": "365"})
    assert any("retentionMinimumDays" in v.message for v in only(outcome, "policy-config-invalid"))
