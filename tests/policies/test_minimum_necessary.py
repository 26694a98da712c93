"""Minimum necessary as a rule (45 CFR 164.502(b), 164.514(d)): over-broad role matrices, through the pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.catalog import load_catalog
from policies.hipaa.rules_access import over_broad
from scripts.audit.catalog import controls
from tests.policies.conftest import PRODUCTION, only, two_tenants

STANDARD = {
    "patient": {"sees": ["own"], "clinical_content": True},
    "provider": {"sees": ["panel"], "clinical_content": True},
    "care-coordinator": {"sees": ["assigned"], "clinical_content": True},
    "admin": {"sees": ["audit"], "clinical_content": False},
    "front-desk": {"sees": ["scheduling"], "clinical_content": False},
}
OVER_BROAD = [
    ("patient", {"sees": ["own", "panel"], "clinical_content": True}, "a patient sees [own, panel]"),
    ("provider", {"sees": ["panel", "audit"], "clinical_content": True}, "holds audit together with clinical"),
    ("auditor", {"sees": ["audit", "assigned"], "clinical_content": False}, "holds audit together with clinical"),
    ("superuser", {"sees": ["own", "panel", "assigned", "audit", "scheduling"], "clinical_content": True},
     "every scope with clinical content"),
]


def _with_roles(environment: str, role_id: str, role: dict):
    stack = two_tenants(environment)
    for tenant, roles in (("alpha", {**STANDARD, role_id: role}), ("bravo", dict(STANDARD))):
        stack.get(tenant).inputs["roles"] = stack.get(tenant).outputs["roles"] = roles
    return stack


@pytest.mark.parametrize(("role_id", "role", "words"), OVER_BROAD, ids=[r[0] for r in OVER_BROAD])
def test_each_over_broad_matrix_is_refused_in_production(analyze, role_id: str, role: dict, words: str) -> None:
    found = only(analyze(_with_roles("production", role_id, role), PRODUCTION), "access-minimum-necessary")
    assert [(v.enforcement, v.tenant) for v in found] == [("mandatory", "alpha")]
    assert f"\nroles.{role_id}.sees: " in found[0].message and words in found[0].message


def test_over_broad_is_advisory_in_prototype(analyze) -> None:
    role_id, role, _ = OVER_BROAD[-1]
    found = only(analyze(_with_roles("prototype", role_id, role)), "access-minimum-necessary")
    assert [(v.enforcement, v.tenant) for v in found] == [("advisory", "alpha")]


def test_the_standard_matrix_passes(analyze) -> None:
    assert only(analyze(_with_roles("production", "pharmacist", {"sees": ["care-team"], "clinical_content": True}),
                        PRODUCTION), "access-minimum-necessary") == []


def test_every_shipped_matrix_passes(project_root: Path) -> None:
    directories = sorted(p for p in (project_root / "stacks" / "tenants").iterdir() if p.is_dir())
    assert directories
    for directory in directories:
        for entry in load_catalog(directory):
            for role_id, role in entry.tenant.roles.items():
                assert over_broad(role_id, role.sees, role.clinical_content) is None, (entry.path, role_id)


def test_the_audit_judges_164_502_b_by_this_rule() -> None:
    by_id = {c.id: c for c in controls()}
    assert "access-minimum-necessary" in by_id["164.502(b)"].policies
    assert "access-minimum-necessary" in by_id["164.514(d)"].policies
