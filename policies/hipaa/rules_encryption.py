"""Encryption: at rest under the tenant's own rotating key, in transit over TLS only, never public.

Per-tenant customer-managed keys are the cryptographic half of isolation (a per-tenant kill
switch, and "tenant B's data under tenant A's key" becomes a checkable fact), so every store of
a tenant must name that tenant's key, not merely "some KMS key".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from policies.hipaa.context import PackContext
from policies.hipaa.contracts import (
    BUCKETS,
    KMS_ALIAS,
    KMS_KEY,
    LOG_GROUP,
    S3_BUCKET_POLICY,
    S3_OBJECTS,
    S3_PUBLIC_ACCESS,
    SECRET,
    SSE_CONFIGS,
)
from policies.hipaa.documents import DocumentError, Statement, condition_values, parse
from policies.hipaa.framework import Report, ResourceView, StackReport, resource_rule, stack_rule
from policies.hipaa.stack_view import StackView
from policies.hipaa.values import UNKNOWN, as_bool, as_int, contains_unknown, dig

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
MIN_DELETION_WINDOW_DAYS = 7
# Only symmetric keys can rotate automatically (Checkov CKV_AWS_7 evaluates only these).
ROTATABLE_SPECS = (None, "SYMMETRIC_DEFAULT")


@resource_rule("encryption-kms-key-rotation", "Tenant KMS keys rotate automatically.", severity=Severity.HIGH,
               types={KMS_KEY})
def kms_key_rotation(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.312(a)(2)(iv); Checkov CKV_AWS_7; Prowler `kms_cmk_rotation_enabled`."""
    spec = resource.props.get("customerMasterKeySpec") or resource.props.get("keySpec")
    if spec not in ROTATABLE_SPECS:
        return
    if as_bool(resource.props.get("enableKeyRotation")) is not True:
        report("automatic key rotation is off; set enable_key_rotation=True")


@resource_rule("encryption-kms-deletion-window", "Tenant KMS keys keep a deletion window of at least 7 days.",
               severity=Severity.MEDIUM, types={KMS_KEY})
def kms_deletion_window(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.312(a)(2)(iv), 164.308(a)(7)(ii)(A); Prowler `kms_cmk_not_deleted_unintentionally`;
    AWS Config `kms-cmk-not-scheduled-for-deletion`.

    Deleting a tenant key destroys every record encrypted under it; the window is the only undo.
    Unset means AWS's default of 30 days.
    """
    days = as_int(resource.props.get("deletionWindowInDays"))
    if days is not None and days < MIN_DELETION_WINDOW_DAYS:
        report(f"deletion window is {days} days; set deletion_window_in_days to at least "
               f"{MIN_DELETION_WINDOW_DAYS} (hipaachat uses 30)")


def key_problem(stack: StackView, owner: str, value: Any, depends_on: Sequence[PolicyResource] = ()) -> str | None:
    """Why `value` is not `owner`'s own KMS key, or None when it is (or cannot be known yet).

    At preview a key's ARN is unknown until the key exists; structure still tells: a value
    computed from another tenant's key (its property dependencies, `depends_on`) is a finding in
    both phases, and anything else waits for the update.
    """
    if value is UNKNOWN:
        for key in depends_on:
            if key.resource_type in (KMS_KEY, KMS_ALIAS) and stack.owner(key.urn) not in (None, owner):
                return f"uses tenant '{stack.owner(key.urn)}''s key {key.urn}"
        return None
    if not isinstance(value, str) or not value:
        return "names no KMS key"
    key = stack.key_named(value)
    if key is None:
        if stack.keys_unresolved:
            return None
        return "uses a key that is not a tenant key of this stack (an AWS managed or foreign key)"
    key_owner = stack.owner(key.urn)
    if key_owner != owner:
        return f"uses tenant '{key_owner}''s key {key.urn}"
    return None


@stack_rule("encryption-s3-tenant-key",
            "Tenant buckets and objects are encrypted with SSE-KMS under the tenant's own key.",
            severity=Severity.CRITICAL)
def s3_tenant_key(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(a)(2)(iv), 164.312(e)(2)(ii), 164.312(c)(1); Checkov CKV_AWS_145, CKV_AWS_19;
    Prowler `s3_bucket_default_encryption`, `s3_bucket_kms_encryption`; AWS Config `s3-default-encryption-kms`.

    At preview a configuration's `rules` can be unknown as a whole (the provider plans nested
    blocks with an unknown key ARN as one unknown): that is "not known yet", never "no encryption".
    """
    for bucket in stack.of_type(*BUCKETS):
        owner = stack.owner(bucket.urn)
        if owner is None:
            continue
        configs = stack.configuring(bucket, SSE_CONFIGS)
        rules: list[tuple[Any, list[PolicyResource]]] = []
        pending = stack.may_configure_unseen(SSE_CONFIGS)
        for sse in configs:
            value = stack.props(sse).get("rules")
            depends_on = sse.property_dependencies.get("rules", [])
            listed = value if isinstance(value, list) else [UNKNOWN] if value is UNKNOWN else []
            rules += [(rule, depends_on) for rule in listed]
        inline = dig(stack.props(bucket), "serverSideEncryptionConfiguration", "rule")
        pending |= inline is UNKNOWN
        rules += [(inline, bucket.property_dependencies.get("serverSideEncryptionConfiguration", []))] \
            if isinstance(inline, dict) else []
        if not rules and not pending:
            report("bucket has no default encryption; add a server-side encryption configuration with "
                   f"sse_algorithm aws:kms and tenant '{owner}''s key", bucket.urn)
        for rule, depends_on in rules:
            if rule is UNKNOWN:  # only structure is known: what the rules are computed from
                if (problem := key_problem(stack, owner, UNKNOWN, depends_on)) is not None:
                    report(f"default encryption {problem}; set kms_master_key_id to tenant '{owner}''s key",
                           bucket.urn)
                continue
            default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, dict) else None
            algorithm = dig(default, "sseAlgorithm")
            if algorithm is not UNKNOWN and algorithm not in KMS_ALGORITHMS:
                report(f"default encryption is {algorithm or 'unset'}; use sse_algorithm aws:kms with tenant "
                       f"'{owner}''s key", bucket.urn)
            elif (problem := key_problem(stack, owner, dig(default, "kmsMasterKeyId"), depends_on)) is not None:
                report(f"default encryption {problem}; set kms_master_key_id to tenant '{owner}''s key", bucket.urn)
    for obj in stack.of_type(*S3_OBJECTS):
        owner = stack.owner(obj.urn)
        props = stack.props(obj)
        if owner is None:
            continue
        algorithm = props.get("serverSideEncryption")
        if algorithm is not None and algorithm is not UNKNOWN and algorithm not in KMS_ALGORITHMS:
            report(f"object is stored with {algorithm}; use server_side_encryption aws:kms with tenant "
                   f"'{owner}''s key", obj.urn)
        elif props.get("kmsKeyId") is not None and (problem := key_problem(
                stack, owner, props["kmsKeyId"], obj.property_dependencies.get("kmsKeyId", []))):
            report(f"object {problem}; set kms_key_id to tenant '{owner}''s key", obj.urn)


@stack_rule("encryption-s3-public-access-blocked", "Every tenant bucket blocks all public access.",
            severity=Severity.CRITICAL)
def s3_public_access_blocked(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(a)(1), 164.308(a)(3)(i); Checkov CKV_AWS_53-56, CKV2_AWS_6; Prowler
    `s3_bucket_public_access`, `s3_bucket_level_public_access_block`."""
    for bucket in stack.of_type(*BUCKETS):
        if stack.owner(bucket.urn) is None:
            continue
        blocks = stack.configuring(bucket, [S3_PUBLIC_ACCESS])
        if not blocks and not stack.may_configure_unseen([S3_PUBLIC_ACCESS]):
            report("bucket has no public access block; add one with all four flags true", bucket.urn)
        for block in blocks:
            props = stack.props(block)
            off = [flag for flag in PUBLIC_ACCESS_FLAGS
                   if props.get(flag) is not UNKNOWN and as_bool(props.get(flag)) is not True]
            if off:
                report(f"public access block leaves {', '.join(off)} off; set all four flags to true", block.urn)


def is_tls_only(statements: list[Statement]) -> bool:
    """A Deny of every S3 action to everyone when aws:SecureTransport is false."""
    for statement in statements:
        insecure = [v.lower() for v in condition_values(statement, "aws:SecureTransport")]
        refuses_all = statement.principal_is_wildcard and any(a in ("s3:*", "*") for a in statement.actions)
        if statement.effect == "Deny" and "false" in insecure and refuses_all:
            return True
    return False


@stack_rule("encryption-s3-tls-only", "Every tenant bucket refuses requests that are not over TLS.",
            severity=Severity.HIGH)
def s3_tls_only(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(e)(1), 164.312(e)(2)(i)-(ii); Checkov CKV_AWS_379; Prowler
    `s3_bucket_secure_transport_policy`; AWS Config `s3-bucket-ssl-requests-only`."""
    for bucket in stack.of_type(*BUCKETS):
        if stack.owner(bucket.urn) is None:
            continue
        documents = [stack.props(p).get("policy") for p in stack.configuring(bucket, [S3_BUCKET_POLICY])]
        documents.append(stack.props(bucket).get("policy"))
        if any(contains_unknown(d) for d in documents) or stack.may_configure_unseen([S3_BUCKET_POLICY]):
            continue
        statements: list[Statement] = []
        for document in documents:
            if document:
                try:
                    statements += parse(document)
                except DocumentError:
                    continue
        if not is_tls_only(statements):
            report("no bucket policy denies s3:* when aws:SecureTransport is false; attach the TLS-only policy "
                   "(components.policy_documents.tls_only_bucket_policy)", bucket.urn)


def _store_key(stack: StackView, types: tuple[str, ...], what: str, report: StackReport) -> None:
    for store in stack.of_type(*types):
        owner = stack.owner(store.urn)
        key = stack.props(store).get("kmsKeyId")
        if owner is None:
            # Outside every tenant (a foreign stack): no tenant key to compare with, but encryption at rest
            # with a customer-managed key is still checkable. An unknown key (preview) is not a finding.
            if key is None or key == "":
                report(f"{what} has no customer-managed KMS key (kms_key_id unset: AWS-managed encryption at "
                       "best); set kms_key_id to a customer-managed key", store.urn)
        elif problem := key_problem(stack, owner, key, store.property_dependencies.get("kmsKeyId", [])):
            report(f"{what} {problem}; set kms_key_id to tenant '{owner}''s key ARN", store.urn)


@stack_rule("encryption-log-group-tenant-key", "Tenant log groups are encrypted with the tenant's own key.",
            severity=Severity.HIGH)
def log_group_tenant_key(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(a)(2)(iv), 164.312(e)(2)(ii); Checkov CKV_AWS_158; Prowler
    `cloudwatch_log_group_kms_encryption_enabled`."""
    _store_key(stack, (LOG_GROUP,), "log group", report)


@stack_rule("encryption-secret-tenant-key", "Tenant secrets are encrypted with the tenant's own key.",
            severity=Severity.HIGH)
def secret_tenant_key(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(a)(2)(iv); Checkov CKV_AWS_149; AWS Config `secretsmanager-using-cmk`.

    Without kms_key_id a secret uses the account's aws/secretsmanager key, which every principal
    with decrypt on it can use across tenants.
    """
    _store_key(stack, (SECRET,), "secret", report)

