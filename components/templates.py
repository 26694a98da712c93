"""The notification template store: one versioned, KMS-encrypted object per channel.

Templates are deployed artifacts, not settings, so that what the policy pack lints is
exactly what a notification sender reads, and every change has an S3 version.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import HardenedBucket, HardenedBucketArgs
from components.catalog import Notifications
from components.tags import CHANNEL_TAG


@dataclass
class TemplateStoreArgs:
    tenant_id: str
    bucket_name: str
    key_arn: pulumi.Input[str]
    notifications: Notifications
    tags: dict[str, str]


class TemplateStore(pulumi.ComponentResource):
    store: HardenedBucket

    def __init__(self, name: str, args: TemplateStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:TemplateStore", name, None, opts)
        self.store = HardenedBucket(
            f"{args.tenant_id}-templates",
            HardenedBucketArgs(bucket_name=args.bucket_name, key_arn=args.key_arn, tags=args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for channel, text in args.notifications.model_dump().items():
            aws.s3.BucketObjectv2(
                f"{args.tenant_id}-template-{channel.replace('_', '-')}",
                bucket=self.store.bucket.id,
                key=f"templates/{channel}.txt",
                content=text,
                content_type="text/plain; charset=utf-8",
                server_side_encryption="aws:kms",
                kms_key_id=args.key_arn,
                tags={**args.tags, CHANNEL_TAG: channel},
                opts=pulumi.ResourceOptions(parent=self.store),
            )
        self.register_outputs({"bucket": self.store.bucket.id})
