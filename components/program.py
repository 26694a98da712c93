"""The Pulumi program: read the stack's settings and catalog, make one Tenant per file.

Kept apart from `__main__.py` so that `pulumi up`, `hipaachat plan` (under mocks) and the
tests all run exactly the same code path.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.catalog import catalog_dir, load_catalog
from components.ci_identity import CiIdentity, ci_settings
from components.lifecycle import deploys
from components.monitoring_settings import oncall_problem
from components.settings import NAMESPACE, StackSettings
from components.tenant import Tenant, TenantArgs


def stack_settings() -> StackSettings:
    """Settings from Pulumi config (the engine's, or the mocks' in `hipaachat plan`)."""
    config = pulumi.Config(NAMESPACE)
    values = {}
    for name, field in StackSettings.model_fields.items():
        key = field.alias or name
        raw = config.get(key)
        if raw is not None:
            values[f"{NAMESPACE}:{key}"] = raw
    settings = StackSettings.from_config(values)
    if (problem := oncall_problem(settings.environment, settings.oncall)) is not None:
        raise pulumi.RunError(f"stack {pulumi.get_stack()}: {problem}")
    return settings


def deploy_stack(project_dir: Path) -> dict[str, Tenant]:
    stack = pulumi.get_stack()
    if (ci := ci_settings()) is not None:
        # A CI stack (hipaachat-ci:repository set) holds the deploy identity and no tenants.
        identity = CiIdentity("deploy-identity", ci)
        pulumi.export("deployRoles", {env: role.arn for env, role in identity.roles.items()})
        return {}
    settings = stack_settings()
    tenants = {}
    for entry in load_catalog(catalog_dir(project_dir, stack), display_root=project_dir):
        spec = entry.tenant
        if not settings.allows(spec.residency):
            # A residency shard never deploys a tenant of another residency, even if a file lands there.
            raise pulumi.RunError(f"{entry.path}: residency {spec.residency} is not one of this stack's "
                                  f"{NAMESPACE}:residencies {settings.residencies}; move the tenant to a "
                                  f"stack of its residency (hipaachat shards move {spec.id} --to STACK)")
        if deploys(spec, settings=settings) == "nothing":
            continue  # released after its retention date: the stack stops managing its evidence
        tenants[spec.id] = Tenant(spec.id, TenantArgs(spec=spec, settings=settings, stack=stack))
    pulumi.export("environment", settings.environment)
    pulumi.export("tenants", {tid: {"log_group": t.sinks.log_group.name, "key_arn": t.keys.key.arn}
                              for tid, t in tenants.items()})
    return tenants
