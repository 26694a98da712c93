"""How a promotion and a check read at the terminal (rich) and to CI (JSON)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from scripts.promote.models import Gate, Problem, PromotionRecord


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


def problems_list(problems: list[Problem], src: str, dst: str, console: Console) -> None:
    """One problem per line, unwrapped: CI logs are read with grep, not at a terminal's width."""
    console.print(f"[bold red]promote --check {src} -> {dst}: {len(problems)} problem(s)[/]", highlight=False)
    for problem in problems:
        console.print(f"  {problem.file}: {problem.message}", highlight=False, soft_wrap=True)
        console.print(f"    fix: {problem.fix}", highlight=False, soft_wrap=True, style="dim")


def check_json(src: str, dst: str, problems: list[Problem], files: int, records: int) -> str:
    return json.dumps({"from": src, "to": dst, "ok": not problems, "tenant_files": files, "records": records,
                       "problems": [p.model_dump() for p in problems]}, indent=2)
