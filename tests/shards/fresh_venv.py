"""A fresh virtualenv holding only a requirements file's distributions (no network here).

`pip install -r requirements.txt` is what Pulumi does for a downloaded pack; with no network,
the same distributions are linked in from this test run's environment instead, resolved from
their metadata (requirements and their dependencies, markers evaluated) and nothing else. The
hipaachat project itself is never linked: what the pack needs of it must be inside the pack.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def _closure(requirements: list[str]) -> set[str]:
    todo = [Requirement(line) for line in requirements]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for raw in importlib.metadata.distribution(requirement.name).requires or []:
            dependency = Requirement(raw)
            if dependency.marker is None or dependency.marker.evaluate({"extra": ""}):
                todo.append(dependency)
    return seen


def make_fresh_venv(where: Path, requirements_file: Path) -> Path:
    """Create `where` as a virtualenv with exactly the distributions `requirements_file` needs."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(where)], check=True)
    site = next((where / "lib").glob("python3*/site-packages"))
    lines = [line for line in requirements_file.read_text().splitlines() if line.strip()]
    for name in _closure(lines):
        assert name != "hipaachat"
        dist = importlib.metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in tops:
            source = Path(dist.locate_file(top))
            if top.endswith(".pth") or top == ".." or not source.exists() or (site / top).exists():
                continue
            (site / top).symlink_to(source)
    return where / "bin" / "python"
