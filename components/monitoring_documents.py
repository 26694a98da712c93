"""The JSON documents of a tenant's monitoring: topic policy, tamper-rule event pattern, dashboard.

Pure functions of resolved names, so the program renders them inside `.apply()` (no resource is
ever created there) and the tests and the policy pack can read exactly what AWS would get.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from components.tags import TENANT_TAG

# CometChat waits 2 s for the webhook's answer; the dashboard draws this line on latency.
COMETCHAT_BUDGET_MS = 2000
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")

# The CloudTrail management calls that destroy or weaken a tenant's evidence, per service.
KMS_TAMPER = ("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy")
S3_TAMPER = ("PutBucketPolicy", "DeleteBucketPolicy", "PutObjectLockConfiguration", "PutBucketVersioning")
LOGS_TAMPER = ("DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy")
IAM_TAMPER = ("AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "UpdateAssumeRolePolicy",
              "DeleteRole", "UpdateRole", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
              "TagRole", "UntagRole")


def topic_policy(topic_arn: str, account_id: str, tenant_id: str) -> str:
    """Only CloudWatch alarms and EventBridge rules of this account publish; no other tenant subscribes.

    Principals tagged for another tenant are denied Subscribe (the ABAC tag every tenant role
    carries); untagged account principals (the deployer) keep managing the subscriptions.
    """
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AlarmsAndRulesOfThisAccountPublish", "Effect": "Allow",
         "Principal": {"Service": list(PUBLISHERS)}, "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
        {"Sid": "NoOtherTenantSubscribes", "Effect": "Deny", "Principal": "*",
         "Action": ["sns:Subscribe", "sns:Receive"], "Resource": topic_arn,
         "Condition": {"StringNotEqualsIfExists": {f"aws:PrincipalTag/{TENANT_TAG}": tenant_id}}},
    ]})


def tamper_pattern(key_ids: Sequence[str], buckets: Sequence[str], log_groups: Sequence[str],
                   roles: Sequence[str]) -> str:
    """An EventBridge pattern for the tamper calls on exactly these resources (CloudTrail's field names)."""
    def call(source: str, names: Sequence[str], field: str, values: Sequence[str]) -> dict:
        return {"source": [source], "detail": {"eventName": list(names), "requestParameters": {field: list(values)}}}
    return json.dumps({
        "detail-type": ["AWS API Call via CloudTrail"],
        "$or": [
            call("aws.kms", KMS_TAMPER, "keyId", key_ids),
            call("aws.s3", S3_TAMPER, "bucketName", buckets),
            call("aws.logs", LOGS_TAMPER, "logGroupName", log_groups),
            call("aws.iam", IAM_TAMPER, "roleName", roles),
        ],
    }, sort_keys=True)


def dashboard_body(region: str, tenant_id: str, function_name: str, api_id: str, log_group: str,
                   metric_namespace: str, indexed_metric: str) -> str:
    """Ingest volume, errors, latency against CometChat's 2 s budget and the last event received."""
    def lam(metric: str, stat: str = "Sum") -> list:
        return ["AWS/Lambda", metric, "FunctionName", function_name, {"stat": stat}]

    def widget(title: str, metrics: list, y: int, x: int, **extra: object) -> dict:
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
                "properties": {"title": title, "region": region, "view": "timeSeries", "metrics": metrics,
                               "period": 300, **extra}}
    return json.dumps({"widgets": [
        widget(f"{tenant_id}: events indexed and deliveries", [
            [metric_namespace, indexed_metric, {"stat": "Sum", "label": "events indexed"}],
            ["AWS/ApiGateway", "Count", "ApiId", api_id, "Stage", "$default", {"stat": "Sum", "label": "deliveries"}]],
            0, 0),
        widget(f"{tenant_id}: errors", [lam("Errors"), lam("Throttles"),
                                        ["AWS/ApiGateway", "5xx", "ApiId", api_id, "Stage", "$default", {"stat": "Sum"}],
                                        ["AWS/ApiGateway", "4xx", "ApiId", api_id, "Stage", "$default", {"stat": "Sum"}]],
               0, 12),
        widget(f"{tenant_id}: latency (CometChat waits {COMETCHAT_BUDGET_MS} ms)", [
            lam("Duration", "p99"),
            ["AWS/ApiGateway", "Latency", "ApiId", api_id, "Stage", "$default", {"stat": "p99"}]], 6, 0,
            annotations={"horizontal": [{"label": "CometChat budget", "value": COMETCHAT_BUDGET_MS}]}),
        {"type": "log", "x": 12, "y": 6, "width": 12, "height": 6,
         "properties": {"title": f"{tenant_id}: last event received", "region": region, "view": "table",
                        "query": f"SOURCE '{log_group}' | filter ispresent(eventId) | "
                                 "stats max(@timestamp) as lastEvent, count(*) as events"}},
    ]}, sort_keys=True)
