"""Assemble the pack: every rule as a policy at its resolved level, then `waiver-applied` last.

Kept apart from `__main__.py` (whose `PolicyPack(...)` serves forever) so tests and tools can
list the rules, their levels and their controls without starting a server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.hipaa import (  # noqa: F401  (importing a rule module registers its rules)
    rules_access,
    rules_encryption,
    rules_gates,
    rules_isolation,
    rules_meta,
    rules_monitoring,
    rules_notifications,
    rules_oidc,
    rules_residency,
    rules_retention,
    rules_trail,
    rules_retention_floors,
    servicer,
)
from policies.hipaa.context import PackContext, load_context
from policies.hipaa.controls import CONTROLS, FRAMEWORK_NAME, FRAMEWORK_REFERENCE, FRAMEWORK_VERSION
from policies.hipaa.enforcement import Scope, resolve_levels
from policies.hipaa.framework import RULES, PackRuntime, Rule, placement_of, to_policy
from policies.hipaa.lineage import Lineage, Placement
from policies.hipaa.waiver_report import WAIVER_POLICY, encode

PACK_NAME = "hipaachat-hipaa"
# The order policies are listed (and run) in: the checklist a reviewer reads top to bottom.
CATEGORY_ORDER = ("isolation", "access", "residency", "encryption", "retention", "monitoring", "notifications", "ai", "production",
                  "policy", "waivers")


def rules() -> list[Rule]:
    return sorted(RULES, key=lambda rule: CATEGORY_ORDER.index(rule.name.split("-", 1)[0]))


def policy_names() -> list[str]:
    return [rule.name for rule in rules()] + [WAIVER_POLICY]


def pack_owned() -> set[str]:
    """Policies that judge the pack itself: never waivable, never configurable."""
    return {rule.name for rule in RULES if rule.scope is Scope.PACK} | {WAIVER_POLICY}


class WaiverApplied(ResourceValidationPolicy, StackValidationPolicy):
    """Reports every waived finding as an advisory diagnostic, so a waiver never hides what it excepts.

    Waived findings arise in both Analyze (resource rules) and AnalyzeStack (stack rules), and a
    diagnostic can only carry the name of the policy that reports it, so this one policy is both
    a resource and a stack policy: it runs last in every request and reports what the rules
    before it put in the request's scope (servicer.RequestScope). pulumi_policy's two policy classes
    have incompatible constructors, so this class initializes the common `Policy` base and
    provides the three members the servicer calls: `has_validation`, `validate`, `remediate`.
    """

    def __init__(self) -> None:
        mapping = CONTROLS[WAIVER_POLICY]
        Policy.__init__(
            self, WAIVER_POLICY, "A violation is excepted by a valid waiver (policies/waivers.yaml).",
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW,
            framework=PolicyComplianceFramework(name=FRAMEWORK_NAME, version=FRAMEWORK_VERSION,
                                                reference=FRAMEWORK_REFERENCE, specification=", ".join(mapping.cfr)),
            tags=["waiver", *mapping.cfr], remediation_steps=mapping.fix)

    def has_validation(self) -> bool:
        return True

    def has_remediation(self) -> bool:
        return False

    def remediate(self, args: ResourceValidationArgs) -> None:
        return None

    def validate(self, args: ResourceValidationArgs | StackValidationArgs,
                 report_violation: ReportViolation) -> None:
        scope = servicer.current()
        if scope is None:
            return
        findings, scope.waived = scope.waived, []
        for finding in findings:
            report_violation(encode(finding), finding.urn)


@dataclass(frozen=True)
class Pack:
    context: PackContext
    policies: list[Policy]
    # Records where each analyzed resource sits; the servicer calls it once per Analyze request.
    observe: Callable[[ResourceValidationArgs], Placement]


def build(pack_dir: Path, environ: Mapping[str, str] = os.environ) -> Pack:
    """The pack for the stack described by `environ` (PULUMI_CONFIG, HIPAACHAT_WAIVERS, HIPAACHAT_TODAY)."""
    context = load_context(pack_dir, known=policy_names(), meta=pack_owned(), environ=environ)
    ordered = rules()
    levels, problems = resolve_levels([(r.name, r.scope, r.fixed_level) for r in ordered], context)
    context = context.model_copy(update={"problems": [*context.problems, *problems]})
    runtime = PackRuntime(context=context, lineage=Lineage())
    policies = [to_policy(rule, runtime, levels[rule.name]) for rule in ordered]
    return Pack(context=context, policies=[*policies, WaiverApplied()],
                observe=lambda args: placement_of(runtime, args))
