"""Monitoring: every production tenant is watched, by its own alarms, on its own encrypted topic.

45 CFR 164.308(a)(1)(ii)(D) (information system activity review), 164.308(a)(6) (security
incident procedures), 164.312(b) (audit controls). Ownership is structural (StackView.owner):
an alarm, rule or topic belongs to the tenant it descends from, never to the one its name says.
At preview ARNs are unknown, so what an alarm notifies or a rule watches is read from the
engine's property dependencies (which resources an input was derived from); values decide at
update. A value that is unknown and has no dependency is left to the update phase.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pulumi_policy import PolicyResource, Severity

from policies.hipaa.context import PackContext
from policies.hipaa.contracts import BUCKETS, KMS_KEY, LOG_GROUP
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import StackReport, stack_rule
from policies.hipaa.stack_view import StackView
from policies.hipaa.values import UNKNOWN, strings

GATE = Scope.PRODUCTION_GATE
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LAMBDA = "aws:lambda/function:Function"
PUBLISHERS = {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
# The ingest alarms a production tenant must have, and how each is recognised.
REQUIRED_ALARMS = {
    "ingest errors": lambda p: p.get("namespace") == "AWS/Lambda" and p.get("metricName") == "Errors",
    "ingest throttles": lambda p: p.get("namespace") == "AWS/Lambda" and p.get("metricName") == "Throttles",
    "API 5xx": lambda p: p.get("namespace") == "AWS/ApiGateway" and p.get("metricName") == "5xx",
    "authentication failures": lambda p: (p.get("namespace") == "AWS/ApiGateway" and p.get("metricName") == "4xx")
    or str(p.get("metricName") or "").startswith("AuthFailures"),
    "silence": lambda p: p.get("treatMissingData") == "breaching" and p.get("comparisonOperator") == "LessThanThreshold",
}


def _deps(resource: PolicyResource, prop: str, types: Iterable[str] | None = None) -> list[PolicyResource]:
    wanted = set(types) if types is not None else None
    return [d for d in resource.property_dependencies.get(prop, []) if wanted is None or d.resource_type in wanted]


class _Index:
    """The stack's monitoring resources grouped once per rule run (linear in the stack, not per tenant)."""

    def __init__(self, view: StackView) -> None:
        self.view = view
        self.topic_by_arn = {arn: t for t in view.of_type(TOPIC) if isinstance(arn := view.props(t).get("arn"), str)}
        self.by_owner: dict[str | None, dict[str, list[PolicyResource]]] = defaultdict(lambda: defaultdict(list))
        for r in view.of_type(ALARM, EVENT_RULE, LAMBDA, KMS_KEY, LOG_GROUP, *BUCKETS):
            self.by_owner[view.owner(r.urn)][r.resource_type].append(r)
        self.targets_of: dict[str, list[PolicyResource]] = defaultdict(list)
        rule_by_name = {n: r for r in view.of_type(EVENT_RULE) if isinstance(n := view.props(r).get("name"), str)}
        for target in view.of_type(EVENT_TARGET):
            rules = {r.urn: r for r in _deps(target, "rule", [EVENT_RULE])}
            if (named := rule_by_name.get(view.props(target).get("rule"))) is not None:
                rules[named.urn] = named
            for urn in rules:
                self.targets_of[urn].append(target)

    def owned(self, tenant: str, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self.by_owner.get(tenant, {}).get(t, [])]


def _targets(index: _Index, resource: PolicyResource, props: Iterable[str]) -> tuple[list[PolicyResource], bool]:
    """The SNS topics `props` of `resource` point at, and whether some value is still unknown."""
    view, by_arn = index.view, index.topic_by_arn
    found: dict[str, PolicyResource] = {}
    unknown = False
    for prop in props:
        for dep in _deps(resource, prop, [TOPIC]):
            found[dep.urn] = dep
        value = view.props(resource).get(prop)
        for arn in value if isinstance(value, list) else [value]:
            if arn is UNKNOWN:
                unknown = True
            elif isinstance(arn, str) and arn in by_arn:
                found[by_arn[arn].urn] = by_arn[arn]
    return list(found.values()), unknown


def _rule_targets(index: _Index, rule: PolicyResource) -> tuple[list[PolicyResource], bool]:
    found: list[PolicyResource] = []
    unknown = False
    for target in index.targets_of.get(rule.urn, []):
        topics, pending = _targets(index, target, ["arn"])
        found += topics
        unknown |= pending
    return found, unknown


def _watches_cloudtrail(view: StackView, rule: PolicyResource) -> bool:
    pattern = view.props(rule).get("eventPattern")
    return pattern is UNKNOWN or (isinstance(pattern, str) and "AWS API Call via CloudTrail" in pattern)


def _encrypted(view: StackView, topic: PolicyResource) -> bool | None:
    key = view.props(topic).get("kmsMasterKeyId")
    if key is UNKNOWN:
        return True if _deps(topic, "kmsMasterKeyId", [KMS_KEY]) else None
    return isinstance(key, str) and bool(key)


@stack_rule("monitoring-tenant-watched", "A production tenant has its ingest, silence and tamper alarms, each "
            "notifying an encrypted topic of its own.", severity=Severity.HIGH, scope=GATE)
def tenant_watched(view: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.308(a)(1)(ii)(D), 164.308(a)(6), 164.312(b): a silent or attacked pipeline pages someone."""
    index = _Index(view)
    watched = sorted(t for t, kinds in index.by_owner.items() if t is not None and kinds.get(LAMBDA))
    for tenant in watched:
        urn = view.tenants[tenant].urn
        alarms = index.owned(tenant, ALARM)
        rules = [r for r in index.owned(tenant, EVENT_RULE) if _watches_cloudtrail(view, r)]
        for kind, recognise in REQUIRED_ALARMS.items():
            matching = [a for a in alarms if recognise(view.props(a))]
            if not matching:
                report(f"tenant {tenant} has no {kind} alarm; add it (components.monitoring){ctx.environment_note()}",
                       urn)
                continue
            _check_notifies(view, tenant, f"{kind} alarm", matching, lambda a: _targets(index, a, ["alarmActions"]),
                            report)
        if not rules:
            report(f"tenant {tenant} has no evidence-tamper rule (EventBridge on CloudTrail calls to its key, buckets, "
                   f"log group and roles); add it (components.monitoring){ctx.environment_note()}", urn)
        else:
            _check_notifies(view, tenant, "evidence-tamper rule", rules, lambda r: _rule_targets(index, r), report)


def _check_notifies(view: StackView, tenant: str, what: str, resources: list[PolicyResource], targets: Any,
                    report: StackReport) -> None:
    for resource in resources:
        topics, unknown = targets(resource)
        own = [t for t in topics if view.owner(t.urn) == tenant and _encrypted(view, t) is not False]
        if not own and not unknown:
            report(f"tenant {tenant}'s {what} notifies no encrypted topic of tenant {tenant}; point its action at the "
                   "tenant's own on-call topic (components.monitoring)", resource.urn)


@stack_rule("monitoring-own-tenant-only", "No alarm, rule or target of one tenant notifies or watches another "
            "tenant's resources.", severity=Severity.CRITICAL, scope=GATE)
def own_tenant_only(view: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.308(a)(4)(i), 164.312(a)(1): tenant A's incidents go to A; A's rules watch only A."""
    for resource in view.of_type(ALARM, EVENT_RULE, EVENT_TARGET):
        tenant = view.owner(resource.urn)
        if tenant is None:
            continue
        others: dict[str, set[str]] = {}
        for deps in resource.property_dependencies.values():
            for dep in deps:
                owner = view.owner(dep.urn)
                if owner not in (None, tenant):
                    others.setdefault(owner, set()).add(dep.resource_type.rsplit(":", 1)[-1])
        for _, value in strings({k: v for k, v in view.props(resource).items() if k != "tags"}):
            named = view.named_by(value)
            if tenant in named:  # also a name of this tenant's own (e.g. every HTTP API's "$default" stage)
                continue
            for owner, urn in named.items():
                if owner != tenant:
                    others.setdefault(owner, set()).add(view.by_urn[urn].resource_type.rsplit(":", 1)[-1])
        for owner, kinds in sorted(others.items()):
            report(f"tenant {tenant}'s {resource.resource_type.rsplit(':', 1)[-1]} {resource.name} points at tenant "
                   f"{owner}'s {', '.join(sorted(kinds))}; each tenant's monitoring notifies and watches only its "
                   "own resources", resource.urn)


@stack_rule("monitoring-tamper-pattern-complete", "A tenant's tamper rule watches its own key, buckets and log group.",
            severity=Severity.HIGH, scope=GATE)
def tamper_pattern_complete(view: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.308(a)(6), 164.312(b): a call disabling the key or unlocking the archive is an incident."""
    index = _Index(view)
    for rule in view.of_type(EVENT_RULE):
        tenant = view.owner(rule.urn)
        pattern = view.props(rule).get("eventPattern")
        if tenant is None or not _watches_cloudtrail(view, rule):
            continue
        own = {"key": index.owned(tenant, KMS_KEY),
               "audit archive bucket": [r for r in index.owned(tenant, *BUCKETS)
                                        if "audit" in str(view.props(r).get("bucket") or r.name)],
               "log group": index.owned(tenant, LOG_GROUP)}
        if pattern is UNKNOWN:
            named = {d.urn for d in _deps(rule, "eventPattern")}
            missing = [kind for kind, rs in own.items() if rs and not any(r.urn in named for r in rs)]
        else:
            values = {v for _, v in strings(json.loads(pattern))}
            missing = [kind for kind, rs in own.items() if rs and not any(_names(view, r) & values for r in rs)]
        if missing:
            report(f"tenant {tenant}'s tamper rule does not watch its own {', '.join(missing)}; build its pattern from "
                   "the tenant's resources (components.monitoring_documents.tamper_pattern)", rule.urn)


def _names(view: StackView, resource: PolicyResource) -> set[str]:
    props = view.props(resource)
    return {v for k in ("arn", "id", "keyId", "bucket", "name") if isinstance(v := props.get(k), str)}


@stack_rule("monitoring-topic-protected", "A tenant's alarm topic is under its own key and only this account's "
            "CloudWatch and EventBridge publish.", severity=Severity.HIGH, scope=GATE)
def topic_protected(view: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(a)(2)(iv), 164.308(a)(6): alarms name tenants; nobody else may forge or read them."""
    for topic in view.of_type(TOPIC):
        tenant = view.owner(topic.urn)
        if tenant is None:
            continue
        if _encrypted(view, topic) is False:
            report(f"tenant {tenant}'s topic {topic.name} is not encrypted; set kms_master_key_id to the tenant's key",
                   topic.urn)
    for policy in view.of_type(TOPIC_POLICY):
        tenant = view.owner(policy.urn)
        document = view.props(policy).get("policy")
        if tenant is None or not isinstance(document, str):  # unknown at preview: the update decides
            continue
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            services = set(principal.get("Service") if isinstance(principal, dict) and isinstance(
                principal.get("Service"), list) else [principal.get("Service")] if isinstance(principal, dict) else [])
            if principal == "*" or (isinstance(principal, dict) and "AWS" in principal and "*" in [v for _, v in strings(principal["AWS"])]) \
                    or not services <= PUBLISHERS or not services:
                report(f"tenant {tenant}'s topic policy lets {json.dumps(principal)} act on the topic; allow only "
                       "cloudwatch.amazonaws.com and events.amazonaws.com of this account to publish", policy.urn)


def _statements(document: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError:
        return []
    found = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]
