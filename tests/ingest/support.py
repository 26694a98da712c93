"""Builders shared by the ingest tests: synthetic tenant data, API Gateway events, moto readers."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "us-east-2"
# Obviously synthetic credentials and app ids; nothing here is a real secret.
TENANT_USER = "sunriseclinicwebhook"
TENANT_PASSWORD = "SyntheticPassw0rdForTestsOnly"
OTHER_USER = "lotushealthwebhook"
OTHER_PASSWORD = "AnotherSyntheticPassw0rd"


def aws(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


@dataclass
class TenantSinks:
    """What the Tenant component would have deployed for one tenant, created in moto."""

    endpoint: str
    tenant_id: str
    app_id: str
    key_id: str
    key_arn: str
    log_group: str
    bucket: str
    secret_arn: str
    other_tenant_secret_arn: str
    pseudonym_key_secret_arn: str

    def archive_keys(self) -> list[str]:
        listing = aws("s3", self.endpoint).list_objects_v2(Bucket=self.bucket)
        return sorted(o["Key"] for o in listing.get("Contents", []))

    def log_messages(self) -> list[str]:
        logs = aws("logs", self.endpoint)
        streams = logs.describe_log_streams(logGroupName=self.log_group)["logStreams"]
        return [e["message"] for s in streams
                for e in logs.get_log_events(logGroupName=self.log_group, logStreamName=s["logStreamName"],
                                             startFromHead=True)["events"]]

    def log_stream_names(self) -> list[str]:
        streams = aws("logs", self.endpoint).describe_log_streams(logGroupName=self.log_group)["logStreams"]
        return [s["logStreamName"] for s in streams]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def api_event(body: str | bytes, authorization: str | None = None, *, base64_encoded: bool = False) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event for `POST /webhook`."""
    raw = body.encode() if isinstance(body, str) else body
    headers = {"content-type": "application/json", "user-agent": "CometChat-Webhook"}
    if authorization is not None:
        headers["authorization"] = authorization
    return {
        "version": "2.0",
        "routeKey": "POST /webhook",
        "rawPath": "/webhook",
        "headers": headers,
        "requestContext": {"http": {"method": "POST", "path": "/webhook"}, "stage": "$default"},
        "body": base64.b64encode(raw).decode() if base64_encoded else raw.decode(),
        "isBase64Encoded": base64_encoded,
    }


SYNTHETIC_TEXT = "SYNTHETIC-PHI Jane Testpatient DOB 1900-01-01 lab result marker 7f3a"


def message_sent(app_id: str, message_id: str = "38437", text: str = SYNTHETIC_TEXT) -> dict[str, Any]:
    """A `message_sent` payload in CometChat's documented shape, with synthetic people and text."""
    return {
        "trigger": "message_sent",
        "data": {"message": {
            "id": message_id, "conversationId": "synthetic-uid-1_user_synthetic-uid-2",
            "sender": "synthetic-uid-1", "receiverType": "user", "receiver": "synthetic-uid-2",
            "category": "message", "type": "text",
            "data": {"text": text, "entities": {"sender": {"entity": {"uid": "synthetic-uid-1",
                                                                      "name": "Synthetic Provider"},
                                                           "entityType": "user"}}},
            "sentAt": 1795000000, "updatedAt": 1795000000,
        }},
        "appId": app_id,
        "region": "us",
        "webhook": "hipaachatingest",
    }
