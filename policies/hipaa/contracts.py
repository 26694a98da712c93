"""The names this pack relies on: component types, tags and dynamic resource types of the program.

They are contracts with `components/`: a rename on either side without the other
makes isolation unprovable, so they live in one place and the tests build stacks from them.
"""

from __future__ import annotations

from components.tags import CHANNEL_TAG, CI_IDENTITY_TYPE, RETAIN_TAG, TENANT_TAG, TENANT_TYPE

__all__ = ["CHANNEL_TAG", "CI_IDENTITY_TYPE", "RETAIN_TAG", "TENANT_TAG", "TENANT_TYPE"]

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
AUDIT_SINKS_TYPE = "hipaachat:tenant:AuditSinks"
AWS_PROVIDER_TYPE = "pulumi:providers:aws"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
# Default providers are created by the engine, not the program, and are named `default` or `default_<version>`.
DEFAULT_PROVIDER_PREFIX = "default"

# Python dynamic resources declared as `class X(Resource, module="hipaachat", name="CometChatApp")`.
DYNAMIC_PREFIX = "pulumi-python:dynamic/hipaachat:"
COMETCHAT_APP_TYPE = DYNAMIC_PREFIX + "CometChatApp"
COMETCHAT_EXTENSIONS_TYPE = DYNAMIC_PREFIX + "CometChatExtensions"

KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
S3_VERSIONING_V2 = "aws:s3/bucketVersioningV2:BucketVersioningV2"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
S3_PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
S3_OBJECT_LOCK_V2 = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
S3_OBJECTS = ("aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject")
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
# What the CI deploy identity may hold: it lives outside every tenant, so nothing else may hide in it.
CI_IDENTITY_PARTS = (IAM_OIDC_PROVIDER, IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT)

BUCKETS = (S3_BUCKET, S3_BUCKET_V2)
VERSIONINGS = (S3_VERSIONING, S3_VERSIONING_V2)
SSE_CONFIGS = (S3_SSE, S3_SSE_V2)
OBJECT_LOCKS = (S3_OBJECT_LOCK, S3_OBJECT_LOCK_V2)


def is_aws_resource(resource_type: str) -> bool:
    """A resource managed by pulumi-aws (not its provider, not a component)."""
    return resource_type.startswith("aws:")


def is_default_provider(resource_type: str, name: str) -> bool:
    return resource_type.startswith(PROVIDER_TYPE_PREFIX) and name.startswith(DEFAULT_PROVIDER_PREFIX)

