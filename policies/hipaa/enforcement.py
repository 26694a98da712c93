"""Which enforcement level each policy runs at, decided from the stack and nothing else.

- Isolation, encryption, residency, retention and email/SMS notifications: mandatory everywhere.
- Push/in-app notifications: advisory everywhere (inside the app, behind login), may be raised.
- AI boundary and production gates: mandatory in production, advisory in prototype.
- The pack's own checks (config, waivers): fixed.

`hipaachat:policy` overrides ({name: advisory|mandatory|disabled}) may always make a policy
stricter. They may make a production gate laxer only in prototype; any other relaxation is
refused and reported as a mandatory `policy-config-invalid` violation, and the policy keeps its
level: a typo in a stack file must never switch off tenant isolation.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from pulumi_policy import EnforcementLevel

from components.settings import NAMESPACE
from policies.hipaa.context import PackContext


class Scope(str, Enum):
    EVERYWHERE = "mandatory in every environment"
    ADVISORY = "advisory in every environment"
    PRODUCTION_GATE = "mandatory in production, advisory in prototype"
    PACK = "fixed (the pack's own checks)"


_RANK = {EnforcementLevel.DISABLED: 0, EnforcementLevel.ADVISORY: 1, EnforcementLevel.MANDATORY: 2}


def base_level(scope: Scope, production: bool, fixed: EnforcementLevel | None = None) -> EnforcementLevel:
    if scope is Scope.PACK:
        return fixed or EnforcementLevel.MANDATORY
    if scope is Scope.ADVISORY:
        return EnforcementLevel.ADVISORY
    if scope is Scope.PRODUCTION_GATE and not production:
        return EnforcementLevel.ADVISORY
    return EnforcementLevel.MANDATORY


def resolve_levels(rules: Sequence[tuple[str, Scope, EnforcementLevel | None]], context: PackContext
                   ) -> tuple[dict[str, EnforcementLevel], list[str]]:
    """(policy name -> level, problems with the stack's overrides)."""
    scopes = {name: (scope, fixed) for name, scope, fixed in rules}
    levels = {name: base_level(scope, context.production, fixed) for name, (scope, fixed) in scopes.items()}
    problems: list[str] = []
    for name, wanted in sorted(context.settings.policy.items()):
        key = f"{NAMESPACE}:policy.{name}"
        if name not in scopes:
            problems.append(f"{key} names no policy of this pack; check the spelling against the policy list")
            continue
        scope, _ = scopes[name]
        requested = EnforcementLevel(wanted)
        if scope is Scope.PACK:
            problems.append(f"{key}: {name} is one of the pack's own checks and cannot be configured; remove it")
        elif _RANK[requested] >= _RANK[levels[name]]:
            levels[name] = requested
        elif scope is Scope.PRODUCTION_GATE and not context.production:
            levels[name] = requested
        elif scope is Scope.PRODUCTION_GATE:
            problems.append(f"{key} sets {wanted} in production; production gates are mandatory in production "
                            "(relax them only in prototype); remove the override")
        else:
            problems.append(f"{key} sets {wanted}, but {name} is {scope.value} and cannot be relaxed; remove the "
                            "override (for one tenant, file a waiver in policies/waivers.yaml if the policy allows)")
    return levels, problems
