"""`hipaachat promote`: move reviewed tenant files from one stack to the next, with evidence.

The unit of promotion is a tenant's reviewed file. Gates run first (scripts.promote.gates);
only when every gate passes does the file land, byte for byte, in the destination catalog and
one hash-chained record land in stacks/promotions/<DST>.jsonl (scripts.promote.records).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from components.catalog import TENANT_ID, catalog_dir, parse_tenant, tenant_file_names
from components.files import TENANT_FILE, read_bytes
from components.settings import fleet_of
from scripts.console import fail, stdout_console, warn
from scripts.files import write_atomically
from scripts.project import InputError, Project
from scripts.promote import gitinfo, records, render
from scripts.promote.check import check as run_check
from scripts.promote.targets import holder, place, stacks_of, tenant_files
from scripts.promote.models import PromotionRecord

if TYPE_CHECKING:  # gates and the analyzer pull in the plan machinery and the Pulumi SDK (grpc):
    # imported only when a promotion runs, so `promote --check` (on every pull request) starts fast.
    from scripts.promote.gates import Evaluation

EXIT_REFUSED = 1
stderr = Console(stderr=True)


def _sources(project: Project, src: str, dst: str, tenant_ids: tuple[str, ...],
             explicit: str | None) -> tuple[str, str, dict[Path, bytes]]:
    """The source stack, the destination stack and each requested tenant's exact bytes.

    `src` and `dst` are environments or stacks (scripts.promote.targets); one promotion lands in
    one destination stack, so tenants bound for different shards are promoted one run each.
    """
    if src == dst:
        raise InputError(f"--from and --to are both {src!r}; promote from one stack to another (e.g. "
                         "--from prototype --to production)")
    sources, destinations = stacks_of(project, src), stacks_of(project, dst)
    if set(sources) & set(destinations):
        raise InputError(f"--from {src} and --to {dst} share stacks; promote from one environment to another")
    if not tenant_ids:
        raise InputError("no --tenant given; name each tenant to promote (--tenant ID, repeatable)")
    files: dict[Path, bytes] = {}
    pairs: dict[str, tuple[str, str]] = {}
    for tenant in dict.fromkeys(tenant_ids):
        origin = holder(project, sources, tenant) if TENANT_ID.match(tenant) else None
        if origin is None:
            known = ", ".join(sorted(t for s in sources for t in tenant_files(project, s))) or "none"
            raise InputError(f"stacks/tenants/{sources[0]}/{tenant}.yaml: no such tenant file in {src}; "
                             f"known tenants: {known}")
        path = tenant_files(project, origin)[tenant]
        files[path] = read_bytes(path, TENANT_FILE, root=project.root)
        spec = parse_tenant(files[path].decode(), project.relative(path), tenant, path.suffix)[0]
        # An invalid file is refused by the gates with its problems; placement only needs a residency.
        environment = fleet_of(destinations[0])
        home = holder(project, stacks_of(project, environment), tenant) if environment else None
        if home is not None and home not in destinations:  # --to one stack, but the tenant lives in another
            raise InputError(f"tenant {tenant} lives in {home}; promote it there (--to {environment}), or move it "
                             f"first with `hipaachat shards move {tenant} --to {dst}`")
        pairs[tenant] = (origin, place(project, destinations, tenant, spec.residency if spec else "us", explicit))
    if len(set(pairs.values())) > 1:
        raise InputError("these tenants go to different stacks (" + ", ".join(
            f"{t}: {a} -> {b}" for t, (a, b) in pairs.items()) + "); promote each destination stack in its own run")
    origin, target = next(iter(pairs.values()))
    return origin, target, files


def _destination(target_dir: Path, source: Path) -> Path:
    """Where a source file lands: over the destination's file for that tenant id, whatever its suffix."""
    existing = [p for p in tenant_file_names(target_dir)[0] if p.stem == source.stem]
    return next((p for p in existing if p.name == source.name), existing[0] if existing else target_dir / source.name)


def _record_builder(project: Project, evaluation: Evaluation, files: dict[Path, bytes], src: str, dst: str,
                    who: str):
    def build(previous: str | None) -> PromotionRecord:
        return records.seal({
            "previous": previous,
            "time": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "actor": who, "commit": gitinfo.head_commit(project.root), "from": src, "to": dst,
            "tenants": [{"id": p.stem, "sha256": records.digest(data)} for p, data in files.items()],
            "gates": [g.model_dump(include={"name", "passed", "detail"}) for g in evaluation.gates],
            "plan_sha256": evaluation.plan_sha256,
            "waivers": [w.model_dump(mode="json") for w in evaluation.waivers],
        })
    return build


def _run_check(project: Project, src: str, dst: str, fmt: str) -> None:
    result = run_check(project, src, dst)
    if fmt == "json":
        click.echo(render.check_json(src, dst, result))
    elif fmt == "markdown":
        click.echo(render.check_markdown(src, dst, result))
    else:
        render.check_text(src, dst, result, stdout_console())
    sys.exit(EXIT_REFUSED if result.problems else 0)


@click.command()
@click.option("--from", "src", required=True, metavar="SRC",
              help="Environment or stack to promote from (e.g. prototype).")
@click.option("--to", "dst", required=True, metavar="DST",
              help="Environment (all its stacks: production, production-*) or one stack to promote to.")
@click.option("--stack", "explicit", metavar="STACK",
              help="Destination stack for a new tenant when DST has several (default: by residency).")
@click.option("--tenant", "tenant_ids", multiple=True, metavar="ID", help="Tenant to promote; repeat for several.")
@click.option("--dry-run", is_flag=True, help="Run every gate and report; write nothing.")
@click.option("--actor", help="Who promotes, for the record. Default: $GITHUB_ACTOR, else git's user.email.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True,
              help="markdown: for a pull request body or a job summary.")
@click.option("--allow-dirty", is_flag=True, help="Let uncommitted tenant files through (local trials only).")
@click.option("--plan-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the destination plan whose sha256 the record holds (canonical JSON).")
@click.option("--check", "check_only", is_flag=True,
              help="Only verify DST: every tenant file is what its latest record says; list pending promotions.")
@click.pass_context
def promote(ctx: click.Context, src: str, dst: str, explicit: str | None, tenant_ids: tuple[str, ...], dry_run: bool, actor: str | None,
            fmt: str, allow_dirty: bool, plan_out: Path | None, check_only: bool) -> None:
    """Promote tenants from SRC to DST once their gates pass, and record it.

    \b
    Gates (each reported with pass/fail and the fix):
      committed           the tenant file is committed at HEAD (unless --allow-dirty)
      templates-phi-free  every notification template is pointer-only under strict linting
      source-plan         the tenant plans in SRC with no mandatory violation
      destination-plan    DST, with the tenant added, plans with no mandatory violation
                          (BAA recorded, HIPAA-eligible CometChat plan, AI only if BAA-covered,
                          retention floor, PHI-free templates); planned on a copy of the project
      waivers             waivers the tenant relies on in DST, with expiry (<= 30 days: warning)

    \b
    On success the file lands byte-identical in the destination stack, and one hash-chained
    record is appended to stacks/promotions/<stack>.jsonl naming the commit, the actor, the
    file's sha256, the gates, the plan's sha256 and the waivers. A refused promotion writes nothing.

    \b
    DST is an environment (production = the stack production and its shards production-*)
    or one stack. A tenant already in one of DST's stacks is promoted there; a new tenant goes
    to --stack, else to the one stack whose hipaachat:residencies names its residency, else to
    the one stack that accepts its residency; otherwise promote refuses and asks for --stack.

    \b
    --check proves DST changed only through promote (and shards move): every tenant file of
    every DST stack is the bytes its latest record says, every chain is intact, and no file is
    unrecorded. SRC tenants that DST lacks or has in an older version are listed as pending
    promotion: never a failure.

    \b
    Exit codes: 0 promoted, already identical, or --check clean (pending promotions allowed);
    1 a gate failed, or --check found an unrecorded file or edit, a missing file or a broken
    chain; 2 bad input (unknown stack or tenant, SRC = DST, malformed files).

    \b
    Examples:
      hipaachat promote --from prototype --to production --tenant sunrise-clinic --dry-run
      hipaachat promote --from prototype --to production --tenant a-clinic --tenant b-clinic
      hipaachat promote --from prototype --to production --tenant lindenhof-praxis --stack production-eu
      hipaachat promote --check --from prototype --to production --format markdown
    """
    try:
        project = Project.find(ctx.obj)
        if check_only:
            _run_check(project, src, dst, fmt)
        from scripts.engine.analyzer import PolicyPackError
        from scripts.promote.gates import evaluate

        src, dst, files = _sources(project, src, dst, tenant_ids, explicit)
        target_dir = catalog_dir(project.root, dst)
        landing = {p: _destination(target_dir, p) for p in files}
        pending = {p: data for p, data in files.items()
                   if not os.path.lexists(landing[p]) or read_bytes(landing[p], TENANT_FILE, root=project.root) != data}
        ids = [p.stem for p in files]
        if not pending:
            if fmt == "json":
                click.echo(render.outcome_json(status="identical", src=src, dst=dst, tenants=ids, gates=[],
                                               record=None, plan_sha256=None))
            else:
                click.echo(f"already identical: {', '.join(ids)} in stacks/tenants/{dst} match {src}; nothing written")
            sys.exit(0)
        who = gitinfo.actor(actor, project.root)
        if who is None:
            raise InputError("no actor for the record: pass --actor NAME (CI sets GITHUB_ACTOR; locally, "
                             "git config user.email)")
        try:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=stderr, transient=True) as bar:
                task = bar.add_task(f"promoting {', '.join(ids)}")
                evaluation = evaluate(project, src, dst, pending, allow_dirty=allow_dirty,
                                      progress=lambda msg: bar.update(task, description=msg),
                                      warn=warn)
        except PolicyPackError as exc:
            fail(f"the policy pack failed, so no gate can pass: {exc}", EXIT_REFUSED)
    except InputError as exc:
        fail(str(exc))
    promoted_ids = [p.stem for p in pending]
    if plan_out is not None:
        write_atomically(plan_out, evaluation.plan_json)  # `sha256sum FILE` = the record's plan_sha256
    record = None
    if evaluation.passed and not dry_run:
        path = records.records_path(project.root, dst)

        def land_files() -> None:
            for source, data in pending.items():
                write_atomically(landing[source], data)
        try:
            record = records.append(path, _record_builder(project, evaluation, pending, src, dst, who),
                                    before=land_files, root=project.root)
        except records.ChainBroken as exc:
            fail(f"{project.relative(path)}: the record chain is broken ({exc}); nothing was promoted. Restore "
                  "the file from git history, then promote again.", EXIT_REFUSED)
    status = "refused" if not evaluation.passed else "dry-run" if dry_run else "promoted"
    if fmt == "json":
        click.echo(render.outcome_json(status=status, src=src, dst=dst, tenants=promoted_ids, gates=evaluation.gates,
                                       record=record, plan_sha256=evaluation.plan_sha256))
    elif fmt == "markdown":
        verdict = {"refused": "**REFUSED**: a gate failed; nothing was written",
                   "dry-run": "would promote (dry run; nothing was written)",
                   "promoted": f"**PROMOTED** to `stacks/tenants/{dst}/`"
                               + (f"; record `{record.id[:12]}...`" if record else "")}[status]
        click.echo(render.gates_markdown(evaluation.gates, f"hipaachat promote {src} -> {dst}: "
                                         f"{', '.join(promoted_ids)}") + f"\n\n{verdict}")
    else:
        console = stdout_console()
        render.gates_table(evaluation.gates, f"hipaachat promote {src} -> {dst}: {', '.join(promoted_ids)}", console)
        if status == "refused":
            console.print("[bold red]REFUSED[/]: a gate failed; nothing was written", highlight=False)
        elif status == "dry-run":
            console.print("[bold green]would promote[/] (dry run; nothing was written)", highlight=False)
        else:
            console.print(f"[bold green]PROMOTED[/]: {', '.join(promoted_ids)} -> stacks/tenants/{dst}/; record "
                          f"{record.id[:12]}... appended to {project.relative(path)}", highlight=False)
    sys.exit(EXIT_REFUSED if status == "refused" else 0)
