"""The workflows that deploy production are a security boundary: every action pinned to a commit,
each job granted only what it uses, no checkout leaving the token behind unless it pushes, and
zizmor (an independent auditor, run by .ci/run) finding nothing at medium or higher."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("plan.yml", "deploy.yml", "promote.yml")
ZIZMOR = str(Path(sys.executable).with_name("zizmor"))
# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`: a commit cannot move, the comment says which release it is.
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s+v\d+\.\d+\.\d+\s*$")
USES = re.compile(r"^\s*(?:-\s+)?uses:")


def unpinned(text: str) -> list[str]:
    """The `uses:` lines of a workflow that are not a full commit SHA with a release comment."""
    return [line.strip() for line in text.splitlines() if USES.match(line) and not PINNED.match(line)]


def jobs(name: str) -> dict[str, dict]:
    return yaml.safe_load((WORKFLOWS / name).read_text())["jobs"]


def test_every_action_is_pinned_to_a_commit_with_its_release() -> None:
    lines = [line for name in NAMES for line in (WORKFLOWS / name).read_text().splitlines() if USES.match(line)]
    assert len(lines) >= 19  # every checkout, setup-uv, credentials, pulumi, artifact and SARIF step
    for name in NAMES:
        assert unpinned((WORKFLOWS / name).read_text()) == [], name


@pytest.mark.parametrize("edit", [
    ("@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "@v7"),           # a movable tag
    ("@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "@3d3c42e5aac5ba805825da76410c181273ba90b1"),  # no release
    ("@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "@3d3c42e # v7.0.1"),  # a short SHA
])
def test_an_unpinned_edit_is_refused(edit: tuple[str, str]) -> None:
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert edit[0] in text
    assert unpinned(text.replace(edit[0], edit[1], 1)) != []


def test_workflows_grant_nothing_and_each_job_only_what_it_uses() -> None:
    for name in NAMES:
        workflow = yaml.safe_load((WORKFLOWS / name).read_text())
        assert workflow["permissions"] == {}, name
        for job_name, job in workflow["jobs"].items():
            grants = job["permissions"]  # every job states its grants
            uses = [str(step.get("uses", "")) for step in job["steps"]]
            assumes_role = any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
            sarif = any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
            assert ("id-token" in grants) is assumes_role, (name, job_name)
            assert ("security-events" in grants) is sarif, (name, job_name)
            assert set(grants.values()) <= {"read", "write"}
            writes = {scope for scope, level in grants.items() if level == "write"}
            allowed = {"id-token"} if assumes_role else {"security-events"} if sarif else set()
            if name == "promote.yml":
                allowed = {"contents", "pull-requests"}  # pushes the promotion branch and opens its pull request
            assert writes <= allowed, (name, job_name, writes)


def test_only_the_job_that_pushes_keeps_the_token_in_its_checkout() -> None:
    checkouts = [(name, job_name, job, step) for name in NAMES for job_name, job in jobs(name).items()
                 for step in job["steps"] if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert len(checkouts) == 6
    for name, job_name, job, step in checkouts:
        pushes = any("git push" in s.get("run", "") for s in job["steps"])
        assert step["with"]["persist-credentials"] is pushes, (name, job_name)
    assert any(s["with"]["persist-credentials"] for *_, s in checkouts)  # promote's push is the one exception
    promote = (WORKFLOWS / "promote.yml").read_text()
    reason = promote[promote.index("actions/checkout@"):promote.index("persist-credentials: true")]
    assert "git push" in reason  # the exception says why it needs the token


def test_ci_runs_zizmor_offline_failing_at_medium() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "zizmor --offline --min-severity medium .github/workflows/" in script
    assert "set -euo pipefail" in script


def _zizmor(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZIZMOR, "--offline", "--min-severity", "medium", ".github/workflows/"], cwd=root,
                          capture_output=True, text=True, timeout=120)


def test_zizmor_finds_nothing_at_medium_and_fails_on_an_unpinned_action(tmp_path: Path) -> None:
    clean = _zizmor(ROOT)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    shutil.copytree(WORKFLOWS, tmp_path / ".github" / "workflows")
    for config in ("zizmor.yml", ".github/zizmor.yml"):
        if (ROOT / config).exists():
            shutil.copy(ROOT / config, tmp_path / config)
    deploy = tmp_path / ".github" / "workflows" / "deploy.yml"
    deploy.write_text(re.sub(r"pulumi/actions@[0-9a-f]{40} # v7\.0\.0", "pulumi/actions@v7", deploy.read_text()))
    dirty = _zizmor(tmp_path)
    assert dirty.returncode != 0
    assert "unpinned-uses" in dirty.stdout + dirty.stderr
