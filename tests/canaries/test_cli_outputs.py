"""No planted secret appears in anything a command writes: stdout, stderr, reports, new files.

Every command of tests/canaries/commands.py runs as a real `hipaachat` process in a copy of
the project whose stack file holds the canaries (as plain config and as `secure:` ciphertext),
with more canaries in its environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.canaries.commands import CANARIES, COMMANDS, ENVIRONMENT, STACK_VARIANTS, Command

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


def leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def contents(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts}


def files_written(before: dict[Path, bytes], after: dict[Path, bytes]) -> list[Path]:
    return [path for path, data in after.items() if before.get(path) != data]


@pytest.mark.parametrize("variant", sorted(STACK_VARIANTS))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.id)
def test_no_canary_in_any_output(command: Command, variant: str, project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "stacks" / "Pulumi.local.yaml").write_text(STACK_VARIANTS[variant])
    if command.prepare is not None:
        command.prepare(project_copy)
    out = tmp_path / "out"
    out.mkdir()
    before = contents(tmp_path)
    args = [a.replace("{out}", str(out)) for a in command.args]

    result = subprocess.run([HIPAACHAT, *args], cwd=project_copy, capture_output=True, text=True, timeout=600,
                            env={**os.environ, **ENVIRONMENT})

    assert result.returncode in command.exit_codes, result.stderr[-3000:]
    assert leaks(result.stdout) == [] and leaks(result.stderr) == []
    for path in files_written(before, contents(tmp_path)):
        assert leaks(path.read_text(errors="replace")) == [], path
    if command.id == "plan-json":
        assert (out / "plan.json").is_file()  # the scan above read a real report


def test_the_canaries_are_really_planted(project_copy: Path) -> None:
    """Guard against a vacuous pass: the plain-config stack really hands the values to the program."""
    from scripts.project import Project, load_stack

    (project_copy / "stacks" / "Pulumi.local.yaml").write_text(STACK_VARIANTS["plain-config"])
    config = load_stack(Project.find(project_copy), "local")
    assert set(CANARIES) & set(config.values.values()) >= {CANARIES[0], CANARIES[1]}
    assert any(CANARIES[2] in value for value in config.values.values())
