"""Retention floors: how long each data type of a tenant must be kept, and which rule says so.

The one place the floor is computed. The program (log group, Object Lock default, per-object
retain-until), the policy pack (retention-floor-met, retention-archive-default-covers-floors) and
`hipaachat audit` all call `floors_for`, so what is deployed, what is refused and what the
auditor reads can never disagree.

A tenant's floor per data type is the maximum of: the stack's `hipaachat:retentionMinimumDays`,
HIPAA's 2,192 days for `audit` (a `*` row of the table), the jurisdiction's adult period for the
tenant's provider type, and, when the tenant serves minors, the newborn worst case of the row's
minor rule. The rows are reviewed data: policies/hipaa/retention_floors.yaml, plus the stack's
`hipaachat:retentionFloors` rows, which replace a shipped row of the same key or add one.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

# The table ships inside the policy pack (scripts/shards/pack.py copies it next to its modules).
TABLE_FILE = Path(__file__).resolve().parents[1] / "policies" / "hipaa" / "retention_floors.yaml"
TABLE_SHOWN = "policies/hipaa/retention_floors.yaml"
DATA_TYPES: tuple[str, ...] = ("messages", "audit")
DataType = Literal["messages", "audit"]
# CloudWatch Logs accepts only these retention values; 0 means "never expire".
CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
CLOUDWATCH_LONGEST = CLOUDWATCH_RETENTION_DAYS[-1]
STACK_MINIMUM = "stack minimum"
HOW_TO_ADD = (f"add a row to {TABLE_SHOWN} (jurisdiction, provider_type, data_type, days, citation, source, "
              "checked) in a pull request counsel reviews, or to the stack file's hipaachat:retentionFloors")


def years_to_days(years: float) -> int:
    """Calendar years as days, leap years included: 6 -> 2192, 10 -> 3653, 20 -> 7305."""
    return math.ceil(years * 365.25)


class MinorRule(BaseModel):
    """How long a minor's record is kept: until an age, or some years after majority."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    until_age: int | None = Field(None, ge=1, le=120)
    years_after_majority: int | None = Field(None, ge=0, le=100)
    majority_age: int = Field(18, ge=1, le=30)

    @model_validator(mode="after")
    def _one_rule(self) -> "MinorRule":
        if (self.until_age is None) == (self.years_after_majority is None):
            raise ValueError("set exactly one of until_age and years_after_majority")
        return self

    def newborn_days(self) -> int:
        """The worst case: a record made on the day a patient is born."""
        age = self.until_age if self.until_age is not None else self.majority_age + (self.years_after_majority or 0)
        return years_to_days(age)

    def describe(self) -> str:
        if self.until_age is not None:
            return f"minors until age {self.until_age}"
        return f"minors {self.years_after_majority} years after age {self.majority_age}"


class FloorRow(BaseModel):
    """One reviewed row: a jurisdiction's period for one provider type and data type, with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: str = Field(pattern=r"^(\*|[A-Z]{2}(-[A-Z0-9]{1,3})?)$")
    provider_type: str = Field(pattern=r"^(\*|[a-z][a-z-]{1,30})$")
    data_type: DataType
    days: int = Field(ge=1, le=36525)
    minor: MinorRule | None = None
    citation: str = Field(min_length=3)
    source: str = Field(pattern=r"^https?://")
    checked: dt.date
    note: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.jurisdiction, self.provider_type, self.data_type

    def floor_days(self, serves_minors: bool) -> int:
        minor = self.minor.newborn_days() if (serves_minors and self.minor) else 0
        return max(self.days, minor)


class FloorTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: list[FloorRow]

    def merged(self, overrides: Sequence[FloorRow]) -> "FloorTable":
        """The stack's rows replace shipped rows with the same key and add the others."""
        by_key = {row.key: row for row in self.rows}
        by_key.update({row.key: row for row in overrides})
        return FloorTable(rows=list(by_key.values()))

    def jurisdictions(self) -> list[str]:
        return sorted({r.jurisdiction for r in self.rows if r.jurisdiction != "*"})

    def provider_types(self) -> list[str]:
        return sorted({r.provider_type for r in self.rows if r.provider_type != "*"})

    def matching(self, jurisdiction: str, provider_type: str, data_type: str) -> list[FloorRow]:
        """Rows for the jurisdiction, its country (US for US-TX) and `*`, for the provider type or `*`."""
        places = {jurisdiction, jurisdiction.split("-")[0], "*"}
        return [r for r in self.rows if r.jurisdiction in places and r.provider_type in (provider_type, "*")
                and r.data_type == data_type]

    def problem(self, jurisdiction: str, provider_type: str) -> str | None:
        """Why a tenant's care cannot be looked up (None when it can): never a silent default."""
        if jurisdiction not in self.jurisdictions():
            return (f"'{jurisdiction}' is not in the retention floor table; known jurisdictions: "
                    f"{', '.join(self.jurisdictions())}; to add one, {HOW_TO_ADD}")
        if provider_type not in self.provider_types():
            return (f"'{provider_type}' is not a provider type of the retention floor table; known: "
                    f"{', '.join(self.provider_types())}; to add one, {HOW_TO_ADD}")
        if not any(r.jurisdiction != "*" for r in self.matching(jurisdiction, provider_type, "messages")):
            known = sorted({r.provider_type for r in self.rows if r.jurisdiction in
                            (jurisdiction, jurisdiction.split("-")[0]) and r.data_type == "messages"})
            return (f"the retention floor table has no messages row for {jurisdiction} {provider_type} (rows for "
                    f"{jurisdiction}: {', '.join(known) or 'none'}); to add one, {HOW_TO_ADD}")
        return None


class Floor(BaseModel):
    """One data type's floor and the rule that binds it (None when the stack minimum binds)."""

    model_config = ConfigDict(frozen=True)

    data_type: DataType
    days: int
    binding: FloorRow | None
    stack_minimum: int

    def reason(self) -> str:
        """The binding rule in words, for findings and evidence."""
        if self.binding is None:
            return f"the stack's hipaachat:retentionMinimumDays ({self.stack_minimum} days)"
        row = self.binding
        minor = f", {row.minor.describe()}" if row.minor else ""
        where = "every tenant" if row.jurisdiction == "*" else f"{row.jurisdiction} {row.provider_type}"
        return (f"{row.citation} ({where}: {row.days} days{minor}; "
                f"source {row.source}, checked {row.checked.isoformat()})")


class Care(BaseModel):
    """Where care is delivered, by whom, for whom (the tenant file's `care:`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", description=(
        "ISO 3166-2 (US-TX) or ISO 3166-1 (DE): where care is delivered"))
    provider_type: str = Field(pattern=r"^[a-z][a-z-]{1,30}$", description="hospital | physician | clinic")
    serves_minors: bool = Field(False, strict=True, description=(
        "records of minors are kept to an age-based date (the newborn worst case)"))


class FloorError(ValueError):
    """The care a tenant declares has no row in the table (bad input, never a default)."""


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> FloorTable:
    return FloorTable.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def shipped_table() -> FloorTable:
    return _load(TABLE_FILE)


def stack_table(overrides: Sequence[FloorRow] = ()) -> FloorTable:
    return shipped_table().merged(overrides) if overrides else shipped_table()


def floors_for(care: Care | None, stack_minimum: int, overrides: Sequence[FloorRow] = ()) -> dict[str, Floor]:
    """Each data type's floor. Without `care` only the stack minimum and the `*` rows apply."""
    table = stack_table(overrides)
    if care is not None and (problem := table.problem(care.jurisdiction, care.provider_type)):
        raise FloorError(problem)
    floors: dict[str, Floor] = {}
    for data_type in DATA_TYPES:
        rows = (table.matching(care.jurisdiction, care.provider_type, data_type) if care is not None
                else [r for r in table.rows if r.jurisdiction == "*" and r.provider_type == "*"
                      and r.data_type == data_type])
        minors = care is not None and care.serves_minors
        # Law first: on a tie the cited rule binds, not the stack setting.
        best = max(rows, key=lambda r: r.floor_days(minors), default=None)
        law = best.floor_days(minors) if best else 0
        floors[data_type] = Floor(data_type=data_type, days=max(law, stack_minimum),
                                  binding=best if law >= stack_minimum else None, stack_minimum=stack_minimum)
    return floors


def log_group_days(audit_days: int) -> int:
    """The smallest CloudWatch value >= the audit period; 0 (never expire) above CloudWatch's longest."""
    if audit_days == 0 or audit_days > CLOUDWATCH_LONGEST:
        return 0
    return next(d for d in CLOUDWATCH_RETENTION_DAYS if d >= audit_days)


def lock_days(days: int, floor: int) -> int:
    """Object Lock days for a configured period; 0 (CloudWatch's never expire) keeps at least 10 years."""
    return days if days else max(floor, CLOUDWATCH_LONGEST)
