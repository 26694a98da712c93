"""What the evidence's `versions` block claims about the checkout: dirty means any change, untracked included."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts.audit.sources import versions_of

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}


def _repo(tmp_path: Path) -> Path:
    for directory in ("stacks/tenants/local", "policies", "components", "docs"):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / "stacks" / "tenants" / "local" / "a.yaml").write_text("id: a\n")
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-qm", "c")):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, env=GIT_ENV)
    return tmp_path


@pytest.mark.parametrize("untracked", ["stacks/tenants/local/rogue.yaml", "policies/extra.py", "components/new.py"])
def test_an_untracked_file_under_what_deploys_makes_the_checkout_dirty(tmp_path: Path, untracked: str) -> None:
    root = _repo(tmp_path)
    assert versions_of(root)("p").git_dirty is False
    (root / untracked).write_text("x\n")
    assert versions_of(root)("p").git_dirty is True


def test_untracked_documentation_does_not_and_a_tracked_edit_does(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "docs" / "notes.md").write_text("draft\n")
    assert versions_of(root)("p").git_dirty is False
    (root / "stacks" / "tenants" / "local" / "a.yaml").write_text("id: a\nname: b\n")
    assert versions_of(root)("p").git_dirty is True
