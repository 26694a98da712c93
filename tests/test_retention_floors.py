"""The retention floor table and the one computation everything shares (components.retention_floors)."""

from __future__ import annotations

import datetime as dt

import pytest

from components.retention_floors import (
    CLOUDWATCH_RETENTION_DAYS,
    Care,
    FloorError,
    FloorRow,
    floors_for,
    log_group_days,
    shipped_table,
    years_to_days,
)
from components.settings import StackSettings

HIPAA = "45 CFR 164.316(b)(2)(i)"


@pytest.mark.parametrize("row", shipped_table().rows, ids=lambda r: "/".join(r.key))
def test_every_shipped_row_is_sourced_and_dated(row: FloorRow) -> None:
    assert row.citation.strip() and row.source.startswith(("http://", "https://"))
    assert dt.date(2020, 1, 1) <= row.checked <= dt.date.today()


def test_rows_are_unique_per_jurisdiction_provider_and_data_type() -> None:
    keys = [r.key for r in shipped_table().rows]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("care", "minimum", "data_type", "days", "citation"), [
    (Care(jurisdiction="US-MA", provider_type="hospital"), 2192, "messages", years_to_days(20), "M.G.L. c.111 § 70"),
    (Care(jurisdiction="US-MA", provider_type="hospital"), 2192, "audit", 2192, HIPAA),
    (Care(jurisdiction="US-TX", provider_type="hospital"), 2192, "messages", years_to_days(10), "§241.103"),
    (Care(jurisdiction="DE", provider_type="physician"), 2192, "messages", years_to_days(10), "630f"),
    (Care(jurisdiction="DE-HH", provider_type="hospital"), 2192, "messages", years_to_days(30), "HmbKHG"),
    (Care(jurisdiction="IN", provider_type="clinic"), 1, "messages", years_to_days(3), "reg. 1.3.1"),
    (Care(jurisdiction="IN", provider_type="clinic"), 1, "audit", 2192, HIPAA),
    (None, 1, "audit", 2192, HIPAA),
])
def test_floors(care: Care | None, minimum: int, data_type: str, days: int, citation: str) -> None:
    floor = floors_for(care, minimum)[data_type]
    assert floor.days == days
    assert floor.binding is not None and citation in floor.binding.citation
    assert citation in floor.reason()


def test_minors_take_the_newborn_worst_case() -> None:
    adult = floors_for(Care(jurisdiction="US-TX", provider_type="hospital"), 2192)["messages"]
    minors = floors_for(Care(jurisdiction="US-TX", provider_type="hospital", serves_minors=True), 2192)["messages"]
    assert adult.days == 3653 and minors.days >= years_to_days(20) > adult.days
    colorado = floors_for(Care(jurisdiction="US-CO", provider_type="hospital", serves_minors=True), 2192)["messages"]
    assert colorado.days == years_to_days(28) and "until age 28" in colorado.reason()


def test_the_stack_minimum_binds_when_it_is_longest() -> None:
    floor = floors_for(Care(jurisdiction="IN", provider_type="clinic"), 2192)["messages"]
    assert floor.days == 2192 and floor.binding is None and "retentionMinimumDays" in floor.reason()


def test_a_stack_row_raises_a_floor_and_adds_a_jurisdiction() -> None:
    raised = FloorRow(jurisdiction="US-TX", provider_type="hospital", data_type="messages", days=5479,
                      citation="Counsel memo 2026-07 (synthetic)", source="https://example.org/memo",
                      checked=dt.date(2026, 12, 1))
    settings = StackSettings.from_config({"hipaachat:retentionFloors": [raised.model_dump(mode="json")]})
    floor = settings.floors(Care(jurisdiction="US-TX", provider_type="hospital"))["messages"]
    assert floor.days == 5479 and floor.binding == raised
    added = raised.model_copy(update={"jurisdiction": "US-VT"})
    assert floors_for(Care(jurisdiction="US-VT", provider_type="hospital"), 2192, [added])["messages"].days == 5479


@pytest.mark.parametrize(("care", "says"), [
    (Care(jurisdiction="US-ZZ", provider_type="hospital"), "known jurisdictions: DE"),
    (Care(jurisdiction="US-MA", provider_type="dentist"), "known: clinic, hospital, physician"),
    (Care(jurisdiction="US-TX", provider_type="clinic"), "no messages row for US-TX clinic"),
])
def test_unknown_care_is_an_error_naming_how_to_add_a_row(care: Care, says: str) -> None:
    with pytest.raises(FloorError) as raised:
        floors_for(care, 2192)
    assert says in str(raised.value) and "policies/hipaa/retention_floors.yaml" in str(raised.value)


@pytest.mark.parametrize(("audit", "group"), [(2192, 2192), (2200, 2557), (3653, 3653), (3654, 0), (7305, 0), (0, 0)])
def test_log_group_days_is_the_smallest_cloudwatch_value_or_never_expire(audit: int, group: int) -> None:
    assert log_group_days(audit) == group
    assert group == 0 or group in CLOUDWATCH_RETENTION_DAYS
