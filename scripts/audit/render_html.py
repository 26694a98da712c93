"""One self-contained HTML page: summary first, then controls, then tenants.

Self-contained means no network: inline CSS, no scripts, fonts or images, so the page opens on
an air-gapped laptop and prints the same years later. Long identifiers (URNs, hashes) wrap, so
the page stays readable at 80 columns; colour is never the only signal (every badge has text).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from scripts.audit.models import STACK_SCOPE, STATUS_ORDER, AuditReport, ControlResult, Finding

# A 1,000-tenant stack can have thousands of findings per control; the tenant sections hold them all.
FINDINGS_PER_CONTROL = 40
LABELS = {"pass": "pass", "fail": "FAIL", "waived": "waived", "advisory": "advisory",
          "not_applicable": "not applicable"}
CSS = """
:root { --fail: #b00020; --pass: #1b5e20; --waived: #0d47a1; --advisory: #8a5a00; --na: #555; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #fff;
       margin: 0 auto; padding: 1rem; max-width: 100ch; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: .2rem 0; } h2 { border-bottom: 2px solid #ccc; margin-top: 2rem; }
h3 { margin-bottom: .3rem; } h4 { margin: .8rem 0 .3rem; }
code { font: .9em ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
code.urn, code.hash { font-size: .8em; color: #333; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: .4rem 0; }
th, td { text-align: left; vertical-align: top; padding: .25rem .4rem; border-bottom: 1px solid #e3e3e3; }
table.kv th { width: 9rem; } table.list th { background: #f3f3f3; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: .85em; color: #fff;
         white-space: nowrap; margin: .05rem 0; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.waived { background: var(--waived); } .badge.advisory { background: var(--advisory); }
.badge.not_applicable { background: var(--na); }
.lead { font-size: 1.05rem; } .muted { color: #555; font-size: .85em; }
.note { border-left: 4px solid var(--advisory); padding: .3rem .6rem; background: #fff8e6; }
tr.detail td { background: #fafafa; font-size: .9em; } tr.detail ul { margin: 0; padding-left: 1.2rem; }
tr.drift td { background: #fff3f3; }
.screen { display: inline-block; border: 1px solid #999; border-radius: .5rem; padding: .2rem .5rem;
          background: #f7f7f7; font-family: system-ui, sans-serif; }
article.tenant { border: 1px solid #ddd; border-radius: .4rem; padding: .2rem .8rem .6rem; margin: 1rem 0; }
details summary { cursor: pointer; margin: .5rem 0; }
@media print {
  body { max-width: none; font-size: 11pt; } details { display: block; } details > summary { list-style: none; }
  article.tenant { break-inside: avoid-page; }
  .badge { border: 1px solid #000; color: #000; background: none !important; }
}
"""


@dataclass(frozen=True)
class _TenantControls:
    other: list[tuple[ControlResult, str]]
    passing: int


def _matrix(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "none"
    sees = entry.get("sees")
    clinical = "clinical content" if entry.get("clinical_content") else "no clinical content"
    return f"sees {', '.join(sees) if isinstance(sees, list) else sees}; {clinical}"


def _days(value: int | None) -> str:
    if value is None:
        return "unknown"
    return "never expire" if value == 0 else f"{value} days"


def _yesno(value: bool | None) -> str:
    return "unknown" if value is None else ("on" if value else "OFF")


def _scope_counts(control: ControlResult) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for scope in control.scopes:
        counts[scope.status] = counts.get(scope.status, 0) + 1
    return [(s, counts[s]) for s in STATUS_ORDER if s in counts]


def _open_findings(control: ControlResult) -> tuple[list[tuple[str, Finding]], int]:
    """The control's findings to list under it (failures first), and how many more there are."""
    found = [(s.scope if s.scope != STACK_SCOPE else "the stack", f) for s in control.scopes for f in s.findings]
    found.sort(key=lambda item: STATUS_ORDER.index(item[1].status))
    return found[:FINDINGS_PER_CONTROL], max(0, len(found) - FINDINGS_PER_CONTROL)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["lastline"] = lambda text: (text or "").strip().splitlines()[-1] if (text or "").strip() else ""
    return env


def render_html(report: AuditReport) -> str:
    by_tenant: dict[str, _TenantControls] = {t.id: _TenantControls([], 0) for t in report.tenants}
    passing: dict[str, int] = {t.id: 0 for t in report.tenants}
    for control in report.controls:
        for scope in control.scopes:
            if scope.scope in by_tenant:
                if scope.status == "pass":
                    passing[scope.scope] += 1
                else:
                    by_tenant[scope.scope].other.append((control, scope.status))
    tenant_controls = {k: _TenantControls(v.other, passing[k]) for k, v in by_tenant.items()}
    return _environment().get_template("report.html.j2").render(
        r=report, css=CSS.strip(), label=LABELS, statuses=STATUS_ORDER, scope_counts=_scope_counts,
        open_findings=_open_findings, tenant_controls=tenant_controls, matrix=_matrix, days=_days, yesno=_yesno)
