"""`hipaachat stacks`: several Pulumi stacks per environment, one source of settings."""

from __future__ import annotations

import json
import re
import sys

import click
from rich.console import Console
from rich.markup import escape

from components.files import STACK_FILE, read_yaml
from components.settings import fleet_of
from scripts.console import fail
from scripts.project import InputError, Project
from scripts.project.environments import (
    ENVIRONMENTS,
    environment_file,
    load_environment,
    members,
    stack_drift,
)
from scripts.files import write_atomically
from scripts.stacks.files import render_member
from scripts.stacks.fleet import check_environment

EXIT_DRIFT = 1
# A Pulumi stack name that is also a Kubernetes name once prefixed (`hipaachat-<stack>`, <= 42
# characters for an Operator Stack) and a directory name under stacks/tenants/.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
stderr = Console(stderr=True)


@click.group()
def stacks() -> None:
    """Several Pulumi stacks per environment that share its settings.

    \b
    An environment's settings live once, in stacks/environments/<env>.yaml. Its stacks are
    `<env>` and `<env>-<anything>` (split by residency: production-eu; by size: production-2).
    Each stack file carries a copy written by `stacks new` / `stacks sync`, because
    `pulumi up -s NAME` and the policy pack read only the stack's own file; `stacks check`
    and `plan` refuse a stack whose copy drifted.

    \b
    Examples:
      hipaachat stacks new production-eu --environment production --residency eu
      hipaachat stacks check
      hipaachat stacks sync --environment production
    """


@stacks.command("new")
@click.argument("name")
@click.option("--environment", "-e", required=True, type=click.Choice(ENVIRONMENTS),
              help="The environment whose settings the stack shares.")
@click.option("--residency", "residencies", multiple=True, type=click.Choice(["us", "eu", "in"]),
              help="Make it a residency shard: it may only hold tenants of these residencies (repeatable).")
@click.pass_context
def new(ctx: click.Context, name: str, environment: str, residencies: tuple[str, ...]) -> None:
    """Create stack NAME: stacks/Pulumi.NAME.yaml and its catalog stacks/tenants/NAME/.

    NAME is the environment followed by a suffix, e.g. production-eu. The stack file gets the
    environment's settings; set its secrets with `pulumi config set --secret -s NAME ...`.

    \b
    Examples:
      hipaachat stacks new production-eu --environment production --residency eu
      hipaachat stacks new prototype-2 --environment prototype
      pulumi stack init production-eu   # then deploy as usual: pulumi up -s production-eu
    """
    try:
        project = Project.find(ctx.obj)
        if not STACK_NAME.match(name):
            raise InputError(f"stack name {name!r}: use 2-32 lowercase letters, digits and dashes, starting with a "
                             "letter (it also names a directory and a Kubernetes object)")
        if fleet_of(name) != environment:
            raise InputError(f"stack name {name!r}: stacks of the {environment} environment are named {environment} "
                             f"or {environment}-SUFFIX (e.g. {environment}-eu), so every tool can tell which settings "
                             "they share")
        path = project.stack_file(name)
        if path.exists():
            raise InputError(f"{project.relative(path)} already exists; pick another name")
        shared = load_environment(project, environment)
        text = render_member(shared, name, project.relative(shared.path), residencies=list(residencies) or None)
    except InputError as exc:
        fail(str(exc))
    catalog = project.root / "stacks" / "tenants" / name
    catalog.mkdir(parents=True, exist_ok=True)
    # git keeps no empty directories; the marker keeps the new shard's catalog in the repository.
    (catalog / ".gitkeep").touch()
    write_atomically(path, text)
    click.echo(f"created {project.relative(path)} and {project.relative(catalog)}/")
    click.echo(f"next: hipaachat tenants new --stack {name} TENANT_ID   (or hipaachat shards move TENANT --to {name})")
    click.echo(f"      pulumi stack init {name} && pulumi config set --secret -s {name} "
               "hipaachat:cometchatManagementKey <key>")


@stacks.command("check")
@click.option("--environment", "-e", "environments", multiple=True, type=click.Choice(ENVIRONMENTS),
              help="Check only this environment (repeatable; default: every environment).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def check(ctx: click.Context, environments: tuple[str, ...], fmt: str) -> None:
    """Fail (exit 1) when a stack's settings drift from its environment's.

    Reports, naming stack and key: a shared setting missing or different in a stack file, a
    setting only one stack sets, a tenant id in two stacks of one environment, a tenant outside
    its residency shard. Exit 0 clean, 1 drift, 2 a file cannot be read.

    \b
    Examples:
      hipaachat stacks check
      hipaachat stacks check --environment production --format json
    """
    try:
        project = Project.find(ctx.obj)
        chosen = environments or tuple(e for e in ENVIRONMENTS if members(project, e))
        for environment in chosen:
            load_environment(project, environment)
        found = {environment: check_environment(project, environment) for environment in chosen}
    except InputError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps({
            "environments": [{"environment": env, "stacks": members(project, env),
                              "drift": [d.model_dump() for d in drift]} for env, drift in found.items()],
            "drifted": any(found.values())}, indent=2))
    else:
        for environment, drift in found.items():
            stacks_of = ", ".join(members(project, environment))
            if not drift:
                click.echo(f"{environment}: ok ({stacks_of})")
            for problem in drift:
                stderr.print(f"[bold red]drift:[/] {escape(str(problem))}", markup=True, highlight=False,
                             soft_wrap=True)
    sys.exit(EXIT_DRIFT if any(found.values()) else 0)


@stacks.command("sync")
@click.option("--environment", "-e", "environments", multiple=True, type=click.Choice(ENVIRONMENTS),
              help="Sync only this environment (repeatable; default: every environment).")
@click.pass_context
def sync(ctx: click.Context, environments: tuple[str, ...]) -> None:
    """Write each environment's shared settings into its stack files.

    Keeps every stack's own values (secrets, residencies, secretsprovider/encryptedkey). Refuses
    a stack that sets a shared-namespace key the environment does not have: move that key into
    stacks/environments/<env>.yaml first, so nothing is dropped silently.

    \b
    Example:
      hipaachat stacks sync --environment production && hipaachat stacks check
    """
    try:
        project = Project.find(ctx.obj)
        chosen = environments or tuple(e for e in ENVIRONMENTS if environment_file(project, e).is_file())
        writes = []
        for environment in chosen:
            shared = load_environment(project, environment)
            for name in members(project, environment):
                path = project.stack_file(name)
                data = read_yaml(path, STACK_FILE, root=project.root, shown=project.relative(path)) or {}
                drift = stack_drift(project, name, data.get("config") or {})
                orphans = [d for d in drift if d.kind == "stack-only"]
                if orphans:
                    raise InputError("\n".join(f"{project.relative(path)}: {d}" for d in orphans))
                if not drift:
                    continue
                writes.append((path, render_member(shared, name, project.relative(shared.path), data)))
    except InputError as exc:
        fail(str(exc))
    for path, text in writes:
        write_atomically(path, text)
        click.echo(f"synced {project.relative(path)}")
    if not writes:
        click.echo("every stack already carries its environment's settings")
