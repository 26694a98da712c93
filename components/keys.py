"""The tenant's own KMS key: the cryptographic boundary around everything it stores.

One customer-managed key per tenant (not a shared key with encryption context) gives a
per-tenant kill switch and makes "tenant B's data under tenant A's key" a checkable fact.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents
from components.tags import RETAIN_TAG

# 30 days: the longest window KMS allows, the most time to notice a mistaken deletion.
DELETION_WINDOW_DAYS = 30


@dataclass
class KeysArgs:
    tenant_id: str
    stack: str
    region: str
    account_id: pulumi.Input[str]
    log_group_name: str
    operator_role_arn: pulumi.Input[str] | None
    auditor_role_arn: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool


class Keys(pulumi.ComponentResource):
    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:Keys", name, None, opts)
        policy = pulumi.Output.all(args.account_id, args.operator_role_arn, args.auditor_role_arn).apply(
            lambda a: policy_documents.key_policy(a[0], args.region, args.tenant_id, args.log_group_name, a[1], a[2]))
        # Evidence: the audit log group and archive are encrypted under this key, so the key lives
        # exactly as long as they do (a deleted key makes six years of evidence unreadable).
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True, protect=args.protect)
        self.key = aws.kms.Key(
            f"{args.tenant_id}-key",
            description=f"hipaachat {args.stack}/{args.tenant_id}: tenant data key",
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy,
            tags={**args.tags, RETAIN_TAG: "true"},
            opts=keep,
        )
        self.alias = aws.kms.Alias(
            f"{args.tenant_id}-key-alias",
            name=f"alias/hipaachat/{args.stack}/{args.tenant_id}",
            target_key_id=self.key.key_id,
            opts=keep,
        )
        self.register_outputs({"key_arn": self.key.arn, "alias": self.alias.name})
