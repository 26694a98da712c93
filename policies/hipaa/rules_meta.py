"""The pack's own checks: its configuration and its waivers must be sound, or nothing else is."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity

from policies.hipaa.context import PackContext
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import StackReport, stack_rule
from policies.hipaa.stack_view import StackView


@stack_rule("policy-config-invalid", "The stack's policy settings are valid and relax nothing that must hold.",
            severity=Severity.CRITICAL, scope=Scope.PACK, fixed_level=EnforcementLevel.MANDATORY)
def policy_config_invalid(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.316(a): security policies are documented and cannot be switched off by a typo."""
    for problem in ctx.problems:
        report(problem, None)


@stack_rule("waivers-valid", "Every waiver is well-formed, waivable and unexpired.",
            severity=Severity.HIGH, scope=Scope.PACK, fixed_level=EnforcementLevel.MANDATORY)
def waivers_valid(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.316(a), 164.316(b)(1): an exception is a documented, approved, time-limited decision."""
    for problem in ctx.waivers.problems:
        urn = problem.urn if problem.urn in stack.by_urn else None
        if urn is None and problem.tenant in stack.tenants:
            urn = stack.tenants[problem.tenant].urn
        report(f"{problem.message} ({ctx.waivers.source})", urn)
