"""IAM, KMS and S3 policy documents for one tenant, as pure functions of resolved ARNs.

Pure so they can be tested directly and so every statement is reviewable in one place.
Principals are always named ARNs or AWS service principals: no Allow ever carries
`Principal: "*"` (Checkov CKV_AWS_33, Prowler kms_key_not_publicly_accessible). The only
wildcard principal is in the TLS-only Deny, which is the standard way to refuse plain HTTP.
"""

from __future__ import annotations

import json

from components.tags import TENANT_TAG


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def trust_policy(account_id: str, tenant_id: str) -> str:
    """Who may assume a tenant role: principals of this account tagged with this tenant.

    `sts:TagSession` is allowed so ABAC session tags propagate (without it the
    `aws:PrincipalTag` condition resolves empty and access is denied).
    """
    return _doc({
        "Sid": "AssumeWithinTenant",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {f"aws:PrincipalTag/{TENANT_TAG}": tenant_id}},
    })


def key_policy(account_id: str, region: str, tenant_id: str, log_group_name: str,
               operator_role_arn: str | None, auditor_role_arn: str) -> str:
    """The tenant key's policy: account admin, this tenant's roles, and CloudWatch Logs for its log group only.

    An offboarded tenant has no operator role (`operator_role_arn` None): only the auditor keeps
    reading the evidence.
    """
    statements = [
        {
            # Without an account-root statement a key can become unmanageable (KMS lockout).
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
    ]
    if operator_role_arn is not None:
        statements.append({
            "Sid": "TenantOperatorUse",
            "Effect": "Allow",
            "Principal": {"AWS": operator_role_arn},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
        })
    statements += [
        {
            "Sid": "TenantAuditorRead",
            "Effect": "Allow",
            "Principal": {"AWS": auditor_role_arn},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        },
        {
            # CloudWatch Logs encrypts with the key only for this tenant's own log group.
            "Sid": "TenantLogGroupEncryption",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnEquals": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}",
            }},
        },
        {
            # The tenant's alarm topic is encrypted under this key: its publishers (this account's
            # CloudWatch alarms and EventBridge rules, components.monitoring) need a data key.
            "Sid": "TenantAlarmTopicPublishers",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    ]
    return _doc(*statements)


def tls_only_bucket_policy(bucket_arn: str) -> str:
    """Refuse every request to the bucket that is not over TLS (Prowler s3_bucket_secure_transport_policy)."""
    return _doc({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })


def operator_policy(key_arn: str, secret_arn: str, template_bucket_arn: str, log_group_arn: str) -> str:
    """Day-to-day operation of one tenant: read its credentials, manage templates, write audit events."""
    return _doc(
        {"Sid": "TenantKey", "Effect": "Allow",
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": key_arn},
        {"Sid": "TenantCredentials", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": secret_arn},
        {"Sid": "TenantTemplates", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetObjectVersion"],
         "Resource": [template_bucket_arn, f"{template_bucket_arn}/*"]},
        {"Sid": "TenantAuditWrite", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": [log_group_arn, f"{log_group_arn}:*"]},
    )


def auditor_policy(key_arn: str, archive_bucket_arn: str, log_group_arn: str) -> str:
    """Read-only access to one tenant's audit evidence; nothing that can alter it."""
    return _doc(
        {"Sid": "TenantKeyDecrypt", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"],
         "Resource": key_arn},
        {"Sid": "TenantArchiveRead", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetObjectRetention"],
         "Resource": [archive_bucket_arn, f"{archive_bucket_arn}/*"]},
        {"Sid": "TenantAuditRead", "Effect": "Allow",
         "Action": ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"],
         "Resource": [log_group_arn, f"{log_group_arn}:*"]},
    )
