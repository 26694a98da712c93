"""Asking git about the project, one way for every command.

promote (the commit it promotes, uncommitted edits, who acts), audit (the commit the evidence
describes) and shards (what changed since a ref, the commit an Operator Stack pins) all ask git;
a missing or hung git is answered the same way everywhere, and never as a traceback.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from scripts.project import InputError

GIT_TIMEOUT_SECONDS = 60


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """`git -C root ARGS`, or None when git is not installed or does not answer in time."""
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def git_output(root: Path, *args: str, needed_for: str) -> str:
    """The output of a git command that must succeed; otherwise bad input naming what git was needed for."""
    done = git(root, *args)
    if done is None:
        raise InputError(f"{needed_for} needs git on PATH, answering within {GIT_TIMEOUT_SECONDS} s")
    if done.returncode != 0:
        raise InputError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'} ({needed_for}; run inside the "
                         "project's git repository)")
    return done.stdout
