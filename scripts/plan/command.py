"""`hipaachat plan`: an offline `pulumi preview --policy-pack policies/hipaa`, rendered for people and CI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.console import fail, stdout_console, warn
from scripts.inputs import validate_inputs
from scripts.project import InputError, Project

if TYPE_CHECKING:
    from scripts.engine.models import CapturedResource
    from scripts.engine.state.models import PendingOperation

EXIT_BLOCKED = 1
# `plan --out FILE` renders by the file's suffix; any other suffix is the JSON report.
OUT_SUFFIXES = {".sarif": "sarif", ".md": "markdown", ".markdown": "markdown"}

stderr = Console(stderr=True)


@click.command()
@click.option("--stack", "-s", required=True, help="Stack name: stacks/Pulumi.<stack>.yaml and stacks/tenants/<stack>/.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "sarif", "markdown"]), default="table",
              show_default=True, help="table for people, json for CI and auditors, sarif for code scanning, "
              "markdown for PR comments and job summaries.")
@click.option("--out", "outs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to FILE, rendered by its suffix: .sarif SARIF, .md markdown, anything "
                   "else JSON. Repeatable: one plan, several renderings (the --format output still prints).")
@click.option("--no-policies", is_flag=True, help="Skip the policy pack (faster; never use it to gate a deploy).")
@click.option("--export-state", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the planned registrations as a `pulumi stack export` (version 3) file; secrets "
                   "are envelopes without their values.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A deployed state (`pulumi stack export` output, a .pulumi/stacks checkpoint, or an "
                   "--export-state file): report creates, deletes and changed inputs per tenant, and block "
                   "changes that would lose a tenant's app or evidence.")
@click.pass_context
def plan(ctx: click.Context, stack: str, fmt: str, outs: tuple[Path, ...], no_policies: bool,
         export_state: Path | None, state_path: Path | None) -> None:
    """Preview a stack offline and check it against the HIPAA policy pack.

    Runs the Pulumi program under Pulumi's own mocks (no credentials, no network, no Pulumi
    CLI), sends every resource and the whole stack to policies/hipaa over the same Analyzer
    gRPC protocol `pulumi preview --policy-pack` uses, and reports per tenant.

    The pack judges the stack twice, as a real deployment shows it: as `pulumi preview` sees it
    (ids, ARNs and whatever is computed from them unknown until created) and as the update
    sees it (every value resolved). Each finding says which phase raises it; checks a preview
    cannot make yet are counted as deferred.

    \b
    With --state it also compares the program with what is deployed, by URN, and blocks (exit 1,
    tenant named): a deployed tenant whose file was deleted instead of offboarded; evidence (key,
    log group, archive, auditor role) leaving the stack before its retention ends; the CometChat
    app of an active tenant deleted or replaced; a tenant's residency changed.

    \b
    Exit codes: 0 no mandatory violation; 1 a mandatory violation (a real deploy would be
    blocked); 2 bad input (a tenant file, the stack file or the state file; the message says
    where and how to fix).

    \b
    Examples:
      hipaachat plan --stack local
      hipaachat plan --stack production --format json --out plan.json
      pulumi stack export -s production > state.json && hipaachat plan --stack production --state state.json
      hipaachat plan --stack local --export-state declared.json     # the declared state, for audit --state
      hipaachat plan --stack production --format sarif > plan.sarif
      hipaachat plan --stack production --format markdown --out plan.sarif >> "$GITHUB_STEP_SUMMARY"
    """
    project = Project.find(ctx.obj)
    # Bad input is answered (exit 2) before the Pulumi SDK and the gRPC client load: seconds on a busy runner.
    validate_inputs(project, stack)
    from scripts.engine.analyzer import PolicyPackError
    from scripts.plan.report import build_plan
    from scripts.plan.render_table import render_plan_table
    from scripts.plan.render_markdown import render_plan_markdown
    from scripts.plan.render_sarif import render_plan_sarif
    from scripts.files import write_atomically

    try:
        # A spinner with elapsed time: large catalogs take minutes, and silence reads as a hang.
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=stderr, transient=True) as bar:
            task = bar.add_task(f"planning stack {stack}")
            deployed, pending = None, []
            if state_path is not None:
                bar.update(task, description=f"{stack}: reading {state_path}")
                deployed, pending = _deployed(state_path, stack)
            report = build_plan(project, stack, policies=not no_policies,
                                progress=lambda msg: bar.update(task, description=f"{stack}: {msg}"),
                                warn=warn, deployed=deployed, state_file=str(state_path or ""),
                                export_state=export_state, pending_operations=pending)
    except InputError as exc:
        fail(str(exc))
    except PolicyPackError as exc:
        # Fail closed: `pulumi preview --policy-pack` would fail here too, so nothing may deploy.
        fail(f"the policy pack failed, so the plan cannot pass: {exc}", EXIT_BLOCKED)
    renderings = {"json": lambda: report.model_dump_json(indent=2),
                  "sarif": lambda: render_plan_sarif(report, project),
                  "markdown": lambda: render_plan_markdown(report)}
    for out in outs:
        # Write then rename: a reader (CI, an auditor's tooling) never sees half a report.
        write_atomically(out, renderings[OUT_SUFFIXES.get(out.suffix.lower(), "json")]() + "\n")
    if fmt == "table":
        render_plan_table(report, stdout_console())
    else:
        click.echo(renderings[fmt]())
    sys.exit(EXIT_BLOCKED if report.blocked else 0)


def _deployed(path: Path, stack: str) -> tuple[dict[str, CapturedResource], list[PendingOperation]]:
    """The state file's resources by URN and its unfinished operations, after checking it is this stack's state."""
    from scripts.engine.capture import PROJECT
    from scripts.engine.state import StateError, read_state

    state = read_state(path)
    if state.stack is not None and (state.stack != stack or state.project not in (None, PROJECT)):
        raise StateError(f"{path}: holds stack {state.project}/{state.stack}, not hipaachat/{stack}; export the "
                         f"matching stack: pulumi stack export -s {stack} > {path}")
    for op in state.pending_operations:
        warn(f"{path}: an interrupted `pulumi up` left a pending {op.type} of {op.urn}; run `pulumi refresh` "
              f"(and `pulumi cancel` if an update is still running) before trusting this comparison")
    return state.by_urn(), state.pending_operations
