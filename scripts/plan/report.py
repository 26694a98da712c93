"""The `hipaachat plan` report: what the engine found, per tenant, in the plan JSON contract (README).

The report never holds a secret: resources are listed by type, name and URN only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from components.catalog import catalog_dir, load_catalog
from components.lifecycle import today
from components.tags import TENANT_TYPE
from scripts.engine.evaluate import evaluate
from scripts.engine.models import CapturedResource, Deferred, Violation, Waived, tenant_owners
from scripts.engine.state.models import PendingOperation
from scripts.plan.state import StateChanges, TenantLifecycle, compare, lifecycle_of
from scripts.project import Project


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
               workers: int | None = None,
               pending_operations: Sequence[PendingOperation] = ()) -> PlanReport:
    """The plan report of one stack: the engine's evaluation, the tenants' lifecycle and, with a state, the changes.

    `deployed` (URN -> resource, from a state file) are the resources that already exist: the
    plan reports what would change in them (scripts.plan.state). The other arguments are
    scripts.engine.evaluate's.
    """
    run = evaluate(project, stack, policies=policies, deployed=deployed, progress=progress, warn=warn,
                   export_state=export_state, workers=workers)
    config, resources, outcome = run.config, run.resources, run.outcome

    # validated above; the catalog is cached by content, so this is no second parse
    catalog = [entry.tenant for entry in load_catalog(catalog_dir(project.root, stack), display_root=project.root)]
    standing, notices = lifecycle_of(catalog, stack, config.settings.environment == "production", today())
    violations = [*outcome.violations, *notices]
    changes = None
    if deployed is not None:
        changes, blocked = compare(resources, deployed, state_file=state_file, catalog=catalog, stack=stack,
                                   today=today(), pending_operations=pending_operations)
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
        timings=PlanTimings(program_seconds=round(run.program_seconds, 3),
                            policy_seconds=round(run.policy_seconds, 3)),
    )
