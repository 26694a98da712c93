"""IAM documents of the ingest function, as pure functions of resolved ARNs.

Pure so a test can read every statement; kept beside the handler because each action below
is one the handler makes, and nothing else. Every resource is one of this tenant's own ARNs.
The only wildcards are the log group's `:*` (its streams: one a day, named by date) and the
archive's `events/*` (one object per event, named by event id): both stay inside the tenant's
resource and cannot be narrowed further.
"""

import json

LAMBDA_SERVICE = "lambda.amazonaws.com"


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def lambda_trust_policy() -> str:
    """Only the Lambda service may assume the ingest role (no human, no other service)."""
    return _doc({
        "Sid": "LambdaAssumesIngestRole",
        "Effect": "Allow",
        "Principal": {"Service": LAMBDA_SERVICE},
        "Action": "sts:AssumeRole",
    })


def ingest_role_policy(log_group_arn: str, archive_bucket_arn: str, key_arn: str, secret_arn: str,
                       pseudonym_key_secret_arn: str) -> str:
    """What the handler does for one tenant: index to its log group, archive to its bucket.

    The function never reads archived content (no s3:GetObject): it holds each event only while
    handling it. It may read object tags (the `indexed` marker) and list key names, which lets S3
    answer "no such key" (404) rather than 403 when the handler looks for yesterday's copy of a
    retried event; names are trigger and message ids, not content.
    """
    return _doc(
        {
            # Index records and the function's own operational logs (Lambda logging_config).
            "Sid": "TenantLogGroupWrite",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        },
        {
            "Sid": "TenantArchiveEvents",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObjectTagging"],
            "Resource": f"{archive_bucket_arn}/events/*",
        },
        {
            "Sid": "TenantArchiveKeyNames",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": archive_bucket_arn,
        },
        {
            # GenerateDataKey for SSE-KMS writes; Decrypt for the secret and the function's env vars.
            "Sid": "TenantKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        },
        {
            "Sid": "WebhookCredentials",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
        },
        {
            # The HMAC key of the subject pseudonyms in index records (components.audit_trail).
            "Sid": "PseudonymKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": pseudonym_key_secret_arn,
        },
    )
