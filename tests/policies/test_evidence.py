"""retention-evidence-readable through the real Analyzer protocol: retained evidence stays readable.

The defect it prevents: a tenant removed from the stack keeps its log group and archive
(retained) but loses the KMS key they are encrypted under, and the auditor role that reads them.
"""

from __future__ import annotations

import json

from components.tags import RETAIN_TAG
from tests.policies.conftest import PRODUCTION, only, two_tenants

POLICY = "retention-evidence-readable"


def test_the_program_shape_passes_in_prototype_and_production(analyze):
    assert only(analyze(two_tenants()), POLICY) == []
    assert only(analyze(two_tenants("production"), PRODUCTION), POLICY) == []


def test_a_key_that_is_not_retained_is_refused_for_each_sink_it_encrypts(analyze):
    stack = two_tenants()
    del stack.get("alpha-key").inputs["tags"][RETAIN_TAG]
    found = only(analyze(stack), POLICY)
    assert sorted((v.enforcement, v.tenant, v.urn) for v in found) == sorted([
        ("mandatory", "alpha", stack.get("alpha-audit").urn),
        ("mandatory", "alpha", stack.get("alpha-audit-bucket").urn)])
    assert all("alpha-key" in v.message and "unreadable" in v.message for v in found)


def test_a_reader_role_that_is_not_retained_is_refused(analyze):
    stack = two_tenants()
    del stack.get("bravo-auditor").inputs["tags"][RETAIN_TAG]
    found = only(analyze(stack), POLICY)
    assert {(v.tenant, v.urn) for v in found} == {("bravo", stack.get("bravo-audit").urn),
                                                  ("bravo", stack.get("bravo-audit-bucket").urn)}
    assert all("bravo-auditor" in v.message for v in found)


def test_a_wildcard_read_grant_makes_a_role_a_reader(analyze):
    stack = two_tenants()
    grant = stack.get("alpha-operator-policy")
    log_group_arn = stack.arn("alpha-audit")
    grant.outputs["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:*", "Resource": f"{log_group_arn}:*"}]})
    found = only(analyze(stack), POLICY)
    assert [(v.tenant, v.urn) for v in found] == [("alpha", stack.get("alpha-audit").urn)]
    assert "alpha-operator" in found[0].message


def test_writers_and_unretained_sinks_are_not_judged(analyze):
    # The operator writes the log group (PutLogEvents) and is not retained: not a reader, no finding.
    # The template bucket is not retained: its key's fate is not evidence's fate.
    stack = two_tenants()
    operator = stack.get("alpha-operator-policy").inputs["policy"]
    assert "logs:PutLogEvents" in operator and "s3:GetObject" in operator and stack.arn("alpha-templates") in operator
    assert RETAIN_TAG not in stack.get("alpha-operator").inputs["tags"]
    assert only(analyze(stack), POLICY) == []


def test_production_key_and_reader_must_be_protected(analyze):
    stack = two_tenants("production")
    stack.get("alpha-key").options.protect = False
    stack.get("bravo-auditor").options.protect = False
    found = only(analyze(stack, PRODUCTION), POLICY)
    assert {(v.tenant, "key" if "KMS key" in v.message else "role") for v in found} == {
        ("alpha", "key"), ("bravo", "role")}
    assert all(v.enforcement == "mandatory" and "protect=True" in v.message for v in found)
