"""Point every policy violation about a tenant-file value at the file, line, column and field to edit.

The pack only sends text over the Analyzer protocol; a finding about a value a person wrote in a
tenant file starts with that file's field (components.findings: `retention.audit_log_days: 30 is
below ...`). Here the engine looks the field up in the tenant's file, so `plan` (every format),
`promote` and `shards` show the same `file:line:column: field: what; fix` that `tenants
validate` prints. A field two resources break (a log group and an Object Lock both carry the
audit retention) stays two violations in the plan JSON (one per policy, as the contract says)
and reads once wherever a person reads it (`distinct`).
"""

from __future__ import annotations

from pathlib import Path

from components.catalog import catalog_dir
from components.findings import respelled, span_offset, split_field, spelled_position, without_detail
from scripts.engine.models import Violation


def locate(violations: list[Violation], root: Path, stack: str) -> list[Violation]:
    """`violations` with file/line/column/field set where a tenant-file field is named."""
    texts: dict[str, str | None] = {}
    located: list[Violation] = []
    for violation in violations:
        field, _ = split_field(violation.message)
        if field is not None and violation.tenant is not None:
            path = _tenant_file(root, stack, violation.tenant)
            if violation.tenant not in texts:
                texts[violation.tenant] = path.read_text(encoding="utf-8") if path is not None else None
            text = texts[violation.tenant]
            if path is not None and text is not None:
                written, line, column = spelled_position(text, field, span_offset(violation.message))
                shown = path.resolve().relative_to(root.resolve()).as_posix()
                violation = violation.model_copy(update={
                    "file": shown, "line": line, "column": column, "field": written,
                    "message": respelled(violation.message, field, written)})
        located.append(violation)
    return located


def distinct(violations: list[Violation]) -> list[Violation]:
    """One violation per tenant-file finding (same tenant, level and words less the provider detail), first kept."""
    seen: set[tuple[str | None, str, str]] = set()
    kept: list[Violation] = []
    for violation in violations:
        if violation.field is not None:
            key = (violation.tenant, violation.enforcement, without_detail(violation.finding()))
            if key in seen:
                continue
            seen.add(key)
        kept.append(violation)
    return kept


def _tenant_file(root: Path, stack: str, tenant: str) -> Path | None:
    directory = catalog_dir(root, stack)
    return next((p for p in (directory / f"{tenant}.yaml", directory / f"{tenant}.yml") if p.is_file()), None)
