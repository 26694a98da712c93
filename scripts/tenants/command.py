"""`hipaachat tenants`: validate, list, scaffold and describe tenant files."""

from __future__ import annotations

import datetime as dt
import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from components.care_check import care_issues, floor_issues
from components.catalog import TENANT_ID, CatalogError, Tenant, TenantFile, catalog_dir, load_catalog, parse_tenant
from components.files import TENANT_FILE, read_text
from components.lifecycle import today
from components.retention_floors import stack_table
from components.retention_plan import retention_plan
from scripts.console import fail, stdout_console
from scripts.files import write_atomically
from scripts.project import InputError, Project, StackConfig, load_stack
from scripts.tenants.production import EXIT_REFUSED
from scripts.tenants.production import refusal as production_refusal
from scripts.tenants.offboard import OffboardError
from scripts.tenants.offboard import offboard as offboard_tenant
from scripts.tenants.templates import template_findings

stderr = Console(stderr=True)

NEW_TENANT = """\
# Tenant {id}: one reviewed file per tenant. Promotion copies it byte for byte into the next
# stack, so nothing in it names a stack. Values must stay synthetic in examples; real tenants
# carry their real BAA reference (never patient data).
id: {id}
name: {name}
residency: {residency}                       # us | eu | in: decides CometChat and AWS regions
{care}# retention:                         # optional overrides in days, each at least its floor (unset = the floor)
#   messages_days: 7305               # archived message events (the medical record)
#   audit_days: 2192                  # receipts, access events, index records; a CloudWatch value
# baa:                                # required in production (`hipaachat plan` blocks without it)
#   signed: YYYY-MM-DD
#   reference: BAA-YYYY-NNN
features:
  ai: false                           # AI / third-party extensions: off unless BAA-covered
roles:                                # minimum necessary: who sees what
  patient:          {{sees: [own],        clinical_content: true}}
  provider:         {{sees: [panel],      clinical_content: true}}
  care-coordinator: {{sees: [assigned],   clinical_content: true}}
  admin:            {{sees: [audit],      clinical_content: false}}
  front-desk:       {{sees: [scheduling], clinical_content: false}}
notifications:                        # email and sms leave the BAA boundary: pointers only
  push: "You have a new message from your care team."
  in_app: "New message"
  email: "You have a new message in your care portal. Log in to view it."
  sms: "New message in your care portal: {{{{deep_link}}}}"
"""


def _catalog(ctx: click.Context, stack: str) -> tuple[Project, StackConfig, list[TenantFile]]:
    """The project, the stack's settings and its tenants; a bad stack file stops here too."""
    project = Project.find(ctx.obj)
    config = load_stack(project, stack)
    entries = load_catalog(catalog_dir(project.root, stack), display_root=project.root)
    # Jurisdictions and provider types are the stack's table's (its hipaachat:retentionFloors may add rows).
    unknown = care_issues(entries, config.settings.retention_floors,
                          {e.tenant.id: project.relative(e.path) for e in entries})
    if unknown:
        raise CatalogError(unknown)
    return project, config, entries


@click.group()
def tenants() -> None:
    """Work with the tenant catalog (stacks/tenants/<stack>/*.yaml).

    A tenant is one reviewed YAML file; its id is its file name and is never reused.

    \b
    Examples:
      hipaachat tenants new --stack prototype river-clinic --residency eu
      hipaachat tenants validate --stack prototype --strict     # e.g. in a pre-commit hook
      hipaachat tenants list --stack production --format json
      hipaachat tenants schema > tenant.schema.json             # for your editor
      hipaachat tenants offboard --stack prototype sunrise-clinic --on 2026-11-30
    """


@tenants.command()
@click.option("--stack", "-s", required=True, help="Stack whose catalog to check.")
@click.option("--strict", is_flag=True, help="Also fail (exit 2) on advisory findings (push and in-app texts).")
@click.pass_context
def validate(ctx: click.Context, stack: str, strict: bool) -> None:
    """Check every tenant file of a stack; report every problem at once (exit 2 if any).

    Every finding reads `file:line:column: field: what is wrong; fix`, the same words `plan`
    prints. Notification templates get the policy pack's verdict: an email or SMS template
    that is not pointer-only is an error (the pack blocks it everywhere); PHI in a push or
    in-app text is a warning (advisory in the pack, unless the stack raises it to mandatory),
    and --strict makes warnings errors too, for pre-commit hooks. A retention below its floor
    (the stack's table, README: Retention) is an error: the pack refuses it in every environment.

    \b
    Exit codes: 0 valid (warnings may be printed), 2 a problem to fix.
    """
    try:
        project, config, entries = _catalog(ctx, stack)
    except (CatalogError, InputError) as exc:
        fail(str(exc))
    findings = template_findings(entries, config.settings, project.relative)
    errors = [f for f in findings if f.error or strict]
    short = floor_issues(entries, config.settings, {e.tenant.id: project.relative(e.path) for e in entries})
    for finding in findings:
        label = "[red]error:[/]" if finding in errors else "[yellow]warning:[/]"
        stderr.print(f"{label} {escape(str(finding))}", markup=True, highlight=False, soft_wrap=True)
    for issue in short:
        stderr.print(f"[red]error:[/] {escape(str(issue))}", markup=True, highlight=False, soft_wrap=True)
    if errors or short:
        fail("; ".join(part for part in (
            f"{len(errors)} notification template(s) the policy pack would refuse; rewrite them as pointers "
            "(\"You have a new message. Log in to view it.\")" if errors else "",
            f"{len(short)} retention value(s) below their floor, which the policy pack refuses in every "
            "environment (README: Retention)" if short else "") if part))
    click.echo(f"{len(entries)} tenant file(s) in stacks/tenants/{stack} are valid"
               + (f" ({len(findings)} warning(s) above)" if findings else ""))


@tenants.command("list")
@click.option("--stack", "-s", required=True, help="Stack whose catalog to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def list_(ctx: click.Context, stack: str, fmt: str) -> None:
    """List a stack's tenants with residency, regions, retention, BAA and AI flag."""
    try:
        _, config, entries = _catalog(ctx, stack)
        settings = config.settings
    except (CatalogError, InputError) as exc:
        fail(str(exc))
    rows = []
    for entry in entries:
        t = entry.tenant
        region = settings.region_for(t.residency)
        rows.append({"id": t.id, "name": t.name, "residency": t.residency,
                     "cometchat_region": region.cometchat_region, "aws_region": region.aws_region,
                     "audit_log_days": (kept := retention_plan(t, settings).by_type)["audit"].kept,
                     "messages_days": kept["messages"].kept,
                     "baa": t.baa.reference if t.baa else None, "ai": t.features.ai,
                     "lifecycle": t.lifecycle.state})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"tenants · stack {stack}", title_justify="left")
    for column in ("id", "name", "residency", "CometChat", "AWS region", "messages days", "audit days", "BAA", "AI",
                   "lifecycle"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["id"], r["name"], r["residency"], r["cometchat_region"], r["aws_region"],
                      str(r["messages_days"]), str(r["audit_log_days"]), r["baa"] or "[yellow]none[/]",
                      "on" if r["ai"] else "off",
                      r["lifecycle"])
    stdout_console().print(table)


@tenants.command()
def schema() -> None:
    """Print the tenant file's JSON Schema (point your editor's YAML language server at it)."""
    document = Tenant.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "hipaachat tenant file"
    click.echo(json.dumps(document, indent=2))


@tenants.command()
@click.option("--stack", "-s", required=True, help="Stack whose catalog gets the new file.")
@click.argument("tenant_id")
@click.option("--name", help="Display name, unique in the stack (default: derived from the id).")
@click.option("--residency", type=click.Choice(["us", "eu", "in"]), default="us", show_default=True,
              help="Data residency: decides the CometChat region and the AWS region.")
@click.option("--jurisdiction", help="Where care is delivered: ISO 3166-2 (US-TX) or 3166-1 (DE); a row of the "
              "retention floor table. Required in production (with --provider-type).")
@click.option("--provider-type", help="hospital | physician | clinic (as the retention floor table names them).")
@click.option("--serves-minors/--adults-only", default=False, show_default=True,
              help="Whether records of minors are kept (the floor then covers a newborn's worst case).")
@click.pass_context
def new(ctx: click.Context, stack: str, tenant_id: str, name: str | None, residency: str, jurisdiction: str | None,
        provider_type: str | None, serves_minors: bool) -> None:
    """Scaffold stacks/tenants/<stack>/<TENANT_ID>.yaml with safe defaults.

    Defaults: retention at each data type's floor (components.retention_floors), AI off, the five standard roles, pointer-only
    notification templates. Add the BAA (signed date and reference) before promoting the
    tenant to production. Refuses an id that is not DNS-safe or already used in the stack;
    the file is validated before it is written, so a scaffolded tenant always plans.
    A production stack refuses (exit 1): tenants reach production only by `hipaachat promote`.

    \b
    Example:
      hipaachat tenants new --stack prototype river-clinic --residency eu --name "River Clinic"
      hipaachat tenants new --stack prototype bay-hospital --jurisdiction US-MA --provider-type hospital \\
          --serves-minors

    Exit codes: 0 created; 2 bad input (id, stack, care not in the retention floor table), nothing written.
    """
    if not TENANT_ID.match(tenant_id):
        fail(f"tenant id '{tenant_id}': use lowercase letters, digits and '-', starting with a letter "
              "(e.g. sunrise-clinic)")
    if (refused := production_refusal("new", stack, tenant_id, f" --residency {residency}")) is not None:
        fail(refused, EXIT_REFUSED, label="refused")
    try:
        project = Project.find(ctx.obj)
        config = load_stack(project, stack)
    except InputError as exc:
        fail(str(exc))
    care = ""
    if (jurisdiction is None) != (provider_type is None):
        fail("--jurisdiction and --provider-type go together (the retention floor table is keyed by both)")
    if jurisdiction is not None and provider_type is not None:
        if problem := stack_table(config.settings.retention_floors).problem(jurisdiction, provider_type):
            fail(f"--jurisdiction {jurisdiction} --provider-type {provider_type}: {problem}")
        care = (f"care:                               # decides the retention floors (README: Retention)\n"
                f"  jurisdiction: {jurisdiction}\n  provider_type: {provider_type}\n"
                f"  serves_minors: {str(serves_minors).lower()}\n")
    else:
        care = ("# care:                              # required in production: decides the retention floors\n"
                "#   jurisdiction: US-MA              # ISO 3166-2 / 3166-1, a row of policies/hipaa/retention_floors.yaml\n"
                "#   provider_type: hospital          # hospital | physician | clinic\n"
                "#   serves_minors: false\n")
    directory = catalog_dir(project.root, stack)
    target = directory / f"{tenant_id}.yaml"
    if target.exists():
        fail(f"{project.relative(target)} already exists; tenant ids are never reused")
    text = NEW_TENANT.format(id=tenant_id, residency=residency, care=care,
                             name=json.dumps(name or tenant_id.replace("-", " ").title()))
    spec, problems = parse_tenant(text, project.relative(target), tenant_id)
    if spec is not None and directory.is_dir() and any(directory.glob("*.yaml")):
        try:
            taken = {e.tenant.name.casefold() for e in load_catalog(directory, display_root=project.root)}
        except CatalogError as exc:
            fail(f"fix the existing catalog first:\n{exc}")
        if spec.name.casefold() in taken:
            fail(f"name {spec.name!r} is already used in stacks/tenants/{stack}; pass a distinct --name")
    if problems:
        fail("the new tenant would not validate:\n" + "\n".join(f"  {i}" for i in problems))
    write_atomically(target, text)  # an interrupted run never leaves a half-written tenant file behind
    click.echo(f"created {project.relative(target)}; review it, then `hipaachat plan --stack {stack}`")


@tenants.command()
@click.option("--stack", "-s", required=True, help="Stack whose tenant to offboard.")
@click.argument("tenant_id")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the tenant stopped using the service (YYYY-MM-DD, not in the future; default today). "
                   "Evidence is kept until this date + the tenant's longest retention (floors included).")
@click.pass_context
def offboard(ctx: click.Context, stack: str, tenant_id: str, on: dt.datetime | None) -> None:
    """Offboard a tenant: keep only its evidence, for its whole retention.

    Sets `lifecycle: {state: offboarded, offboarded_on: DATE}` in the tenant's file (never
    deletes the file: a deleted file would make `pulumi up` drop the tenant). The next
    `pulumi up` removes its CometChat app, ingest endpoint, operator role, templates and
    credentials; its KMS key, audit log group, archive and auditor role stay, retained and
    readable, until the date printed here. Review the change with `hipaachat plan --stack
    STACK --state state.json` before `pulumi up`.

    Offboard in prototype and promote the change: a production stack refuses (exit 1) and
    prints those commands, because production's files change only by promotion.

    \b
    Examples:
      hipaachat tenants offboard --stack prototype sunrise-clinic
      hipaachat promote --from prototype --to production --tenant sunrise-clinic
      hipaachat tenants offboard --stack prototype sunrise-clinic --on 2026-11-30
    """
    extra = f" --on {on.date()}" if on else ""
    if (refused := production_refusal("offboard", stack, tenant_id, extra)) is not None:
        fail(refused, EXIT_REFUSED, label="refused")
    try:
        project = Project.find(ctx.obj)
        load_stack(project, stack)
    except InputError as exc:
        fail(str(exc))
    path = catalog_dir(project.root, stack) / f"{tenant_id}.yaml"
    shown = project.relative(path)
    if not path.is_file():
        fail(f"{shown}: no such tenant file; `hipaachat tenants list --stack {stack}` shows the tenants")
    now = today()
    try:
        result = offboard_tenant(read_text(path, TENANT_FILE, root=project.root, shown=shown), shown, tenant_id,
                                 on.date() if on else now, now)
    except OffboardError as exc:
        fail(str(exc))
    write_atomically(path, result.text)  # a reviewer never sees a half-edited tenant file
    until = (f"until {result.kept_until} (offboarded_on + its longest retention of any data type)"
             if result.kept_until else "indefinitely (audit_days: 0 = never expire)")
    click.echo(f"{shown}: lifecycle.state offboarded, offboarded_on {result.tenant.lifecycle.offboarded_on}\n")
    click.echo("removed at the next `pulumi up`:")
    click.echo("".join(f"  - {part}\n" for part in result.removed))
    click.echo(f"kept, retained and readable by the tenant's auditor role, {until}:")
    click.echo("".join(f"  - {part}\n" for part in result.kept))
    click.echo("after that date `hipaachat plan` says how to release the evidence; releasing is an explicit edit "
               "(lifecycle.state: released), never automatic.")
    click.echo(f"next: pulumi stack export -s {stack} > state.json && hipaachat plan --stack {stack} --state "
               f"state.json, review, then pulumi up")
