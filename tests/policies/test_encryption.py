"""Encryption policies through the real Analyzer protocol."""

from __future__ import annotations

from tests.policies.conftest import only, policies_violated, two_tenants


def test_compliant_stack_is_encrypted_everywhere(analyze):
    assert not {p for p in policies_violated(analyze(two_tenants())) if p.startswith("encryption-")}


def test_key_without_rotation_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-key").inputs["enableKeyRotation"] = False
    found = only(analyze(stack), "encryption-kms-key-rotation")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", stack.get("alpha-key").urn)]


def test_short_deletion_window_is_refused(analyze):
    stack = two_tenants()
    stack.get("bravo-key").inputs["deletionWindowInDays"] = 5
    found = only(analyze(stack), "encryption-kms-deletion-window")
    assert [(v.enforcement, v.tenant) for v in found] == [("mandatory", "bravo")]


def test_unset_deletion_window_means_the_30_day_default(analyze):
    stack = two_tenants()
    del stack.get("bravo-key").inputs["deletionWindowInDays"]
    assert only(analyze(stack), "encryption-kms-deletion-window") == []


def test_bucket_sse_with_another_tenants_key_is_refused(analyze):
    stack = two_tenants()
    rule = stack.get("alpha-audit-bucket-sse").outputs["rules"][0]["applyServerSideEncryptionByDefault"]
    rule["kmsMasterKeyId"] = stack.arn("bravo-key")
    found = only(analyze(stack), "encryption-s3-tenant-key")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "alpha", stack.get("alpha-audit-bucket").urn)]
    assert "tenant 'bravo''s key" in found[0].message


def test_bucket_without_kms_default_encryption_is_refused(analyze):
    stack = two_tenants()
    stack.get("alpha-templates-sse").outputs["rules"][0]["applyServerSideEncryptionByDefault"] = {
        "sseAlgorithm": "AES256"}
    found = only(analyze(stack), "encryption-s3-tenant-key")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-templates").urn)]
    assert "AES256" in found[0].message


def test_bucket_without_any_encryption_configuration_is_refused(analyze):
    stack = two_tenants()
    stack.remove("alpha-templates-sse")
    found = only(analyze(stack), "encryption-s3-tenant-key")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-templates").urn)]


def test_object_under_an_aws_managed_key_is_refused(analyze):
    stack = two_tenants()
    obj = stack.get("alpha-template-email")
    obj.outputs["kmsKeyId"] = "arn:aws:kms:us-east-2:123456789012:alias/aws/s3"
    found = only(analyze(stack), "encryption-s3-tenant-key")
    assert [(v.tenant, v.urn) for v in found] == [("alpha", obj.urn)]


def test_public_access_flag_off_is_refused(analyze):
    stack = two_tenants()
    block = stack.get("bravo-templates-public-access")
    block.outputs["restrictPublicBuckets"] = False
    found = only(analyze(stack), "encryption-s3-public-access-blocked")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "bravo", block.urn)]
    assert "restrictPublicBuckets" in found[0].message


def test_bucket_without_public_access_block_is_refused(analyze):
    stack = two_tenants()
    stack.remove("bravo-audit-bucket-public-access")
    found = only(analyze(stack), "encryption-s3-public-access-blocked")
    assert [(v.tenant, v.urn) for v in found] == [("bravo", stack.get("bravo-audit-bucket").urn)]


def test_bucket_without_tls_only_policy_is_refused(analyze):
    stack = two_tenants()
    stack.remove("alpha-templates-tls-only")
    found = only(analyze(stack), "encryption-s3-tls-only")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [
        ("mandatory", "alpha", stack.get("alpha-templates").urn)]


def test_log_group_without_a_key_is_refused(analyze):
    stack = two_tenants()
    del stack.get("alpha-audit").outputs["kmsKeyId"]
    found = only(analyze(stack), "encryption-log-group-tenant-key")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "alpha", stack.get("alpha-audit").urn)]


def test_secret_under_another_tenants_key_is_refused(analyze):
    stack = two_tenants()
    secret = stack.get("bravo-cometchat-credentials")
    secret.outputs["kmsKeyId"] = stack.get("alpha-key-alias").outputs["name"]  # an alias names the key too
    found = only(analyze(stack), "encryption-secret-tenant-key")
    assert [(v.enforcement, v.tenant, v.urn) for v in found] == [("mandatory", "bravo", secret.urn)]
    assert "tenant 'alpha''s key" in found[0].message
