"""Notification templates, the AI boundary and production gates through the real Analyzer protocol."""

from __future__ import annotations

import pytest

from tests.policies.conftest import PRODUCTION, only, two_tenants

INCOMPLETE_PRODUCTION = {"hipaachat:environment": "production", "hipaachat:baaCoveredFeatures": '["ai"]'}


def _template(stack, name: str, text: str) -> None:
    obj = stack.get(name)
    obj.inputs["content"] = obj.outputs["content"] = text


def test_pointer_templates_pass(analyze):
    outcome = analyze(two_tenants())
    assert only(outcome, "notifications-email-sms-phi-free") == []
    assert only(outcome, "notifications-push-in-app-phi-free") == []


def test_patient_name_in_sms_template_is_refused(analyze):
    stack = two_tenants()
    _template(stack, "alpha-template-sms", "Hi Maria Lopez, your lab results are ready: {{deep_link}}")
    found = only(analyze(stack), "notifications-email-sms-phi-free")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "alpha", stack.get("alpha-template-sms").urn)]
    assert "name" in found[0].message and "clinical term" in found[0].message
    assert "Maria" not in found[0].message and "Lopez" not in found[0].message  # never echoes the PHI


def test_disallowed_placeholder_in_email_is_refused(analyze):
    stack = two_tenants()
    _template(stack, "bravo-template-email", "{{patient_name}}: a message about {{diagnosis}} is waiting.")
    found = only(analyze(stack), "notifications-email-sms-phi-free")
    assert [(v.tenant, v.enforcement) for v in found] == [("bravo", "mandatory")]
    assert "{{patient_name}}" in found[0].message and "{{diagnosis}}" in found[0].message


def test_phi_in_push_template_is_advisory(analyze):
    stack = two_tenants()
    _template(stack, "alpha-template-push", "Dr. Smith sent you a message")
    outcome = analyze(stack)
    assert [(v.enforcement, v.tenant) for v in only(outcome, "notifications-push-in-app-phi-free")] == [
        ("advisory", "alpha")]
    assert only(outcome, "notifications-email-sms-phi-free") == []


def test_ai_feature_without_baa_coverage_blocks_production(analyze):
    stack = two_tenants("production", ai=True)
    outcome = analyze(stack, PRODUCTION)
    found = only(outcome, "ai-features-baa-covered")
    assert {(v.enforcement, v.tenant, v.urn) for v in found} == {
        ("mandatory", "alpha", stack.get("alpha").urn),
        ("mandatory", "alpha", stack.get("alpha-cometchat-extensions").urn)}


def test_explicitly_enabled_extension_needs_baa_coverage(analyze):
    stack = two_tenants("production")
    extensions = stack.get("bravo-cometchat-extensions")
    extensions.inputs["enabled"] = ["smart-reply"]
    found = only(analyze(stack, PRODUCTION), "ai-features-baa-covered")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "bravo", extensions.urn)]
    assert "smart-reply" in found[0].message


def test_ai_feature_is_advisory_in_prototype(analyze):
    found = only(analyze(two_tenants(ai=True)), "ai-features-baa-covered")
    assert [(v.enforcement, v.tenant) for v in found] == [("advisory", "alpha")] * 2


def test_ai_feature_listed_as_baa_covered_passes(analyze):
    stack = two_tenants("production")
    stack.get("alpha").inputs["features"] = {"ai": True}
    assert only(analyze(stack, INCOMPLETE_PRODUCTION), "ai-features-baa-covered") == []


def test_production_tenant_without_baa_is_refused(analyze):
    stack = two_tenants("production", baa=None)
    found = only(analyze(stack, PRODUCTION), "production-baa-attested")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", stack.get("alpha").urn)]


def test_missing_baa_is_advisory_in_prototype(analyze):
    found = only(analyze(two_tenants(baa=None)), "production-baa-attested")
    assert [(v.enforcement, v.tenant) for v in found] == [("advisory", "alpha")]


def test_baa_dated_in_the_future_is_refused(analyze):
    stack = two_tenants("production", baa={"signed": "2026-07-01", "reference": "BAA-FUTURE-1"})
    found = only(analyze(stack, PRODUCTION), "production-baa-attested")
    assert [(v.enforcement, v.tenant) for v in found] == [("mandatory", "alpha")]
    assert "after today (2026-06-15)" in found[0].message


def test_production_without_hipaa_eligible_plan_is_refused(analyze):
    assert only(analyze(two_tenants("production"), PRODUCTION), "production-cometchat-plan-hipaa-eligible") == []
    found = only(analyze(two_tenants("production"), INCOMPLETE_PRODUCTION), "production-cometchat-plan-hipaa-eligible")
    assert {(v.enforcement, v.tenant) for v in found} == {("mandatory", "alpha"), ("mandatory", "bravo")}


def test_the_shipped_example_attestation_is_refused_as_a_placeholder(analyze):
    shipped = {**PRODUCTION, "hipaachat:cometchatPlan": {"hipaaEligible": True,
                                                          "reference": "CC-HIPAA-ADDON-EXAMPLE-0001",
                                                          "attestedBy": "compliance@example.org"}}
    found = only(analyze(two_tenants("production"), shipped), "production-cometchat-plan-hipaa-eligible")
    assert {(v.enforcement, v.tenant) for v in found} == {("mandatory", "alpha"), ("mandatory", "bravo")}
    assert all("placeholder (reference CC-HIPAA-ADDON-EXAMPLE-0001, attestedBy compliance@example.org)" in v.message
               and "hipaachat stacks sync --environment production" in v.message for v in found)


def test_unprotected_production_cometchat_app_is_refused(analyze):
    stack = two_tenants("production")
    assert only(analyze(stack, PRODUCTION), "production-cometchat-app-protected") == []
    stack.get("bravo-cometchat-app").options.protect = False
    found = only(analyze(stack, PRODUCTION), "production-cometchat-app-protected")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "bravo", stack.get("bravo-cometchat-app").urn)]


def test_prototype_apps_may_be_replaced(analyze):
    assert only(analyze(two_tenants()), "production-cometchat-app-protected") == []


def test_email_outside_the_reviewed_vocabulary_is_refused_without_echoing_it(analyze):
    # Classes a denylist missed: a lab value, a relative, a Medicare number, a condition it did not list.
    stack = two_tenants()
    _template(stack, "alpha-template-email", "Your mother's A1c was 7.2%. Log in to view it.")
    _template(stack, "bravo-template-sms", "Sarcoidosis clinic, member 1EG4-TE5-MK73: {{deep_link}}")
    found = only(analyze(stack), "notifications-email-sms-phi-free")
    assert sorted((v.tenant, v.enforcement) for v in found) == [("alpha", "mandatory"), ("bravo", "mandatory")]
    for violation in found:
        assert "components/pointer_vocabulary.yaml" in violation.message
        for secret in ("mother", "A1c", "7.2", "Sarcoidosis", "1EG4"):
            assert secret not in violation.message
    alpha = next(v for v in found if v.tenant == "alpha")
    assert "a reference to a relative" in alpha.message and "a clinical measurement" in alpha.message


SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def _subscribe(stack, tenant: str, protocol: str, endpoint: str) -> None:
    stack.add("hipaachat:tenant:Monitoring", f"{tenant}-monitoring", parent=tenant, custom=False)
    stack.add(SUBSCRIPTION, f"{tenant}-oncall-{protocol}-0", parent=f"{tenant}-monitoring", provider=f"{tenant}-aws",
              inputs={"protocol": protocol, "endpoint": endpoint,
                      "topic": f"arn:aws:sns:us-east-2:111122223333:{tenant}"})


@pytest.mark.parametrize(("protocol", "endpoint", "domain"), [
    ("email", "oncall@example.org", "example.org"),
    ("https", "https://pager.example.org/hooks/hipaachat", "pager.example.org"),
    ("email", "ops@alerts.example.com", "alerts.example.com"),
    ("https", "https://user:token@hooks.clinic.example:8443/x?key=abc", "hooks.clinic.example"),
])
def test_alarms_to_an_example_domain_page_nobody_and_block_production(analyze, protocol, endpoint, domain):
    stack = two_tenants("production")
    _subscribe(stack, "alpha", protocol, endpoint)
    found = only(analyze(stack, PRODUCTION), "production-oncall-recorded")
    assert [(v.enforcement, v.tenant) for v in found] == [("mandatory", "alpha")]
    assert f"goes to {domain}, an example domain: nobody would be paged" in found[0].message
    assert "hipaachat:oncall" in found[0].message
    # Only the domain is named: never the mailbox, path, query or credentials.
    assert not any(secret in found[0].message for secret in ("oncall@", "/hooks", "token", "key=abc"))


def test_a_prototype_subscription_to_an_example_domain_is_advisory(analyze):
    stack = two_tenants("prototype")
    _subscribe(stack, "bravo", "email", "prototype-alerts@example.org")
    found = only(analyze(stack), "production-oncall-recorded")
    assert [(v.enforcement, v.tenant) for v in found] == [("advisory", "bravo")]


@pytest.mark.parametrize(("protocol", "endpoint"), [
    ("email", "oncall@harbor-health.test"), ("https", "https://events.pagerduty.com/integration/x/enqueue"),
    ("email", "ops@example-clinic.org"),  # a real domain that merely contains the word
    ("sqs", "arn:aws:sqs:us-east-2:111122223333:pager"),
])
def test_a_recorded_on_call_rotation_passes(analyze, protocol, endpoint):
    stack = two_tenants("production")
    _subscribe(stack, "alpha", protocol, endpoint)
    assert only(analyze(stack, PRODUCTION), "production-oncall-recorded") == []
