"""`--changed-since GIT_REF`: which stacks a change can affect, decided conservatively.

A tenant file or a stack file affects its stack; an environment's settings file affects all
of that environment's stacks; anything the program or the pack is made of (components/,
policies/ and its waivers, scripts/, __main__.py, Pulumi.yaml, dependencies) affects every
stack. Only files that cannot change a deployment (documentation, tests, CI definitions,
promotion records) affect none. When unsure, plan more, never less.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from scripts.project import InputError, Project
from scripts.shards.models import ChangeScope
from scripts.repository import git_output

# Paths (relative to the project root) that never change what a stack deploys.
INERT_PREFIXES = ("tests/", "docs/", ".github/", "stacks/promotions/")
INERT_SUFFIXES = (".md",)


def _git(project: Project, *args: str) -> str:
    return git_output(project.root, *args, needed_for="--changed-since")


def changed_files(project: Project, ref: str) -> tuple[str, list[str]]:
    """The commit `ref` names and every file changed since it (committed, staged, unstaged or new)."""
    try:
        commit = _git(project, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except InputError as exc:
        raise InputError(f"--changed-since {ref}: not a commit in this repository ({exc}); "
                         "pass a branch, tag or commit, e.g. origin/main") from exc
    # --relative: paths are relative to the project root even when the repository is larger.
    diff = _git(project, "diff", "--name-only", "--no-renames", "--relative", commit, "--")
    untracked = _git(project, "ls-files", "--others", "--exclude-standard")
    return commit, sorted({line for line in (diff + untracked).splitlines() if line})


def affected_stacks(project: Project, stacks: list[str], environment: str, ref: str) -> tuple[list[str], ChangeScope]:
    """The subset of `stacks` (one environment's) that a change since `ref` can affect."""
    commit, files = changed_files(project, ref)
    config_dir = PurePosixPath(project.relative(project.stack_config_dir))
    scope = ChangeScope(ref=ref, commit=commit)
    hit: dict[str, list[str]] = {}
    for name in files:
        path = PurePosixPath(name)
        if name.startswith(INERT_PREFIXES) or name.endswith(INERT_SUFFIXES):
            continue
        stack = _stack_of(path, config_dir)
        if stack is not None:
            if stack in stacks:
                hit.setdefault(stack, []).append(name)
            continue
        if path.parent == config_dir / "environments":
            if path.stem == environment:
                for member in stacks:
                    hit.setdefault(member, []).append(name)
            continue
        scope.all_because = scope.all_because or name
    if scope.all_because:
        hit = {s: hit.get(s, []) for s in stacks}
    scope.files = {s: sorted(v) for s, v in sorted(hit.items())}
    return [s for s in stacks if s in hit], scope


def _stack_of(path: PurePosixPath, config_dir: PurePosixPath) -> str | None:
    """The stack a file belongs to: its stack file, or a file in its catalog."""
    if path.parent == config_dir and path.name.startswith("Pulumi.") and path.suffix in (".yaml", ".yml"):
        return path.name[len("Pulumi."):-len(path.suffix)]
    parts = path.parts
    if len(parts) >= 4 and parts[0] == "stacks" and parts[1] == "tenants":
        return parts[2]
    return None
