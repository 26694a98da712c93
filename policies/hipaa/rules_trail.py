"""The audit trail as a system: complete at the source, and its pseudonym key readable by two roles only.

`hipaachat trail` answers "who saw what about patient X" from the index the ingest writes. Two
things make that answer trustworthy and keep the pseudonyms pseudonymous:
- the tenant's CometChat webhook subscribes to every trigger the trail needs (a missing read
  receipt trigger silently drops every "who read it"), and
- the HMAC key behind the subject pseudonyms is readable by the tenant's own ingest function and
  auditor role only: whoever holds the key can test any patient id against the index.
"""

from __future__ import annotations

import fnmatch

from pulumi_policy import PolicyResource, Severity

from components.ingest.correlation import TRAIL_TRIGGERS
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import DYNAMIC_PREFIX, IAM_ROLE, IAM_ROLE_POLICY, SECRET
from policies.hipaa.documents import DocumentError, parse
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import Report, ResourceView, StackReport, resource_rule, stack_rule
from policies.hipaa.stack_view import StackView
from policies.hipaa.values import UNKNOWN, plain

WEBHOOK_TYPE = DYNAMIC_PREFIX + "CometChatWebhook"
KEY_SECRET_SUFFIX = "/pseudonym-key"
KEY_READ = "secretsmanager:getsecretvalue"
# The two roles of a tenant that may read its key, by their resource-name suffix (components.access,
# components.ingest.endpoint).
KEY_READER_ROLES = ("-auditor", "-ingest-role")


@resource_rule(
    "production-trail-complete",
    "A tenant's webhook subscribes to every trigger the audit trail needs (sent, edited, deleted, receipts).",
    severity=Severity.HIGH, scope=Scope.PRODUCTION_GATE, types={WEBHOOK_TYPE})
def trail_complete(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.312(b): audit controls that record and examine activity in systems holding ePHI.

    Receipts are the only record of who received and who read a message; edits and deletes are
    the only record of a changed message. Without any one of these triggers the trail still
    answers, but silently incompletely.
    """
    triggers = plain(resource.props.get("triggers"))
    if triggers is UNKNOWN or not isinstance(triggers, list) or UNKNOWN in triggers:
        return
    missing = [t for t in TRAIL_TRIGGERS if t not in triggers]
    if missing:
        report(f"the webhook does not subscribe to {', '.join(missing)}; add them to its triggers (components."
               f"cometchat.providers.webhook) or `hipaachat trail` cannot say who received or read what"
               f"{ctx.environment_note()}")


def _key_secrets(stack: StackView) -> list[tuple[PolicyResource, str, str]]:
    """(secret, owning tenant, name) of every tenant's pseudonym key secret."""
    found = []
    for secret in stack.of_type(SECRET):
        name, owner = stack.props(secret).get("name"), stack.owner(secret.urn)
        if isinstance(name, str) and name.endswith(KEY_SECRET_SUFFIX) and owner is not None:
            found.append((secret, owner, name))
    return found


def _grants_read(pattern: str, arn: object, name: str) -> bool:
    """Whether a statement resource covers the secret: its ARN once known, else its name (ARN suffix)."""
    if pattern == "*":
        return True
    if isinstance(arn, str) and fnmatch.fnmatchcase(arn, pattern):
        return True
    _, marker, tail = pattern.partition(":secret:")
    # Secrets Manager appends "-" and six random characters to the name in the ARN.
    return bool(marker) and fnmatch.fnmatchcase(f"{name}-AbCdEf", tail)


def _role_of(stack: StackView, grant: PolicyResource, roles_by_name: dict[object, PolicyResource]
             ) -> PolicyResource | None:
    linked = [d for d in grant.property_dependencies.get("role", []) if d.resource_type == IAM_ROLE]
    return linked[0] if linked else roles_by_name.get(stack.props(grant).get("role"))


@stack_rule(
    "isolation-pseudonym-key-readers",
    "Only the tenant's own ingest function and auditor role may read its pseudonym key.",
    severity=Severity.CRITICAL)
def pseudonym_key_readers(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(a)(1), 164.308(a)(4)(i); NIST SP 800-53 SI-19(4) (the key is kept separately).

    With the key, anyone can compute the pseudonym of any patient id and find that patient's
    messages in the index: reading it is reading the trail. Checked from the policy document
    when it is known, and from what the document was built from (its property dependencies)
    while it is not (preview).
    """
    secrets = _key_secrets(stack)
    if not secrets:
        return
    roles_by_name = {stack.props(r).get(f): r for r in stack.of_type(IAM_ROLE) for f in ("name", "id")
                     if isinstance(stack.props(r).get(f), str)}
    for grant in stack.of_type(IAM_ROLE_POLICY):
        readable = _readable(stack, grant, secrets)
        if not readable:
            continue
        role = _role_of(stack, grant, roles_by_name)
        role_owner = stack.owner(role.urn) if role is not None else stack.owner(grant.urn)
        role_name = role.name if role is not None else grant.name
        for secret, owner, name in readable:
            allowed = role_owner == owner and any(role_name == f"{owner}{s}" for s in KEY_READER_ROLES)
            if not allowed:
                who = f"role {role_name} of tenant '{role_owner}'" if role_owner else f"role {role_name}"
                report(f"{who} can read tenant '{owner}''s pseudonym key {name}; only that tenant's ingest "
                       f"function and auditor role may (remove secretsmanager:GetSecretValue on it from this "
                       f"policy)", grant.urn)


def _readable(stack: StackView, grant: PolicyResource, secrets: list[tuple[PolicyResource, str, str]]
              ) -> list[tuple[PolicyResource, str, str]]:
    document = stack.props(grant).get("policy")
    if document is UNKNOWN or not isinstance(document, str):
        built_from = {d.urn for deps in grant.property_dependencies.values() for d in deps}
        return [s for s in secrets if s[0].urn in built_from]
    try:
        statements = parse(document)
    except DocumentError:
        return []
    found = []
    for secret, owner, name in secrets:
        arn = stack.props(secret).get("arn")
        for statement in statements:
            if not statement.allows or statement.not_resource:
                continue
            if not any(fnmatch.fnmatchcase(KEY_READ, a.lower()) for a in statement.actions):
                continue
            if any(_grants_read(pattern, arn, name) for pattern in statement.resources):
                found.append((secret, owner, name))
                break
    return found
