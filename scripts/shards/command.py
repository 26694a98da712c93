"""`hipaachat shards`: plan an environment's stacks together, a CI matrix, moves, Operator Stacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.project import InputError, Project
from scripts.shards.changes import affected_stacks
from scripts.shards.models import ShardsReport
from scripts.shards.planner import default_jobs, plan_stacks
from scripts.shards.render import render_shards_table
from scripts.stacks.environments import ENVIRONMENTS
from scripts.stacks.fleet import Fleet, fleet_problems, load_fleet

EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2
stderr = Console(stderr=True)

ENVIRONMENT = click.option("--environment", "-e", required=True, type=click.Choice(ENVIRONMENTS),
                           help="The environment whose stacks (ENV and ENV-*) to work on.")
CHANGED_SINCE = click.option("--changed-since", "ref", metavar="GIT_REF",
                             help="Only stacks whose tenant, stack or environment files changed since this git "
                                  "ref (every stack if the program, the pack or the waivers changed).")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    stderr.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


def checked_fleet(ctx: click.Context, environment: str) -> tuple[Project, Fleet]:
    """The environment's stacks, refused as bad input if any drifted or two shards share a tenant."""
    project = Project.find(ctx.obj)
    fleet = load_fleet(project, environment)
    problems = fleet_problems(fleet)
    if problems:
        raise InputError("\n".join(str(p) for p in problems))
    return project, fleet


def selected(project: Project, fleet: Fleet, ref: str | None) -> tuple[list[str], ShardsReport]:
    names = [s.name for s in fleet.stacks]
    if ref is None:
        return names, ShardsReport(environment=fleet.environment, stacks=[], blocked=False)
    chosen, scope = affected_stacks(project, names, fleet.environment, ref)
    return chosen, ShardsReport(environment=fleet.environment, stacks=[], blocked=False, changed_since=scope,
                                unchanged=[n for n in names if n not in chosen])


@click.group()
def shards() -> None:
    """An environment's stacks as one fleet: plan them together, fan out CI, move tenants, run the Operator.

    \b
    The stacks of an environment are ENV and ENV-* (see `hipaachat stacks --help`).
    Examples:
      hipaachat shards plan --environment production
      hipaachat shards plan --environment production --changed-since origin/main --format json
      hipaachat shards matrix --environment production --changed-since origin/main
      hipaachat shards move sunrise-clinic --to production-eu
      hipaachat shards operator --environment production --out deploy/operator \\
          --org acme --repo https://github.com/acme/hipaachat.git
    """


@shards.command("plan")
@ENVIRONMENT
@CHANGED_SINCE
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report here.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=default_jobs, show_default="one per core",
              help="Stacks planned at once, each in its own process with its own policy pack.")
@click.pass_context
def plan_command(ctx: click.Context, environment: str, ref: str | None, fmt: str, out: Path | None,
                 jobs: int) -> None:
    """Plan every stack of an environment (or only changed ones) with the HIPAA policy pack.

    Each stack is planned exactly like `hipaachat plan --stack NAME` (program under Pulumi's
    mocks, every resource through policies/hipaa over the Analyzer protocol), in parallel
    processes. JSON: {environment, stacks: [{stack, tenants, resource_count, violations,
    blocked}], blocked}.

    \b
    Exit codes: 0 no stack has a mandatory violation; 1 some stack would be refused (or its
    policy pack failed); 2 bad input in any stack (nothing is planned).

    \b
    Examples:
      hipaachat shards plan --environment prototype
      hipaachat shards plan --environment production --changed-since origin/main --format json --out shards.json
    """
    try:
        project, fleet = checked_fleet(ctx, environment)
        names, report = selected(project, fleet, ref)
        empty = {s.name for s in fleet.stacks if not s.tenants}
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=stderr, transient=True) as bar:
            tasks = {name: bar.add_task(f"{name}: waiting") for name in names}
            summaries = plan_stacks(project, names, jobs=jobs, empty=empty,
                                    progress=lambda s, state: bar.update(tasks[s], description=f"{s}: {state}"))
    except InputError as exc:
        fail(str(exc))
    report.stacks = summaries
    report.blocked = any(s.blocked for s in summaries)
    document = report.model_dump_json(indent=2)
    if out is not None:
        from scripts.stacks.files import write_atomically

        write_atomically(out, document + "\n")
    if fmt == "json":
        click.echo(document)
    else:
        render_shards_table(report, Console())
    sys.exit(EXIT_BLOCKED if report.blocked else 0)


@shards.command("matrix")
@ENVIRONMENT
@CHANGED_SINCE
@click.pass_context
def matrix(ctx: click.Context, environment: str, ref: str | None) -> None:
    """Print the GitHub Actions matrix of the environment's stacks: {"include": [{stack, ...}]}.

    One entry per stack that has tenants (and, with --changed-since, that a change affects),
    for `strategy.matrix: ${{ fromJSON(needs.<job>.outputs.matrix) }}`. An empty `include`
    means nothing to do: guard the matrix job with
    `if: fromJSON(needs.<job>.outputs.matrix).include[0] != null`.

    \b
    Examples:
      hipaachat shards matrix --environment production
      echo "matrix=$(hipaachat shards matrix -e production --changed-since origin/main)" >> "$GITHUB_OUTPUT"
    """
    try:
        project, fleet = checked_fleet(ctx, environment)
        names, _ = selected(project, fleet, ref)
    except InputError as exc:
        fail(str(exc))
    by_name = {s.name: s for s in fleet.stacks}
    include = [{"stack": name, "environment": environment, "tenants": len(by_name[name].tenants),
                "residencies": by_name[name].config.settings.residencies or ["us", "eu", "in"]}
               for name in names if by_name[name].tenants]
    click.echo(json.dumps({"include": include}, separators=(",", ":")))


@shards.command("move")
@click.argument("tenant")
@click.option("--to", "target", required=True, help="The stack to move the tenant to (same environment).")
@click.option("--from", "source", help="The stack it is in (found automatically within the environment).")
@click.option("--dry-run", is_flag=True, help="Print the plan and the command; move nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def move(ctx: click.Context, tenant: str, target: str, source: str | None, dry_run: bool, fmt: str) -> None:
    """Move TENANT's file to another stack and print the `pulumi state move` that carries its resources.

    Refuses (exit 1) a move across environments (that is `hipaachat promote`) or into a
    residency shard of another residency. The URNs come from running the real program for the
    tenant in its current stack. Run the printed command BEFORE any `pulumi up` of either
    stack: an `up` of the old stack first would try to delete what the tenant file no longer
    declares (its evidence is protected, so that `up` fails rather than deletes).

    \b
    Examples:
      hipaachat shards move sunrise-clinic --to production-eu --dry-run
      hipaachat shards move sunrise-clinic --to production-eu
    """
    from scripts.shards.move import MoveRefused, apply_move, plan_move

    try:
        project = Project.find(ctx.obj)
        planned = plan_move(project, tenant, target, source)
        if not dry_run:
            apply_move(project, planned)
    except MoveRefused as exc:
        fail(f"refused: {exc}", EXIT_BLOCKED)
    except InputError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps({**planned.model_dump(), "moved": not dry_run}, indent=2))
        return
    verb = "would move" if dry_run else "moved"
    click.echo(f"{verb} {planned.source_file} -> {planned.target_file}")
    click.echo(f"\nNext, before any `pulumi up` of {planned.source} or {planned.target}, move the tenant's "
               f"{len(planned.urns)} resources in Pulumi state (children move with the component):\n")
    click.echo(f"  {planned.command}\n")
    click.echo(f"Then `pulumi preview -s {planned.target}` shows only the hipaachat:stack tag changing, and "
               f"`pulumi preview -s {planned.source}` shows nothing for {planned.tenant}. Resources carried:")
    for urn in planned.urns:
        click.echo(f"  {urn}")
