"""The import layers of pyproject.toml's [tool.importlinter] hold, and they refuse an upward arrow.

`lint-imports` runs over the repository itself (must pass) and over copies of the code, each
with one arrow added that the layers forbid (must fail, naming the contract), so a contract
that silently stopped matching anything would show up here rather than in a review.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_repository_keeps_every_layer() -> None:
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def code_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for package in ("scripts", "policies", "components"):
        shutil.copytree(PROJECT_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


UPWARD = [
    # (module that gains the import, the import, the contract that must break)
    ("components/catalog.py", "import scripts.project", "scripts -> policies -> components"),
    ("policies/hipaa/__init__.py", "import scripts.engine.models", "scripts -> policies -> components"),
    ("scripts/engine/models.py", "import scripts.plan.command", "inside scripts"),
    ("scripts/engine/capture.py", "from scripts.stacks import fleet", "inside scripts"),
    ("scripts/project/stack.py", "import scripts.stacks.command", "inside scripts"),
    ("scripts/promote/gates.py", "import scripts.plan.state", "inside scripts"),
    ("scripts/audit/command.py", "import scripts.shards.planner", "inside scripts"),
    ("scripts/emulator/http.py", "import scripts.emulator.app", "the CometChat emulator"),
    ("components/settings.py", "import components.cometchat.providers.connection", "stack settings"),
]


@pytest.mark.parametrize(("module", "statement", "contract"), UPWARD, ids=[u[0] + ": " + u[1] for u in UPWARD])
def test_an_upward_import_breaks_a_contract(code_copy: Path, module: str, statement: str, contract: str) -> None:
    path = code_copy / module
    original = path.read_text()
    path.write_text(original + f"\n{statement}  # added by the test\n")
    try:
        result = lint_imports(code_copy)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Broken contracts" in result.stdout, result.stdout
    assert contract in result.stdout.split("Broken contracts", 1)[1], result.stdout
    assert statement.split()[-1].split(".")[-1] in result.stdout
