"""What watches a tenant: its alarms, tamper rule, on-call topic and subscriptions, for the auditor.

45 CFR 164.308(a)(1)(ii)(D) and 164.308(a)(6) ask that activity is reviewed and incidents are
responded to; the evidence shows whether anyone would be told. Subscription endpoints are
people's addresses and pager URLs: they are shown only as their kind and domain.
"""

from __future__ import annotations

from typing import Any

from policies.hipaa.placeholders import endpoint_domain, placeholder_domain
from scripts.audit.monitoring_models import MonitoringEvidence, SubscriptionEvidence
from scripts.audit.tenants import TenantFacts, prop

TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LAMBDA = "aws:lambda/function:Function"
# The alarms every watched tenant has (components.monitoring), by the suffix of their names.
EXPECTED_ALARMS = ("ingest-errors", "ingest-throttles", "api-5xx", "auth-failures", "silence")


def redact(protocol: Any, endpoint: Any) -> str:
    """An endpoint as its kind and domain: never the mailbox, path or query."""
    text = endpoint if isinstance(endpoint, str) else ""
    if protocol in ("email", "email-json"):
        return f"{protocol} @{endpoint_domain(protocol, text) or '?'}"
    if protocol in ("http", "https"):
        return f"{protocol} {endpoint_domain(protocol, text) or '?'}"
    if text.startswith("arn:"):
        parts = text.split(":")
        return f"{protocol} {parts[2] if len(parts) > 2 else '?'} in account {parts[4] if len(parts) > 4 else '?'}"
    return f"{protocol or '?'} (endpoint not shown)"


def monitoring_evidence(facts: TenantFacts) -> MonitoringEvidence | None:
    """None for a tenant with no ingest to watch (offboarded: evidence only)."""
    if not facts.of(LAMBDA) and not facts.of(TOPIC, ALARM, EVENT_RULE):
        return None
    topic = next(iter(facts.of(TOPIC)), None)
    alarms = sorted(str(prop(a, "name") or a.name) for a in facts.of(ALARM))
    rule = next((r for r in facts.of(EVENT_RULE) if "CloudTrail" in str(prop(r, "eventPattern") or "")), None)
    targets = facts.of(EVENT_TARGET)
    subscriptions = [SubscriptionEvidence(protocol=_text(prop(s, "protocol")),
                                          endpoint=redact(prop(s, "protocol"), prop(s, "endpoint")))
                     for s in facts.of(SUBSCRIPTION)]
    problems = [f"no {kind} alarm" for kind in EXPECTED_ALARMS if not any(a.endswith(kind) for a in alarms)]
    if topic is None:
        problems.append("no alarm topic")
    elif not prop(topic, "kmsMasterKeyId"):
        problems.append("the alarm topic is not encrypted")
    if rule is None:
        problems.append("no evidence-tamper rule")
    elif not targets:
        problems.append("the evidence-tamper rule has no target")
    if not subscriptions:
        problems.append("nobody is subscribed to the alarm topic (set hipaachat:oncall email/https)")
    examples = sorted({domain for s in facts.of(SUBSCRIPTION)
                       if (domain := endpoint_domain(prop(s, "protocol"), prop(s, "endpoint")))
                       and placeholder_domain(domain)})
    if examples:
        problems.append(f"alarms go to example domains ({', '.join(examples)}): nobody is paged "
                        "(set hipaachat:oncall to the on-call rotation)")
    return MonitoringEvidence(
        topic=_text(prop(topic, "name")) if topic else None,
        topic_encrypted=bool(prop(topic, "kmsMasterKeyId")) if topic else None,
        alarms=alarms, tamper_rule=_text(prop(rule, "name")) if rule else None, tamper_targets=len(targets),
        subscriptions=subscriptions, problems=problems)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
