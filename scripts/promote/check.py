"""`promote --check`: is every destination tenant file exactly what a promotion put there?

It fails on a destination file that differs from the source's, one whose bytes no promotion
recorded (a direct edit of the production catalog), a promoted file that was deleted, and a
record file whose hash chain is broken (an edited, deleted or reordered line).
"""

from __future__ import annotations

from components.catalog import catalog_dir, tenant_file_names
from components.files import TENANT_FILE, read_bytes
from scripts.project import Project, load_stack
from scripts.promote.models import Problem
from scripts.promote.records import digest, read_chain, records_path


def check(project: Project, src: str, dst: str) -> list[Problem]:
    load_stack(project, src)
    load_stack(project, dst)
    path = records_path(project.root, dst)
    shown = project.relative(path)
    chain = read_chain(path, root=project.root)
    problems = [Problem(file=shown, message=p, fix=f"Restore {shown} from git history (git checkout -- {shown}); "
                        "records are append-only and written only by hipaachat promote.") for p in chain.problems]
    latest: dict[str, tuple[int, str]] = {}
    for number, record in chain.records:
        if record.to != dst:
            problems.append(Problem(file=shown, message=f"line {number}: records a promotion to {record.to!r}, "
                                    f"not {dst!r}", fix=f"Restore {shown} from git history."))
        for tenant in record.tenants:
            latest[tenant.id] = (number, tenant.sha256)
    source_dir, target_dir = catalog_dir(project.root, src), catalog_dir(project.root, dst)
    promote = f"hipaachat promote --from {src} --to {dst} --tenant"
    # Every file the catalog loader deploys (<id>.yaml and <id>.yml), so no suffix escapes the check;
    # a source file is matched by tenant id (stem), whatever its suffix.
    source_files = tenant_file_names(source_dir)[0]
    sources = {p.stem: p for p in reversed(source_files)} | {p.name: p for p in source_files}
    present = set()
    for target in tenant_file_names(target_dir)[0]:
        tenant, rel = target.stem, project.relative(target)
        data = read_bytes(target, TENANT_FILE, root=project.root)
        present.add(tenant)
        source = sources.get(target.name) or sources.get(tenant)
        if source is None:
            problems.append(Problem(file=rel, tenant=tenant, message=f"no {project.relative(source_dir / target.name)} "
                                    "to promote from",
                                    fix=f"Restore the {src} file; tenants enter {dst} only by promotion."))
        elif read_bytes(source, TENANT_FILE, root=project.root) != data:
            problems.append(Problem(file=rel, tenant=tenant, message=f"differs from {project.relative(source)}",
                                    fix=f"Make the change in {project.relative(source)}, commit it, then run "
                                        f"`{promote} {tenant}`; never edit {dst}'s catalog directly."))
        recorded = latest.get(tenant)
        if recorded is None:
            problems.append(Problem(file=rel, tenant=tenant, message=f"no promotion record in {shown} names it",
                                    fix=f"Remove the file and promote it: `{promote} {tenant}`."))
        elif recorded[1] != digest(data):
            problems.append(Problem(file=rel, tenant=tenant, message=f"its latest promotion ({shown} line "
                                    f"{recorded[0]}) recorded sha256 {recorded[1][:12]}..., the file now has "
                                    f"{digest(data)[:12]}... (edited after promotion)",
                                    fix=f"Undo the edit (git checkout -- {rel}) and promote the change from {src}."))
    for tenant in sorted(set(latest) - present):
        problems.append(Problem(file=project.relative(target_dir / f"{tenant}.yaml"), tenant=tenant,
                                message=f"promoted ({shown} line {latest[tenant][0]}) but the file is gone",
                                fix="Restore it; offboard a tenant with lifecycle.state: offboarded, never by "
                                    "deleting its file."))
    return problems
