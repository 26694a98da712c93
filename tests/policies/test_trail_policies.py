"""The trail's two policies through the real pack process: completeness at the webhook, key isolation."""

from __future__ import annotations

from components.audit_trail import auditor_trail_policy
from components.ingest.correlation import TRAIL_TRIGGERS
from tests.policies.builder import ACCOUNT, StackBuilder
from tests.policies.conftest import PRODUCTION, only, two_tenants

READERS = "isolation-pseudonym-key-readers"
COMPLETE = "production-trail-complete"


def with_trail(stack: StackBuilder, *tenants: str, triggers: tuple[str, ...] = TRAIL_TRIGGERS) -> StackBuilder:
    """Each tenant's pseudonym key, its auditor's grant to it, and its webhook (as components declare them)."""
    for tid in tenants:
        region = stack.get(tid).inputs["awsRegion"]
        stack.add("hipaachat:tenant:AuditTrail", f"{tid}-audit-trail", parent=tid, custom=False)
        name = f"hipaachat/{stack.stack}/{tid}/pseudonym-key"
        stack.add("aws:secretsmanager/secret:Secret", f"{tid}-pseudonym-key", parent=f"{tid}-audit-trail",
                  provider=f"{tid}-aws", inputs={"name": name, "kmsKeyId": stack.arn(f"{tid}-key"),
                                                 "recoveryWindowInDays": 30, "tags": stack.get(f"{tid}-key").inputs[
                                                     "tags"]},
                  outputs={"arn": f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf"},
                  deps={"kmsKeyId": [f"{tid}-key"]}, retain=True)
        grant(stack, f"{tid}-auditor-trail-policy", f"{tid}-auditor", f"{tid}-pseudonym-key")
        stack.add("pulumi-python:dynamic/hipaachat:CometChatWebhook", f"{tid}-cometchat-webhook",
                  parent=f"{tid}-cometchat", inputs={"tenantId": tid, "triggers": list(triggers)})
    return stack


def grant(stack: StackBuilder, name: str, role: str, secret: str, resource: str | None = None) -> None:
    arn = stack.arn(secret)
    owner = role.rsplit("-", 1)[0]
    stack.add("aws:iam/rolePolicy:RolePolicy", name, parent=f"{owner}-access", provider=f"{owner}-aws",
              inputs={"role": f"{role}-id", "policy": auditor_trail_policy(
                  resource or arn, stack.arn(f"{owner}-audit-bucket"), stack.arn(f"{owner}-audit"))},
              deps={"role": [role], "policy": [secret]})


def test_the_declared_trail_passes(analyze) -> None:
    outcome = analyze(with_trail(two_tenants(), "alpha", "bravo"))
    assert only(outcome, READERS) == [] and only(outcome, COMPLETE) == []


def test_another_tenants_role_that_can_read_the_key_is_refused(analyze) -> None:
    stack = with_trail(two_tenants(), "alpha", "bravo")
    grant(stack, "bravo-auditor-snoop", "bravo-auditor", "alpha-pseudonym-key")
    found = only(analyze(stack), READERS)
    assert [(v.enforcement, v.urn) for v in found] == [("mandatory", stack.get("bravo-auditor-snoop").urn)]
    assert "tenant 'bravo'" in found[0].message and "tenant 'alpha''s pseudonym key" in found[0].message


def test_a_wildcard_grant_reads_every_tenants_key_and_is_refused(analyze) -> None:
    stack = with_trail(two_tenants(), "alpha", "bravo")
    grant(stack, "bravo-operator-wide", "bravo-operator", "bravo-pseudonym-key",
          resource=f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:hipaachat/*")
    found = only(analyze(stack), READERS)
    # Its own tenant's operator is no reader either: only the ingest function and the auditor are.
    assert len(found) == 2 and {v.urn for v in found} == {stack.get("bravo-operator-wide").urn}
    assert {"alpha", "bravo"} == {m.split("tenant '")[2].split("'")[0] for m in (v.message for v in found)}


def test_a_webhook_missing_a_trail_trigger_blocks_production_and_warns_in_prototype(analyze) -> None:
    partial = tuple(t for t in TRAIL_TRIGGERS if t != "message_read_receipt")
    found = only(analyze(with_trail(two_tenants(), "alpha", triggers=partial)), COMPLETE)
    assert [(v.enforcement, v.tenant) for v in found] == [("advisory", "alpha")]
    assert "message_read_receipt" in found[0].message
    production = with_trail(two_tenants("production"), "alpha", triggers=partial)
    found = only(analyze(production, PRODUCTION), COMPLETE)
    assert [(v.enforcement, v.tenant) for v in found] == [("mandatory", "alpha")]
