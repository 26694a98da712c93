"""`hipaachat plan --format markdown`: a short plan for PR comments and `$GITHUB_STEP_SUMMARY`.

A per-tenant table, the violations (with the phase that raises each one: `preview` findings stop
a real `pulumi preview`, `update` findings only the update), what changes against a deployed
state (`--state`), offboarded tenants and how long their evidence is kept, and the waivers in
force with the days each has left, so a reviewer sees what expires before merging.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from scripts.engine.locate import distinct
from scripts.plan.report import PlanReport

PHASES = {"preview": "pulumi preview", "update": "pulumi up only"}


def _cell(text: object) -> str:
    """Table-safe: a pipe or newline in a message would break the row."""
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    return ([f"| {' | '.join(header)} |", f"|{'|'.join('---' for _ in header)}|"]
            + [f"| {' | '.join(_cell(c) for c in row)} |" for row in rows])


def render_plan_markdown(report: PlanReport, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    verdict = ("**BLOCKED**: a mandatory policy is violated; `pulumi up` would be refused" if report.blocked
               else "**OK**: no mandatory policy violation")
    lines = [f"### hipaachat plan: stack `{report.stack}` ({report.environment})", "",
             f"{verdict} · {report.resource_count} resources in {len(report.tenants)} tenant(s)", ""]
    mandatory = Counter(v.tenant for v in report.violations if v.enforcement == "mandatory")
    advisory = Counter(v.tenant for v in report.violations if v.enforcement != "mandatory")
    lines += _table(["tenant", "residency", "CometChat / AWS region", "resources", "mandatory", "advisory"],
                    [[f"`{t.id}`", t.residency, f"{t.cometchat_region} / {t.aws_region}", len(t.resources),
                      mandatory.get(t.id, 0), advisory.get(t.id, 0)] for t in report.tenants])
    if report.violations:
        # a tenant-file finding two policies raise reads once (scripts.engine.locate.distinct)
        ordered = sorted(distinct(report.violations),
                         key=lambda v: (v.enforcement != "mandatory", v.policy, v.tenant or ""))
        rows = [[("error" if v.enforcement == "mandatory" else "warning"), f"`{v.policy}`", v.tenant or "(stack)",
                 PHASES[v.phase], v.located()] for v in ordered]
        lines += ["", f"#### Violations ({len(ordered)})", "",
                  *_table(["level", "policy", "tenant", "raised by", "message"], rows)]
    if report.deferred:
        lines += ["", f"{report.deferred_checks} check(s) a real `pulumi preview` cannot make yet (values unknown "
                  "until created) were made in the update phase."]
    if report.changes is not None:
        changes = report.changes
        lines += ["", f"#### Changes against `{changes.state_file}`", "",
                  f"{changes.creates} to create, {changes.updates} with changed inputs, {changes.deletes} to delete. "
                  f"_{changes.note}_", ""]
        lines += _table(["tenant", "create", "update", "delete", "deleted resources"],
                        [[t.tenant or "(stack)", len(t.creates), len(t.updates), len(t.deletes),
                          ", ".join(f"`{d.name}`" for d in t.deletes[:6]) + (" ..." if len(t.deletes) > 6 else "")]
                         for t in changes.tenants])
    if report.lifecycle:
        lines += ["", "#### Offboarded tenants", "",
                  *_table(["tenant", "state", "offboarded on", "evidence kept until", "deploys"],
                          [[f"`{t.tenant}`", t.state, t.offboarded_on, t.evidence_until or "never", t.deploys]
                           for t in report.lifecycle])]
    if report.waived:
        rows = [[f"`{w.policy}`", w.tenant or w.urn or "", w.expires,
                 (dt.date.fromisoformat(w.expires) - today).days, w.approved_by, w.reason] for w in report.waived]
        lines += ["", f"#### Waivers in force ({len(report.waived)})", "",
                  *_table(["policy", "tenant / URN", "expires", "days left", "approved by", "reason"], rows)]
    return "\n".join(lines) + "\n"
