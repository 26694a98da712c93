"""Audit log sinks: where a tenant's evidence lives for at least six years.

A CloudWatch log group for queries and an S3 archive under Object Lock COMPLIANCE for
tamper-proof retention (45 CFR 164.312(b), 164.316(b)(2)(i)). Both are retained when a
tenant is offboarded: deleting a tenant never deletes its audit evidence early.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import HardenedBucket, HardenedBucketArgs
from components.tags import RETAIN_TAG


@dataclass
class AuditSinksArgs:
    tenant_id: str
    log_group_name: str
    archive_bucket_name: str
    retention_days: int
    """The log group's: the smallest CloudWatch value >= the audit period, 0 = never expire."""
    lock_days: int
    """The archive's default Object Lock days: covers the longest data type (components.retention_plan)."""
    object_lock_days: dict[str, int]
    """Data type -> the retain-until days the ingest sets on each archived object of that type."""
    key_arn: pulumi.Input[str]
    tags: dict[str, str]
    protect: bool


class AuditSinks(pulumi.ComponentResource):
    log_group: aws.cloudwatch.LogGroup
    archive: HardenedBucket

    def __init__(self, name: str, args: AuditSinksArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:AuditSinks", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True, protect=args.protect)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{args.tenant_id}-audit",
            name=args.log_group_name,
            kms_key_id=args.key_arn,
            retention_in_days=args.retention_days,
            # skip_destroy keeps the log group in AWS even on `pulumi destroy`.
            skip_destroy=True,
            tags={**args.tags, RETAIN_TAG: "true"},
            opts=keep,
        )
        self.archive = HardenedBucket(
            f"{args.tenant_id}-audit-archive",
            HardenedBucketArgs(
                bucket_name=args.archive_bucket_name,
                key_arn=args.key_arn,
                tags=args.tags,
                object_lock=True,
                retain=True,
                protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.object_lock_days = dict(args.object_lock_days)
        aws.s3.BucketObjectLockConfiguration(
            f"{args.tenant_id}-audit-archive-lock",
            bucket=self.archive.bucket.id,
            object_lock_enabled="Enabled",
            rule={"default_retention": {"mode": "COMPLIANCE", "days": args.lock_days}},
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(parent=self.archive)),
        )
        self.register_outputs({"log_group": self.log_group.name, "archive_bucket": self.archive.bucket.id})
