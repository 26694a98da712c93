"""Where one tenant's trail lives: its region, log group, archive bucket and pseudonym key secret.

From the declared stack, the names are derived by the same functions the program uses
(components.audit_trail, components.tenant.bucket_name), so there is one source of truth; from
`--state` (a `pulumi stack export`), they are the real names and ARNs the deployment recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.audit_trail import log_group_name, pseudonym_secret_name
from components.catalog import CatalogError, catalog_dir, load_catalog
from components.settings import naming_scope
from components.tags import TENANT_TYPE
from components.tenant import bucket_name
from scripts.engine.models import tenant_owners
from scripts.engine.state.reader import read_state
from scripts.project import InputError, Project, load_stack


@dataclass(frozen=True)
class TrailTarget:
    tenant_id: str
    region: str
    log_group: str
    bucket: str
    key_secret: str
    """The secret's name (declared) or ARN (from state): Secrets Manager accepts either."""


def declared(project: Project, stack: str, tenant_id: str) -> TrailTarget:
    config = load_stack(project, stack)
    try:
        entries = load_catalog(catalog_dir(project.root, stack), display_root=project.root)
    except CatalogError as exc:
        raise InputError(str(exc)) from exc
    spec = next((e.tenant for e in entries if e.tenant.id == tenant_id), None)
    if spec is None:
        known = ", ".join(e.tenant.id for e in entries)
        raise InputError(f"--tenant {tenant_id}: no such tenant in "
                         f"{project.relative(catalog_dir(project.root, stack))} (known: {known})")
    scope, settings = naming_scope(stack), config.settings
    return TrailTarget(tenant_id=tenant_id, region=settings.region_for(spec.residency).aws_region,
                       log_group=log_group_name(scope, tenant_id),
                       bucket=bucket_name(settings.name_prefix, scope, tenant_id, "audit"),
                       key_secret=pseudonym_secret_name(scope, tenant_id))


def deployed(path: Path, tenant_id: str) -> TrailTarget:
    state = read_state(path)
    owner = tenant_owners(state.resources)
    mine = [r for r in state.resources if owner.get(r.urn) == tenant_id]
    tenant = next((r for r in mine if r.type == TENANT_TYPE), None)
    if tenant is None:
        raise InputError(f"{path}: no hipaachat:index:Tenant with tenantId {tenant_id} in this export; "
                         f"check --tenant, or export the stack that holds it")

    def value(kind: str, name: str, *keys: str) -> str:
        found = next((r for r in mine if r.type == kind and r.name == f"{tenant_id}-{name}"), None)
        props = {**found.inputs, **found.outputs} if found else {}
        got = next((props[k] for k in keys if isinstance(props.get(k), str) and props[k]), None)
        if not got:
            raise InputError(f"{path}: tenant {tenant_id} has no {kind} {tenant_id}-{name} with {keys[0]} in this "
                             f"export; deploy the trail (pulumi up), then export again")
        return got

    return TrailTarget(
        tenant_id=tenant_id, region=str(tenant.inputs.get("awsRegion") or ""),
        log_group=value("aws:cloudwatch/logGroup:LogGroup", "audit", "name"),
        bucket=value("aws:s3/bucket:Bucket", "audit-archive", "bucket", "id"),
        key_secret=value("aws:secretsmanager/secret:Secret", "pseudonym-key", "arn", "id"))
