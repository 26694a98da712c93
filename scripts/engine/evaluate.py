"""Judge one stack as a deployment would: run the program under mocks, then the pack in both phases.

This is the engine every verb shares (`plan`, `promote`'s gates, `shards`, `audit`): validate
the inputs (bad input stops here, exit 2), run `__main__.py` under Pulumi's mocks
(scripts.engine.capture), then send every resource and the whole stack to the policy pack over
the Analyzer gRPC protocol (scripts.engine.analyzer), once as `pulumi preview` sees it and
once as the update does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi

from scripts.engine.analyzer import PolicyOutcome, PolicyPackProcess
from scripts.engine.capture import run_program_sharded
from scripts.engine.locate import locate
from scripts.engine.models import CapturedResource, Violation, Waived
from scripts.engine.phases import preview_view
from scripts.engine.state import write_state
from scripts.inputs import POLICY_PACK, validate_inputs
from scripts.project import InputError, Project, StackConfig, stack_config_for_pack

# About what one tenant registers (components/tenant.py and its parts: 52 today); it only decides
# how many pack processes start while the program runs, so a drift costs speed, never results.
TENANT_RESOURCES = 50


@dataclass(frozen=True)
class Evaluation:
    """What one run of the program and the pack established about a stack."""

    config: StackConfig
    resources: list[CapturedResource]
    outcome: PolicyOutcome
    program_seconds: float
    policy_seconds: float


def evaluate(project: Project, stack: str, *, policies: bool = True,
             deployed: Mapping[str, CapturedResource] | None = None,
             progress: Callable[[str], None] = lambda _: None,
             warn: Callable[[str], None] = lambda _: None,
             export_state: Path | None = None, workers: int | None = None) -> Evaluation:
    """Capture the stack's program and evaluate the pack in both phases of a deployment.

    `deployed` (URN -> resource, from a state file) are the resources that already exist: they
    keep their values in the preview phase. `export_state` receives the capture as a `pulumi
    stack export` file. `workers` caps the processes it uses (program shards, pack processes);
    default one per core. `hipaachat shards plan` lowers it when it plans several stacks at once.
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
            outcome = outcome.model_copy(update={"violations": locate(outcome.violations, project.root, stack)})
    finally:
        if pack is not None:
            pack.close()
    policy_seconds = time.perf_counter() - started
    return Evaluation(config=config, resources=resources, outcome=outcome,
                      program_seconds=program_seconds, policy_seconds=policy_seconds)


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
