"""What git knows about the project: the commit being promoted, uncommitted edits, who is acting.

A promotion names the commit it promoted, so a record is only as good as the claim that the
file was committed there; these helpers ask git directly and never guess.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None


def head_commit(root: Path) -> str | None:
    result = _git(root, "rev-parse", "--verify", "HEAD")
    return result.stdout.strip() if result is not None and result.returncode == 0 else None


def uncommitted(root: Path, path: Path) -> str | None:
    """Why `path` is not exactly as committed at HEAD, or None when it is."""
    if head_commit(root) is None:
        return "the project is not a git repository with a commit"
    tracked = _git(root, "ls-files", "--error-unmatch", "--", str(path))
    if tracked is None or tracked.returncode != 0:
        return "the file is not committed (untracked)"
    status = _git(root, "status", "--porcelain", "--", str(path))
    if status is None or status.returncode != 0:
        return "git could not report the file's status"
    return "the file has uncommitted edits" if status.stdout.strip() else None


def actor(explicit: str | None, root: Path) -> str | None:
    """--actor, else GITHUB_ACTOR (CI), else git's user.email; the record must name someone."""
    if explicit:
        return explicit
    if os.environ.get("GITHUB_ACTOR"):
        return os.environ["GITHUB_ACTOR"]
    email = _git(root, "config", "user.email")
    if email is not None and email.returncode == 0 and email.stdout.strip():
        return email.stdout.strip()
    return None
