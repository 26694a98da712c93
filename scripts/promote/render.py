"""How a promotion and a check read at the terminal (rich) and to CI (JSON)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from scripts.promote.models import Gate, Pending, PromotionRecord

if TYPE_CHECKING:
    from scripts.promote.check import CheckResult


def gates_table(gates: list[Gate], title: str, console: Console) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("gate", "result", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for gate in gates:
        result = "[yellow]warn[/]" if gate.passed and gate.warning else "[green]pass[/]" if gate.passed else "[red]FAIL[/]"
        table.add_row(gate.name, result, gate.detail, gate.fix or "")
    console.print(table)


def outcome_json(*, status: str, src: str, dst: str, tenants: list[str], gates: list[Gate],
                 record: PromotionRecord | None, plan_sha256: str | None) -> str:
    """status: promoted | refused | dry-run | identical."""
    return json.dumps({
        "status": status, "from": src, "to": dst, "tenants": tenants,
        "gates": [g.model_dump() for g in gates], "plan_sha256": plan_sha256,
        "record": record.model_dump(by_alias=True, mode="json") if record else None,
    }, indent=2)


def gates_markdown(gates: list[Gate], title: str) -> str:
    """The gates as a markdown table, for the promotion pull request's body (never cut at a width)."""
    lines = [f"#### {title}", "", "| gate | result | detail | fix |", "| --- | --- | --- | --- |"]
    for gate in gates:
        result = "warn" if gate.passed and gate.warning else "pass" if gate.passed else "**FAIL**"
        cells = [f"`{gate.name}`", result, gate.detail, gate.fix or ""]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def _pending_lines(pending: list[Pending]) -> list[str]:
    states = {"new": "not yet promoted", "changed": "changed since its last promotion"}
    return [f"  pending promotion: {p.source} ({states[p.state]}); when ready: {p.command}" for p in pending]


def check_text(src: str, dst: str, result: CheckResult, console: Console) -> None:
    """One finding per line, unwrapped: CI logs are read with grep, not at a terminal's width."""
    stacks = ", ".join(result.stacks)
    if result.problems:
        console.print(f"[bold red]promote --check {src} -> {dst} ({stacks}): {len(result.problems)} problem(s)[/]",
                      highlight=False)
        for problem in result.problems:
            console.print(f"  {problem.file}: {problem.message}", highlight=False)
            console.print(f"    fix: {problem.fix}", highlight=False, style="dim")
    else:
        console.print(f"ok: {result.files} tenant file(s) in {stacks} are exactly what their promotion or move records "
                      f"say; {result.records} record(s), every chain intact", highlight=False)
    for line in _pending_lines(result.pending):
        console.print(line, highlight=False)


def check_markdown(src: str, dst: str, result: CheckResult) -> str:
    stacks = ", ".join(f"`{s}`" for s in result.stacks)
    lines = [f"### hipaachat promote --check: {src} -> {dst} ({stacks})", ""]
    if result.problems:
        lines += [f"**{len(result.problems)} problem(s)**: production changed outside `hipaachat promote`.", "",
                  "| file | problem | fix |", "| --- | --- | --- |"]
        lines += [f"| `{p.file}` | {p.message} | {p.fix} |" for p in result.problems]
    else:
        lines.append(f"ok: {result.files} tenant file(s) match their promotion or move records; {result.records} "
                     "record(s), every chain intact.")
    if result.pending:
        lines += ["", "**Pending promotion** (not a failure: promote when ready):", "",
                  "| tenant | source | state | command |", "| --- | --- | --- | --- |"]
        lines += [f"| `{p.tenant}` | `{p.source}` | {p.state} | `{p.command}` |" for p in result.pending]
    return "\n".join(lines)


def check_json(src: str, dst: str, result: CheckResult) -> str:
    return json.dumps({"from": src, "to": dst, "stacks": result.stacks, "ok": not result.problems,
                       "tenant_files": result.files, "records": result.records,
                       "problems": [p.model_dump() for p in result.problems],
                       "pending": [p.model_dump() for p in result.pending]}, indent=2)
