"""Retention evidence per data type: configured, floor, the binding row, and where it is enforced.

The floors are recomputed with components.retention_floors (the computation the program and the
pack use) from the care the Tenant component declares and the stack's settings; the enforcement
points are read from the resources the audit sees (the archive's Object Lock default, the ingest
function's per-type retain-until days, the log group). What the audit cannot see is null, never
a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from components.retention_floors import DATA_TYPES, Care, FloorError, log_group_days
from components.settings import StackSettings
from policies.hipaa.values import as_int
from scripts.audit.models import DataTypeRetention, EnforcedAt, FloorRowEvidence, RetentionEvidence
from scripts.engine.models import CapturedResource

LAMBDA_FUNCTION = "aws:lambda/function:Function"
# CSV rows and OCSF findings of this policy carry each data type's configured days, floor, binding rule and
# enforcement points.
FLOOR_POLICY = "retention-floor-met"


def _prop(resource: CapturedResource, key: str) -> Any:
    return resource.outputs.get(key, resource.inputs.get(key))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def with_floors(evidence: RetentionEvidence, declared: Mapping[str, Any], resources: Sequence[CapturedResource],
                settings: StackSettings) -> RetentionEvidence:
    """`evidence` plus its per-data-type rows (none for a Tenant registered before per-type retention)."""
    retention = declared.get("retention")
    care_raw = declared.get("care")
    if not isinstance(retention, Mapping):
        return evidence
    problem, floors = None, None
    try:
        care = Care.model_validate(care_raw) if isinstance(care_raw, Mapping) else None
        floors = settings.floors(care)
    except (ValidationError, FloorError) as exc:
        problem = f"care: {exc}"
    functions = [r for r in resources if r.type == LAMBDA_FUNCTION]
    variables = _mapping(_mapping(_prop(functions[0], "environment")).get("variables")) if functions else {}
    rows = []
    for data_type in DATA_TYPES:
        declared_type = _mapping(retention.get(data_type))
        floor = floors[data_type] if floors else None
        floor_days = floor.days if floor else None
        enforced = [_point("object-lock-default", evidence.object_lock_urn, evidence.object_lock_days, floor_days)]
        if functions:
            enforced.append(_point("per-object-retain-until", functions[0].urn,
                                   as_int(variables.get(f"RETAIN_{data_type.upper()}_DAYS")), floor_days))
        if data_type == "audit":
            enforced.append(_point("log-group", evidence.log_group_urn, evidence.log_group_days,
                                   log_group_days(floor_days) if floor_days else None))
        binding = floor.binding if floor else None
        rows.append(DataTypeRetention(
            data_type=data_type, configured_days=as_int(declared_type.get("configured")),
            kept_days=as_int(declared_type.get("kept")), floor_days=floor_days,
            binding=FloorRowEvidence(jurisdiction=binding.jurisdiction, provider_type=binding.provider_type,
                                     citation=binding.citation, source=binding.source,
                                     checked=binding.checked.isoformat(), note=binding.note) if binding else None,
            binding_rule=floor.reason() if floor else None, enforced=enforced, problem=problem))
    care_facts = dict(care_raw) if isinstance(care_raw, Mapping) else None
    return evidence.model_copy(update={"care": care_facts, "data_types": rows})


def _point(where: str, urn: str | None, days: int | None, floor: int | None) -> EnforcedAt:
    """One enforcement point; a log group at 0 (never expire) covers any floor."""
    covers = None if days is None or floor is None else (days == 0 and where == "log-group") or days >= floor
    return EnforcedAt(where=where, urn=urn, days=days, covers_floor=covers)


def summary(evidence: RetentionEvidence) -> str:
    """One line per data type for CSV cells and SIEM messages."""
    parts = []
    for row in evidence.data_types:
        where = ", ".join(f"{e.where} {'?' if e.days is None else e.days}" for e in row.enforced)
        parts.append(f"{row.data_type}: configured {row.configured_days if row.configured_days is not None else 'unset'}"
                     f", kept {row.kept_days}, floor {row.floor_days} set by {row.binding_rule or row.problem}; "
                     f"enforced at {where}")
    return " | ".join(parts)

