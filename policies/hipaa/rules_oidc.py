"""Isolation of the deploy path: a role GitHub Actions can assume is bound to one repository.

The deploy role runs `pulumi up` on every clinic. GitHub's OIDC provider signs a token for any
workflow of any repository on GitHub; only the trust policy's conditions on the token's `aud`
and `sub` claims tell this repository's jobs apart from everyone else's. A trust without them
(or with `repo:*`) lets a stranger's workflow deploy, or read, every tenant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pulumi_policy import Severity

from policies.hipaa.context import PackContext
from policies.hipaa.contracts import IAM_ROLE
from policies.hipaa.documents import DocumentError, Statement, parse
from policies.hipaa.framework import Report, ResourceView, resource_rule

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# Operators whose values a claim must match; Not*/IfExists variants do not bind the claim.
BINDING_OPERATORS = ("StringEquals", "StringLike")
# repo:OWNER/REPO:<context>, with owner and repository written out (no wildcard in either).
SUBJECT = re.compile(r"^repo:(?P<owner>[^/:]+)/(?P<repo>[^:]+):(?P<context>.+)$")
WILDCARD = re.compile(r"[*?]")


def _trusts_github(statement: Statement) -> bool:
    return any(p == GITHUB_OIDC_HOST or p.endswith(f":oidc-provider/{GITHUB_OIDC_HOST}") for p in statement.principals)


def claim_values(statement: Statement, claim: str) -> list[str]:
    """Values a StringEquals/StringLike condition requires for `token.actions...:<claim>`."""
    key = f"{GITHUB_OIDC_HOST}:{claim}".lower()
    found: list[str] = []
    for operator, clauses in statement.condition.items():
        if operator.split(":")[-1] not in BINDING_OPERATORS or not isinstance(clauses, Mapping):
            continue
        for condition_key, values in clauses.items():
            if condition_key.lower() == key:
                found.extend(values if isinstance(values, list) else [values])
    return [str(v) for v in found]


def trust_problems(statement: Statement, label: str, production: bool) -> list[str]:
    """What lets a workflow outside this repository (or, in production, its environment) assume the role."""
    problems: list[str] = []
    audiences = claim_values(statement, "aud")
    if not audiences or any(a != STS_AUDIENCE for a in audiences):
        problems.append(f"{label} does not require {GITHUB_OIDC_HOST}:aud = {STS_AUDIENCE} (StringEquals); a "
                        "token minted for another audience must not reach STS")
    subjects = claim_values(statement, "sub")
    if not subjects:
        problems.append(f"{label} has no StringEquals/StringLike on {GITHUB_OIDC_HOST}:sub, so a workflow of any "
                        "repository on GitHub can assume this role; require sub = "
                        "repo:ORG/REPO:environment:<environment>")
    for subject in subjects:
        match = SUBJECT.match(subject)
        if match is None or WILDCARD.search(match["owner"]) or WILDCARD.search(match["repo"]):
            problems.append(f"{label} accepts sub '{subject}', which names no single repository (an owner or "
                            "repository wildcard lets other repositories deploy); write repo:ORG/REPO:... in full")
        elif production and (not match["context"].startswith("environment:")
                             or WILDCARD.search(match["context"]) or match["context"] == "environment:"):
            problems.append(f"{label} accepts sub '{subject}', which is not one GitHub environment of the "
                            "repository; in production bind the role to repo:ORG/REPO:environment:production "
                            "(required reviewers approve that environment's jobs)")
    return problems


@resource_rule(
    "isolation-github-oidc-trust",
    "A role trusting GitHub's OIDC provider requires aud = sts.amazonaws.com and a sub naming one repository "
    "(and, in production, one environment).", severity=Severity.CRITICAL, types=[IAM_ROLE])
def github_oidc_trust(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(a)(3)(ii)(B), 164.308(a)(4)(ii)(B), 164.312(a)(1), 164.312(d); Checkov CKV_AWS_358.

    Every role of any stack (tenant roles and the CI deploy identity alike): a GitHub OIDC trust
    is only as narrow as its `sub` condition. The document is read at preview whenever it is a
    literal; an unknown document raises so the engine reports the check as deferred, not passed.
    """
    document = resource.props.get("assumeRolePolicy")
    if document is None:
        return
    try:
        statements = parse(document)
    except DocumentError:
        return  # isolation-no-wildcard-principal reports an unreadable trust policy
    for index, statement in enumerate(statements):
        if statement.allows and _trusts_github(statement):
            for problem in trust_problems(statement, f"assumeRolePolicy {statement.label(index)}", ctx.production):
                report(problem)
