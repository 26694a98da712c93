"""Where the audited resources come from: the declared stack (program under mocks) or a deployed state.

Both end as `CapturedResource`s, the project's pivot format, plus the files they were read from
(each with its sha256, so an auditor can prove which revision was judged) and the versions of
hipaachat, the pack and the git checkout. A deployed state is read only through `scripts.engine.state`,
the project's one reader of the `pulumi stack export` format.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pulumi

from policies.hipaa.waivers import waiver_path
from scripts.audit.evidence import AuditSubject
from scripts.audit.models import InputFile, Versions
from scripts.engine.capture import run_program_sharded
from scripts.inputs import POLICY_PACK
from scripts.inputs import validate_inputs
from scripts.promote.records import RECORDS_DIR
from scripts.project import InputError, Project, StackConfig, load_stack
from scripts.engine.state import StateDocument, read_state
from scripts.repository import git


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pack_digest(pack_dir: Path) -> str:
    """One hash over the pack's sources (path and bytes of each), so two runs can prove the same pack judged."""
    digest = hashlib.sha256()
    for path in sorted(p for p in pack_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(pack_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _inputs(project: Project, files: Iterable[tuple[str, Path]]) -> list[InputFile]:
    found = [InputFile(role=role, path=project.relative(path), sha256=sha256_file(path))
             for role, path in files if path.is_file()]
    pack = project.root / POLICY_PACK
    if pack.is_dir():
        found.append(InputFile(role="policy pack sources", path=project.relative(pack), sha256=_pack_digest(pack)))
    return found


def _common_files(project: Project, stack: str) -> list[tuple[str, Path]]:
    promotions = project.root / RECORDS_DIR
    return [("stack settings", project.stack_file(stack)), ("waivers", waiver_path(project.root / POLICY_PACK)),
            *(("promotions", p) for p in sorted(promotions.glob("*.jsonl")))]


def _git(root: Path, *args: str) -> str | None:
    done = git(root, *args)
    return done.stdout.strip() if done is not None and done.returncode == 0 else None


DIRTY_UNTRACKED = ("stacks", "policies", "components")


def versions_of(root: Path) -> Callable[[str], Versions]:
    try:
        own = importlib.metadata.version("hipaachat")
    except importlib.metadata.PackageNotFoundError:
        own = "unknown"
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no") if commit else None
    # An untracked tenant file, stack file, policy or component is deployed and audited all the same.
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", *DIRTY_UNTRACKED) if commit else None
    dirty = None if status is None or untracked is None else bool(status or untracked)
    return lambda pack: Versions(hipaachat=own, policy_pack=pack, git_commit=commit, git_dirty=dirty)


def declared(project: Project, stack: str) -> AuditSubject:
    """The stack as the repository declares it: catalog + program under Pulumi's mocks (as `plan` runs it)."""
    started = time.perf_counter()
    config, tenant_files = validate_inputs(project, stack)
    try:
        resources = run_program_sharded(project.root, stack, config.values, config.secret_keys, tenant_files,
                                        workers=os.cpu_count() or 1)
    except pulumi.ConfigMissingError as exc:
        raise InputError(f"{project.relative(project.stack_file(stack))}: {exc}") from exc
    files = [("project", project.root / "Pulumi.yaml"), ("program", project.root / "__main__.py"),
             *_common_files(project, stack), *(("tenant file", p) for p in tenant_files)]
    return AuditSubject(project=project, stack=stack, project_name="hipaachat", source="declared",
                        resources=resources, inputs=_inputs(project, files), stack_config=config,
                        versions=versions_of(project.root), read_seconds=time.perf_counter() - started,
                        notes=list(config.warnings))


def _stack_config(project: Project, stack: str) -> tuple[StackConfig | None, list[str]]:
    """The stack's settings when the project has them; a foreign stack is judged with the pack's strict defaults."""
    if not project.stack_file(stack).is_file():
        return None, [f"{project.relative(project.stack_file(stack))} does not exist: the pack judged this state with "
                      "its strictest defaults (production rules, 2192-day retention)"]
    config = load_stack(project, stack)
    return config, []


def read_deployed(path: Path) -> StateDocument:
    """The one place audit reads a deployed state: the project's reader (scripts.engine.state), nothing of its own."""
    return read_state(path)


def deployed(project: Project, state_file: Path, stack: str | None) -> AuditSubject:
    """A deployed stack from a `pulumi stack export` file or a self-managed backend checkpoint."""
    started = time.perf_counter()
    state = read_deployed(state_file)
    name = stack or state.stack
    if name is None:
        raise InputError(f"{state_file}: no resource URN names a stack; pass --stack NAME")
    if stack is not None and state.stack is not None and state.stack != stack:
        raise InputError(f"{state_file}: the state belongs to stack '{state.stack}', not '{stack}'; "
                         f"drop --stack or pass --stack {state.stack}")
    config, notes = _stack_config(project, name)
    files = [("state", state_file), *_common_files(project, name)]
    source = "declared-export" if state.manifest is not None and state.manifest.declared_export else "deployed"
    return AuditSubject(project=project, stack=name, project_name=state.project or "hipaachat", source=source,
                        resources=state.resources, inputs=_inputs(project, files), stack_config=config,
                        versions=versions_of(project.root), read_seconds=time.perf_counter() - started, notes=notes)
