"""Moto in server mode on loopback, and one synthetic tenant's real AWS-side resources in it.

The handler talks to moto over HTTP exactly as it would talk to AWS (boto3, signed requests,
`AWS_ENDPOINT_URL`), so conditional writes, SSE-KMS headers and tagging go through the wire.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from components.ingest import correlation, handler
from tests.ingest.support import (OTHER_PASSWORD, OTHER_USER, REGION, TENANT_PASSWORD, TENANT_USER, TenantSinks,
                                  aws)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and the moto endpoint; fresh per-container caches for every test."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setattr(handler, "_CLIENTS", {})
    monkeypatch.setattr(handler, "_SECRETS", {})
    monkeypatch.setattr(correlation, "_KEYS", {})
    # The 2 s acknowledgement budget is wall-clock; moto on a shared, loaded runner can take longer per
    # call than AWS in-region. Behaviour tests get room; test_budget_* pins the budget itself.
    monkeypatch.setattr(handler, "ACK_BUDGET_S", 60.0)


@pytest.fixture
def tenant(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> TenantSinks:
    """A fresh tenant (unique names) and the function's environment pointing at it."""
    suffix = uuid.uuid4().hex[:10]
    tenant_id = f"sunrise-clinic-{suffix}"
    kms = aws("kms", moto_endpoint)
    key = kms.create_key(Description=f"synthetic tenant key {tenant_id}")["KeyMetadata"]
    log_group = f"/hipaachat/test/{tenant_id}/audit"
    aws("logs", moto_endpoint).create_log_group(logGroupName=log_group, kmsKeyId=key["Arn"])
    bucket = f"hipaachat-test-{suffix}-audit"
    s3 = aws("s3", moto_endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    sm = aws("secretsmanager", moto_endpoint)
    secret = sm.create_secret(Name=f"hipaachat/test/{tenant_id}/webhook", KmsKeyId=key["Arn"],
                              SecretString=json.dumps({"username": TENANT_USER, "password": TENANT_PASSWORD}))
    other = sm.create_secret(Name=f"hipaachat/test/lotus-health-{suffix}/webhook",
                             SecretString=json.dumps({"username": OTHER_USER, "password": OTHER_PASSWORD}))
    pseudonym_key = sm.create_secret(Name=f"hipaachat/test/{tenant_id}/pseudonym-key", KmsKeyId=key["Arn"],
                                     SecretString=json.dumps({"key": base64.b64encode(os.urandom(32)).decode()}))
    sinks = TenantSinks(moto_endpoint, tenant_id, f"2611{suffix}", key["KeyId"], key["Arn"], log_group, bucket,
                        secret["ARN"], other["ARN"], pseudonym_key["ARN"])
    for var, value in {"TENANT_ID": tenant_id, "LOG_GROUP_NAME": log_group, "ARCHIVE_BUCKET": bucket,
                       "KMS_KEY_ID": key["Arn"], "CREDENTIALS_SECRET_ARN": secret["ARN"],
                       "EXPECTED_APP_ID": sinks.app_id,
                       correlation.KEY_SECRET_ENV: pseudonym_key["ARN"]}.items():
        monkeypatch.setenv(var, value)
    return sinks
