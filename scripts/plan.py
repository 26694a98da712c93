"""`hipaachat plan`: an offline `pulumi preview --policy-pack policies/hipaa`.

Three steps, each through a real boundary: validate the catalog and stack file (bad input
stops here, exit 2), run `__main__.py` under Pulumi's mocks (scripts.capture), then send
every resource and the whole stack to the policy pack over the Analyzer gRPC protocol
(scripts.analyzer). The report follows the plan JSON contract (README) and never holds a
secret: resources are listed by type, name and URN only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pulumi
from pydantic import BaseModel, Field

from components.tags import TENANT_TYPE
from scripts.analyzer import PolicyOutcome, PolicyPackProcess
from scripts.capture import run_program_sharded
from components.catalog import catalog_dir, load_catalog
from components.lifecycle import today
from scripts.inputs import POLICY_PACK, validate_inputs
from scripts.models import CapturedResource, Deferred, Violation, Waived, tenant_owners
from scripts.phases import preview_view
from scripts.plan_state import StateChanges, TenantLifecycle, compare, lifecycle_of
from scripts.project import InputError, Project, stack_config_for_pack
from scripts.state import write_state


# About what one tenant registers (components/tenant.py and its parts: 52 today); it only decides
# how many pack processes start while the program runs, so a drift costs speed, never results.
TENANT_RESOURCES = 50


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
    # Checks a real `pulumi preview` cannot make yet (values unknown until created); the update phase made them.
    deferred: list[Deferred] = Field(default_factory=list)
    lifecycle: list[TenantLifecycle] = Field(default_factory=list)
    changes: StateChanges | None = None
    timings: PlanTimings

    @property
    def blocked(self) -> bool:
        """A real `pulumi up` would be refused: some mandatory policy is violated."""
        return any(v.enforcement == "mandatory" for v in self.violations)

    @property
    def deferred_checks(self) -> int:
        """Distinct checks (policy, resource) a real preview defers: one may be reported more than once."""
        return len({(d.policy, d.urn) for d in self.deferred})


def build_plan(project: Project, stack: str, *, policies: bool = True,
               deployed: Mapping[str, CapturedResource] | None = None,
               progress: Callable[[str], None] = lambda _: None,
               warn: Callable[[str], None] = lambda _: None,
               state_file: str = "the deployed state", export_state: Path | None = None,
               workers: int | None = None) -> PlanReport:
    """Capture the stack's program and evaluate the pack in both phases of a deployment.

    `deployed` (URN -> resource, from a state file) are the resources that already exist: they
    keep their values in the preview phase, and the plan reports what would change in them
    (scripts.plan_state). `export_state` receives the capture as a `pulumi stack export` file.
    `workers` caps the processes it uses (program shards, pack processes); default one per core.
    `hipaachat shards plan` lowers it when it plans several stacks at once.
    """
    config, tenant_files = validate_inputs(project, stack)
    pack = PolicyPackProcess(project.root / POLICY_PACK, stack_config=stack_config_for_pack(config),
                             project="hipaachat", stack=stack, processes=workers) if policies else None
    outcome = PolicyOutcome()
    try:
        if pack is not None:  # the pack processes start while the program runs
            pack.spawn(expected_resources=len(tenant_files) * TENANT_RESOURCES)
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
        if export_state is not None:
            write_state(export_state, resources, stack=stack)

        started = time.perf_counter()
        if pack is not None:
            pack.start()
            progress(f"evaluating {len(resources)} resources as `pulumi preview` sees them (values unknown)")
            preview = pack.analyze(preview_view(resources, deployed or {}), phase="preview")
            progress(f"evaluating {len(resources)} resources as `pulumi up` sees them (values resolved)")
            outcome = merge_phases(preview, pack.analyze(resources, phase="update"))
    finally:
        if pack is not None:
            pack.close()
    policy_seconds = time.perf_counter() - started

    # validated above; the catalog is cached by content, so this is no second parse
    catalog = [entry.tenant for entry in load_catalog(catalog_dir(project.root, stack), display_root=project.root)]
    standing, notices = lifecycle_of(catalog, stack, config.settings.environment == "production", today())
    violations = [*outcome.violations, *notices]
    changes = None
    if deployed is not None:
        changes, blocked = compare(resources, deployed, state_file=state_file, catalog=catalog, stack=stack,
                                   today=today())
        violations = [*violations, *blocked]

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
        waived=outcome.waived,
        deferred=outcome.deferred,
        lifecycle=standing,
        changes=changes,
        timings=PlanTimings(program_seconds=round(program_seconds, 3), policy_seconds=round(policy_seconds, 3)),
    )


def merge_phases(preview: PolicyOutcome, update: PolicyOutcome) -> PolicyOutcome:
    """One finding list for both phases: what a preview raises, then what only the update raises.

    A finding raised in both phases is reported once, as `preview` (the earliest a real
    deployment would be refused).
    """
    def key(finding: Violation | Waived) -> tuple[str, str | None, str]:
        return finding.policy, finding.urn, finding.message

    seen = {key(v) for v in preview.violations}
    violations = preview.violations + [v for v in update.violations if key(v) not in seen]
    waived_seen = {key(w) for w in preview.waived}
    waived = preview.waived + [w for w in update.waived if key(w) not in waived_seen]
    return PolicyOutcome(violations=violations, waived=waived, deferred=preview.deferred, policies=update.policies)
