"""Access: each role sees only what its care function needs (minimum necessary, 45 CFR 164.502(b), 164.514(d)).

The tenant file's role matrix (`roles: {id: {sees: [...], clinical_content: ...}}`) rides on
the Tenant component's inputs. Scopes: `own` (a patient's own conversations), `panel` (a
provider's patients), `assigned` (the patients assigned to a coordinator), `care-team` (the
conversations of the care teams the user is on), `audit` (access and audit records, no
message content), `scheduling` (appointments, no clinical content).

Over-broad is refused where no care function needs it: a patient seeing beyond `own`; a role
holding `audit` together with a clinical scope (whoever reviews access must not also read what
is accessed; split it into two roles); a role with clinical content that holds every scope,
which is `sees: [all]` written out. Mandatory in production, advisory in prototype.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulumi_policy import Severity

from components.findings import field_message
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import TENANT_TYPE
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import Report, ResourceView, resource_rule

CLINICAL_SCOPES = frozenset({"own", "panel", "assigned", "care-team"})
EVERY_SCOPE = frozenset({"own", "panel", "assigned", "audit", "scheduling"})


def over_broad(role_id: str, sees: list[str], clinical_content: bool) -> str | None:
    """Why `role_id`'s scopes exceed its care function, in the tenant file's terms; None when they do not."""
    scopes = set(sees)
    field = f"roles.{role_id}.sees"
    listed = "[" + ", ".join(sees) + "]"
    if clinical_content and EVERY_SCOPE <= scopes:
        return field_message(field, f"{listed} is every scope with clinical content, more than any care function "
                             "needs", "list only the scopes this role needs (e.g. [panel] for a provider)")
    clinical = sorted(scopes & CLINICAL_SCOPES)
    if "audit" in scopes and clinical:
        return field_message(field, f"{listed} holds audit together with clinical scopes ({', '.join(clinical)})",
                             "keep audit in its own role without clinical content (e.g. admin: {sees: [audit], "
                             "clinical_content: false}) and remove it here")
    if role_id == "patient" and scopes - {"own"}:
        return field_message(field, f"a patient sees {listed}, beyond their own conversations",
                             "set sees: [own]")
    return None


@resource_rule("access-minimum-necessary", "Each role sees only the scopes its care function needs.",
               severity=Severity.HIGH, scope=Scope.PRODUCTION_GATE, types={TENANT_TYPE})
def minimum_necessary(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.502(b), 164.514(d): minimum necessary, by role (reference: role-based access policies)."""
    roles = resource.props.get("roles")
    if not isinstance(roles, Mapping):
        return
    for role_id in sorted(roles):
        role = roles[role_id]
        if not isinstance(role, Mapping) or not isinstance(role.get("sees"), Sequence) \
                or isinstance(role.get("sees"), str):
            continue
        problem = over_broad(str(role_id), [str(s) for s in role["sees"]], role.get("clinical_content") is True)
        if problem is not None:
            report(problem + ctx.environment_note())
