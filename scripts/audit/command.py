"""`hipaachat audit`: auditor evidence from the declared stack or a real `pulumi stack export`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from components.lifecycle import today
from scripts.engine.analyzer import PolicyPackError
from scripts.audit.evidence import build_report, check_tenants, evaluate
from scripts.audit.models import AuditReport
from scripts.audit.output import FORMATS, render_all, schema, write_all
from scripts.audit.sources import declared, deployed
from scripts.console import fail, stderr
from scripts.project import InputError, Project

EXIT_FAILING = 1


def _formats(value: str) -> list[str]:
    chosen = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(FORMATS)} "
                                 f"(comma-separated, e.g. --format html,json)")
    return list(dict.fromkeys(chosen))


def _default_out(project: Project, stack: str, tenants: list[str]) -> Path:
    base = project.root / "evidence" / stack
    return base / "tenants" / "+".join(sorted(tenants)) if tenants else base


def _print_summary(report: AuditReport, written: list[Path]) -> None:
    """The result on stdout; every value from the user's files (ids, titles, notes, paths) is escaped, not markup."""
    out = Console()
    s = report.summary
    colour = "green" if s.status == "pass" else "red"
    who = f"tenant {escape(', '.join(report.scope))} of " if report.scope else ""
    out.print(f"[bold {colour}]{s.status.upper()}[/] audit of {who}stack [bold]{escape(report.stack)}[/] "
              f"({escape(report.source)}, {escape(report.environment)}): {s.tenants} tenants, "
              f"{s.resources} resources", highlight=False, soft_wrap=True)
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s.controls.items() if n)
    out.print(f"controls: {counts}; findings: {s.findings} open, {s.waived} waived, "
              f"{s.secret_findings} secret hygiene", highlight=False, soft_wrap=True)
    for control in report.controls:
        if control.status == "fail":
            scopes = [x.scope for x in control.scopes if x.status == "fail"]
            out.print(f"  [red]FAIL[/] {escape(control.id)} {escape(control.title)}: {escape(', '.join(scopes[:5]))}"
                      f"{' and more' if len(scopes) > 5 else ''}", highlight=False, soft_wrap=True)
    for tenant in report.tenants:  # nobody would be told: the runbook's first question
        if tenant.monitoring is not None and tenant.monitoring.problems:
            out.print(f"  [yellow]monitoring[/] {escape(tenant.id)}: {escape('; '.join(tenant.monitoring.problems))}",
                      highlight=False, soft_wrap=True)
    for note in s.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    for path in written:
        out.print(f"wrote {escape(str(path))}", highlight=False, soft_wrap=True)


@click.command()
@click.option("--stack", "-s", help="Stack name. With --state: the stack's settings to judge it by (default: "
                                    "the stack named in the state's URNs).")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A `pulumi stack export` file or a self-managed backend checkpoint: audit what is deployed.")
@click.option("--tenant", "tenants", multiple=True, metavar="ID",
              help="Evidence for this tenant only (repeatable); nothing of any other tenant appears.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the evidence files [default: evidence/<stack>/, or "
                   "evidence/<stack>/tenants/<id>/ with --tenant].")
@click.option("--format", "formats", default=",".join(FORMATS), show_default=True,
              help="Comma-separated: html (one self-contained page), json (schema: --schema), "
                   "csv (Prowler's compliance layout), ocsf (Compliance Finding, class 2003).")
@click.option("--schema", "print_schema", is_flag=True, help="Print the JSON Schema of audit.json and exit.")
@click.pass_context
def audit(ctx: click.Context, stack: str | None, state_file: Path | None, tenants: tuple[str, ...],
          out: Path | None, formats: str, print_schema: bool) -> None:
    """Evidence for auditors: every HIPAA control, per tenant, from the repository or a deployment.

    The resources (declared: the program under Pulumi's mocks, as `plan` runs it; deployed: a
    `pulumi stack export`) go to the policy pack in policies/hipaa over the Analyzer protocol,
    and each result is mapped to its 45 CFR 164.3xx control. The evidence also holds, per
    tenant: regions, key rotation, retention, notifications as a phone shows them (with PHI
    lint), the role matrix declared and provisioned, BAA, CometChat app, monitoring (alarms,
  tamper rule, topic, subscriptions as kind and domain; missing ones flagged), waivers with days
    left and promotion history; and secret hygiene (plain-text values that should be secrets,
    named by URN and property, never by value). Secrets are never decrypted or printed.

    \b
    Exit codes: 0 every control passes (a waiver counts as passing, and is shown);
    1 a control fails (or the policy pack failed); 2 bad input (file and reason in the message).

    \b
    Examples:
      hipaachat audit --stack local
      hipaachat audit --stack production --tenant sunrise-clinic --format html,json
      pulumi stack export --file state.json && hipaachat audit --state state.json
      hipaachat audit --state .pulumi/stacks/hipaachat/production.json --out /tmp/evidence
      hipaachat audit --schema > audit.schema.json
    """
    if print_schema:
        click.echo(json.dumps(schema(), indent=2))
        return
    chosen = _formats(formats)
    if stack is None and state_file is None:
        raise click.UsageError("give --stack NAME (audit the declared stack) or --state FILE (audit a "
                               "`pulumi stack export`)")
    try:
        project = Project.find(ctx.obj)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=stderr, transient=True) as bar:
            task = bar.add_task("reading the stack")
            subject = deployed(project, state_file, stack) if state_file else declared(project, stack or "")
            check_tenants(subject, tenants)
            bar.update(task, description=f"{subject.stack}: evaluating {len(subject.resources)} resources "
                                         "against the policy pack")
            results = evaluate(subject)
            bar.update(task, description=f"{subject.stack}: building the evidence")
            report, secret_values = build_report(subject, results, tenants=list(tenants) or None,
                                                 now=dt.datetime.now(dt.timezone.utc), today=today())
            documents = render_all(report, chosen, secret_values)
            written = write_all(out or _default_out(project, report.stack, list(tenants)), documents)
    except InputError as exc:
        fail(str(exc))
    except PolicyPackError as exc:
        fail(f"the policy pack failed, so no control can be shown to pass: {exc}", EXIT_FAILING)
    _print_summary(report, written)
    sys.exit(EXIT_FAILING if report.failed else 0)
