"""Retention floors by jurisdiction and data type: what a tenant keeps is never below what law requires.

The floors come from components.retention_floors (the table policies/hipaa/retention_floors.yaml,
the stack's `hipaachat:retentionFloors` rows and its minimum), the same computation the program
deploys from, so the pack judges the tenant's declared care and retention on the Tenant
component's inputs and the archive's Object Lock default against numbers it computes itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pulumi_policy import Severity

from components.retention_floors import DATA_TYPES, Care, Floor, FloorError
from components.retention_plan import below_floor
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import AUDIT_SINKS_TYPE, BUCKETS, OBJECT_LOCKS, TENANT_TYPE
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import Report, ResourceView, StackReport, resource_rule, stack_rule
from policies.hipaa.rules_retention import RETENTION_CONFIG, _lock_days
from policies.hipaa.stack_view import StackView
from policies.hipaa.values import as_int, dig


def tenant_floors(props: Mapping[str, Any], ctx: PackContext, config: Mapping[str, Any]
                  ) -> tuple[dict[str, Floor] | None, str | None]:
    """(floors, problem) for a Tenant component's declared care under the pack's view of the stack."""
    raw = props.get("care")
    try:
        care = Care.model_validate(raw) if isinstance(raw, Mapping) else None
        return ctx.settings.floors(care, ctx.retention_minimum(config)), None
    except (ValidationError, FloorError) as exc:
        return None, f"care: {exc}"


@resource_rule(
    "retention-floor-met",
    "Each data type is kept at least its floor: the stack minimum, HIPAA's 6 years for audit, the "
    "jurisdiction's period, and the newborn worst case when the tenant serves minors.",
    severity=Severity.HIGH, types={TENANT_TYPE}, config_schema=RETENTION_CONFIG)
def floor_met(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.316(b)(2)(i) for audit; state and national medical-record laws for messages (the row's citation)."""
    retention = resource.props.get("retention")
    if not isinstance(retention, Mapping):
        return  # a Tenant registered before per-type retention: the log group and lock rules still apply
    floors, problem = tenant_floors(resource.props, ctx, resource.config)
    if floors is None:
        report(f"{problem}; fix the tenant file's care: so its retention floor can be computed")
        return
    for data_type in DATA_TYPES:
        kept = as_int(dig(retention, data_type, "kept"))
        if kept is not None and (problem := below_floor(data_type, as_int(dig(retention, data_type, "configured")),
                                                        kept, floors[data_type])):
            report(problem)


@resource_rule(
    "production-care-declared", "A production tenant declares where care is delivered, by whom, for whom.",
    severity=Severity.HIGH, scope=Scope.PRODUCTION_GATE, types={TENANT_TYPE})
def care_declared(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.316(b)(2)(i): without `care:` only the stack minimum and HIPAA's six years apply,
    which may be years short of the jurisdiction's medical-record period."""
    if "retention" in resource.props and not isinstance(resource.props.get("care"), Mapping):
        report("the tenant file has no care:; add care: {jurisdiction: US-MA, provider_type: hospital, "
               "serves_minors: false} (your own values) so its retention floors follow the law"
               f"{ctx.environment_note()}")


@stack_rule(
    "retention-archive-covers-floors",
    "An audit archive's Object Lock default retention covers the tenant's longest floor.",
    severity=Severity.HIGH, config_schema=RETENTION_CONFIG)
def archive_covers_floors(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(c)(1), 164.316(b)(2)(i): an object written without retain-until headers gets the
    bucket default, so the default must be long enough for the longest data type."""
    tenants = stack.tenants
    for bucket in stack.of_type(*BUCKETS):
        owner = stack.owner(bucket.urn)
        if owner is None or owner not in tenants or AUDIT_SINKS_TYPE not in stack.ancestor_types(bucket):
            continue
        floors, _ = tenant_floors(stack.props(tenants[owner]), ctx, stack.config)
        if floors is None:
            continue  # reported by retention-floor-met
        longest = max(floors.values(), key=lambda f: f.days)
        for lock in stack.configuring(bucket, OBJECT_LOCKS):
            days = _lock_days(dig(stack.props(lock), "rule", "defaultRetention"))
            if days is not None and days < longest.days:
                report(f"the archive's Object Lock default keeps objects {days} days, below tenant {owner}'s "
                       f"longest floor ({longest.data_type}: {longest.days} days, {longest.reason()}); set the "
                       f"default retention to at least {longest.days} days (components.log_sinks)", bucket.urn)
