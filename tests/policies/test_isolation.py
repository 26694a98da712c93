"""Isolation policies, each with a compliant and a violating stack, through the real Analyzer protocol."""

from __future__ import annotations

import json

from components.tags import TENANT_TAG
from tests.policies.builder import ACCOUNT
from tests.policies.conftest import only, policies_violated, two_tenants


def test_compliant_stack_breaks_no_isolation_rule(analyze):
    outcome = analyze(two_tenants())
    assert not {p for p in policies_violated(outcome) if p.startswith("isolation-")}
    assert not outcome.blocked


def test_tag_naming_another_tenant_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-key").inputs["tags"][TENANT_TAG] = "bravo"
    found = only(analyze(stack), "isolation-tenant-tag")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", stack.get("alpha-key").urn)]
    assert "'bravo'" in found[0].message and "'alpha'" in found[0].message


def test_missing_tag_is_refused_but_untaggable_types_are_not_asked(analyze):
    stack = two_tenants()
    del stack.get("alpha-audit").inputs["tags"]
    found = only(analyze(stack), "isolation-tenant-tag")
    # The KMS alias, role policies and bucket siblings cannot carry tags and are not reported.
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-audit").urn)]


def test_cometchat_resource_declaring_another_tenant_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-cometchat-extensions").inputs["tenantId"] = "bravo"
    found = only(analyze(stack), "isolation-tenant-tag")
    assert [(v.enforcement, v.tenant) for v in found] == [("mandatory", "alpha")]


def test_resource_outside_every_tenant_is_refused(analyze):
    stack = two_tenants()
    stack.add("aws:s3/bucket:Bucket", "stray-bucket", parent=None, provider="alpha-aws",
              inputs={"bucket": "hipaachat-test-stray", "tags": {TENANT_TAG: "alpha"}},
              outputs={"arn": "arn:aws:s3:::hipaachat-test-stray"})
    found = only(analyze(stack), "isolation-tenant-ancestry")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", None, stack.get("stray-bucket").urn)]


def test_bucket_encrypted_with_another_tenants_key_is_a_cross_tenant_reference(analyze):
    stack = two_tenants()
    sse = stack.get("alpha-templates-sse")
    for props in (sse.inputs, sse.outputs):
        props["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] = stack.arn("bravo-key")
    found = only(analyze(stack), "isolation-no-cross-tenant-reference")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", sse.urn)]
    assert stack.get("bravo-key").urn in found[0].message


def test_dependency_on_another_tenants_resource_is_refused(analyze):
    stack = two_tenants()
    obj = stack.get("alpha-template-sms")
    obj.dependencies.append(stack.get("bravo-templates").urn)
    found = only(analyze(stack), "isolation-no-cross-tenant-reference")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", obj.urn)]
    assert "depends on" in found[0].message


def test_second_cometchat_app_for_one_tenant_is_refused(analyze):
    stack = two_tenants()
    stack.add("pulumi-python:dynamic/hipaachat:CometChatApp", "alpha-cometchat-app-2", parent="alpha-cometchat",
              inputs={"tenantId": "alpha", "name": "hipaachat-test-alpha-2", "region": "us"},
              outputs={"appId": "app-second-alpha"})
    found = only(analyze(stack), "isolation-cometchat-app-per-tenant")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "alpha", stack.get("alpha-cometchat-app-2").urn)]


def test_cometchat_app_shared_between_tenants_is_refused(analyze):
    stack = two_tenants()
    stack.get("bravo-cometchat-app").outputs["appId"] = stack.get("alpha-cometchat-app").outputs["appId"]
    outcome = analyze(stack)
    assert {(v.tenant, v.enforcement) for v in only(outcome, "isolation-cometchat-app-per-tenant")} == {
        ("alpha", "mandatory"), ("bravo", "mandatory")}


def test_wildcard_principal_in_an_allow_is_refused(analyze):
    stack = two_tenants()
    key = stack.get("alpha-key")
    policy = json.loads(key.inputs["policy"])
    policy["Statement"].append({"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"},
                                "Action": "kms:Decrypt", "Resource": "*"})
    key.inputs["policy"] = json.dumps(policy)
    found = only(analyze(stack), "isolation-no-wildcard-principal")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", key.urn)]
    assert "Everyone" in found[0].message


def test_wildcard_principal_in_the_tls_only_deny_is_allowed(analyze):
    stack = two_tenants()
    assert '"Principal": "*"' in stack.get("alpha-templates-tls-only").inputs["policy"]
    assert only(analyze(stack), "isolation-no-wildcard-principal") == []


def test_not_principal_allow_in_a_trust_policy_is_refused(analyze):
    stack = two_tenants()
    role = stack.get("alpha-operator")
    role.inputs["assumeRolePolicy"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
    found = only(analyze(stack), "isolation-no-wildcard-principal")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", role.urn)]


def _grant(stack, role_policy: str, resources: list[str]) -> None:
    policy = stack.get(role_policy)
    document = json.loads(policy.inputs["policy"])
    document["Statement"].append({"Sid": "Extra", "Effect": "Allow", "Action": "s3:GetObject", "Resource": resources})
    policy.inputs["policy"] = policy.outputs["policy"] = json.dumps(document)


def test_role_policy_naming_another_tenants_bucket_is_refused(analyze):
    stack = two_tenants()
    _grant(stack, "alpha-operator-policy", [f"{stack.arn('bravo-templates')}/*"])
    outcome = analyze(stack)
    found = only(outcome, "isolation-iam-scoped-to-tenant")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "alpha", stack.get("alpha-operator-policy").urn)]
    assert "tenant 'bravo'" in found[0].message
    assert [v.tenant for v in only(outcome, "isolation-no-cross-tenant-reference")] == ["alpha"]


def test_role_policy_granting_every_resource_is_refused(analyze):
    stack = two_tenants()
    _grant(stack, "alpha-auditor-policy", ["*"])
    found = only(analyze(stack), "isolation-iam-scoped-to-tenant")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-auditor-policy").urn)]
    assert "every resource" in found[0].message


def test_trust_policy_without_tenant_condition_is_refused(analyze):
    stack = two_tenants()
    role = stack.get("alpha-auditor")
    role.outputs["assumeRolePolicy"] = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
    found = only(analyze(stack), "isolation-iam-scoped-to-tenant")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", role.urn)]
    assert "any principal" in found[0].message


def test_trust_policy_pinned_to_another_tenant_is_refused(analyze):
    stack = two_tenants()
    role = stack.get("alpha-operator")
    role.outputs["assumeRolePolicy"] = role.outputs["assumeRolePolicy"].replace('"alpha"', '"bravo"')
    found = only(analyze(stack), "isolation-iam-scoped-to-tenant")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", role.urn)]


def test_webhook_pointing_at_another_tenants_ingest_endpoint_is_refused(analyze):
    stack = two_tenants()
    stack.add("aws:apigatewayv2/api:Api", "bravo-ingest-api", parent="bravo-audit-sinks", provider="bravo-aws",
              inputs={"name": "hipaachat-test-bravo-ingest", "protocolType": "HTTP",
                      "tags": {TENANT_TAG: "bravo"}},
              outputs={"apiEndpoint": "https://bravo0api.execute-api.eu-central-1.amazonaws.com"})
    stack.add("pulumi-python:dynamic/hipaachat:CometChatWebhook", "alpha-cometchat-webhook", parent="alpha-cometchat",
              inputs={"tenantId": "alpha",
                      "webhookUrl": "https://bravo0api.execute-api.eu-central-1.amazonaws.com/webhook"})
    found = only(analyze(stack), "isolation-no-cross-tenant-reference")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-cometchat-webhook").urn)]
    assert "webhookUrl" in found[0].message and stack.get("bravo-ingest-api").urn in found[0].message


def test_cometchat_resource_configuring_another_tenants_app_is_refused(analyze):
    stack = two_tenants()
    extensions = stack.get("bravo-cometchat-extensions")
    extensions.outputs["appId"] = stack.get("alpha-cometchat-app").outputs["appId"]
    found = only(analyze(stack), "isolation-no-cross-tenant-reference")
    assert [(v.tenant, v.urn) for v in found] == [("bravo", extensions.urn)]
    assert stack.get("alpha-cometchat-app").urn in found[0].message


def test_bucket_setting_applied_to_another_tenants_bucket_is_refused(analyze):
    stack = two_tenants()
    versioning = stack.get("alpha-templates-versioning")
    versioning.outputs["bucket"] = stack.get("bravo-templates").outputs["bucket"]
    found = only(analyze(stack), "isolation-no-cross-tenant-reference")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", versioning.urn)]
