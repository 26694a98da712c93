"""The `shards plan` table: one row per stack, then the mandatory findings that block."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scripts.shards.models import ShardsReport


def render_shards_table(report: ShardsReport, console: Console) -> None:
    table = Table(title=f"hipaachat shards plan · {report.environment}", title_justify="left")
    for column, justify in (("stack", "left"), ("tenants", "right"), ("resources", "right"),
                            ("mandatory", "right"), ("advisory", "right"), ("policy", "center")):
        table.add_column(column, justify=justify, no_wrap=True)
    for s in report.stacks:
        mandatory = sum(v.enforcement == "mandatory" for v in s.violations)
        advisory = sum(v.enforcement == "advisory" for v in s.violations)
        verdict = ("[red]pack failed[/]" if s.error else "[red]BLOCKED[/]" if s.blocked
                   else "[dim]no tenants yet[/]" if not s.tenants else "[green]ok[/]")
        table.add_row(s.stack, str(len(s.tenants)), str(s.resource_count), str(mandatory), str(advisory), verdict)
    console.print(table)
    for s in report.stacks:
        if s.error:
            console.print(f"[red]{s.stack}[/]: {escape(s.error)}", highlight=False)
        for v in s.violations:
            if v.enforcement == "mandatory":
                console.print(f"[red]{s.stack}[/] · [bold]{v.policy}[/] · {v.tenant or '(stack)'}: "
                              f"{escape(v.located())}", highlight=False)
    if report.changed_since is not None:
        scope = report.changed_since
        why = f" (every stack: {scope.all_because} changed)" if scope.all_because else ""
        console.print(f"changed since {scope.ref} ({scope.commit[:12]}){why}; unchanged, not planned: "
                      f"{', '.join(report.unchanged) or 'none'}", highlight=False)
    verdict = ("[bold red]BLOCKED[/]: a mandatory policy is violated in some stack; its `pulumi up` would be "
               "refused" if report.blocked else "[bold green]OK[/]: no mandatory policy violation in any stack")
    console.print(f"{len(report.stacks)} stacks planned · {verdict}")
