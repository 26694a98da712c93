"""How a rule becomes a CrossGuard policy: registration, views, waivers and enforcement.

A rule is one function with a docstring citing its control. `@resource_rule` / `@stack_rule`
register it with its name, description, scope and severity; `to_policy` wraps it into a
pulumi_policy `ResourceValidationPolicy` / `StackValidationPolicy` that

1. records where the resource sits (`Lineage`) before any rule looks at it,
2. hands the rule a typed view (`ResourceView` with placement and tenant facts, or `StackView`),
3. routes each finding: a finding a valid waiver covers is kept in the request's scope and
   reported by `waiver-applied` (the pack's last policy) in the same response; any other finding
   goes to the engine at the rule's level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.hipaa import servicer
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import TENANT_TAG
from policies.hipaa.controls import CONTROLS, FRAMEWORK_NAME, FRAMEWORK_REFERENCE, FRAMEWORK_VERSION
from policies.hipaa.enforcement import Scope
from policies.hipaa.lineage import Lineage, Placement, TenantFacts
from policies.hipaa.stack_view import StackView
from policies.hipaa.waiver_report import WaivedFinding


class ResourceView(NamedTuple):
    """One resource as a resource rule sees it: inputs, options, provider, and where it sits."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    opts: PolicyResourceOptions
    provider: PolicyProviderResource | None
    placement: Placement
    facts: TenantFacts | None
    config: Mapping[str, Any]

    @property
    def tenant(self) -> str | None:
        return self.placement.tenant

    def tag_tenant(self) -> str | None:
        tags = self.props.get("tags")
        value = tags.get(TENANT_TAG) if isinstance(tags, Mapping) else None
        return value if isinstance(value, str) else None


Report = Callable[[str], None]
"""How a resource rule reports a finding about the resource it checks: `report(message)`."""
StackReport = Callable[[str, str | None], None]
"""How a stack rule reports a finding: `report(message, urn)` (urn None = the stack as a whole)."""
ResourceCheck = Callable[[ResourceView, PackContext, Report], None]
StackCheck = Callable[[StackView, PackContext, StackReport], None]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Literal["resource", "stack"]
    check: Callable[..., None]
    description: str
    scope: Scope
    severity: Severity
    applies_to: Callable[[str], bool] | None = None
    config_schema: PolicyConfigSchema | None = None
    fixed_level: EnforcementLevel | None = None


RULES: list[Rule] = []


def _type_filter(types: Iterable[str] | Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    if types is None or callable(types):
        return types
    wanted = frozenset(types)
    return wanted.__contains__


def resource_rule(name: str, description: str, *, severity: Severity, scope: Scope = Scope.EVERYWHERE,
                  types: Iterable[str] | Callable[[str], bool] | None = None,
                  config_schema: PolicyConfigSchema | None = None) -> Callable[[ResourceCheck], ResourceCheck]:
    def register(check: ResourceCheck) -> ResourceCheck:
        RULES.append(Rule(name, "resource", check, description, scope, severity, _type_filter(types), config_schema))
        return check
    return register


def stack_rule(name: str, description: str, *, severity: Severity, scope: Scope = Scope.EVERYWHERE,
               config_schema: PolicyConfigSchema | None = None,
               fixed_level: EnforcementLevel | None = None) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        RULES.append(Rule(name, "stack", check, description, scope, severity, None, config_schema, fixed_level))
        return check
    return register


@dataclass(frozen=True)
class PackRuntime:
    context: PackContext
    lineage: Lineage


def _route(runtime: PackRuntime, rule: Rule, tenant: str | None, urn: str | None, message: str,
           report_violation: ReportViolation) -> None:
    waiver = runtime.context.waivers.match(rule.name, tenant, urn)
    scope = servicer.current()
    if waiver is None or scope is None:  # outside the servicer nothing would report a waiver: fail closed
        report_violation(message, urn)
        return
    scope.waived.append(WaivedFinding(
        policy=rule.name, tenant=tenant, urn=urn, message=message, reason=waiver.reason,
        approved_by=waiver.approved_by, expires=waiver.expires.isoformat()))


def placement_of(runtime: PackRuntime, args: ResourceValidationArgs) -> Placement:
    """Where the analyzed resource sits; observed once per Analyze call and shared by every rule."""
    scope = servicer.current()
    if scope is not None and "placement" in scope.extras:
        return scope.extras["placement"]
    placement = runtime.lineage.observe(args.resource_type, args.name, args.urn, args.opts.parent, args.props)
    if scope is not None:
        scope.extras["placement"] = placement
    return placement


def _resource_validate(rule: Rule, runtime: PackRuntime) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if rule.applies_to is not None and not rule.applies_to(args.resource_type):
            return
        placement = placement_of(runtime, args)
        view = ResourceView(args.resource_type, args.name, args.urn, args.props, args.opts, args.provider,
                            placement, runtime.lineage.facts(placement.tenant), args.get_config())
        tenant = placement.tenant
        if tenant is None:
            try:
                tenant = view.tag_tenant()
            except UnknownValueError:  # an unknown tag during preview leaves the finding unattributed
                tenant = None
        rule.check(view, runtime.context,
                   lambda message: _route(runtime, rule, tenant, args.urn, message, report_violation))
    return validate


def _stack_validate(rule: Rule, runtime: PackRuntime) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        view = stack_view(args)
        rule.check(view, runtime.context,
                   lambda message, urn=None: _route(runtime, rule, view.owner(urn), urn, message, report_violation))
    return validate


def stack_view(args: StackValidationArgs) -> StackView:
    """The stack's view for this policy: built once per AnalyzeStack and shared by every stack rule.

    HipaachatServicer hands every stack policy of a request the same resources, so the first
    rule's view (and the indexes it built) serves the rest; only the per-policy config differs.
    """
    scope = servicer.current()
    view = scope.extras.get("stack_view") if scope is not None else None
    if view is None:
        view = StackView(args.resources)
        if scope is not None:
            scope.extras["stack_view"] = view
    view.config = args.get_config()
    return view


def to_policy(rule: Rule, runtime: PackRuntime, level: EnforcementLevel) -> Policy:
    mapping = CONTROLS[rule.name]
    common: dict[str, Any] = dict(
        enforcement_level=level,
        config_schema=rule.config_schema,
        severity=rule.severity,
        framework=PolicyComplianceFramework(name=FRAMEWORK_NAME, version=FRAMEWORK_VERSION,
                                            reference=FRAMEWORK_REFERENCE, specification=", ".join(mapping.cfr)),
        tags=[rule.name.split("-", 1)[0], *mapping.cfr, *mapping.prowler, *mapping.checkov, *mapping.aws_config],
        remediation_steps=mapping.fix,
    )
    if rule.kind == "resource":
        return RuleResourcePolicy(rule, _resource_validate(rule, runtime), **common)
    return StackValidationPolicy(rule.name, rule.description, _stack_validate(rule, runtime), **common)


class RuleResourcePolicy(ResourceValidationPolicy):
    """A resource rule as a pulumi_policy policy; `applies_to` lets the servicer skip other resource types."""

    def __init__(self, rule: Rule, validate: Callable[[ResourceValidationArgs, ReportViolation], None],
                 **common: Any) -> None:
        super().__init__(rule.name, rule.description, validate, **common)
        self.applies_to = rule.applies_to
