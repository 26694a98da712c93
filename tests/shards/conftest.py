"""A project copy under git, as CI checks it out, plus the helpers the shards tests share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=GIT_ENV).stdout.strip()


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-qm", message)
    return git(cwd, "rev-parse", "HEAD")


def add_tenant(project: Path, stack: str, tenant_id: str, residency: str = "us") -> Path:
    """A synthetic tenant file, made from the repository's example."""
    source = (project / "stacks" / "tenants" / "local" / "sunrise-clinic.yaml").read_text()
    path = project / "stacks" / "tenants" / stack / f"{tenant_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source.replace("id: sunrise-clinic", f"id: {tenant_id}")
                    .replace("Sunrise Family Clinic", f"Synthetic Clinic {tenant_id}")
                    .replace("residency: us", f"residency: {residency}"))
    return path


@pytest.fixture
def git_project(project_copy: Path) -> Path:
    git(project_copy, "init", "-q", "-b", "main")
    git(project_copy, "remote", "add", "origin", "https://git.example.org/acme/hipaachat.git")
    commit_all(project_copy, "initial")
    return project_copy
