"""Residency policies through the real Analyzer protocol."""

from __future__ import annotations

from tests.policies.conftest import only, two_tenants


def test_compliant_stack_stays_in_its_regions(analyze):
    outcome = analyze(two_tenants())
    assert only(outcome, "residency-aws-region") == []
    assert only(outcome, "residency-cometchat-region") == []


def test_tenant_provider_in_another_region_is_refused(analyze):
    stack = two_tenants()
    stack.get("bravo-aws").inputs["region"] = "us-east-2"  # bravo is an eu tenant
    found = only(analyze(stack), "residency-aws-region")
    provider_urn = stack.get("bravo-aws").urn
    assert ("mandatory", "bravo", provider_urn) in [(v.enforcement, v.tenant, v.urn) for v in found]
    # Every AWS resource deployed through that provider is reported too.
    assert {v.tenant for v in found} == {"bravo"} and len(found) > 10


def test_resource_on_the_default_provider_is_refused(analyze):
    stack = two_tenants()
    stack.add("pulumi:providers:aws", "default_7_51_0", parent=None, inputs={"region": "us-east-1"})
    secret = stack.get("alpha-cometchat-credentials")
    secret.provider = f"{stack.get('default_7_51_0').urn}::default-id"
    found = only(analyze(stack), "residency-aws-region")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", secret.urn)]
    assert "default aws provider" in found[0].message


def test_reference_to_a_resource_in_another_region_is_refused(analyze):
    stack = two_tenants()
    log_group = stack.get("alpha-audit")
    log_group.inputs["kmsKeyId"] = "arn:aws:kms:eu-west-1:123456789012:key/elsewhere"
    found = only(analyze(stack), "residency-aws-region")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", log_group.urn)]
    assert "eu-west-1" in found[0].message


def test_tenant_declaring_a_region_its_residency_does_not_map_to_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha").inputs["awsRegion"] = "eu-central-1"
    found = only(analyze(stack), "residency-aws-region")
    assert ("mandatory", "alpha", stack.get("alpha").urn) in [(v.enforcement, v.tenant, v.urn) for v in found]


def test_cometchat_app_in_another_region_is_refused(analyze):
    stack = two_tenants()
    app = stack.get("bravo-cometchat-app")
    app.inputs["region"] = "us"
    found = only(analyze(stack), "residency-cometchat-region")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "bravo", app.urn)]
