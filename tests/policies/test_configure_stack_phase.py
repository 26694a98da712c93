"""ConfigureStack carries the engine's phase: dry_run true for a preview, false for the update."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.engine.analyzer import PolicyPackProcess
from scripts.engine.pack_process import PackProcess
from tests.policies.conftest import PACK_DIR, PROTOTYPE, two_tenants


def test_each_phase_is_announced_before_its_analysis(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    sent: list[tuple[str, Any]] = []
    real_call = PackProcess.call

    def recording(self: PackProcess, method: str, stub: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append((method, getattr(request, "dry_run", None)))
        return real_call(self, method, stub, request, *args, **kwargs)

    monkeypatch.setattr(PackProcess, "call", recording)
    waivers = tmp_path / "none.yaml"
    waivers.write_text("[]\n")
    resources = two_tenants().resources()
    with PolicyPackProcess(PACK_DIR, stack_config=PROTOTYPE, stack="test", processes=1,
                           env={"HIPAACHAT_WAIVERS": str(waivers)}) as pack:
        pack.analyze(resources, phase="preview")
        pack.analyze(resources, phase="update")
        pack.analyze(resources, phase="preview")

    def phases_before_analyses() -> list[bool]:
        announced, current = [], None
        for method, dry_run in sent:
            if method == "ConfigureStack":
                current = dry_run
            elif method == "AnalyzeStack":
                announced.append(current)
        return announced
    assert phases_before_analyses() == [True, False, True]
    assert [d for m, d in sent if m == "ConfigureStack"] == [True, False, True]
