"""Retention floors through the real Analyzer protocol, in both phases of a deployment.

The Tenant component carries the tenant file's care and per-type retention on its inputs
(components/tenant.py); the pack recomputes the floors (components.retention_floors) and refuses
what is kept below them, naming the data type, the floor, the binding rule and the fix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.builder import StackBuilder
from tests.policies.conftest import PRODUCTION, PROTOTYPE, only, two_tenants
from tests.policies.test_preview_phase import both_phases, set_prop

MA_HOSPITAL = {"jurisdiction": "US-MA", "provider_type": "hospital", "serves_minors": False}


def declare(stack: StackBuilder, care: dict[str, Any] | None, messages: int | None, audit: int | None = None,
            lock_days: int | None = None) -> StackBuilder:
    """What components/tenant.py registers for alpha: care, and per type configured/kept days."""
    def kept(configured: int | None, floor: int) -> dict[str, Any]:
        return {"configured": configured, "kept": floor if configured is None else configured, "lockDays": 0}
    set_prop(stack.get("alpha"), "care", care)
    set_prop(stack.get("alpha"), "retention", {"messages": kept(messages, 2192), "audit": kept(audit, 2192)})
    if lock_days is not None:
        lock = stack.get("alpha-audit-lock")
        for values in (lock.inputs, lock.outputs):
            values["rule"] = {"defaultRetention": {"mode": "COMPLIANCE", "days": lock_days}}
    return stack


def findings(preview: set, update: set, policy: str) -> tuple[set, set]:
    return ({(t, u) for p, t, u in preview if p == policy}, {(t, u) for p, t, u in update if p == policy})


def test_us_ma_hospital_messages_below_20_years_is_refused_in_both_phases(analyze) -> None:
    stack = declare(two_tenants(), MA_HOSPITAL, messages=3653, lock_days=7305)
    preview, update = both_phases(analyze, stack, PROTOTYPE)
    tenant = stack.get("alpha").urn
    assert findings(preview, update, "retention-floor-met") == ({("alpha", tenant)}, {("alpha", tenant)})
    [violation] = only(analyze(stack), "retention-floor-met")
    assert violation.message.split("\n", 1)[1].startswith("retention.messages_days: 3653 is below the messages floor of 7305 days")
    assert "M.G.L. c.111 § 70" in violation.message and "set it to 7305 or more" in violation.message
    assert "checked 20" in violation.message and "http" in violation.message


def test_at_the_floor_it_plans_clean_in_both_phases(analyze) -> None:
    stack = declare(two_tenants(), MA_HOSPITAL, messages=7305, lock_days=7305)
    preview, update = both_phases(analyze, stack, PROTOTYPE)
    assert {p for p, _, _ in preview | update if p.startswith("retention-")} == set()


def test_audit_below_hipaa_six_years_binds_even_where_local_law_is_shorter(analyze) -> None:
    india = {"jurisdiction": "IN", "provider_type": "clinic", "serves_minors": False}
    stack = declare(two_tenants(), india, messages=None, audit=1096)
    config = {**PROTOTYPE, "hipaachat:retentionMinimumDays": "1"}
    [violation] = only(analyze(stack, config), "retention-floor-met")
    assert violation.message.split("\n", 1)[1].startswith("retention.audit_days: 1096 is below the audit floor of 2192 days")
    assert "45 CFR 164.316(b)(2)(i)" in violation.message
    assert only(analyze(declare(two_tenants(), india, messages=1096, audit=2192), config), "retention-floor-met") == []


def test_an_archive_default_shorter_than_the_longest_floor_is_refused_in_both_phases(analyze) -> None:
    stack = declare(two_tenants(), MA_HOSPITAL, messages=7305, lock_days=2192)
    preview, update = both_phases(analyze, stack, PROTOTYPE)
    bucket = stack.get("alpha-audit-bucket").urn
    assert findings(preview, update, "retention-archive-covers-floors") == ({("alpha", bucket)}, {("alpha", bucket)})
    [violation] = only(analyze(stack), "retention-archive-covers-floors")
    assert "2192 days" in violation.message and "7305" in violation.message and "M.G.L. c.111" in violation.message


def test_a_stack_row_raises_the_floor(analyze) -> None:
    row = {**{k: MA_HOSPITAL[k] for k in ("jurisdiction", "provider_type")}, "data_type": "messages", "days": 9000,
           "citation": "Counsel memo (synthetic)", "source": "https://example.org/memo", "checked": "2026-12-01"}
    stack = declare(two_tenants(), MA_HOSPITAL, messages=7305, lock_days=9000)
    [violation] = only(analyze(stack, {**PROTOTYPE, "hipaachat:retentionFloors": json.dumps([row])}),
                       "retention-floor-met")
    assert "floor of 9000 days" in violation.message and "Counsel memo (synthetic)" in violation.message


@pytest.mark.parametrize(("config", "level"), [(PRODUCTION, "mandatory"), (PROTOTYPE, "advisory")])
def test_care_is_required_in_production_and_advised_in_prototype(analyze, config, level) -> None:
    environment = config["hipaachat:environment"]
    stack = declare(two_tenants(environment), None, messages=None, lock_days=2192)
    found = only(analyze(stack, config), "production-care-declared")
    assert [(v.tenant, v.enforcement) for v in found] == [("alpha", level)]
    assert "care:" in found[0].message
