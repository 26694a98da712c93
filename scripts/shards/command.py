"""`hipaachat shards`: plan an environment's stacks together, a CI matrix, moves, Operator Stacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.console import fail, stdout_console
from scripts.project import InputError, Project
from scripts.shards.changes import affected_stacks
from scripts.shards.models import ShardsReport, StackSummary
from scripts.shards.planner import default_jobs, plan_stacks
from scripts.shards.render import render_shards_table
from scripts.project.environments import ENVIRONMENTS, members
from scripts.stacks.fleet import Fleet, fleet_problems, load_fleet

EXIT_BLOCKED = 1
stderr = Console(stderr=True)

ENVIRONMENT = click.option("--environment", "-e", required=True, type=click.Choice(ENVIRONMENTS),
                           help="The environment whose stacks (ENV and ENV-*) to work on.")
CHANGED_SINCE = click.option("--changed-since", "ref", metavar="GIT_REF",
                             help="Only stacks whose tenant, stack or environment files changed since this git "
                                  "ref (every stack if the program, the pack or the waivers changed).")


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
        return names, ShardsReport(environment=fleet.environment, stacks=[])
    chosen, scope = affected_stacks(project, names, fleet.environment, ref)
    return chosen, ShardsReport(environment=fleet.environment, stacks=[], changed_since=scope,
                                unchanged=[n for n in names if n not in chosen])


def _plan_with_progress(project: Project, names: list[str], jobs: int, empty: set[str]) -> list[StackSummary]:
    """plan_stacks with one spinner line per stack: fleets take minutes, and silence reads as a hang."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=stderr, transient=True) as bar:
        tasks = {name: bar.add_task(f"{name}: waiting") for name in names}
        return plan_stacks(project, names, jobs=jobs, empty=empty,
                           progress=lambda s, state: bar.update(tasks[s], description=f"{s}: {state}"))


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
      hipaachat shards pack --out build/policy-pack   # then: pulumi policy publish build/policy-pack
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
        summaries = _plan_with_progress(project, names, jobs, empty)
    except InputError as exc:
        fail(str(exc))
    report.stacks = summaries
    document = report.model_dump_json(indent=2)
    if out is not None:
        from scripts.files import write_atomically

        write_atomically(out, document + "\n")
    if fmt == "json":
        click.echo(document)
    else:
        render_shards_table(report, stdout_console())
    sys.exit(EXIT_BLOCKED if report.blocked else 0)


@shards.command("matrix")
@click.option("--environment", "-e", "environments", multiple=True, type=click.Choice(ENVIRONMENTS),
              help="An environment whose stacks to list (repeatable)  [default: every environment that has stacks]")
@CHANGED_SINCE
@click.pass_context
def matrix(ctx: click.Context, environments: tuple[str, ...], ref: str | None) -> None:
    """Print the GitHub Actions matrix of the environments' stacks: {"include": [{stack, ...}]}.

    One entry per stack that has tenants (and, with --changed-since, that a change affects),
    for `strategy.matrix: ${{ fromJSON(needs.<job>.outputs.matrix) }}`. An empty `include`
    means nothing to do: guard the matrix job with
    `if: fromJSON(needs.<job>.outputs.matrix).include[0] != null`. Stacks outside every
    environment (`local`) are not listed. `.github/workflows/plan.yml` plans the entries of
    every environment changed by a pull request; `deploy.yml` deploys every entry.

    \b
    Examples:
      hipaachat shards matrix --changed-since origin/main
      echo "matrix=$(hipaachat shards matrix -e production)" >> "$GITHUB_OUTPUT"
    """
    include = []
    try:
        project = Project.find(ctx.obj)
        chosen = environments or tuple(e for e in ENVIRONMENTS if members(project, e))
        for environment in chosen:
            _, fleet = checked_fleet(ctx, environment)
            names, _ = selected(project, fleet, ref)
            by_name = {s.name: s for s in fleet.stacks}
            include += [{"stack": name, "environment": environment, "tenants": len(by_name[name].tenants),
                         "residencies": by_name[name].config.settings.residencies or ["us", "eu", "in"]}
                        for name in names if by_name[name].tenants]
    except InputError as exc:
        fail(str(exc))
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
    if not dry_run:
        click.echo(f"recorded the move in stacks/promotions/{planned.source}.jsonl and "
                   f"stacks/promotions/{planned.target}.jsonl (what `promote --check` accepts); commit all three")
    click.echo(f"\nNext, before any `pulumi up` of {planned.source} or {planned.target}, move the tenant's "
               f"{len(planned.urns)} resources in Pulumi state (children move with the component):\n")
    click.echo(f"  {planned.command}\n")
    click.echo(f"Then `pulumi preview -s {planned.target}` shows only the hipaachat:stack tag changing, and "
               f"`pulumi preview -s {planned.source}` shows nothing for {planned.tenant}. Resources carried:")
    for urn in planned.urns:
        click.echo(f"  {urn}")


@shards.command("operator")
@ENVIRONMENT
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the manifests (replaced as a whole: rbac.yaml, stack-<name>.yaml, kustomization.yaml).")
@click.option("--org", required=True, help="Pulumi organization: each Stack deploys <org>/<stack>.")
@click.option("--repo", help="Git URL the Operator clones [default: this repository's `origin`].")
@click.option("--commit", help="Commit to pin; must be the checked-out one [default: HEAD].")
@click.option("--namespace", default="hipaachat", show_default=True, help="Kubernetes namespace of the Stacks.")
@click.option("--backend", help="A DIY backend URL (s3://...); default Pulumi Cloud with PULUMI_ACCESS_TOKEN.")
@click.option("--access-token-secret", default="pulumi-access-token", show_default=True,
              help="Kubernetes Secret (key accessToken) holding PULUMI_ACCESS_TOKEN.")
@click.option("--aws-credentials-secret", help="Kubernetes Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.")
@click.option("--aws-role-arn", help="IAM role for the workspace ServiceAccount (EKS IRSA), instead of keys.")
@click.option("--image", default="pulumi/pulumi:3.202.0-nonroot", show_default=True,
              help="Workspace image (needs Python 3.11+ and uv, as Pulumi.yaml's toolchain says).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=default_jobs, show_default="one per core")
@click.pass_context
def operator(ctx: click.Context, environment: str, out_dir: Path, org: str, repo: str | None, commit: str | None,
             namespace: str, backend: str | None, access_token_secret: str, aws_credentials_secret: str | None,
             aws_role_arn: str | None, image: str, jobs: int) -> None:
    """Write Pulumi Kubernetes Operator Stacks (pulumi.com/v1) for every stack of an environment.

    The Operator has no policy-pack setting, so the gate is the commit: this command plans
    every stack of the environment with the HIPAA pack on a clean checkout, refuses (exit 1,
    nothing written) if any stack is blocked or the tree is dirty, and pins each Stack to that
    commit (never a branch). Refresh is on, destroyOnFinalize off, secrets only as envRefs.

    \b
    Examples (in CI, after the plan job passed on this commit):
      hipaachat shards operator -e production --org acme --out deploy/operator
      hipaachat shards operator -e production --org acme --out deploy/operator \\
          --repo https://github.com/acme/hipaachat.git --aws-role-arn arn:aws:iam::123456789012:role/hipaachat
      kubectl apply -k deploy/operator
    """
    from scripts.shards.operator import OperatorOptions, check_gate, rbac_manifests, render, stack_manifest
    from scripts.shards.revision import RevisionRefused, checked_revision, origin_url
    from scripts.shards.writer import replace_directory

    try:
        project, fleet = checked_fleet(ctx, environment)
        inside = out_dir.resolve().is_relative_to(project.root.resolve())
        head, repo_dir = checked_revision(project, commit, [project.relative(out_dir)] if inside else [])
        options = OperatorOptions(environment=environment, org=org, repo=repo or origin_url(project), commit=head,
                                  repo_dir=repo_dir, namespace=namespace, backend=backend,
                                  access_token_secret=access_token_secret,
                                  aws_credentials_secret=aws_credentials_secret, aws_role_arn=aws_role_arn, image=image)
        names = [s.name for s in fleet.stacks if s.tenants]
        summaries = _plan_with_progress(project, names, jobs, set())
    except RevisionRefused as exc:
        fail(f"refused: {exc}", EXIT_BLOCKED)
    except InputError as exc:
        fail(str(exc))
    report = ShardsReport(environment=environment, stacks=summaries)
    if report.blocked:
        blocked = ", ".join(s.stack for s in summaries if s.blocked)
        fail(f"refused: {blocked} would be blocked by the policy pack at {head[:12]}; no Stack may pin this commit. "
             f"See `hipaachat shards plan --environment {environment}`", EXIT_BLOCKED)
    stacks_docs = {name: stack_manifest(name, options, report) for name in names}
    for name, manifest in stacks_docs.items():
        problems = check_gate(manifest, head)
        if problems:
            fail(f"refused: the Stack for {name} could deploy unchecked code: {'; '.join(problems)}", EXIT_BLOCKED)
    files = {"rbac.yaml": render(rbac_manifests(options))}
    files.update({f"stack-{name}.yaml": render([doc]) for name, doc in stacks_docs.items()})
    files["kustomization.yaml"] = render([{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                           "resources": sorted(files)}])
    replace_directory(out_dir, files)
    skipped = [s.name for s in fleet.stacks if not s.tenants]
    click.echo(f"wrote {len(stacks_docs)} Stacks pinned to {head} into {out_dir}"
               + (f" (no tenants yet, no Stack: {', '.join(skipped)})" if skipped else ""))


@shards.command("pack")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the publishable pack (replaced as a whole).")
@click.option("--archive", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write it as a .tar.gz (what `pulumi policy publish` uploads).")
@click.pass_context
def pack(ctx: click.Context, out_dir: Path, archive: Path | None) -> None:
    """Build policies/hipaa as a self-contained pack for `pulumi policy publish`.

    The repository's pack imports project modules (components/); publishing uploads only the
    pack's directory. This copies the pack with everything it imports and pinned requirements,
    so a Pulumi Cloud policy group can enforce it on every update, the Operator's included.

    \b
    Example:
      hipaachat shards pack --out build/policy-pack && pulumi policy publish build/policy-pack
    """
    from scripts.shards.pack import build_pack

    try:
        name, version = build_pack(Project.find(ctx.obj), out_dir, archive)
    except InputError as exc:
        fail(str(exc))
    click.echo(f"built {name} {version} in {out_dir}" + (f" and {archive}" if archive else ""))
    click.echo(f"publish: pulumi policy publish {out_dir}   then enable it for the environment's policy group")
