"""Plan every stack of an environment in parallel processes, each with the real policy pack.

Each stack is one `scripts.plan.build_plan` (the same code as `hipaachat plan --stack`) in a
worker process of its own: stacks share nothing (own config, own catalog, own pack process),
so a crash or a slow stack cannot corrupt another's result. Inputs are validated for the whole
environment first, so bad input stops everything before any work starts (exit 2).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from scripts.project import InputError, Project
from scripts.shards.models import StackSummary

Progress = Callable[[str, str], None]


def _plan_stack(root: str, stack: str, workers: int) -> tuple[str, dict | str]:
    """Runs in a worker: ("ok", summary) | ("input", message) | ("pack", message)."""
    from scripts.engine.analyzer import PolicyPackError
    from scripts.plan.report import build_plan

    started = time.perf_counter()
    try:
        report = build_plan(Project.find(Path(root)), stack, workers=workers)
    except InputError as exc:
        return "input", str(exc)
    except PolicyPackError as exc:
        return "pack", str(exc)
    return "ok", StackSummary(
        stack=stack, tenants=[t.id for t in report.tenants], resource_count=report.resource_count,
        violations=report.violations, waived=report.waived, blocked=report.blocked,
        seconds=round(time.perf_counter() - started, 3)).model_dump()


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def plan_stacks(project: Project, stacks: list[str], *, jobs: int, empty: set[str],
                progress: Progress = lambda _stack, _state: None) -> list[StackSummary]:
    """Plan `stacks` with up to `jobs` at once; stacks in `empty` (no tenants yet) are reported, not run."""
    results: dict[str, StackSummary] = {
        s: StackSummary(stack=s, tenants=[], resource_count=0, blocked=False) for s in stacks if s in empty}
    todo = [s for s in stacks if s not in empty]
    problems: list[str] = []
    if todo:
        # forkserver: workers fork from a clean, single-threaded server that imported the planner
        # once (this process runs progress threads a plain fork would copy mid-flight).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["scripts.plan.report"])
        concurrent = max(1, min(jobs, len(todo)))
        # The cores are shared out: stacks planned side by side each run one program process and
        # one pack process; a stack planned alone (a --changed-since run) uses every core.
        per_stack = max(1, (os.cpu_count() or 1) // concurrent)
        with ProcessPoolExecutor(max_workers=concurrent, mp_context=context) as pool:
            running = {}
            for stack in todo:
                running[pool.submit(_plan_stack, str(project.root), stack, per_stack)] = stack
                progress(stack, "queued")
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    stack = running.pop(future)
                    kind, payload = future.result()
                    if kind == "input":
                        problems.append(str(payload))
                        progress(stack, "bad input")
                    elif kind == "pack":
                        results[stack] = StackSummary(stack=stack, tenants=[], resource_count=0, blocked=True,
                                                      error=f"the policy pack failed, so the plan cannot pass: "
                                                            f"{payload}")
                        progress(stack, "policy pack failed")
                    else:
                        results[stack] = StackSummary.model_validate(payload)
                        progress(stack, "blocked" if results[stack].blocked else "ok")
    if problems:
        raise InputError("\n".join(problems))
    return [results[s] for s in stacks]
