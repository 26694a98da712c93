"""`hipaachat shards move`: carry one tenant to another stack of its environment.

Two things move: the tenant file (done here, atomically) and the tenant's resources in Pulumi
state (done by `pulumi state move`, which only the user can run: it needs the backend). The
command to run is derived from the real program: the tenant is run alone under Pulumi's mocks
in its current stack, so the URNs printed are exactly the ones that stack's state holds.
Physical names follow the environment, not the stack (components.settings.naming_scope), so
after the move `pulumi preview -s TARGET` shows only the `hipaachat:stack` tag changing.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from pydantic import BaseModel

from components.catalog import TenantFile, catalog_dir
from components.files import TENANT_FILE, read_bytes
from components.settings import fleet_of
from scripts.engine.capture import project_view, run_program
from scripts.engine.models import tenant_owners
from scripts.project import InputError, Project, StackConfig
from scripts.promote.moves import MoveNotRecorded, record_move
from scripts.stacks.fleet import FleetStack, load_fleet


class MoveRefused(Exception):
    """The move would break a rule (environment or residency): exit 1, nothing changed."""


class MovePlan(BaseModel):
    tenant: str
    source: str
    target: str
    source_file: str
    target_file: str
    command: str
    # Every resource the command carries (the tenant's component and all its descendants).
    urns: list[str]


def plan_move(project: Project, tenant: str, target: str, source: str | None = None) -> MovePlan:
    environment = fleet_of(target)
    if environment is None or not project.stack_file(target).is_file():
        raise InputError(f"--to {target}: not a stack of an environment (stacks/Pulumi.{target}.yaml named "
                         "prototype[-*] or production[-*]); create it with `hipaachat stacks new`")
    holders = [s for s in project.stacks() if (catalog_dir(project.root, s) / f"{tenant}.yaml").is_file()]
    if source is not None and source not in holders:
        raise InputError(f"--from {source}: stacks/tenants/{source}/{tenant}.yaml does not exist")
    candidates = [source] if source else [s for s in holders if fleet_of(s) == environment]
    if not candidates:
        if holders:
            raise MoveRefused(f"tenant {tenant} is in {', '.join(holders)}, not in a {environment} stack: moves never "
                              "cross environments (that is a promotion, with its gates: hipaachat promote)")
        raise InputError(f"tenant {tenant}: no stacks/tenants/<stack>/{tenant}.yaml in any stack")
    if len(candidates) > 1:
        raise InputError(f"tenant {tenant} is in {', '.join(candidates)}; say which with --from "
                         "(and run `hipaachat stacks check`: an id belongs in one stack of an environment)")
    origin = candidates[0]
    if fleet_of(origin) != environment:
        raise MoveRefused(f"{origin} is a {fleet_of(origin) or 'standalone'} stack and {target} a {environment} "
                          "stack: moves never cross environments (that is a promotion: hipaachat promote)")
    if origin == target:
        raise InputError(f"tenant {tenant} is already in {target}")
    fleet = {s.name: s for s in load_fleet(project, environment).stacks}
    moving = next(t for t in fleet[origin].tenants if t.tenant.id == tenant)
    _check_residency(moving, fleet[target])
    urns, top = _tenant_urns(project, fleet[origin].config, moving)
    command = " ".join(["pulumi", "state", "move", "--source", shlex.quote(origin), "--dest", shlex.quote(target),
                        *(shlex.quote(u) for u in top)])
    return MovePlan(tenant=tenant, source=origin, target=target,
                    source_file=project.relative(moving.path),
                    target_file=project.relative(catalog_dir(project.root, target) / moving.path.name),
                    command=command, urns=urns)


def apply_move(project: Project, plan: MovePlan) -> None:
    """Move the file (one rename: it is never in both stacks, never in neither) and record it.

    The move record in both stacks' stacks/promotions/<stack>.jsonl is what lets
    `promote --check` accept the file in its new stack and its absence from the old one.
    """
    source = project.root / plan.source_file
    target = project.root / plan.target_file
    if target.exists():
        raise InputError(f"{plan.target_file} already exists")

    def rename() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    try:
        record_move(project.root, plan.tenant, plan.source, plan.target,
                    read_bytes(source, TENANT_FILE, root=project.root), rename)
    except MoveNotRecorded as exc:
        raise MoveRefused(str(exc)) from exc


def _check_residency(moving: TenantFile, target: FleetStack) -> None:
    if not target.config.settings.allows(moving.tenant.residency):
        raise MoveRefused(f"tenant {moving.tenant.id} has residency {moving.tenant.residency}; {target.name} holds only "
                          f"{', '.join(target.config.settings.residencies or [])} (hipaachat:residencies): its data "
                          "would be governed by another shard's residency rules. Pick a stack of its residency")


def _tenant_urns(project: Project, config: StackConfig, moving: TenantFile) -> tuple[list[str], list[str]]:
    """Every URN the source stack's state holds for this tenant, and the top-level ones.

    The real program runs for this tenant alone. `pulumi state move` carries children with
    their parent, so the command names only the top-level URNs (the Tenant component).
    """
    stack = config.name
    with tempfile.TemporaryDirectory(prefix="hipaachat-move-") as tmp:
        view = project_view(project.root, stack, [moving.path], Path(tmp) / "view")
        resources = run_program(view, stack, config.values, config.secret_keys)
    owner = tenant_owners(resources)
    # The capture's URNs are the engine's (scripts.engine.capture makes them as Deployment.generateURN does).
    owned = [r for r in resources if owner.get(r.urn) == moving.tenant.id]
    top = [r.urn for r in owned if owner.get(r.parent or "") != moving.tenant.id]
    return sorted(r.urn for r in owned), sorted(top)
