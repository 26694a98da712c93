"""The lifecycle block of a tenant file: what validates, and how `tenants offboard` edits it."""

from __future__ import annotations

import datetime as dt

import pytest

from components.catalog import parse_tenant
from components.lifecycle import deploys, evidence_until
from scripts.tenants.offboard import OffboardError, offboard
from tests.test_catalog import GOOD

TEXT = GOOD.format(id="river-clinic", name="River Clinic (synthetic)", residency="eu")
TODAY = dt.date(2026, 12, 1)


def tenant(extra: str):
    spec, problems = parse_tenant(TEXT + extra, "river-clinic.yaml", "river-clinic")
    return spec, [str(p) for p in problems]


def test_active_is_the_default_and_deploys_everything():
    spec, _ = tenant("")
    assert spec.lifecycle.state == "active" and deploys(spec, TODAY) == "everything"
    assert evidence_until(spec) is None


@pytest.mark.parametrize(("extra", "message"), [
    ("lifecycle:\n  state: active\n  offboarded_on: 2026-01-01\n", "offboarded_on is set but state is active"),
    ("lifecycle:\n  state: offboarded\n", "needs offboarded_on"),
    ("lifecycle:\n  state: deleted\n  offboarded_on: 2026-01-01\n", "lifecycle.state"),
    ("lifecycle:\n  state: offboarded\n  offboarded_on: someday\n", "lifecycle.offboarded_on"),
])
def test_inconsistent_lifecycles_are_refused_with_file_and_line(extra, message):
    spec, problems = tenant(extra)
    assert spec is None and len(problems) == 1
    assert problems[0].startswith("river-clinic.yaml:") and message in problems[0]


def test_evidence_is_kept_for_the_whole_retention_and_released_only_explicitly():
    offboarded, _ = tenant("lifecycle:\n  state: offboarded\n  offboarded_on: 2020-01-01\n")
    assert evidence_until(offboarded) == dt.date(2026, 1, 1)
    assert deploys(offboarded, dt.date(2030, 1, 1)) == "evidence"  # past the date, still kept until released
    released, _ = tenant("lifecycle:\n  state: released\n  offboarded_on: 2020-01-01\n")
    assert deploys(released, dt.date(2025, 12, 31)) == "evidence"
    assert deploys(released, dt.date(2026, 1, 1)) == "nothing"
    forever, _ = tenant("lifecycle:\n  state: released\n  offboarded_on: 2020-01-01\n")
    kept = forever.model_copy(update={"retention": forever.retention.model_copy(update={"audit_log_days": 0})})
    assert evidence_until(kept) is None and deploys(kept, dt.date(2999, 1, 1)) == "evidence"


def test_offboard_replaces_an_existing_block_and_keeps_the_rest():
    existing = "lifecycle:   # set by hipaachat tenants offboard\n  state: active\n\n"
    text = TEXT.replace("roles:", existing + "roles:")
    result = offboard(text, "river-clinic.yaml", "river-clinic", dt.date(2026, 11, 30), TODAY)
    block = "lifecycle:\n  state: offboarded\n  offboarded_on: 2026-11-30"
    assert result.text.count("lifecycle:") == 1 and block in result.text
    assert result.text.replace(block + "\n", "") == text.replace(existing, "")
    assert result.kept_until == dt.date(2032, 11, 30)
    assert offboard(TEXT, "river-clinic.yaml", "river-clinic", TODAY, TODAY).text == TEXT + (
        "lifecycle:\n  state: offboarded\n  offboarded_on: 2026-12-01\n")


def test_offboard_refuses_a_future_date_and_a_broken_file():
    with pytest.raises(OffboardError, match="in the future"):
        offboard(TEXT, "river-clinic.yaml", "river-clinic", dt.date(2027, 1, 1), TODAY)
    with pytest.raises(OffboardError, match="does not validate"):
        offboard(TEXT.replace("residency: eu", "residency: mars"), "river-clinic.yaml", "river-clinic",
                 dt.date(2026, 1, 1), TODAY)
