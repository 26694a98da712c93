"""The CI deploy identity (components.ci_identity) under Pulumi's mocks, and the pack's GitHub OIDC rule.

The identity is the real program (`__main__.py`) run for a stack that sets `hipaachat-ci:repository`;
the pack judges it over the Analyzer protocol in both phases (scripts.engine.phases.preview_view).
Each bad trust shape is refused at preview too: the trust is a literal built from the account id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.engine.capture import run_program
from scripts.engine.models import CapturedResource
from scripts.engine.phases import preview_view
from tests.policies.builder import StackBuilder
from tests.policies.conftest import PRODUCTION, PROTOTYPE, two_tenants

ROOT = Path(__file__).resolve().parents[2]
POLICY = "isolation-github-oidc-trust"
REPO = "example-org/hipaachat"
HOST = "token.actions.githubusercontent.com"
ENVIRONMENTS = {"prototype": PROTOTYPE, "production": PRODUCTION}


@pytest.fixture(scope="module")
def identity() -> list[CapturedResource]:
    return run_program(ROOT, "ci", {"hipaachat-ci:repository": REPO, "aws:region": "us-east-2"})


def role(resources: list[CapturedResource], environment: str) -> CapturedResource:
    return next(r for r in resources if r.type == "aws:iam/role:Role" and r.inputs["name"].endswith(environment))


def mandatory(outcome) -> list[tuple[str, str]]:
    return sorted({(v.policy, v.urn) for v in outcome.violations if v.enforcement == "mandatory"})


def phases(analyze, resources: list[CapturedResource], config) -> dict[str, list[tuple[str, str]]]:
    stack = StackBuilder("ci")
    stack._resources = {r.urn: r for r in resources}
    preview = StackBuilder("ci")
    preview._resources = {r.urn: r for r in preview_view(resources)}
    return {"update": mandatory(analyze(stack, config)), "preview": mandatory(analyze(preview, config))}


def test_one_role_per_environment_bound_to_the_repository_and_its_environment(identity):
    provider = next(r for r in identity if r.type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == f"https://{HOST}" and provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    for environment in ("prototype", "production"):
        trust = json.loads(role(identity, environment).inputs["assumeRolePolicy"])
        [statement] = trust["Statement"]
        assert statement["Principal"] == {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{HOST}"}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {"StringEquals": {
            f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": f"repo:{REPO}:environment:{environment}"}}
    # The trust is a literal at preview: the pack reads it before anything exists.
    previewed = role(preview_view(identity), "production")
    assert previewed.inputs["assumeRolePolicy"] == role(identity, "production").inputs["assumeRolePolicy"]


def test_a_repository_that_is_not_owner_slash_name_is_refused_before_anything_is_declared():
    with pytest.raises(Exception, match=r"hipaachat-ci:repository"):
        run_program(ROOT, "ci", {"hipaachat-ci:repository": "*/hipaachat"})


@pytest.mark.parametrize("config", [PROTOTYPE, PRODUCTION, {}], ids=["prototype", "production", "undeclared"])
def test_the_ci_identity_passes_the_pack_in_both_phases(analyze, identity, config):
    """`{}`: a `ci` stack sets no hipaachat:environment, so the pack holds it to production's rules."""
    assert phases(analyze, identity, config) == {"update": [], "preview": []}


def _trust(condition: dict | None) -> str:
    statement = {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{HOST}"},
                 "Action": "sts:AssumeRoleWithWebIdentity"}
    return json.dumps({"Version": "2012-10-17", "Statement": [{**statement, **({"Condition": condition}
                                                                                if condition else {})}]})


AUD = {f"{HOST}:aud": "sts.amazonaws.com"}
# (shape, trust policy, refused in prototype, refused in production)
SHAPES = [
    ("no-condition", _trust(None), True, True),
    ("aud-only", _trust({"StringEquals": AUD}), True, True),
    ("any-repository", _trust({"StringEquals": AUD, "StringLike": {f"{HOST}:sub": "repo:*"}}), True, True),
    ("any-owner", _trust({"StringEquals": AUD, "StringLike": {f"{HOST}:sub": "repo:*/hipaachat:*"}}), True, True),
    ("any-repository-of-the-org", _trust({"StringEquals": AUD, "StringLike": {f"{HOST}:sub": "repo:example-org/*"}}),
     True, True),
    ("branch-not-environment", _trust({"StringEquals": {**AUD, f"{HOST}:sub": f"repo:{REPO}:ref:refs/heads/main"}}),
     False, True),
    ("any-environment", _trust({"StringEquals": AUD, "StringLike": {f"{HOST}:sub": f"repo:{REPO}:environment:*"}}),
     False, True),
    ("missing-aud", _trust({"StringEquals": {f"{HOST}:sub": f"repo:{REPO}:environment:production"}}), True, True),
    ("sub-only-negated", _trust({"StringEquals": AUD, "StringNotEquals": {f"{HOST}:sub": "repo:evil/x:ref:main"}}),
     True, True),
]


@pytest.mark.parametrize(("shape", "trust", "in_prototype", "in_production"), SHAPES, ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
def test_each_bad_trust_shape_is_refused_in_both_phases(analyze, identity, environment, shape, trust, in_prototype,
                                                        in_production):
    resources = [r.model_copy(deep=True) for r in identity]
    target = role(resources, "production")
    target.inputs["assumeRolePolicy"] = target.outputs["assumeRolePolicy"] = trust
    target.property_dependencies["assumeRolePolicy"] = []
    found = phases(analyze, resources, ENVIRONMENTS[environment])
    expected = [(POLICY, target.urn)] if (in_production if environment == "production" else in_prototype) else []
    assert found == {"update": expected, "preview": expected}


def test_a_tenant_role_trusting_github_without_a_subject_is_refused_at_preview(analyze):
    stack = two_tenants("prototype")
    operator = stack.get("alpha-operator")
    operator.inputs["assumeRolePolicy"] = operator.outputs["assumeRolePolicy"] = _trust({"StringEquals": AUD})
    preview = StackBuilder(stack.stack)
    preview._resources = {r.name: r for r in preview_view(stack.resources())}
    for view in (stack, preview):
        assert (POLICY, operator.urn) in mandatory(analyze(view, PROTOTYPE))
