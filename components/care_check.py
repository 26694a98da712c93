"""Tenant files against the stack's retention floor table: a jurisdiction or provider type the table
does not know is bad input (exit 2, file, line, field), never a silent default; a retention below
its floor is what the pack's retention-floor-met refuses in every environment, said the same way.

Kept apart from components.catalog because the known values depend on the stack: its
`hipaachat:retentionFloors` rows may add jurisdictions to the shipped table.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.catalog import CatalogIssue, TenantFile
from components.findings import spelled_position, split_field
from components.files import TENANT_FILE, read_text
from components.retention_floors import FloorRow, stack_table
from components.retention_plan import below_floor, retention_plan
from components.settings import StackSettings
from components.yaml_lines import load_with_lines


def care_issues(entries: Sequence[TenantFile], overrides: Sequence[FloorRow], shown: dict[str, str]
                ) -> list[CatalogIssue]:
    """One issue per tenant whose `care:` has no row; `shown` maps tenant id -> the file name to print."""
    table = stack_table(overrides)
    issues = []
    for entry in entries:
        care = entry.tenant.care
        if care is None:
            continue
        problem = table.problem(care.jurisdiction, care.provider_type)
        if problem is None:
            continue
        field = "care.jurisdiction" if care.jurisdiction not in table.jurisdictions() else "care.provider_type"
        index = load_with_lines(read_text(entry.path, TENANT_FILE))[1]
        issues.append(CatalogIssue(file=shown.get(entry.tenant.id, str(entry.path)),
                                   line=index.line_of(tuple(field.split("."))), field=field, message=problem))
    return issues


def floor_issues(entries: Sequence[TenantFile], settings: StackSettings, shown: dict[str, str]) -> list[CatalogIssue]:
    """One issue per tenant and data type kept below its floor (care must already have table rows)."""
    issues = []
    for entry in entries:
        for kept in retention_plan(entry.tenant, settings).by_type.values():
            problem = below_floor(kept.data_type, kept.configured, kept.kept, kept.floor)
            if problem is None:
                continue
            field, rest = split_field(problem)
            written, line, column = spelled_position(read_text(entry.path, TENANT_FILE), field or "retention")
            issues.append(CatalogIssue(file=shown.get(entry.tenant.id, str(entry.path)), line=line, column=column,
                                       field=written, message=rest))
    return issues
