"""The Monitoring part under Pulumi's mocks, in both plan phases, and its tamper pattern against EventBridge.

The program is the shipped one on the `local` stack (three tenants). The tamper rule's pattern is
judged by EventBridge's own matching semantics as moto implements them, over its real API
(`TestEventPattern`, boto3 against moto in server mode), with sample CloudTrail events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from components.monitoring_documents import COMETCHAT_BUDGET_MS
from scripts.engine.capture import run_program
from scripts.engine.models import CapturedResource, tenant_owners
from scripts.engine.phases import is_unknown, preview_view
from scripts.project import Project, load_stack

ROOT = Path(__file__).resolve().parent.parent
TENANTS = ("lindenhof-praxis", "lotus-health", "sunrise-clinic")
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


@pytest.fixture(scope="module")
def update() -> list[CapturedResource]:
    config = load_stack(Project.find(ROOT), "local")
    return run_program(ROOT, "local", config.values, config.secret_keys)


@pytest.fixture(scope="module")
def preview(update: list[CapturedResource]) -> list[CapturedResource]:
    return preview_view(update)


def _mine(resources: list[CapturedResource], tenant: str, typ: str) -> list[CapturedResource]:
    owner = tenant_owners(resources)
    return [r for r in resources if r.type == typ and owner.get(r.urn) == tenant]


def _one(resources: list[CapturedResource], tenant: str, typ: str) -> CapturedResource:
    [found] = _mine(resources, tenant, typ)
    return found


def _values(r: CapturedResource) -> dict[str, Any]:
    return {**r.inputs, **r.outputs}


@pytest.mark.parametrize("tenant", TENANTS)
def test_alarms_watch_the_tenants_own_function_and_api_and_notify_its_own_topic(update, tenant) -> None:
    function = _values(_one(update, tenant, "aws:lambda/function:Function"))
    api = _one(update, tenant, "aws:apigatewayv2/api:Api")
    key = _values(_one(update, tenant, "aws:kms/key:Key"))
    topic = _values(_one(update, tenant, TOPIC))
    assert topic["kmsMasterKeyId"] == key["arn"]
    alarms = {a.name.removeprefix(f"{tenant}-"): _values(a) for a in _mine(update, tenant, ALARM)}
    assert set(alarms) == {"ingest-errors", "ingest-throttles", "api-5xx", "auth-failures", "silence"}
    assert alarms["ingest-errors"]["dimensions"] == {"FunctionName": function["name"]}
    assert alarms["ingest-throttles"]["dimensions"] == {"FunctionName": function["name"]}
    assert alarms["api-5xx"]["dimensions"] == {"ApiId": api.id, "Stage": "$default"}
    assert alarms["silence"]["treatMissingData"] == "breaching"
    assert alarms["silence"]["evaluationPeriods"] == 72  # prototype default (local has no override)
    for name, alarm in alarms.items():
        assert alarm["alarmActions"] == [topic["arn"]], name
        assert tenant in alarm["alarmDescription"] and "README.md" in alarm["alarmDescription"]
    [target] = _mine(update, tenant, TARGET)
    assert _values(target)["arn"] == topic["arn"]
    policy = json.loads(_values(_one(update, tenant, "aws:sns/topicPolicy:TopicPolicy"))["policy"])
    publish = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert publish == [{**publish[0], "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                        "Action": "sns:Publish"}]


@pytest.mark.parametrize("tenant", TENANTS)
def test_at_preview_each_alarm_and_rule_derives_from_the_tenants_own_resources(preview, tenant) -> None:
    by_urn = {r.urn: r for r in preview}
    owner = tenant_owners(preview)
    function = _one(preview, tenant, "aws:lambda/function:Function")
    topic = _one(preview, tenant, TOPIC)
    errors = next(a for a in _mine(preview, tenant, ALARM) if a.name.endswith("ingest-errors"))
    assert is_unknown(errors.inputs["alarmActions"][0])  # the topic's ARN does not exist yet
    assert errors.property_dependencies["alarmActions"] == [topic.urn]
    assert errors.property_dependencies["dimensions"] == [function.urn]
    rule = _one(preview, tenant, RULE)
    assert is_unknown(rule.inputs["eventPattern"])
    watched = {by_urn[u].type for u in rule.property_dependencies["eventPattern"]}
    assert {"aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:cloudwatch/logGroup:LogGroup",
            "aws:iam/role:Role"} <= watched
    assert {owner[u] for u in rule.property_dependencies["eventPattern"]} == {tenant}


@pytest.mark.parametrize("tenant", TENANTS)
def test_dashboard_is_json_naming_only_the_tenants_resources(update, tenant) -> None:
    body = _values(_one(update, tenant, DASHBOARD))["dashboardBody"]
    text = json.dumps(json.loads(body))
    mine = _values(_one(update, tenant, "aws:lambda/function:Function"))["name"]
    assert mine in text and str(COMETCHAT_BUDGET_MS) in text and "last event" in text
    for other in set(TENANTS) - {tenant}:
        assert other not in text


@pytest.fixture(scope="module")
def bus() -> Iterator[tuple[Any, Any]]:
    """EventBridge and SQS in moto (server mode): a rule's pattern is matched by moto's EventBridge."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    kwargs = dict(endpoint_url=f"http://{host}:{port}", region_name="us-east-2", aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    yield boto3.client("events", **kwargs), boto3.client("sqs", **kwargs)
    server.stop()


def _cloudtrail(source: str, name: str, parameters: dict[str, str]) -> dict[str, str]:
    """A CloudTrail management event as EventBridge carries it (synthetic values)."""
    return {"Source": source, "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps({
        "eventSource": source.removeprefix("aws.") + ".amazonaws.com", "eventName": name,
        "requestParameters": parameters})}


def test_tamper_pattern_matches_calls_on_the_tenants_own_evidence_only(update, bus) -> None:
    tenant, other = "sunrise-clinic", "lindenhof-praxis"
    pattern = _values(_one(update, tenant, RULE))["eventPattern"]
    key, other_key = (_values(_one(update, t, "aws:kms/key:Key")) for t in (tenant, other))
    archive = next(_values(b)["bucket"] for b in _mine(update, tenant, "aws:s3/bucket:Bucket")
                   if _values(b)["bucket"].endswith("-audit"))
    log_group = _values(_one(update, tenant, "aws:cloudwatch/logGroup:LogGroup"))["name"]

    events, sqs = bus
    queue = sqs.create_queue(QueueName="tamper")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="tamper", EventPattern=pattern)
    events.put_targets(Rule="tamper", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def matches(event: dict[str, str]) -> bool:
        events.put_events(Entries=[event])
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        for message in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return bool(got)

    assert matches(_cloudtrail("aws.kms", "ScheduleKeyDeletion", {"keyId": key["arn"]}))
    assert matches(_cloudtrail("aws.kms", "DisableKey", {"keyId": key["keyId"]}))
    assert not matches(_cloudtrail("aws.kms", "ScheduleKeyDeletion", {"keyId": other_key["arn"]}))
    assert not matches(_cloudtrail("aws.kms", "DescribeKey", {"keyId": key["arn"]}))
    assert matches(_cloudtrail("aws.s3", "PutBucketVersioning", {"bucketName": archive}))
    assert not matches(_cloudtrail("aws.s3", "PutBucketVersioning", {"bucketName": archive.replace(tenant, other)}))
    assert matches(_cloudtrail("aws.logs", "DeleteRetentionPolicy", {"logGroupName": log_group}))
    # The same name under another service does not match: each clause pins its source.
    assert not matches(_cloudtrail("aws.s3", "DeleteLogGroup", {"logGroupName": log_group}))
