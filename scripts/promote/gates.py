"""The gates a tenant passes before its file may enter the destination stack.

Each gate reports pass/fail, what it saw, and the fix. The destination plan runs on a copy of
the project with the tenant files added, so evaluating the gates never touches the user's
working tree: a refused promotion writes nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from components.catalog import catalog_dir, parse_tenant
from components.files import decode
from components.findings import position, span_offset, where
from components.phi import template_problem
from policies.hipaa.controls import CONTROLS
from scripts.engine.models import Violation
from scripts.plan.report import PlanReport, build_plan
from scripts.project import InputError, Project
from scripts.promote import gitinfo
from scripts.promote.models import Gate, WaiverUse
from scripts.promote.records import canonical, digest

# A waiver expiring this soon is a warning: the promoted tenant will be blocked when it lapses.
WAIVER_WARNING_DAYS = 30
# What the copy of the project leaves out: history, environments and caches a plan never reads.
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache",
                                     "*.egg-info", ".pulumi")


@dataclass
class Evaluation:
    gates: list[Gate]
    plan_sha256: str
    plan_json: bytes
    waivers: list[WaiverUse]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)


def _fix_for(violations: Sequence[Violation]) -> str:
    fixes = dict.fromkeys(CONTROLS[v.policy].fix for v in violations if v.policy in CONTROLS)
    return " ".join(fixes) or "Fix the violations listed, then run the promotion again."


def _describe(violations: Sequence[Violation], limit: int = 6) -> str:
    lines = [f"{v.policy} ({v.tenant or 'stack'}): {v.located()}" for v in violations[:limit]]
    if len(violations) > limit:
        lines.append(f"... and {len(violations) - limit} more (run hipaachat plan for the full list)")
    return "; ".join(lines)


def _plan_gate(name: str, report: PlanReport, relevant: Callable[[Violation], bool], where: str) -> Gate:
    blocking = [v for v in report.violations if v.enforcement == "mandatory" and relevant(v)]
    if not blocking:
        advisory = sum(1 for v in report.violations if relevant(v))
        note = f" ({advisory} advisory finding(s))" if advisory else ""
        return Gate(name=name, passed=True, detail=f"{where}: no mandatory violation{note}")
    return Gate(name=name, passed=False, detail=f"{where}: {len(blocking)} mandatory violation(s): "
                f"{_describe(blocking)}", fix=_fix_for(blocking))


def committed_gate(project: Project, files: Sequence[Path], allow_dirty: bool) -> Gate:
    problems = [f"{project.relative(f)}: {why}" for f in files if (why := gitinfo.uncommitted(project.root, f))]
    if not problems:
        return Gate(name="committed", passed=True, detail="every tenant file is committed at HEAD")
    if allow_dirty:
        return Gate(name="committed", passed=True, warning=True,
                    detail=f"allowed by --allow-dirty: {'; '.join(problems)}")
    return Gate(name="committed", passed=False, detail="; ".join(problems),
                fix="Commit the tenant file (git add + git commit) so the record can name the commit, "
                    "or pass --allow-dirty for a local trial.")


def templates_gate(files: Mapping[Path, bytes], project: Project) -> Gate:
    """Strict PHI linting, as `tenants validate --strict`: any finding in any channel fails (each channel by its
    own linter, worded and placed as `tenants validate` and `plan` say it).

    Raises InputError for a file that is not a valid tenant (bad YAML, not a mapping, schema
    errors), as the catalog loader would report it, instead of crashing on it.
    """
    findings = []
    for path, content in files.items():
        shown = project.relative(path)
        tenant, issues = parse_tenant(decode(content, shown), shown, path.stem, path.suffix)
        if tenant is None:
            raise InputError("\n".join(str(issue) for issue in issues))
        source = decode(content, shown)
        for channel, text in tenant.notifications.model_dump().items():
            # The words and place `tenants validate` and `plan` use (components.findings).
            if problem := template_problem(channel, text):
                line, column = position(source, f"notifications.{channel}", span_offset(problem))
                findings.append(f"{where(shown, line, column)}: {problem}")
    if not findings:
        return Gate(name="templates-phi-free", passed=True, detail="every notification template is pointer-only "
                    "under strict linting")
    return Gate(name="templates-phi-free", passed=False, detail="; ".join(findings),
                fix=CONTROLS["notifications-email-sms-phi-free"].fix)


def _relied_on(report: PlanReport, tenants: set[str], today: dt.date) -> tuple[Gate, list[WaiverUse]]:
    # A waiver names a tenant or one resource's URN; both apply to the promoted tenants when the
    # waived finding is on one of their resources.
    theirs = {r.urn for plan in report.tenants if plan.id in tenants for r in plan.resources}
    used = [w for w in report.waived if w.tenant in tenants or (w.urn is not None and w.urn in theirs)]
    uses = [WaiverUse(policy=w.policy, tenant=w.tenant, urn=w.urn, expires=w.expires, approved_by=w.approved_by,
                      reason=w.reason) for w in used]
    uses = list({u.model_dump_json(): u for u in uses}.values())
    if not uses:
        return Gate(name="waivers", passed=True, detail="relies on no waiver"), uses
    soon, listed = [], []
    for use in uses:
        left = (dt.date.fromisoformat(use.expires) - today).days
        listed.append(f"{use.policy} ({use.tenant or use.urn}) expires {use.expires}, {left} day(s) left")
        if left <= WAIVER_WARNING_DAYS:
            soon.append(use.policy)
    gate = Gate(name="waivers", passed=True, warning=bool(soon), detail="; ".join(listed),
                fix=(f"Renew or retire {', '.join(soon)} in policies/waivers.yaml before it lapses, or fix the "
                     "underlying violation." if soon else None))
    return gate, uses


def evaluate(project: Project, src: str, dst: str, files: Mapping[Path, bytes], *, allow_dirty: bool,
             progress: Callable[[str], None] = lambda _: None, warn: Callable[[str], None] = lambda _: None,
             today: dt.date | None = None) -> Evaluation:
    """Run every gate on `files` (source path -> the exact bytes that will be promoted).

    Raises InputError (bad input: a malformed stack or tenant file) from the plans.
    """
    ids = {f.stem for f in files}
    gates = [committed_gate(project, files, allow_dirty), templates_gate(files, project)]
    progress(f"planning {src} (the source stack)")
    source = build_plan(project, src, warn=warn)
    gates.append(_plan_gate("source-plan", source, lambda v: v.tenant in ids or v.tenant is None,
                            f"{', '.join(sorted(ids))} in {src}"))
    with tempfile.TemporaryDirectory(prefix="hipaachat-promote-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(project.root, copy, ignore=_NOT_COPIED, symlinks=True)
        target = catalog_dir(copy, dst)
        target.mkdir(parents=True, exist_ok=True)
        for path, content in files.items():
            (target / path.name).write_bytes(content)
        progress(f"planning {dst} with {', '.join(sorted(ids))} added (on a copy of the project)")
        destination = build_plan(Project.find(copy), dst, warn=warn)
    gates.append(_plan_gate("destination-plan", destination, lambda v: True, f"{dst} with the tenant added"))
    waiver_gate, uses = _relied_on(destination, ids, today or dt.date.today())
    gates.append(waiver_gate)
    plan_json = canonical(destination.model_dump(mode="json", exclude={"timings"}))
    return Evaluation(gates=gates, plan_sha256=digest(plan_json), plan_json=plan_json, waivers=uses)
