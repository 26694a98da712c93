"""A hardened S3 bucket: the one way hipaachat makes a bucket.

Template stores and audit archives need the same baseline (versioning, SSE-KMS with the
tenant key, public access blocked, ACLs disabled, TLS-only), so it lives here once and a
policy finding on one bucket kind can never be fixed on only one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import policy_documents
from components.tags import RETAIN_TAG


@dataclass
class HardenedBucketArgs:
    bucket_name: str
    key_arn: pulumi.Input[str]
    tags: dict[str, str]
    object_lock: bool = False
    # Audit archives outlive their tenant: their resources are retained when the stack forgets them.
    retain: bool = False
    protect: bool = False
    extra_tags: dict[str, str] = field(default_factory=dict)


class HardenedBucket(pulumi.ComponentResource):
    """Bucket plus its versioning, encryption, public-access block, ownership and TLS-only policy."""

    bucket: aws.s3.Bucket

    def __init__(self, name: str, args: HardenedBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:HardenedBucket", name, None, opts)
        tags = {**args.tags, **args.extra_tags, **({RETAIN_TAG: "true"} if args.retain else {})}
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain, protect=args.protect)

        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            object_lock_enabled=args.object_lock or None,
            force_destroy=False,
            tags=tags,
            opts=keep,
        )
        after_bucket = pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[self.bucket]))
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=after_bucket,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=self.bucket.id,
            rules=[{
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": args.key_arn},
                # Bucket keys cut KMS request cost without weakening per-tenant key separation.
                "bucket_key_enabled": True,
            }],
            opts=after_bucket,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after_bucket,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=after_bucket,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(policy_documents.tls_only_bucket_policy),
            # S3 rejects a bucket policy written while the public-access block is being applied.
            opts=pulumi.ResourceOptions.merge(after_bucket, pulumi.ResourceOptions(depends_on=[public_access])),
        )
        self.register_outputs({"bucket": self.bucket.id, "arn": self.bucket.arn})
