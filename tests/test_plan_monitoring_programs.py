"""Programs that leave a tenant unwatched, or watch across tenants, are refused by `hipaachat plan` (exit 1).

Each case is the shipped program plus one change written the way a hurried engineer would. The
monitoring rules are production gates: the `local` stack (three tenants) raises them to mandatory
through `hipaachat:policy`, as a stack may always be made stricter; the silence case runs the
shipped `production` stack itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
MONITORING_POLICIES = ("monitoring-tenant-watched", "monitoring-own-tenant-only", "monitoring-tamper-pattern-complete",
                       "monitoring-topic-protected")

NO_SILENCE = """\
from pathlib import Path

import pulumi_aws as aws

from components.program import deploy_stack

_alarm = aws.cloudwatch.MetricAlarm


def _skip_silence(resource_name, *args, **kwargs):
    if resource_name == "sunrise-clinic-silence":
        return None  # "it pages every weekend": the silence alarm is dropped for one tenant
    return _alarm(resource_name, *args, **kwargs)


aws.cloudwatch.MetricAlarm = _skip_silence
deploy_stack(Path(__file__).resolve().parent)
"""

PROLOGUE = """\
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.program import deploy_stack

tenants = deploy_stack(Path(__file__).resolve().parent)
a, b = tenants["sunrise-clinic"], tenants["lindenhof-praxis"]
under_a = pulumi.ResourceOptions(parent=a.monitoring, provider=a.provider)
"""

SHORTCUTS = {
    "alarm-notifies-other-tenant": ("""\
aws.cloudwatch.MetricAlarm("a-latency", namespace="AWS/Lambda", metric_name="Duration", statistic="Maximum",
    period=300, evaluation_periods=1, threshold=1800, comparison_operator="GreaterThanThreshold",
    dimensions={"FunctionName": a.messaging.ingest.function.name},
    alarm_actions=[b.monitoring.topic.arn], opts=under_a)
""", "monitoring-own-tenant-only", "preview"),
    "tamper-rule-watches-other-key": ("""\
aws.cloudwatch.EventRule("a-watch-keys", event_pattern=b.keys.key.arn.apply(lambda arn: json.dumps({
    "detail-type": ["AWS API Call via CloudTrail"], "source": ["aws.kms"],
    "detail": {"eventName": ["ScheduleKeyDeletion"], "requestParameters": {"keyId": [arn]}}})), opts=under_a)
""", "monitoring-own-tenant-only", "preview"),
    "unencrypted-topic": ("""\
aws.sns.Topic("a-plain-topic", name="sunrise-clinic-plain", opts=under_a)
""", "monitoring-topic-protected", "preview"),
    "topic-policy-any-principal": ("""\
aws.sns.TopicPolicy("a-open-topic", arn=a.monitoring.topic.arn, policy=a.monitoring.topic.arn.apply(
    lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": arn}]})), opts=under_a)
""", "monitoring-topic-protected", "update"),
}


# The resource each shortcut adds, in SHORTCUTS order.
RESOURCES = ("a-latency", "a-watch-keys", "a-plain-topic", "a-open-topic")


def _plan(project: Path, stack: str) -> tuple[int, dict, str]:
    result = subprocess.run([HIPAACHAT, "plan", "--stack", stack, "--format", "json"], cwd=project,
                            capture_output=True, text=True, timeout=300)
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def _mandatory(report: dict) -> dict[tuple[str, str | None], str]:
    found: dict[tuple[str, str | None], str] = {}
    for v in report["violations"]:
        if v["enforcement"] == "mandatory":
            found.setdefault((v["policy"], v["tenant"]), v["phase"])
    return found


def test_production_plan_without_a_silence_alarm_fails_naming_tenant_and_control(project_copy: Path) -> None:
    (project_copy / "__main__.py").write_text(NO_SILENCE)
    code, report, stderr = _plan(project_copy, "production")
    assert code == 1, stderr[-2000:]
    found = _mandatory(report)
    assert found.get(("monitoring-tenant-watched", "sunrise-clinic")) == "preview", found
    messages = [v["message"] for v in report["violations"] if v["policy"] == "monitoring-tenant-watched"]
    assert any("sunrise-clinic has no silence alarm" in m for m in messages), messages


def _strict_local(project: Path) -> None:
    stack_file = project / "stacks" / "Pulumi.local.yaml"
    stack_file.write_text(stack_file.read_text() + "  hipaachat:policy:\n" + "".join(
        f"    {name}: mandatory\n" for name in MONITORING_POLICIES))


def test_monitoring_shortcuts_are_refused(project_copy: Path) -> None:
    """All shortcuts in one program (one plan, not four): each is refused in its phase, on its tenant only."""
    _strict_local(project_copy)
    (project_copy / "__main__.py").write_text(PROLOGUE + "".join(code for code, _, _ in SHORTCUTS.values()))
    code, report, stderr = _plan(project_copy, "local")
    assert code == 1, stderr[-2000:]
    found = _mandatory(report)
    by_resource: dict[tuple[str, str], str] = {}
    for v in report["violations"]:
        if v["enforcement"] == "mandatory" and v["tenant"] == "sunrise-clinic" and v["urn"]:
            by_resource.setdefault((v["policy"], v["urn"].rpartition("::")[2]), v["phase"])
    expected = {(policy, name): phase for name, (_, policy, phase) in zip(RESOURCES, SHORTCUTS.values())}
    assert {key: by_resource.get(key) for key in expected} == expected, by_resource
    # Only the shortcuts are at fault: the other tenants' monitoring passes every monitoring rule.
    assert not [key for key in found if key[0].startswith("monitoring-") and key[1] != "sunrise-clinic"], found


def test_shipped_program_passes_the_monitoring_rules_when_they_are_mandatory(project_copy: Path) -> None:
    _strict_local(project_copy)
    code, report, stderr = _plan(project_copy, "local")
    assert code == 0, stderr[-2000:]
    assert not [v for v in report["violations"] if v["policy"].startswith("monitoring-")]
    assert set(MONITORING_POLICIES) <= set(report.get("policies", MONITORING_POLICIES))
