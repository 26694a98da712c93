"""What git knows about the project: the commit being promoted, uncommitted edits, who is acting.

A promotion names the commit it promoted, so a record is only as good as the claim that the
file was committed there; these helpers ask git directly and never guess.
"""

from __future__ import annotations

import os
from pathlib import Path

from scripts.repository import git


def head_commit(root: Path) -> str | None:
    result = git(root, "rev-parse", "--verify", "HEAD")
    return result.stdout.strip() if result is not None and result.returncode == 0 else None


def uncommitted(root: Path, path: Path) -> str | None:
    """Why `path` is not exactly as committed at HEAD, or None when it is."""
    if head_commit(root) is None:
        return "the project is not a git repository with a commit"
    tracked = git(root, "ls-files", "--error-unmatch", "--", str(path))
    if tracked is None or tracked.returncode != 0:
        return "the file is not committed (untracked)"
    status = git(root, "status", "--porcelain", "--", str(path))
    if status is None or status.returncode != 0:
        return "git could not report the file's status"
    return "the file has uncommitted edits" if status.stdout.strip() else None


def actor(explicit: str | None, root: Path) -> str | None:
    """--actor, else GITHUB_ACTOR (CI), else git's user.email; the record must name someone."""
    if explicit:
        return explicit
    if os.environ.get("GITHUB_ACTOR"):
        return os.environ["GITHUB_ACTOR"]
    email = git(root, "config", "user.email")
    if email is not None and email.returncode == 0 and email.stdout.strip():
        return email.stdout.strip()
    return None
