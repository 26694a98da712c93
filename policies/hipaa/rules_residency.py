"""Residency: a tenant's data stays in its residency's AWS region and CometChat region.

The residency is one field of the tenant file; `components.settings` maps it to a CometChat
region and an AWS region. The tenant component declares both on its inputs, and these rules
check that what is deployed matches: the tenant's provider region, every ARN a resource points
at, and the CometChat app's region.
"""

from __future__ import annotations

from pulumi_policy import Severity

from policies.hipaa.context import PackContext
from policies.hipaa.contracts import (
    AWS_PROVIDER_TYPE,
    COMETCHAT_APP_TYPE,
    TENANT_TYPE,
    is_aws_resource,
    is_default_provider,
)
from policies.hipaa.documents import arn_region, arns_in
from policies.hipaa.framework import Report, ResourceView, resource_rule
from policies.hipaa.values import plain, strings


@resource_rule(
    "residency-aws-region", "A tenant's AWS resources live in its residency's AWS region.", severity=Severity.HIGH,
    types=lambda t: t in (TENANT_TYPE, AWS_PROVIDER_TYPE) or is_aws_resource(t))
def aws_region(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(a)(1)(ii)(B), 164.314(a)(1) (residency is a BAA and jurisdiction commitment).

    Checks three things: the Tenant's declared regions are the ones its residency maps to, the
    tenant's aws provider pins that region, and every AWS resource goes through such a provider
    (a default provider follows whatever `aws:region` says) and points at no ARN in another region.
    """
    facts = resource.facts
    if facts is None:
        return  # outside every tenant: isolation-tenant-ancestry reports it
    if resource.type == TENANT_TYPE:
        _declared_regions(resource, ctx, report)
        return
    expected = facts.aws_region
    if expected is None:
        return  # the Tenant's own check reports the missing declaration
    if resource.type == AWS_PROVIDER_TYPE:
        region = resource.props.get("region")
        if region != expected:
            report(f"provider region is {region or 'not set'} but tenant '{facts.tenant_id}' lives in {expected}; "
                   f"set region='{expected}' on the tenant's provider")
        return
    provider = resource.provider
    if provider is None or provider.resource_type != AWS_PROVIDER_TYPE:
        report(f"no aws provider is recorded for this resource; create it with the tenant's provider "
               f"(ResourceOptions(provider=...)) in {expected}")
    elif is_default_provider(provider.resource_type, provider.name):
        report(f"uses the default aws provider, whose region comes from aws:region, not the tenant's residency; "
               f"pass the tenant's provider (region {expected})")
    elif provider.props.get("region") != expected:
        report(f"its provider {provider.name} deploys to {provider.props.get('region') or 'an unset region'}, "
               f"but tenant '{facts.tenant_id}' lives in {expected}; use the tenant's own provider")
    elsewhere = sorted({region for _, value in strings(plain(resource.props)) if "arn:" in value
                        for arn in arns_in(value) if (region := arn_region(arn)) and region != expected})
    if elsewhere:
        report(f"points at resources in {', '.join(elsewhere)}, outside tenant '{facts.tenant_id}''s region "
               f"{expected}; reference only resources in {expected}")


def _declared_regions(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    facts = resource.facts
    assert facts is not None
    if facts.residency not in ctx.settings.regions:
        report(f"residency '{facts.residency}' is not configured; use one of {sorted(ctx.settings.regions)}")
        return
    region = ctx.settings.region_for(facts.residency)
    if facts.aws_region != region.aws_region:
        report(f"declares AWS region {facts.aws_region} for residency '{facts.residency}', which maps to "
               f"{region.aws_region}; derive the region from the residency (components.settings)")
    if facts.cometchat_region != region.cometchat_region:
        report(f"declares CometChat region {facts.cometchat_region} for residency '{facts.residency}', which "
               f"maps to {region.cometchat_region}; derive the region from the residency")


@resource_rule(
    "residency-cometchat-region", "A tenant's CometChat app lives in its residency's CometChat region.",
    severity=Severity.HIGH, types={COMETCHAT_APP_TYPE})
def cometchat_region(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(a)(1)(ii)(B), 164.314(a)(1).

    CometChat fixes an app's data region at creation (reference/cometchat-api.md §2); an app in
    the wrong region holds the tenant's messages outside its jurisdiction for the app's lifetime.
    """
    facts = resource.facts
    if facts is None or facts.cometchat_region is None:
        return
    region = resource.props.get("region")
    if region != facts.cometchat_region:
        report(f"CometChat app region is {region or 'not set'} but tenant '{facts.tenant_id}' lives in CometChat "
               f"region {facts.cometchat_region}; create the app with region='{facts.cometchat_region}'")
