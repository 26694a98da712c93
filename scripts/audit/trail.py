"""Audit evidence of a tenant's trail: complete at the source, queryable in the console, key held by whom.

Read from the same registrations as every other piece of evidence (the declared stack or a real
export): the webhook's subscribed triggers, the saved Logs Insights query, the index record schema
the deployed ingest writes, and the roles whose inline policies can read the pseudonym key.
"""

from __future__ import annotations

import json
from typing import Any

from components.ingest.correlation import KEY_SECRET_ENV, SCHEMA, TRAIL_TRIGGERS
from scripts.audit.tenants import TenantFacts, prop
from scripts.audit.trail_model import TrailEvidence

WEBHOOK_TYPE = "pulumi-python:dynamic/hipaachat:CometChatWebhook"
QUERY_TYPE = "aws:cloudwatch/queryDefinition:QueryDefinition"
SECRET_TYPE = "aws:secretsmanager/secret:Secret"
FUNCTION_TYPE = "aws:lambda/function:Function"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
ROLE_TYPE = "aws:iam/role:Role"
SCHEMA_BEFORE_CORRELATION = "hipaachat.audit-event/1"


def _policy_reads(document: Any, secret_arn: str | None) -> bool:
    try:
        statements = json.loads(document).get("Statement", []) if isinstance(document, str) else []
    except (json.JSONDecodeError, AttributeError):
        return False
    for s in statements if isinstance(statements, list) else []:
        actions = s.get("Action") if isinstance(s, dict) else None
        resources = s.get("Resource") if isinstance(s, dict) else None
        actions = [actions] if isinstance(actions, str) else actions or []
        resources = [resources] if isinstance(resources, str) else resources or []
        if s.get("Effect") == "Allow" and any(a.lower() in ("secretsmanager:getsecretvalue", "secretsmanager:*", "*")
                                              for a in actions) and (secret_arn in resources or "*" in resources):
            return True
    return False


def trail_evidence(facts: TenantFacts) -> TrailEvidence:
    webhook = next(iter(facts.of(WEBHOOK_TYPE)), None)
    triggers = prop(webhook, "triggers")
    subscribed = sorted(t for t in triggers if isinstance(t, str)) if isinstance(triggers, list) else None
    query = next(iter(facts.of(QUERY_TYPE)), None)
    secret = next((s for s in facts.of(SECRET_TYPE) if str(prop(s, "name") or "").endswith("/pseudonym-key")), None)
    secret_arn = prop(secret, "arn")
    function = next(iter(facts.of(FUNCTION_TYPE)), None)
    variables = (prop(function, "environment") or {}).get("variables") or {} if function else {}
    schema = (SCHEMA if KEY_SECRET_ENV in variables else SCHEMA_BEFORE_CORRELATION) if function else None
    roles = {r.urn: r for r in facts.of(ROLE_TYPE)}
    readers = set()
    for grant in facts.of(ROLE_POLICY_TYPE):
        built_from = {u for deps in grant.property_dependencies.values() for u in deps}
        if _policy_reads(prop(grant, "policy"), secret_arn) or (secret is not None and secret.urn in built_from
                                                                and not isinstance(prop(grant, "policy"), str)):
            role = next((roles[u] for u in grant.property_dependencies.get("role", []) if u in roles), None)
            readers.add(str(prop(role, "name") or role.name) if role else str(prop(grant, "role")))
    return TrailEvidence(
        subscribed_triggers=subscribed,
        missing_triggers=[t for t in TRAIL_TRIGGERS if subscribed is not None and t not in subscribed]
        if subscribed is not None else list(TRAIL_TRIGGERS),
        saved_query=prop(query, "name"), saved_query_log_groups=list(prop(query, "logGroupNames") or []),
        record_schema=schema, pseudonym_key_secret=prop(secret, "name"), key_reader_roles=sorted(readers))
