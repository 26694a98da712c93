"""A committed git repository holding a copy of the project, as CI's checkout would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def git_project(project_copy: Path) -> Path:
    git(project_copy, "init", "-q", "-b", "main")
    git(project_copy, "config", "user.email", "operator@example.org")
    git(project_copy, "config", "user.name", "Test Operator")
    commit_all(project_copy, "the shipped project")
    return project_copy
