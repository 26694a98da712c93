"""`promote --check`: did every file of the destination's stacks arrive through promote (or a move)?

The destination is an environment (all its stacks) or one stack. For each stack, the latest
record naming a tenant in stacks/promotions/<stack>.jsonl says what must be there: the bytes a
promotion or a move-in recorded, or nothing after a move-out. The check fails on a file whose
bytes differ from that record (a direct edit), a file no record names (written by hand or by
`tenants new`), a recorded file that is gone, and a broken chain. A source file that production
does not have yet, or has in an older version, is *pending promotion*: listed, never a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.files import TENANT_FILE, read_bytes
from scripts.project import Project
from scripts.promote.models import Pending, Problem, PromotionRecord
from scripts.promote.records import digest, read_chain, records_path
from scripts.promote.targets import holder, stacks_of, tenant_files


@dataclass
class CheckResult:
    stacks: list[str]
    problems: list[Problem] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    files: int = 0
    records: int = 0


def _expected(record: PromotionRecord, stack: str) -> bool:
    """Whether the record leaves the tenant in `stack` (promoted or moved in) rather than moved out."""
    return record.to == stack


def check_stack(project: Project, stack: str, src: str, result: CheckResult) -> dict[str, str]:
    """Append `stack`'s problems; return its tenants' recorded sha256 (those expected present)."""
    path = records_path(project.root, stack)
    shown = project.relative(path)
    chain = read_chain(path, root=project.root)
    result.records += len(chain.records)
    restore = (f"Restore {shown} from git history (git checkout -- {shown}); records are append-only and written "
               "only by hipaachat promote and hipaachat shards move.")
    result.problems += [Problem(file=shown, message=p, fix=restore) for p in chain.problems]
    latest: dict[str, tuple[int, PromotionRecord, str]] = {}
    for number, record in chain.records:
        if record.to != stack and not (record.kind == "move" and record.from_ == stack):
            result.problems.append(Problem(file=shown, message=f"line {number}: records a {record.kind} to "
                                           f"{record.to!r}, not to {stack!r}", fix=restore))
            continue
        for tenant in record.tenants:
            latest[tenant.id] = (number, record, tenant.sha256)
    promote = f"hipaachat promote --from {src} --to {stack} --tenant"
    present = tenant_files(project, stack)
    result.files += len(present)
    for tenant, target in present.items():
        rel = project.relative(target)
        data = read_bytes(target, TENANT_FILE, root=project.root)
        entry = latest.get(tenant)
        if entry is None or not _expected(entry[1], stack):
            why = ("no promotion record in " + shown + " names it" if entry is None else
                   f"{shown} line {entry[0]} recorded it moving to {entry[1].to}")
            result.problems.append(Problem(
                file=rel, tenant=tenant, message=f"{why}: it did not arrive by promotion or move",
                fix=f"Remove the file (git rm {rel}); create the tenant in {src} (hipaachat tenants new --stack {src} "
                    f"{tenant}), commit it, then `{promote} {tenant}`."))
        elif entry[2] != digest(data):
            result.problems.append(Problem(
                file=rel, tenant=tenant, message=f"its latest record ({shown} line {entry[0]}) has sha256 "
                f"{entry[2][:12]}..., the file now has {digest(data)[:12]}... (edited without a promotion)",
                fix=f"Undo the edit (git checkout -- {rel}); make the change in {src}, commit it, then "
                    f"`{promote} {tenant}`."))
    recorded = {t: e[2] for t, e in latest.items() if _expected(e[1], stack)}
    for tenant in sorted(set(recorded) - set(present)):
        number = latest[tenant][0]
        result.problems.append(Problem(
            file=f"stacks/tenants/{stack}/{tenant}.yaml", tenant=tenant,
            message=f"recorded ({shown} line {number}) but the file is gone",
            fix=f"Restore it (git checkout -- stacks/tenants/{stack}/{tenant}.yaml). Offboard a tenant in {src} "
                f"(hipaachat tenants offboard --stack {src} {tenant}) and promote it; move it with "
                "hipaachat shards move; never delete its file."))
    return recorded


def check(project: Project, src: str, dst: str) -> CheckResult:
    sources, destinations = stacks_of(project, src), stacks_of(project, dst)
    result = CheckResult(stacks=destinations)
    recorded: dict[str, str] = {}
    for stack in destinations:
        recorded |= check_stack(project, stack, src, result)
    for source in sources:
        for tenant, path in sorted(tenant_files(project, source).items()):
            home = holder(project, destinations, tenant)
            data = read_bytes(path, TENANT_FILE, root=project.root)
            if home is not None and recorded.get(tenant) == digest(data):
                continue
            result.pending.append(Pending(
                tenant=tenant, source=project.relative(path), destination=home,
                state="new" if home is None else "changed",
                command=f"hipaachat promote --from {source} --to {home or dst} --tenant {tenant}"))
    return result
