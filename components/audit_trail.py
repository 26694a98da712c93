"""The tenant's audit trail: its pseudonym key, the auditor's grant to use it, the console's saved query.

The ingest indexes keyed pseudonyms of the clinical references in message metadata
(components/ingest/correlation.py). The key is 32 random bytes, a Pulumi secret end to end,
stored in Secrets Manager under the tenant's own KMS key. Only two principals are granted it:
the tenant's ingest function (to write pseudonyms) and the tenant's auditor role (to compute the
pseudonym of the reference an auditor asks about). The key is evidence: without it no archived
pseudonym can be matched again, so it is retained and protected like the log group it serves.

Names are functions here so the program and `hipaachat trail` derive them the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.ingest.correlation import SCHEMA
from components.tags import RETAIN_TAG

KEY_BYTES = 32
PSEUDONYM_PLACEHOLDER = "PASTE-PSEUDONYM-FROM-hipaachat-trail-pseudonym"


def log_group_name(scope: str, tenant_id: str) -> str:
    """The tenant's audit log group (index records and the ingest function's own logs)."""
    return f"/hipaachat/{scope}/{tenant_id}/audit"


def pseudonym_secret_name(scope: str, tenant_id: str) -> str:
    return f"hipaachat/{scope}/{tenant_id}/pseudonym-key"


def saved_query_name(scope: str, tenant_id: str) -> str:
    return f"hipaachat/{scope}/{tenant_id}/who-saw-what"


def saved_query(placeholder: str = PSEUDONYM_PLACEHOLDER) -> str:
    """Logs Insights: the messages naming one pseudonym, and every receipt that may cover them.

    Receipts carry no metadata and are high-water marks (a read of a later message marks the
    earlier ones read), so they cannot be narrowed by subject here; `hipaachat trail` does the join.
    """
    return "\n".join((
        "fields @timestamp, trigger, actor, messageId, conversationId, receiver, receiverType, occurredAt",
        f'| filter schema = "{SCHEMA}"',
        f'| filter @message like "{placeholder}" or trigger in ["message_delivery_receipt", "message_read_receipt"]',
        "| sort @timestamp asc",
    ))


def auditor_trail_policy(secret_arn: str, archive_bucket_arn: str, log_group_arn: str) -> str:
    """What `hipaachat trail` needs beyond the auditor's evidence read: the key, versions, Insights."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PseudonymKeyRead", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": secret_arn},
        {"Sid": "ArchiveVersions", "Effect": "Allow", "Action": "s3:ListBucketVersions",
         "Resource": archive_bucket_arn},
        {"Sid": "TrailQueries", "Effect": "Allow",
         "Action": ["logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery"],
         "Resource": [log_group_arn, f"{log_group_arn}:*"]},
    ]}, sort_keys=True)


@dataclass
class AuditTrailArgs:
    tenant_id: str
    scope: str
    key_arn: pulumi.Input[str]
    auditor_role: aws.iam.Role
    archive_bucket_arn: pulumi.Input[str]
    log_group: aws.cloudwatch.LogGroup
    tags: dict[str, str]
    protect: bool


class AuditTrail(pulumi.ComponentResource):
    secret: aws.secretsmanager.Secret
    query: aws.cloudwatch.QueryDefinition

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:AuditTrail", name, None, opts)
        tid = args.tenant_id
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True, protect=args.protect)
        key = random.RandomBytes(f"{tid}-pseudonym-key-bytes", length=KEY_BYTES, opts=keep)
        self.secret = aws.secretsmanager.Secret(
            f"{tid}-pseudonym-key",
            name=pseudonym_secret_name(args.scope, tid),
            description=f"HMAC key of tenant {tid}'s audit pseudonyms (written by hipaachat)",
            kms_key_id=args.key_arn,
            recovery_window_in_days=30,
            tags={**args.tags, RETAIN_TAG: "true"},
            opts=keep,
        )
        aws.secretsmanager.SecretVersion(
            f"{tid}-pseudonym-key-version",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(key.base64.apply(lambda b64: json.dumps({"key": b64}))),
            opts=keep,
        )
        aws.iam.RolePolicy(
            f"{tid}-auditor-trail-policy",
            role=args.auditor_role.id,
            policy=pulumi.Output.all(self.secret.arn, args.archive_bucket_arn, args.log_group.arn).apply(
                lambda a: auditor_trail_policy(*a)),
            opts=keep,
        )
        self.query = aws.cloudwatch.QueryDefinition(
            f"{tid}-trail-query",
            name=saved_query_name(args.scope, tid),
            log_group_names=[args.log_group.name],
            query_string=saved_query(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"pseudonym_key_secret_arn": self.secret.arn, "trail_query": self.query.name})
