"""Fixtures shared by every test directory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The journey (a tenant's whole life through CI) runs about as long as a third of the rest on one
# worker: started first, the other workers share everything else around it instead of waiting on it.
LONGEST_FIRST = ("tests/test_journey.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST_FIRST)


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def event_loop_per_test() -> Iterator[asyncio.AbstractEventLoop]:
    """Pulumi's runtime keeps state on the current loop; a fresh loop per test keeps tests independent."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project (program, stacks, policies) that a test may edit freely."""
    import shutil

    root = tmp_path / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    for name in ("stacks", "policies"):
        shutil.copytree(PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    record_production_settings(root)
    return root


def record_production_settings(root: Path) -> None:
    """Replace the shipped placeholder CometChat attestation and on-call endpoints with recorded ones, as a fork does.

    The production gate refuses the shipped example values (an attestation nobody made, alarms that
    page nobody); a copy that promotes or plans production stands for a repository whose team
    recorded its own (synthetic here: the reserved .test TLD, which is not an example domain).
    """
    for name in ("environments/production.yaml", "Pulumi.production.yaml"):
        path = root / "stacks" / name
        text = path.read_text()
        assert "CC-HIPAA-ADDON-EXAMPLE-0001" in text and "compliance@example.org" in text, path
        assert "oncall@example.org" in text and "https://pager.example.org/" in text, path
        path.write_text(text.replace("CC-HIPAA-ADDON-EXAMPLE-0001", "CC-HIPAA-ADDON-2026-0142")
                        .replace("compliance@example.org", "compliance@harbor-health.test")
                        .replace("oncall@example.org", "oncall@harbor-health.test")
                        .replace("https://pager.example.org/", "https://pager.harbor-health.test/"))
