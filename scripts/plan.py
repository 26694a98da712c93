"""`hipaachat plan`: an offline `pulumi preview --policy-pack policies/hipaa`.

Three steps, each through a real boundary: validate the catalog and stack file (bad input
stops here, exit 2), run `__main__.py` under Pulumi's mocks (scripts.capture), then send
every resource and the whole stack to the policy pack over the Analyzer gRPC protocol
(scripts.analyzer). The report follows DESIGN.md's plan JSON contract and never holds a
secret: resources are listed by type, name and URN only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pulumi
from pydantic import BaseModel, Field

from components.catalog import CatalogError, catalog_dir, load_catalog
from components.tags import TENANT_TYPE
from scripts.analyzer import PolicyPackProcess
from scripts.capture import run_program_sharded
from scripts.models import Violation, Waived, tenant_owners
from scripts.project import InputError, Project, StackConfig, load_stack, stack_config_for_pack

POLICY_PACK = Path("policies") / "hipaa"


class PlannedResource(BaseModel):
    type: str
    name: str
    urn: str


class TenantPlan(BaseModel):
    id: str
    residency: str
    cometchat_region: str
    aws_region: str
    resources: list[PlannedResource] = Field(default_factory=list)


class PlanTimings(BaseModel):
    program_seconds: float
    policy_seconds: float


class PlanReport(BaseModel):
    stack: str
    environment: str
    tenants: list[TenantPlan]
    resource_count: int
    violations: list[Violation] = Field(default_factory=list)
    waived: list[Waived] = Field(default_factory=list)
    timings: PlanTimings

    @property
    def blocked(self) -> bool:
        """A real `pulumi up` would be refused: some mandatory policy is violated."""
        return any(v.enforcement == "mandatory" for v in self.violations)


def validate_inputs(project: Project, stack: str) -> tuple[StackConfig, list[Path]]:
    """Everything a plan needs from the user's files, checked before anything runs."""
    config = load_stack(project, stack)
    try:
        entries = load_catalog(catalog_dir(project.root, stack), display_root=project.root)
    except CatalogError as exc:
        raise InputError(str(exc)) from exc
    # A residency shard (hipaachat:residencies) holds only its residencies; the program refuses the rest.
    misplaced = [f"{project.relative(e.path)}: residency: {e.tenant.residency} is not one of stack {stack}'s "
                 f"hipaachat:residencies; move it with `hipaachat shards move {e.tenant.id} --to STACK`"
                 for e in entries if not config.settings.allows(e.tenant.residency)]
    if misplaced:
        raise InputError("\n".join(misplaced))
    return config, [entry.path for entry in entries]


def build_plan(project: Project, stack: str, *, policies: bool = True,
               progress: Callable[[str], None] = lambda _: None,
               warn: Callable[[str], None] = lambda _: None, workers: int | None = None) -> PlanReport:
    """Plan one stack. `workers` caps the processes it uses (program shards, pack processes);
    default one per core. `hipaachat shards plan` lowers it when it plans several stacks at once."""
    config, tenant_files = validate_inputs(project, stack)
    progress(f"running the program for {len(tenant_files)} tenants under Pulumi mocks")
    started = time.perf_counter()
    for warning in config.warnings:
        warn(warning)
    try:
        resources = run_program_sharded(project.root, stack, config.values, config.secret_keys, tenant_files,
                                        workers=workers or os.cpu_count() or 1)
    except pulumi.ConfigMissingError as exc:
        raise InputError(f"{project.relative(project.stack_file(stack))}: {exc}") from exc
    program_seconds = time.perf_counter() - started

    violations: list[Violation] = []
    waived: list[Waived] = []
    started = time.perf_counter()
    if policies:
        progress(f"evaluating {len(resources)} resources against the policy pack")
        with PolicyPackProcess(project.root / POLICY_PACK, stack_config=stack_config_for_pack(config),
                               project="hipaachat", stack=stack, processes=workers) as pack:
            outcome = pack.analyze(resources)
        violations, waived = outcome.violations, outcome.waived
    policy_seconds = time.perf_counter() - started

    owner = tenant_owners(resources)
    plans: dict[str, TenantPlan] = {}
    for r in resources:
        if r.type == TENANT_TYPE:
            plans[r.name] = TenantPlan(id=r.name, residency=r.inputs["residency"],
                                       cometchat_region=r.inputs["cometchatRegion"], aws_region=r.inputs["awsRegion"])
    for r in resources:
        tenant = owner.get(r.urn)
        if tenant is not None and r.type != TENANT_TYPE:
            plans[tenant].resources.append(PlannedResource(type=r.type, name=r.name, urn=r.urn))
    return PlanReport(
        stack=stack,
        environment=config.settings.environment,
        tenants=sorted(plans.values(), key=lambda t: t.id),
        resource_count=len(resources),
        violations=violations,
        waived=waived,
        timings=PlanTimings(program_seconds=round(program_seconds, 3), policy_seconds=round(policy_seconds, 3)),
    )
