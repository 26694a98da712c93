"""Policy packs for the tests, started through the real Analyzer protocol and shared per session.

Starting a pack costs about a second (plus pulumi-aws imports on first use), so packs are
cached by their configuration: every test that needs "prototype, default waivers, today =
TODAY" talks to the same process. A pack learns where resources sit from each Analyze call, and
each stack the tests send re-registers every resource, so sharing a process between tests
cannot leak one stack's structure into another's result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from scripts.engine.analyzer import PolicyOutcome, PolicyPackProcess
from scripts.engine.models import Violation
from tests.policies.builder import StackBuilder

PACK_DIR = Path(__file__).resolve().parents[2] / "policies" / "hipaa"
TODAY = "2026-06-15"
PROTOTYPE = {"hipaachat:environment": "prototype"}
PRODUCTION = {
    "hipaachat:environment": "production",
    "hipaachat:cometchatPlan": {"hipaaEligible": True, "reference": "CC-HIPAA-TEST-0001",
                                "attestedBy": "compliance@harbor-health.test"},  # example.org = placeholder
}


class Packs:
    """Pack processes keyed by (stack config, policy config, extra env)."""

    def __init__(self, empty_waivers: Path) -> None:
        self._packs: dict[str, PolicyPackProcess] = {}
        self._default_env = {"HIPAACHAT_TODAY": TODAY, "HIPAACHAT_WAIVERS": str(empty_waivers)}

    def get(self, stack_config: Mapping[str, Any], *, policy_config: Mapping[str, Any] | None = None,
            env: Mapping[str, str] | None = None) -> PolicyPackProcess:
        environment = {**self._default_env, **(env or {})}
        key = json.dumps([stack_config, policy_config or {}, environment], sort_keys=True)
        if key not in self._packs:
            pack = PolicyPackProcess(PACK_DIR, stack_config=stack_config, stack="test", policy_config=policy_config,
                                     env=environment, processes=1)
            pack.start()
            self._packs[key] = pack
        return self._packs[key]

    def close(self) -> None:
        for pack in self._packs.values():
            pack.close()


@pytest.fixture(scope="session")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Packs]:
    empty = tmp_path_factory.mktemp("waivers") / "none.yaml"
    empty.write_text("[]\n")
    cache = Packs(empty)
    yield cache
    cache.close()


@pytest.fixture
def analyze(packs: Packs):
    """analyze(stack, config=PROTOTYPE, **pack options) -> PolicyOutcome, through a real pack process."""
    def run(stack: StackBuilder, config: Mapping[str, Any] = PROTOTYPE, **options: Any) -> PolicyOutcome:
        return packs.get(config, **options).analyze(stack.resources())
    return run


def two_tenants(environment: str = "prototype", **alpha: Any) -> StackBuilder:
    """A compliant stack: tenant `alpha` (us) and tenant `bravo` (eu)."""
    production = environment == "production"
    return (StackBuilder().tenant("alpha", environment=environment, production=production, **alpha)
            .tenant("bravo", residency="eu", environment=environment, production=production))


def only(outcome: PolicyOutcome, policy: str) -> list[Violation]:
    return [v for v in outcome.violations if v.policy == policy]


def policies_violated(outcome: PolicyOutcome) -> set[str]:
    return {v.policy for v in outcome.violations}
