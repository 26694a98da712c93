"""The identity CI deploys with: GitHub's OIDC provider and one deploy role per environment.

`deploy.yml` exchanges each job's GitHub OIDC token for a short-lived session of a deploy role
(no long-lived keys). Whoever can assume that role can run `pulumi up` on every clinic, so the
trust policy is the security boundary: it requires the token's audience to be STS and its
subject to be *this* repository *and* the GitHub environment of the role
(`repo:ORG/REPO:environment:production`). A job of another repository, a fork, a branch or
another environment of this repository gets a different `sub` and is refused by AWS.

A stack declares it with the `hipaachat-ci:` namespace (its own namespace: the tenant settings
under `hipaachat:` stay as they are); `components.program.deploy_stack` then deploys this and no
tenants. The HIPAA pack checks every GitHub OIDC trust of any stack
(isolation-github-oidc-trust), this one included.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.tags import CI_IDENTITY_TYPE, MANAGED_BY_TAG

CI_NAMESPACE = "hipaachat-ci"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"


class CiIdentitySettings(BaseModel):
    """`hipaachat-ci:*` of a stack file: which repository deploys, and which environments it has."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # GitHub owner/repository, exactly: no wildcard can reach the trust policy.
    repository: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
    environments: list[str] = Field(default_factory=lambda: ["prototype", "production"], min_length=1)
    # Permissions of each deploy role (what `pulumi up` needs in the account); the trust is this module's.
    policy_arns: list[str] = Field(default_factory=list, alias="policyArns")
    name_prefix: str = Field("hipaachat", alias="namePrefix", pattern=r"^[a-z][a-z0-9-]{1,20}$")

    def subject(self, environment: str) -> str:
        return f"repo:{self.repository}:environment:{environment}"


def ci_settings(config: pulumi.Config | None = None) -> CiIdentitySettings | None:
    """The stack's `hipaachat-ci:` settings, or None when the stack does not declare a CI identity."""
    config = config or pulumi.Config(CI_NAMESPACE)
    raw: dict[str, Any] = {}
    for name, field in CiIdentitySettings.model_fields.items():
        key = field.alias or name
        value = config.get(key)
        if value is not None:
            raw[key] = json.loads(value) if value[:1] in "[{" else value
    if not raw:
        return None
    try:
        return CiIdentitySettings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{CI_NAMESPACE}:{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise pulumi.RunError(f"stacks/Pulumi.{pulumi.get_stack()}.yaml: {problems} (set repository to "
                              "ORG/REPO, environments to a list of GitHub environment names)") from None


def trust_policy(provider_arn: str, subject: str) -> str:
    """Only GitHub tokens minted for STS, for exactly `subject` (one repository's one environment)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "GitHubEnvironmentOnly",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": subject}},
    }]})


class CiIdentity(pulumi.ComponentResource):
    """The OIDC provider and `<prefix>-deploy-<environment>` roles; outputs each role's ARN."""

    provider: aws.iam.OpenIdConnectProvider
    roles: dict[str, aws.iam.Role]

    def __init__(self, name: str, settings: CiIdentitySettings, opts: pulumi.ResourceOptions | None = None):
        super().__init__(CI_IDENTITY_TYPE, name, None, opts)
        tags = {MANAGED_BY_TAG: "hipaachat", "hipaachat:repository": settings.repository}
        self.provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github", url=f"https://{GITHUB_OIDC_HOST}", client_id_lists=[STS_AUDIENCE], tags=tags,
            opts=pulumi.ResourceOptions(parent=self))
        # The provider's ARN is derived from the account, so the trust is a literal at preview:
        # the pack judges it before anything is created.
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        provider_arn = pulumi.Output.all(caller.arn, caller.account_id).apply(
            lambda a: f"arn:{a[0].split(':')[1]}:iam::{a[1]}:oidc-provider/{GITHUB_OIDC_HOST}")
        self.roles = {}
        for environment in settings.environments:
            role = aws.iam.Role(
                f"{name}-{environment}",
                name=f"{settings.name_prefix}-deploy-{environment}"[:64],
                description=f"hipaachat deploys {environment} from {settings.repository} "
                            f"(GitHub environment {environment} only)",
                assume_role_policy=provider_arn.apply(
                    lambda arn, env=environment: trust_policy(arn, settings.subject(env))),
                max_session_duration=3600,
                tags={**tags, "hipaachat:environment": environment},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.provider]))
            for index, policy_arn in enumerate(settings.policy_arns):
                aws.iam.RolePolicyAttachment(f"{name}-{environment}-{index}", role=role.name,
                                             policy_arn=policy_arn, opts=pulumi.ResourceOptions(parent=self))
            self.roles[environment] = role
        self.register_outputs({f"{env}_role_arn": role.arn for env, role in self.roles.items()})
