"""The `hipaachat` operator CLI.

Exit codes are a contract CI relies on: 0 success, 1 a mandatory policy violation or a
policy pack that failed (a real deploy would be blocked either way), 2 bad input (the message
names file, field and fix).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.analyzer import PolicyPackError
from scripts.emulator.command import emulator
from scripts.plan import build_plan
from scripts.project import InputError, Project
from scripts.render import render_plan_table
from scripts.shards import shards
from scripts.stacks import stacks
from scripts.tenants import tenants

EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2

stderr = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--cwd", "cwd", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Run in this project directory instead of the current one (like `pulumi --cwd`).")
@click.pass_context
def main(ctx: click.Context, cwd: Path | None) -> None:
    """Tenant-isolated, HIPAA-grade healthcare messaging on CometChat and AWS, as Pulumi code.

    A tenant is a YAML file under stacks/tenants/<stack>/; `pulumi up` provisions it and the
    policy pack in policies/hipaa refuses anything that breaks isolation or retention.
    Commands find the project like `pulumi` does: Pulumi.yaml here or in a parent, or --cwd.

    \b
    Start here:
      hipaachat plan --stack local          offline preview + policy pack, no credentials
      hipaachat tenants validate --stack local
      hipaachat tenants new --stack local my-clinic --residency eu
    """
    ctx.obj = cwd


def _project(ctx: click.Context) -> Project:
    return Project.find(ctx.obj)


@main.command()
@click.option("--stack", "-s", required=True, help="Stack name: stacks/Pulumi.<stack>.yaml and stacks/tenants/<stack>/.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people, json for CI and auditors (DESIGN.md contract).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON report to this file (the table still prints).")
@click.option("--no-policies", is_flag=True, help="Skip the policy pack (faster; never use it to gate a deploy).")
@click.pass_context
def plan(ctx: click.Context, stack: str, fmt: str, out: Path | None, no_policies: bool) -> None:
    """Preview a stack offline and check it against the HIPAA policy pack.

    Runs the Pulumi program under Pulumi's own mocks (no credentials, no network, no Pulumi
    CLI), sends every resource and the whole stack to policies/hipaa over the same Analyzer
    gRPC protocol `pulumi preview --policy-pack` uses, and reports per tenant.

    \b
    Exit codes: 0 no mandatory violation; 1 a mandatory violation (a real deploy would be
    blocked); 2 bad input (a tenant file or the stack file; the message says where and how to fix).

    \b
    Examples:
      hipaachat plan --stack local
      hipaachat plan --stack production --format json --out plan.json
    """
    try:
        project = _project(ctx)
        # A spinner with elapsed time: large catalogs take minutes, and silence reads as a hang.
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=stderr, transient=True) as bar:
            task = bar.add_task(f"planning stack {stack}")
            report = build_plan(project, stack, policies=not no_policies,
                                progress=lambda msg: bar.update(task, description=f"{stack}: {msg}"),
                                warn=lambda msg: stderr.print(f"[yellow]warning:[/] {msg}", highlight=False,
                                                              soft_wrap=True))
    except InputError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(EXIT_BAD_INPUT)
    except PolicyPackError as exc:
        # Fail closed: `pulumi preview --policy-pack` would fail here too, so nothing may deploy.
        stderr.print(f"[bold red]error:[/] the policy pack failed, so the plan cannot pass: {exc}",
                     markup=True, highlight=False, soft_wrap=True)
        sys.exit(EXIT_BLOCKED)
    document = report.model_dump_json(indent=2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader (CI, an auditor's tooling) never sees half a report.
        partial = out.with_name(f".{out.name}.partial")
        partial.write_text(document + "\n")
        partial.replace(out)
    if fmt == "json":
        click.echo(document)
    else:
        render_plan_table(report, Console())
    sys.exit(EXIT_BLOCKED if report.blocked else 0)


main.add_command(tenants)
main.add_command(emulator)
main.add_command(stacks)
main.add_command(shards)
