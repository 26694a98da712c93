"""Retention: audit evidence outlives its tenant for at least six years.

45 CFR 164.316(b)(2)(i) keeps required documentation 6 years; audit logs (164.312(b) evidence)
are held to the same period by analogy (reference/hipaa-controls.md §3). The floor is the
stack's `hipaachat:retentionMinimumDays` (default 2192 = 6 years) or, if stricter, the pack
config's `retentionMinimumDays` (`pulumi preview --policy-pack-config`).
"""

from __future__ import annotations

import fnmatch
import math

from pulumi_policy import PolicyConfigSchema, PolicyResource, Severity

from components.catalog import CLOUDWATCH_RETENTION_DAYS
from components.findings import field_message
from policies.hipaa.aws_schema import UnknownAwsType, is_taggable
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import (
    AUDIT_SINKS_TYPE,
    BUCKETS,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    LOG_GROUP,
    OBJECT_LOCKS,
    RETAIN_TAG,
    SSE_CONFIGS,
    VERSIONINGS,
)
from policies.hipaa.documents import DocumentError, arn_base, parse
from policies.hipaa.framework import Report, ResourceView, StackReport, resource_rule, stack_rule
from policies.hipaa.stack_view import StackView
from policies.hipaa.values import UNKNOWN, as_bool, as_int, dig

RETENTION_CONFIG = PolicyConfigSchema(properties={"retentionMinimumDays": {
    "type": "integer", "minimum": 1,
    "description": "Raise the retention floor above the stack's hipaachat:retentionMinimumDays (default 2192).",
}})


def _smallest_allowed(at_least: int) -> str:
    fitting = [d for d in CLOUDWATCH_RETENTION_DAYS if d >= at_least]
    return str(fitting[0]) if fitting else "0 (never expire)"


@resource_rule(
    "retention-log-group-minimum", "Audit log groups keep events at least the stack's minimum (default 6 years).",
    severity=Severity.HIGH, types={LOG_GROUP}, config_schema=RETENTION_CONFIG)
def log_group_minimum(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.312(b), 164.316(b)(2)(i); Prowler `cloudwatch_log_group_retention_policy_specific_days_enabled`;
    Checkov CKV_AWS_66, CKV_AWS_338; AWS Config `cw-loggroup-retention-period-check`.

    0 or unset means never expire and passes (as in all three scanners); any other value must be
    one CloudWatch accepts and at least the minimum.
    """
    raw = resource.props.get("retentionInDays")
    days = 0 if raw is None else as_int(raw)
    minimum = ctx.retention_minimum(resource.config)
    if days == 0:
        return
    if days is None or days not in CLOUDWATCH_RETENTION_DAYS:
        report(f"retention {raw} is not a CloudWatch Logs retention value; use "
               f"{_smallest_allowed(max(minimum, days or 0))} (or 0 = never expire)")
    elif days < minimum and resource.tenant is not None:  # the tenant file's value, in the file's terms
        report(_below_minimum(days, minimum, f"log group retention_in_days = {days}"))
    elif days < minimum:
        report(f"retention is {days} days, below the {minimum}-day minimum; set retention_in_days to "
               f"{_smallest_allowed(minimum)} or more (or 0 = never expire)")


def _below_minimum(days: int, minimum: int, detail: str) -> str:
    """A tenant's retention is its file's `retention.audit_log_days`: say the fix there."""
    return field_message("retention.audit_log_days", f"{days} is below the {minimum}-day minimum",
                         f"set it to {_smallest_allowed(minimum)} or more (or 0 = never expire)", detail)


def _lock_days(retention: object) -> int | None:
    days = as_int(dig(retention, "days"))
    years = as_int(dig(retention, "years"))
    if days is not None:
        return days
    return math.ceil(years * 365.25) if years is not None else None


def _is_audit_archive(stack: StackView, bucket: PolicyResource) -> bool:
    return AUDIT_SINKS_TYPE in stack.ancestor_types(bucket)


@stack_rule(
    "retention-object-lock-compliance",
    "Audit archives are under Object Lock in COMPLIANCE mode for at least the minimum days.",
    severity=Severity.HIGH, config_schema=RETENTION_CONFIG)
def object_lock_compliance(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(b), 164.312(c)(1), 164.316(b)(2)(i); Checkov CKV_AWS_143; Prowler `s3_bucket_object_lock`;
    AWS Config `s3-bucket-default-lock-enabled`.

    COMPLIANCE mode is the only mode no one, root included, can shorten: GOVERNANCE can be
    bypassed with a permission, which is not tamper-proof evidence.
    """
    minimum = ctx.retention_minimum(stack.config)
    for bucket in stack.of_type(*BUCKETS):
        if stack.owner(bucket.urn) is None:
            continue
        props = stack.props(bucket)
        locks = [dig(stack.props(lock), "rule", "defaultRetention") for lock in stack.configuring(bucket, OBJECT_LOCKS)]
        inline = dig(props, "objectLockConfiguration", "rule", "defaultRetention")
        locks += [inline] if inline is not None else []
        archive = _is_audit_archive(stack, bucket)
        if not archive and not locks:
            continue
        if archive and props.get("objectLockEnabled") is not UNKNOWN \
                and as_bool(props.get("objectLockEnabled")) is not True:
            report("audit archive bucket is created without Object Lock; set object_lock_enabled=True "
                   "(it can only be enabled at creation)", bucket.urn)
        if not locks and not stack.may_configure_unseen(OBJECT_LOCKS):
            report(f"audit archive has no default retention; add an Object Lock configuration in COMPLIANCE mode "
                   f"for at least {minimum} days", bucket.urn)
        for retention in locks:
            mode, days = dig(retention, "mode"), _lock_days(retention)
            if mode is not UNKNOWN and mode != "COMPLIANCE":
                report(f"Object Lock mode is {mode or 'unset'}; use COMPLIANCE (GOVERNANCE can be bypassed)",
                       bucket.urn)
            if days is not None and days < minimum:
                report(_below_minimum(days, minimum, f"Object Lock default retention days = {days}"), bucket.urn)


@stack_rule("retention-s3-versioning", "Every tenant bucket keeps object versions.", severity=Severity.MEDIUM)
def s3_versioning(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.312(c)(1), 164.308(a)(7)(ii)(A); Checkov CKV_AWS_21; Prowler `s3_bucket_object_versioning`;
    AWS Config `s3-bucket-versioning-enabled`."""
    for bucket in stack.of_type(*BUCKETS):
        if stack.owner(bucket.urn) is None:
            continue
        statuses = [dig(stack.props(v), "versioningConfiguration", "status")
                    for v in stack.configuring(bucket, VERSIONINGS)]
        inline = as_bool(dig(stack.props(bucket), "versioning", "enabled"))
        if UNKNOWN in statuses or inline is True or "Enabled" in statuses or (
                not statuses and stack.may_configure_unseen(VERSIONINGS)):
            continue
        found = f"versioning is {statuses[0]}" if statuses else "bucket has no versioning configuration"
        report(f"{found}; add a BucketVersioning with status Enabled", bucket.urn)


@resource_rule(
    "retention-audit-sinks-retained",
    "Audit log sinks survive the tenant: retained on delete, and protected in production.", severity=Severity.HIGH,
    types=set(BUCKETS) | {LOG_GROUP, *OBJECT_LOCKS})
def audit_sinks_retained(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.316(b)(2)(i), 164.312(b).

    Offboarding a tenant must never delete its audit evidence early. The Analyzer protocol does
    not carry `retain_on_delete` (AnalyzerResourceOptions has no such field), so the program sets
    the tag hipaachat:retain=true together with the option (components.tags.RETAIN_TAG) and this
    rule checks the tag on taggable sinks; `protect` is visible and required in production.
    """
    if not resource.placement.within(AUDIT_SINKS_TYPE):
        return
    try:
        taggable = is_taggable(resource.type)
    except UnknownAwsType:
        taggable = "tags" in resource.props
    if taggable:
        tags = resource.props.get("tags") or {}
        if tags.get(RETAIN_TAG) != "true":
            report(f"audit sink is not marked retained; register it with retain_on_delete=True and tag "
                   f"{RETAIN_TAG}=true (components.log_sinks)")
    if ctx.production and not resource.opts.protect:
        report("production audit sink is not protected; register it with protect=True so no update can delete it")


# Actions that read evidence, matched against a statement's (possibly wildcarded) actions.
_READS = {"logs": ("logs:getlogevents", "logs:filterlogevents", "logs:startquery"),
          "s3": ("s3:getobject", "s3:getobjectversion")}


def _retained(stack: StackView, resource: PolicyResource) -> bool | None:
    """Whether the resource carries hipaachat:retain=true; None while its tags are unknown (preview)."""
    tags = stack.props(resource).get("tags")
    if tags is UNKNOWN or (isinstance(tags, dict) and tags.get(RETAIN_TAG) is UNKNOWN):
        return None
    return isinstance(tags, dict) and tags.get(RETAIN_TAG) == "true"


def _sink_keys(stack: StackView, sink: PolicyResource) -> list[PolicyResource]:
    if sink.resource_type == LOG_GROUP:
        named = [stack.props(sink).get("kmsKeyId")]
    else:
        named = [dig(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
                 for sse in stack.configuring(sink, SSE_CONFIGS) for rule in stack.props(sse).get("rules") or []]
    return [key for value in named if (key := stack.key_named(value)) is not None]


class _ReadGrants:
    """Which role policies let a role read which evidence ARN: every policy document parsed once per stack.

    Built once per evaluation, so the rule stays linear in the stack's size (a per-sink scan of every
    role policy is quadratic: minutes at 1,000 tenants).
    """

    def __init__(self, stack: StackView) -> None:
        self._stack = stack
        self._by_arn: dict[tuple[str, str], list[PolicyResource]] = {}
        self._anywhere: dict[str, list[PolicyResource]] = {}
        self._order = {grant.urn: index for index, grant in enumerate(stack.of_type(IAM_ROLE_POLICY))}
        self._roles_by_name = {stack.props(r).get(f): r for r in stack.of_type(IAM_ROLE) for f in ("name", "id")
                               if stack.props(r).get(f)}
        for grant in stack.of_type(IAM_ROLE_POLICY):
            try:
                statements = parse(stack.props(grant).get("policy"))
            except DocumentError:
                continue
            for statement in statements:
                if not statement.allows or statement.not_resource:
                    continue
                for service, reads in _READS.items():
                    if not any(fnmatch.fnmatchcase(read, action.lower())
                               for action in statement.actions for read in reads):
                        continue
                    for resource in statement.resources:
                        target = self._anywhere.setdefault(service, []) if resource == "*" else \
                            self._by_arn.setdefault((service, arn_base(resource)), [])
                        target.append(grant)

    def readers(self, sink: PolicyResource) -> list[PolicyResource]:
        """Roles whose inline policy lets them read `sink` (what keeps the evidence usable)."""
        arn = self._stack.props(sink).get("arn")
        if not isinstance(arn, str):
            return []
        service = "logs" if sink.resource_type == LOG_GROUP else "s3"
        grants = {g.urn: g for g in [*self._by_arn.get((service, arn), []), *self._anywhere.get(service, [])]}
        found: dict[str, PolicyResource] = {}
        for grant in sorted(grants.values(), key=lambda g: self._order[g.urn]):
            linked = [d for d in grant.property_dependencies.get("role", []) if d.resource_type == IAM_ROLE]
            role = linked[0] if linked else self._roles_by_name.get(self._stack.props(grant).get("role"))
            if role is not None:
                found[role.urn] = role
        return list(found.values())


@stack_rule(
    "retention-evidence-readable",
    "A retained audit sink's encryption key and reader role are retained too (evidence stays readable).",
    severity=Severity.CRITICAL)
def evidence_readable(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.316(b)(2)(i), 164.312(b).

    Retaining a log group or archive whose KMS key is deleted keeps ciphertext, not evidence: KMS
    deletes a key 7-30 days after the stack forgets it, and with it every way to read six years
    of audit logs. The same holds for the role that reads them. Retention is carried by the tag
    hipaachat:retain=true (the Analyzer protocol has no retain_on_delete); in production the
    key and reader must also be protected, as the sink is.
    """
    grants = _ReadGrants(stack)
    for sink in stack.of_type(LOG_GROUP, *BUCKETS):
        if stack.owner(sink.urn) is None or _retained(stack, sink) is not True:
            continue
        kind = "log group" if sink.resource_type == LOG_GROUP else "archive bucket"
        # What the evidence needs to stay readable: its keys and its reader roles, each retained too.
        needed = [(key, f"is encrypted with KMS key {key.name}",
                   "removing the tenant would schedule the key for deletion and leave the evidence unreadable; "
                   f"register the key with retain_on_delete=True and tag {RETAIN_TAG}=true (components.keys)",
                   f"KMS key {key.name}") for key in _sink_keys(stack, sink)]
        needed += [(role, f"is readable through role {role.name}",
                    "removing the tenant would delete the only way to read the evidence; register the role "
                    f"and its policy with retain_on_delete=True and tag the role {RETAIN_TAG}=true "
                    "(components.access)", f"reader role {role.name}") for role in grants.readers(sink)]
        for resource, how, fix, label in needed:
            retained = _retained(stack, resource)
            if retained is None:
                continue
            if not retained:
                report(f"retained audit {kind} {how}, which is not retained: {fix}", sink.urn)
            elif ctx.production and not resource.opts.protect:
                report(f"production: {label} of a retained audit {kind} is not protected; register "
                       f"it with protect=True like the sink", sink.urn)
