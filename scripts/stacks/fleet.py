"""An environment's fleet: its stacks, their settings and tenants, and the rules across them.

Within one stack the catalog loader refuses duplicate ids; across an environment's shards only
this module can: two shards deploying one tenant id would fight over the same physical names
(buckets, roles, log groups are named per environment, components.settings.naming_scope).
"""

from __future__ import annotations

from collections import defaultdict


from pydantic import BaseModel, ConfigDict

from components.files import STACK_FILE, InputFileError, read_yaml
from components.catalog import CatalogError, TenantFile, catalog_dir, load_catalog
from components.settings import NAMESPACE
from scripts.project import InputError, Project, StackConfig, load_stack, stack_config
from scripts.project.environments import Drift, members, stack_drift


class FleetStack(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    config: StackConfig
    tenants: list[TenantFile]


class Fleet(BaseModel):
    model_config = ConfigDict(frozen=True)

    environment: str
    stacks: list[FleetStack]


def has_tenants(project: Project, stack: str) -> bool:
    """A new shard starts empty; that is not the stack-name typo an empty catalog usually is."""
    directory = catalog_dir(project.root, stack)
    return any(directory.glob("*.yaml")) or any(directory.glob("*.yml"))


def load_fleet(project: Project, environment: str) -> Fleet:
    """Every stack of `environment` with its settings and tenants; all bad input reported at once."""
    errors: list[str] = []
    stacks: list[FleetStack] = []
    names = members(project, environment)
    if not names:
        raise InputError(f"no {environment} stacks in {project.relative(project.stack_config_dir)}; "
                         f"create one with `hipaachat stacks new {environment}-NAME --environment {environment}`")
    for name in names:
        try:
            stacks.append(_member(project, name))
        except (InputError, InputFileError, CatalogError) as exc:
            errors.append(str(exc))
    if errors:
        raise InputError("\n".join(errors))
    return Fleet(environment=environment, stacks=stacks)


def fleet_problems(fleet: Fleet) -> list[Drift]:
    """What no single stack can see: a tenant in two shards, a tenant outside its shard's residencies."""
    found: list[Drift] = []
    where: dict[str, list[str]] = defaultdict(list)
    for stack in fleet.stacks:
        for entry in stack.tenants:
            where[entry.tenant.id].append(stack.name)
            if not stack.config.settings.allows(entry.tenant.residency):
                found.append(Drift(
                    stack=stack.name, key=f"{NAMESPACE}:residencies",
                    problem=f"tenant {entry.tenant.id} has residency {entry.tenant.residency}, which this stack "
                            f"does not hold ({', '.join(stack.config.settings.residencies or [])})",
                    fix=f"move it with `hipaachat shards move {entry.tenant.id} --to STACK`"))
    for tenant_id, stacks in sorted(where.items()):
        if len(stacks) > 1:
            for name in stacks:
                found.append(Drift(
                    stack=name, key=f"tenant {tenant_id}",
                    problem=f"also in {', '.join(s for s in stacks if s != name)}; a tenant id lives in one "
                            f"stack of an environment (they would share every physical name)",
                    fix="keep one file and remove the others"))
    return found


def check_environment(project: Project, environment: str) -> list[Drift]:
    """Every drift and fleet problem of one environment (bad files are reported as drift too)."""
    found: list[Drift] = []
    clean: list[tuple[str, dict]] = []
    for name in members(project, environment):
        raw = _raw_config(project, name)
        if isinstance(raw, Drift):
            found.append(raw)
            continue
        drift = stack_drift(project, name, raw)
        found += drift
        if not drift:
            clean.append((name, raw))
    stacks = []
    for name, raw in clean:
        try:
            stacks.append(_member(project, name, raw))
        except (InputError, InputFileError, CatalogError) as exc:
            found.append(Drift(stack=name, key="(files)", problem=str(exc), fix="fix the file named above"))
    return found + fleet_problems(Fleet(environment=environment, stacks=stacks))


def _raw_config(project: Project, stack: str) -> dict | Drift:
    path = project.stack_file(stack)
    try:
        data = read_yaml(path, STACK_FILE, root=project.root, shown=project.relative(path)) or {}
    except InputFileError as exc:
        return Drift(stack=stack, key=project.relative(path), problem=exc.detail(), fix="fix the file")
    config = data.get("config") if isinstance(data, dict) else None
    if config is not None and not isinstance(config, dict):
        return Drift(stack=stack, key="config", problem="must be a mapping", fix="fix the stack file")
    return config or {}


def _member(project: Project, name: str, raw: dict | None = None) -> FleetStack:
    """One stack of the fleet with its settings and catalog, read through the bounded readers.

    `raw`: the stack file's `config:` mapping, when the caller has already checked its drift.
    """
    config = load_stack(project, name) if raw is None else stack_config(project, name, raw)
    tenants = (load_catalog(catalog_dir(project.root, name), display_root=project.root)
               if has_tenants(project, name) else [])
    return FleetStack(name=name, config=config, tenants=tenants)
