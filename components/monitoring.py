"""The tenant's monitoring: it is told when its ingest fails or goes silent, or its evidence is attacked.

One SNS topic per tenant under the tenant's key, published to only by this account's CloudWatch
alarms and EventBridge rules; alarms on the ingest path (function errors and throttles, API 5xx,
authentication failures, silence); an EventBridge rule on CloudTrail management calls that would
destroy or weaken the tenant's evidence (its key, buckets, log group, roles); and a dashboard.
Names and descriptions carry the tenant id and what to do (the README's runbook), never PHI.
45 CFR 164.308(a)(1)(ii)(D), 164.308(a)(6), 164.312(b).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components import monitoring_documents as docs
from components.monitoring_settings import OnCall, ResolvedThresholds

if TYPE_CHECKING:  # the tenant imports this module
    from components.settings import StackSettings
    from components.tenant import Tenant

MONITORING_TYPE = "hipaachat:tenant:Monitoring"
METRIC_NAMESPACE = "hipaachat/ingest"
RUNBOOK = "README.md 'The first 30 days in production'"


@dataclass
class MonitoringArgs:
    tenant_id: str
    stack: str
    region: str
    account_id: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    key_ids: list[pulumi.Input[str]]
    """Every way a CloudTrail call may name the key: id, ARN, alias name."""
    buckets: list[pulumi.Input[str]]
    log_group_name: pulumi.Input[str]
    role_names: list[pulumi.Input[str]]
    function_name: pulumi.Input[str]
    api_id: pulumi.Input[str]
    oncall: OnCall | None
    thresholds: ResolvedThresholds
    tags: dict[str, str]


class Monitoring(pulumi.ComponentResource):
    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    tamper_rule: aws.cloudwatch.EventRule
    dashboard: aws.cloudwatch.Dashboard

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(MONITORING_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tid, scope, t = args.tenant_id, args.stack, args.thresholds
        prefix = f"hipaachat-{scope}-{tid}"

        self.topic = aws.sns.Topic(
            f"{tid}-oncall", name=f"{prefix}-oncall"[:256], display_name=f"hipaachat {tid}"[:100],
            kms_master_key_id=args.key_arn, tags=args.tags, opts=child)
        aws.sns.TopicPolicy(
            f"{tid}-oncall-policy", arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.account_id).apply(
                lambda a: docs.topic_policy(a[0], a[1], tid)), opts=child)
        oncall = args.oncall or OnCall.model_construct(email=[], https=[], topic_arn=None)
        for i, address in enumerate(oncall.email):
            aws.sns.TopicSubscription(f"{tid}-oncall-email-{i}", topic=self.topic.arn, protocol="email",
                                      endpoint=address, opts=child)
        for i, url in enumerate(oncall.https):
            aws.sns.TopicSubscription(f"{tid}-oncall-https-{i}", topic=self.topic.arn, protocol="https",
                                      endpoint=url, endpoint_auto_confirms=False, opts=child)
        actions: list[pulumi.Input[str]] = [self.topic.arn, *([oncall.topic_arn] if oncall.topic_arn else [])]

        # Index records (one per stored event, components.ingest.handler) and refused deliveries,
        # counted from the tenant's own log group: metric filters read only what is logged there.
        indexed = f"IndexedEvents-{tid}"
        refused = f"AuthFailures-{tid}"
        aws.cloudwatch.LogMetricFilter(
            f"{tid}-indexed-events", log_group_name=args.log_group_name,
            pattern=f'{{ ($.tenant = "{tid}") && ($.eventId = *) }}',
            metric_transformation={"name": indexed, "namespace": METRIC_NAMESPACE, "value": "1"}, opts=child)
        aws.cloudwatch.LogMetricFilter(
            f"{tid}-auth-failures", log_group_name=args.log_group_name, pattern='{ $.status = "401" }',
            metric_transformation={"name": refused, "namespace": METRIC_NAMESPACE, "value": "1"}, opts=child)

        period = t.period_minutes * 60
        fn = {"FunctionName": args.function_name}
        api = {"ApiId": args.api_id, "Stage": "$default"}
        specs = {
            "ingest-errors": ("AWS/Lambda", "Errors", fn, t.function_errors,
                              "the ingest function failed; CometChat retries, then the event is lost"),
            "ingest-throttles": ("AWS/Lambda", "Throttles", fn, t.throttles,
                                 "the ingest function was throttled; check account concurrency"),
            "api-5xx": ("AWS/ApiGateway", "5xx", api, t.api_5xx,
                        "the webhook endpoint answered 5xx; deliveries are failing"),
            "auth-failures": (METRIC_NAMESPACE, refused, None, t.auth_failures,
                              "webhook deliveries refused with 401 above the baseline; possible credential probing"),
        }
        self.alarms = {}
        for kind, (namespace, metric, dimensions, threshold, meaning) in specs.items():
            self.alarms[kind] = aws.cloudwatch.MetricAlarm(
                f"{tid}-{kind}", name=f"{prefix}-{kind}",
                alarm_description=f"tenant {tid}: {meaning}. What to do: {RUNBOOK}, alarm {kind}.",
                namespace=namespace, metric_name=metric, dimensions=dimensions, statistic="Sum",
                period=period, evaluation_periods=1, threshold=threshold,
                comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                alarm_actions=actions, tags=args.tags, opts=child)
        # Silence: no index record for N hours. No data at all is the silence itself: breaching.
        self.alarms["silence"] = aws.cloudwatch.MetricAlarm(
            f"{tid}-silence", name=f"{prefix}-silence",
            alarm_description=(f"tenant {tid}: no event indexed for {t.silence_hours} h; evidence may be lost. "
                               f"What to do: {RUNBOOK}, alarm silence."),
            namespace=METRIC_NAMESPACE, metric_name=indexed, statistic="Sum", period=3600,
            evaluation_periods=t.silence_hours, datapoints_to_alarm=t.silence_hours, threshold=1,
            comparison_operator="LessThanThreshold", treat_missing_data="breaching",
            alarm_actions=actions, ok_actions=actions, tags=args.tags, opts=child)

        pattern = pulumi.Output.all(
            pulumi.Output.all(*args.key_ids), pulumi.Output.all(*args.buckets),
            pulumi.Output.all(args.log_group_name), pulumi.Output.all(*args.role_names),
        ).apply(lambda a: docs.tamper_pattern(*a))
        self.tamper_rule = aws.cloudwatch.EventRule(
            f"{tid}-evidence-tamper", name=f"{prefix}-evidence-tamper"[:64],
            description=(f"tenant {tid}: evidence key/bucket/log group/role changed. What to do: {RUNBOOK}, "
                         "alarm evidence-tamper.")[:512],
            event_pattern=pattern, tags=args.tags, opts=child)
        for i, target in enumerate(actions):
            aws.cloudwatch.EventTarget(f"{tid}-evidence-tamper-{i}", rule=self.tamper_rule.name, arn=target,
                                       opts=child)

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{tid}-dashboard", dashboard_name=prefix[:255],
            dashboard_body=pulumi.Output.all(args.function_name, args.api_id, args.log_group_name).apply(
                lambda a: docs.dashboard_body(args.region, tid, a[0], a[1], a[2], METRIC_NAMESPACE, indexed)),
            opts=child)
        self.register_outputs({"topic_arn": self.topic.arn, "tamper_rule": self.tamper_rule.name,
                               "alarms": [f"{prefix}-{kind}" for kind in self.alarms], "dashboard": self.dashboard.dashboard_name})


def watch(tenant: "Tenant", tenant_id: str, stack: str, region: str, settings: "StackSettings",
          account_id: pulumi.Input[str], tags: dict[str, str]) -> Monitoring:
    """The Monitoring part of an active tenant, watching the tenant's own key, buckets, log group and roles."""
    if tenant.messaging is None or tenant.templates is None:
        raise ValueError(f"tenant {tenant_id} has no ingest endpoint to watch; only active tenants are monitored")
    ingest, keys, access = tenant.messaging.ingest, tenant.keys, tenant.access
    roles = [r.name for r in (access.operator, access.auditor, ingest.role) if r is not None]
    return Monitoring(f"{tenant_id}-monitoring", MonitoringArgs(
        tenant_id=tenant_id, stack=stack, region=region, account_id=account_id, key_arn=keys.key.arn,
        key_ids=[keys.key.key_id, keys.key.arn, keys.alias.name],
        buckets=[tenant.sinks.archive.bucket.bucket, tenant.templates.store.bucket.bucket],
        log_group_name=tenant.sinks.log_group.name, role_names=roles, function_name=ingest.function.name,
        api_id=ingest.api.id, oncall=settings.oncall, thresholds=settings.monitoring.resolved(settings.environment),
        tags=tags), opts=pulumi.ResourceOptions(parent=tenant, provider=tenant.provider))
