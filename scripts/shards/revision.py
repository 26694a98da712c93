"""The git revision an Operator Stack pins: the commit checked out here, clean, and nothing else.

`hipaachat shards operator` plans the working tree; the Stacks it writes deploy a commit. The
two are the same thing only if the tree is exactly that commit, so a dirty tree is refused:
otherwise the pack would have checked files the Operator never deploys, and vice versa.
"""

from __future__ import annotations


from scripts.project import InputError, Project
from scripts.repository import git_output


class RevisionRefused(Exception):
    """The working tree is not exactly the commit to pin (exit 1: nothing is written)."""


def _git(project: Project, *args: str) -> str:
    return git_output(project.root, *args, needed_for="pinning the commit an Operator Stack deploys").strip()


def checked_revision(project: Project, commit: str | None, ignore: list[str] = ()) -> tuple[str, str]:
    """(HEAD's full sha, the project's directory inside the repository) after refusing a dirty tree.

    `ignore`: project-relative paths that cannot change a deployment (the manifests being written).
    """
    head = _git(project, "rev-parse", "HEAD")
    if commit is not None:
        wanted = _git(project, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
        if wanted != head:
            raise InputError(f"--commit {commit} is not the checked-out commit {head[:12]}; check it out first "
                             f"(`git checkout {commit}`): the plan must run on exactly what the Operator deploys")
    dirty = _git(project, "status", "--porcelain", "--untracked-files=all", "--", ".",
                 *(f":(exclude){path}" for path in ignore))
    if dirty:
        shown = "; ".join(line.strip() for line in dirty.splitlines()[:5])
        raise RevisionRefused(f"the working tree differs from {head[:12]} ({shown}); commit or stash it: a Stack "
                              "pins a commit, and only a clean checkout of it is what `shards plan` checks")
    return head, _git(project, "rev-parse", "--show-prefix").rstrip("/")


def origin_url(project: Project) -> str:
    try:
        return _git(project, "remote", "get-url", "origin")
    except InputError as exc:
        raise InputError("no git remote `origin`; pass --repo URL (the repository the Operator clones)") from exc
