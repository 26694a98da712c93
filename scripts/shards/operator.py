"""Pulumi Kubernetes Operator manifests for an environment, gated by the policy pack.

The Operator's Stack has no policy-pack field: its workspace runs a plain `pulumi up` of
whatever revision the Stack names. So the gate is the revision itself. Every Stack written
here pins `spec.commit` to the one commit that `hipaachat shards plan` just passed for every
stack of the environment, from a clean checkout of exactly that commit; nothing is generated
if any stack is blocked. A Stack never tracks a branch (a branch moves to unchecked commits),
never carries inline config, secrets or ESC environments (they would change what was checked),
and never targets a subset. Secrets reach the workspace only as `envRefs` to Kubernetes Secrets.
`check_gate` states these rules as code; the generator refuses to write a Stack that breaks one.
"""

from __future__ import annotations

import hashlib
import re

import yaml
from pydantic import BaseModel, ConfigDict

from scripts.shards.models import ShardsReport

API_VERSION = "pulumi.com/v1"
MAX_STACK_OBJECT_NAME = 42  # the Stack CRD's x-kubernetes-validations rule
SHA = re.compile(r"^[0-9a-f]{40}$")
# What may never appear in a generated Stack's spec, and why (see the module docstring).
FORBIDDEN_SPEC = {
    "branch": "tracks a moving branch, so it could deploy commits the pack never saw",
    "fluxSource": "deploys a source other than the checked commit",
    "programRef": "deploys a program other than the checked commit",
    "config": "inline config overrides the checked stack file",
    "configRef": "config from a ConfigMap overrides the checked stack file",
    "secrets": "inline secrets",
    "secretsRef": "secrets outside the checked stack file",
    "environment": "ESC environments change config after the check",
    "envs": "environment from ConfigMaps (deprecated, unchecked)",
    "envSecrets": "use envRefs",
    "targets": "a partial update",
}


class OperatorOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    environment: str
    org: str
    repo: str
    commit: str
    repo_dir: str = ""
    namespace: str = "hipaachat"
    backend: str | None = None
    access_token_secret: str = "pulumi-access-token"
    aws_credentials_secret: str | None = None
    aws_role_arn: str | None = None
    image: str = "pulumi/pulumi:3.202.0-nonroot"


def object_name(stack: str) -> str:
    return f"hipaachat-{stack}"


def service_account(options: OperatorOptions) -> str:
    return f"hipaachat-{options.environment}"


def plan_digest(report: ShardsReport) -> str:
    """A digest of the plan that cleared the commit, recorded on each Stack for auditors."""
    return hashlib.sha256(report.model_dump_json(exclude={"stacks": {"__all__": {"seconds"}}}).encode()).hexdigest()


def stack_manifest(stack: str, options: OperatorOptions, report: ShardsReport) -> dict:
    """One Operator Stack for `stack`: the checked commit, refresh on, never destroyed on delete."""
    env_refs: dict[str, dict] = {}
    if options.backend is None:  # Pulumi Cloud: the token is the only credential it needs
        env_refs["PULUMI_ACCESS_TOKEN"] = _secret_ref(options.access_token_secret, "accessToken")
    if options.aws_credentials_secret:
        env_refs["AWS_ACCESS_KEY_ID"] = _secret_ref(options.aws_credentials_secret, "AWS_ACCESS_KEY_ID")
        env_refs["AWS_SECRET_ACCESS_KEY"] = _secret_ref(options.aws_credentials_secret, "AWS_SECRET_ACCESS_KEY")
    summary = next(s for s in report.stacks if s.stack == stack)
    spec: dict = {
        "stack": f"{options.org}/{stack}",
        "projectRepo": options.repo,
        "commit": options.commit,
        "shallow": True,
        "refresh": True,
        "destroyOnFinalize": False,
        # The stack (its secrets provider and encrypted secrets) is made by `pulumi stack init`, never by the Operator.
        "useLocalStackOnly": True,
        "serviceAccountName": service_account(options),
        "envRefs": env_refs,
        "workspaceTemplate": {"spec": {"image": options.image}},
    }
    if options.repo_dir:
        spec["repoDir"] = options.repo_dir
    if options.backend:
        spec["backend"] = options.backend
    return {
        "apiVersion": API_VERSION,
        "kind": "Stack",
        "metadata": {
            "name": object_name(stack),
            "namespace": options.namespace,
            "labels": {"app.kubernetes.io/name": "hipaachat", "app.kubernetes.io/managed-by": "hipaachat",
                       "hipaachat.io/environment": options.environment, "hipaachat.io/stack": stack},
            "annotations": {
                "hipaachat.io/checked-commit": options.commit,
                "hipaachat.io/plan-sha256": plan_digest(report),
                "hipaachat.io/plan": f"hipaachat shards plan --environment {options.environment}: "
                                     f"{len(summary.tenants)} tenants, {summary.resource_count} resources, "
                                     "no mandatory violation",
            },
        },
        "spec": spec,
    }


def rbac_manifests(options: OperatorOptions) -> list[dict]:
    """The workspace identity: a ServiceAccount (IRSA role if given) bound to system:auth-delegator.

    Operator v2 workspaces authenticate the operator's calls with TokenReview, which is what
    system:auth-delegator allows; the program itself needs no Kubernetes permissions.
    """
    name = service_account(options)
    account: dict = {"apiVersion": "v1", "kind": "ServiceAccount",
                     "metadata": {"name": name, "namespace": options.namespace}}
    if options.aws_role_arn:
        account["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": options.aws_role_arn}
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": f"{options.namespace}:{name}:system:auth-delegator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": options.namespace}],
    }
    return [account, binding]


def check_gate(manifest: dict, checked_commit: str) -> list[str]:
    """Why `manifest` could deploy something the pack did not check (empty = it cannot)."""
    spec = manifest.get("spec") or {}
    problems = [f"spec.{key}: {why}" for key, why in FORBIDDEN_SPEC.items() if key in spec]
    if spec.get("commit") != checked_commit or not SHA.match(str(spec.get("commit") or "")):
        problems.append(f"spec.commit must be the checked commit {checked_commit}")
    if spec.get("destroyOnFinalize") is not False:
        problems.append("spec.destroyOnFinalize must be false (deleting the object must never destroy evidence)")
    if spec.get("refresh") is not True:
        problems.append("spec.refresh must be true")
    for name, ref in (spec.get("envRefs") or {}).items():
        if ref.get("type") != "Secret":
            problems.append(f"spec.envRefs.{name}: only Kubernetes Secret references, never literal values")
    if len(manifest.get("metadata", {}).get("name", "")) > MAX_STACK_OBJECT_NAME:
        problems.append(f"metadata.name: at most {MAX_STACK_OBJECT_NAME} characters (CRD rule)")
    return problems


def render(documents: list[dict]) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False, default_flow_style=False) for d in documents)


def _secret_ref(name: str, key: str) -> dict:
    return {"type": "Secret", "secret": {"name": name, "key": key}}
