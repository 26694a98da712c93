"""Every policy module in both phases of a deployment, through the real Analyzer protocol.

A first `pulumi preview` sends the pack unknowns for every id, ARN and value computed from one
(scripts.engine.phases.preview_view derives that view from a stack). Three properties hold for the
whole pack, not one rule:

- a clean stack draws no mandatory finding in the preview phase (else no new tenant could ever
  be deployed);
- an unknown value never makes a mandatory finding on its own (fuzzed below: any subset of
  values unknown, never a finding the resolved stack does not have);
- each violation is caught in the phase where the information exists: literal inputs and
  structure (parents, dependencies) at preview; values computed from uncreated resources at the
  update.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from scripts.engine.models import CapturedResource
from scripts.engine.phases import UNKNOWN, preview_view
from tests.policies.builder import SECRET_SIG, StackBuilder
from tests.policies.conftest import PRODUCTION, PROTOTYPE, two_tenants

ENVIRONMENTS = {"prototype": PROTOTYPE, "production": PRODUCTION}


def mandatory(outcome) -> set[tuple[str, str | None, str | None]]:
    return {(v.policy, v.tenant, v.urn) for v in outcome.violations if v.enforcement == "mandatory"}


def both_phases(analyze, stack: StackBuilder, config) -> tuple[set, set]:
    update = analyze(stack, config)
    preview_stack = StackBuilder(stack.stack)
    preview_stack._resources = {r.name: r for r in preview_view(stack.resources())}
    return mandatory(analyze(preview_stack, config)), mandatory(update)


def set_prop(resource: CapturedResource, key: str, value: Any, deps: list[CapturedResource] | None = None) -> None:
    """Change an input the way a program would: the output echoes it, and it is computed from `deps`."""
    resource.inputs[key] = value
    resource.outputs[key] = value
    resource.property_dependencies[key] = [d.urn for d in deps or []]
    resource.dependencies = sorted({u for urns in resource.property_dependencies.values() for u in urns})


@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
def test_clean_stack_draws_no_mandatory_finding_at_preview(analyze, environment):
    preview, update = both_phases(analyze, two_tenants(environment), ENVIRONMENTS[environment])
    assert preview == set() and update == set()


@pytest.mark.parametrize("seed", range(8))
def test_unknown_values_never_make_a_mandatory_finding(analyze, seed):
    """Any subset of values unknown (leaves or whole blocks): at most the resolved stack's findings."""
    rnd = random.Random(seed)
    share = (0.15, 0.4, 0.7, 1.0)[seed % 4]
    environment = ("prototype", "production")[seed % 2]
    stack = two_tenants(environment)

    def blank(value: Any) -> Any:
        if isinstance(value, dict | list) and value and rnd.random() < share / 4 and \
                not (isinstance(value, dict) and set(SECRET_SIG) <= set(value)):
            return UNKNOWN
        if isinstance(value, dict):
            return {k: v if k in SECRET_SIG else blank(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v) for v in value]
        return UNKNOWN if rnd.random() < share else value

    baseline = mandatory(analyze(stack, ENVIRONMENTS[environment]))
    fuzzed = StackBuilder(stack.stack)
    for r in stack.resources():
        if r.custom and not r.type.startswith("pulumi:providers:"):
            r = r.model_copy(update={"inputs": {k: blank(v) for k, v in r.inputs.items()},
                                     "outputs": {k: blank(v) for k, v in r.outputs.items()}})
        fuzzed._resources[r.name] = r
    outcome = analyze(fuzzed, ENVIRONMENTS[environment])
    assert mandatory(outcome) <= baseline, [v.message for v in outcome.violations if v.enforcement == "mandatory"]


def _rotation_off(s: StackBuilder) -> str:
    set_prop(s.get("alpha-key"), "enableKeyRotation", False)
    return "alpha-key"


def _bucket_under_bravo_key(s: StackBuilder) -> str:
    sse = s.get("alpha-audit-bucket-sse")
    set_prop(sse, "rules", [{"applyServerSideEncryptionByDefault": {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": s.arn("bravo-key")}}], [s.get("bravo-key")])
    sse.property_dependencies["bucket"] = [s.get("alpha-audit-bucket").urn]
    return "alpha-audit-bucket"


def _bucket_aes256(s: StackBuilder) -> str:
    set_prop(s.get("alpha-templates-sse"), "rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}])
    s.get("alpha-templates-sse").property_dependencies["bucket"] = [s.get("alpha-templates").urn]
    return "alpha-templates"


def _object_under_aws_managed_key(s: StackBuilder) -> str:
    set_prop(s.get("alpha-template-email"), "kmsKeyId", "alias/aws/s3")
    return "alpha-template-email"


def _no_public_access_block(s: StackBuilder) -> str:
    s.remove("alpha-templates-public-access")
    return "alpha-templates"


def _literal_wildcard_key_policy(s: StackBuilder) -> str:
    set_prop(s.get("alpha-key"), "policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                           '"Principal": "*", "Action": "kms:*", "Resource": "*"}]}')
    return "alpha-key"


def _computed_wildcard_key_policy(s: StackBuilder) -> str:
    role = s.arn("alpha-auditor")
    set_prop(s.get("alpha-key"), "policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                           f'"Principal": "*", "Action": "kms:Decrypt", "Resource": "{role}"}}]}}',
             [s.get("alpha-auditor")])
    return "alpha-key"


def _depends_on_bravo_secret(s: StackBuilder) -> str:
    set_prop(s.get("alpha-operator-policy"), "policy", s.get("alpha-operator-policy").inputs["policy"],
             [s.get("alpha-key"), s.get("bravo-cometchat-credentials")])
    return "alpha-operator-policy"


def _computed_grant_on_bravo_archive(s: StackBuilder) -> str:
    arn = s.arn("bravo-audit-bucket")
    set_prop(s.get("alpha-auditor-policy"), "policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                                      f'"Action": "s3:GetObject", "Resource": "{arn}/*"}}]}}',
             [s.get("bravo-audit-bucket")])
    return "alpha-auditor-policy"


def _literal_grant_on_everything(s: StackBuilder) -> str:
    set_prop(s.get("alpha-auditor-policy"), "policy", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                                      '"Action": "s3:*", "Resource": "*"}]}')
    return "alpha-auditor-policy"


def _literal_policy(s: StackBuilder, name: str, statement: str) -> str:
    """A role policy written as a literal string: nothing in it is unknown at a first preview."""
    set_prop(s.get(name), "policy", '{"Version": "2012-10-17", "Statement": [' + statement + ']}')
    return name


def _wildcard_bucket_prefix(s: StackBuilder) -> str:
    return _literal_policy(s, "alpha-auditor-policy", '{"Effect": "Allow", "Action": "s3:GetObject", '
                                                      f'"Resource": "arn:aws:s3:::hipaachat-{s.stack}-*/*"}}')


def _literal_bravo_bucket(s: StackBuilder) -> str:
    return _literal_policy(s, "alpha-auditor-policy", '{"Effect": "Allow", "Action": "s3:GetObject", '
                                                      f'"Resource": "arn:aws:s3:::hipaachat-{s.stack}-bravo-audit/*"}}')


def _literal_bravo_log_group(s: StackBuilder) -> str:
    return _literal_policy(s, "alpha-operator-policy", '{"Effect": "Allow", "Action": "logs:PutLogEvents", '
                           f'"Resource": "arn:aws:logs:eu-central-1:123456789012:log-group:/hipaachat/{s.stack}/bravo/audit:*"}}')


def _wildcard_role_pattern(s: StackBuilder) -> str:
    return _literal_policy(s, "alpha-operator-policy", '{"Effect": "Allow", "Action": "sts:AssumeRole", '
                                                       f'"Resource": "arn:aws:iam::*:role/hipaachat-{s.stack}-*"}}')


def _trust_on_account_root(s: StackBuilder) -> str:
    set_prop(s.get("alpha-operator"), "assumeRolePolicy", '{"Version": "2012-10-17", "Statement": [{"Effect": '
             '"Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}')
    return "alpha-operator"


def _wrong_tenant_tag(s: StackBuilder) -> str:
    set_prop(s.get("alpha-audit"), "tags", {**s.get("alpha-audit").inputs["tags"], "hipaachat:tenant": "bravo"})
    return "alpha-audit"


def _short_log_retention(s: StackBuilder) -> str:
    set_prop(s.get("bravo-audit"), "retentionInDays", 30)
    return "bravo-audit"


def _governance_lock(s: StackBuilder) -> str:
    lock = s.get("alpha-audit-lock")
    set_prop(lock, "rule", {"defaultRetention": {"mode": "GOVERNANCE", "days": 2192}})
    lock.property_dependencies["bucket"] = [s.get("alpha-audit-bucket").urn]
    return "alpha-audit-bucket"


def _suspended_versioning(s: StackBuilder) -> str:
    versioning = s.get("alpha-templates-versioning")
    set_prop(versioning, "versioningConfiguration", {"status": "Suspended"})
    versioning.property_dependencies["bucket"] = [s.get("alpha-templates").urn]
    return "alpha-templates"


def _provider_in_another_region(s: StackBuilder) -> str:
    set_prop(s.get("bravo-aws"), "region", "us-east-2")
    return "bravo-aws"


def _phi_in_sms(s: StackBuilder) -> str:
    set_prop(s.get("alpha-template-sms"), "content", "Hi Maria Lopez, your lab results are ready: {{deep_link}}")
    return "alpha-template-sms"


def _no_baa_in_production(s: StackBuilder) -> str:
    set_prop(s.get("alpha"), "baa", None)
    return "alpha"


# (module, case, policy, environment, phase that first raises it)
CASES: list[tuple[str, Callable[[StackBuilder], str], str, str, str]] = [
    ("encryption", _rotation_off, "encryption-kms-key-rotation", "prototype", "preview"),
    ("encryption", _bucket_under_bravo_key, "encryption-s3-tenant-key", "prototype", "preview"),
    ("encryption", _bucket_aes256, "encryption-s3-tenant-key", "prototype", "preview"),
    ("encryption", _object_under_aws_managed_key, "encryption-s3-tenant-key", "prototype", "update"),
    ("encryption", _no_public_access_block, "encryption-s3-public-access-blocked", "prototype", "preview"),
    ("isolation", _literal_wildcard_key_policy, "isolation-no-wildcard-principal", "prototype", "preview"),
    ("isolation", _computed_wildcard_key_policy, "isolation-no-wildcard-principal", "prototype", "update"),
    ("isolation", _depends_on_bravo_secret, "isolation-no-cross-tenant-reference", "prototype", "preview"),
    ("isolation", _computed_grant_on_bravo_archive, "isolation-no-cross-tenant-reference", "prototype", "preview"),
    ("isolation", _computed_grant_on_bravo_archive, "isolation-iam-scoped-to-tenant", "prototype", "update"),
    ("isolation", _literal_grant_on_everything, "isolation-iam-scoped-to-tenant", "prototype", "preview"),
    ("isolation", _wrong_tenant_tag, "isolation-tenant-tag", "prototype", "preview"),
    ("isolation", _wildcard_bucket_prefix, "isolation-iam-scoped-to-tenant", "prototype", "preview"),
    ("isolation", _literal_bravo_bucket, "isolation-iam-scoped-to-tenant", "prototype", "preview"),
    ("isolation", _literal_bravo_bucket, "isolation-no-cross-tenant-reference", "prototype", "preview"),
    ("isolation", _literal_bravo_log_group, "isolation-iam-scoped-to-tenant", "production", "preview"),
    ("isolation", _wildcard_role_pattern, "isolation-iam-scoped-to-tenant", "prototype", "preview"),
    ("isolation", _trust_on_account_root, "isolation-iam-scoped-to-tenant", "prototype", "preview"),
    ("isolation", _trust_on_account_root, "isolation-iam-scoped-to-tenant", "production", "preview"),
    ("retention", _short_log_retention, "retention-log-group-minimum", "prototype", "preview"),
    ("retention", _governance_lock, "retention-object-lock-compliance", "prototype", "preview"),
    ("retention", _suspended_versioning, "retention-s3-versioning", "prototype", "preview"),
    ("residency", _provider_in_another_region, "residency-aws-region", "prototype", "preview"),
    ("notifications", _phi_in_sms, "notifications-email-sms-phi-free", "prototype", "preview"),
    ("gates", _no_baa_in_production, "production-baa-attested", "production", "preview"),
]


@pytest.mark.parametrize(("module", "case", "policy", "environment", "phase"), CASES,
                         ids=[f"{c[0]}-{c[1].__name__.strip('_')}-{c[2]}" for c in CASES])
def test_each_violation_is_caught_in_the_phase_where_its_information_exists(
        analyze, module, case, policy, environment, phase):
    stack = two_tenants(environment)
    target = stack.get(case(stack)).urn
    preview, update = both_phases(analyze, stack, ENVIRONMENTS[environment])
    tenant = "bravo" if "bravo" in target.rsplit("::", 1)[1] else "alpha"
    # The update (every value resolved) always has it; the preview has it exactly when it can know.
    assert (policy, tenant, target) in update
    assert ((policy, tenant, target) in preview) == (phase == "preview")
    # Whatever the preview raises, the update raises too: a preview never invents a finding.
    assert preview <= update

