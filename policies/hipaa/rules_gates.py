"""AI boundary and production gates: what must be true before real patients use a tenant.

There is no API flag for a BAA or a HIPAA-eligible CometChat plan (reference/cometchat-api.md
§4), so both are attestations the program carries: the BAA on the tenant component's inputs
(from the tenant file), the plan in the stack's `hipaachat:cometchatPlan`. In production these
gates are mandatory; in prototype they are advisory, an early warning before promotion.
"""

from __future__ import annotations

import datetime as dt

from pulumi_policy import Severity

from policies.hipaa.context import PackContext
from policies.hipaa.contracts import COMETCHAT_APP_TYPE, COMETCHAT_EXTENSIONS_TYPE, TENANT_TYPE
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import Report, ResourceView, resource_rule
from policies.hipaa.placeholders import endpoint_domain, placeholder, placeholder_domain

GATE = Scope.PRODUCTION_GATE
SUBSCRIPTION_TYPE = "aws:sns/topicSubscription:TopicSubscription"


@resource_rule(
    "ai-features-baa-covered", "AI and third-party features stay off unless the BAA covers them.",
    severity=Severity.HIGH, scope=GATE, types={TENANT_TYPE, COMETCHAT_EXTENSIONS_TYPE})
def ai_features_baa_covered(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(b)(1), 164.314(a)(1), 164.502(e).

    AI features and extensions (translation, smart replies, transcription, moderation) send
    message content to processors CometChat's BAA may not cover; each one enabled must be listed
    in `hipaachat:baaCoveredFeatures` after the BAA has been checked for it.
    """
    covered = set(ctx.settings.baa_covered_features)
    if resource.type == TENANT_TYPE:
        features = resource.facts.features if resource.facts else {}
    else:  # the extensions resource takes the tenant's features, or explicit extension ids
        features = resource.props.get("features") or {}
    enabled = {name for name, on in features.items() if on is True}
    if resource.type == COMETCHAT_EXTENSIONS_TYPE:
        enabled |= {e for e in resource.props.get("enabled") or [] if isinstance(e, str)}
    uncovered = sorted(enabled - covered)
    if uncovered and resource.type == TENANT_TYPE and set(uncovered) <= set(features):
        report(f"features.{uncovered[0]}: {', '.join(uncovered)} enabled but not covered by the BAA; set it to false, "
               f"or add it to hipaachat:baaCoveredFeatures once the BAA covers it{ctx.environment_note()}")
    elif uncovered:
        report(f"{', '.join(uncovered)} enabled but not covered by the BAA; turn it off, or add it to "
               f"hipaachat:baaCoveredFeatures once the BAA covers it{ctx.environment_note()}")


@resource_rule("production-baa-attested", "A tenant's signed BAA is recorded: dated, not in the future, referenced.",
               severity=Severity.CRITICAL, scope=GATE, types={TENANT_TYPE})
def baa_attested(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(b)(1), 164.314(a)(1), 164.502(e): PHI flows to a business associate only under a BAA."""
    baa = resource.facts.baa if resource.facts else None
    if baa is None or not baa.signed:
        report(f"baa: no BAA is recorded for this tenant; add baa: {{signed: YYYY-MM-DD, reference: ...}} to its "
               f"tenant file once signed{ctx.environment_note()}")
        return
    try:
        signed = dt.date.fromisoformat(baa.signed)
    except ValueError:
        report("baa.signed: the BAA date is not a YYYY-MM-DD date; record the date it was signed")
        return
    if signed > ctx.today:
        report(f"baa.signed: the BAA is dated {signed.isoformat()}, after today ({ctx.today.isoformat()}); a BAA must be "
               f"signed before PHI flows{ctx.environment_note()}")
    if not baa.reference:
        report("baa.reference: the BAA has no reference; record the contract reference (e.g. BAA-2026-041)")


@resource_rule(
    "production-cometchat-plan-hipaa-eligible", "The stack attests a HIPAA-eligible CometChat plan.",
    severity=Severity.CRITICAL, scope=GATE, types={TENANT_TYPE})
def cometchat_plan_hipaa_eligible(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(b)(1), 164.314(a)(1): CometChat's HIPAA tier is where its BAA applies."""
    plan = ctx.settings.cometchat_plan
    missing = [name for name, value in (("hipaaEligible: true", plan.hipaa_eligible), ("reference", plan.reference),
                                         ("attestedBy", plan.attested_by)) if not value]
    if missing:
        report(f"hipaachat:cometchatPlan lacks {', '.join(missing)}; record the HIPAA-eligible plan once "
               f"CometChat confirms it{ctx.environment_note()}")
        return
    shipped = placeholder(plan.reference, plan.attested_by)
    if shipped:
        report(f"hipaachat:cometchatPlan is a placeholder ({shipped}), not a recorded attestation; once CometChat "
               "confirms your HIPAA-eligible plan in writing, set reference to its confirmation id and attestedBy to "
               "who checked it in stacks/environments/production.yaml, then run `hipaachat stacks sync --environment "
               f"production`{ctx.environment_note()}")


@resource_rule(
    "production-cometchat-app-protected", "A production tenant's CometChat app can never be replaced.",
    severity=Severity.CRITICAL, scope=GATE, types={COMETCHAT_APP_TYPE})
def cometchat_app_protected(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.312(c)(1), 164.308(a)(7)(ii)(A).

    CometChat cannot rename an app or move its region, so a change of either replaces the app,
    deleting the tenant's message history. A policy cannot see a diff; it can require `protect`,
    which makes the engine refuse any delete (and so any replacement) of the app. Prototype apps
    hold synthetic data and may be replaced, so the rule applies in production only.
    """
    if ctx.production and not resource.opts.protect:
        report("the CometChat app is not protected; register it with protect=True so a region or name change "
               f"cannot replace it and delete the tenant's messages{ctx.environment_note()}")


@resource_rule(
    "production-oncall-recorded", "A production tenant's alarms page a real on-call rotation, not an example address.",
    severity=Severity.HIGH, scope=GATE, types={SUBSCRIPTION_TYPE})
def oncall_recorded(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(a)(6)(ii), 164.308(a)(1)(ii)(D): an alarm subscription to an example domain (the
    shipped `hipaachat:oncall`) pages nobody, yet would read as monitoring that is in place."""
    protocol = resource.props.get("protocol")
    domain = endpoint_domain(protocol, resource.props.get("endpoint"))
    if domain is not None and placeholder_domain(domain):
        report(f"the alarm topic's {protocol} subscription goes to {domain}, an example domain: nobody would be "
               "paged; set hipaachat:oncall to your on-call rotation in stacks/environments/<environment>.yaml, then "
               f"run `hipaachat stacks sync --environment <environment>`{ctx.environment_note()}")
