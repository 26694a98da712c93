"""Isolation: nothing of tenant A belongs to, points at, or can be reached by tenant B.

One CometChat app, one KMS key, one set of roles and buckets per tenant is the isolation
model; these rules prove it from the deployment itself: structure (every resource inside its
tenant's component), identity (the tenant tag), references (property values, dependencies,
providers) and the policy documents that grant access.
"""

from __future__ import annotations

from collections import defaultdict

from pulumi_policy import PolicyResource, Severity

from policies.hipaa.aws_schema import UnknownAwsType, is_taggable
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import (
    CI_IDENTITY_PARTS,
    CI_IDENTITY_TYPE,
    COMETCHAT_APP_TYPE,
    DYNAMIC_PREFIX,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    KMS_KEY,
    KMS_KEY_POLICY,
    ROOT_STACK_TYPE,
    S3_BUCKET,
    S3_BUCKET_POLICY,
    S3_BUCKET_V2,
    SECRET,
    SECRET_POLICY,
    TENANT_TAG,
    TENANT_TYPE,
    is_aws_resource,
    is_default_provider,
)
from policies.hipaa.documents import DocumentError, Statement, arns_in, condition_values, parse
from policies.hipaa.framework import Report, ResourceView, StackReport, resource_rule, stack_rule
from policies.hipaa.stack_view import StackView
from policies.hipaa.values import contains_unknown, strings

# Which input holds a resource-based or trust policy document, per type.
POLICY_DOCUMENTS = {
    KMS_KEY: "policy", KMS_KEY_POLICY: "policy", S3_BUCKET_POLICY: "policy", S3_BUCKET: "policy",
    S3_BUCKET_V2: "policy", SECRET: "policy", SECRET_POLICY: "policy", IAM_ROLE: "assumeRolePolicy",
}
# AWS managed policies live in the `aws` account: never a tenant's own, whatever else is unknown.
AWS_MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
# An ABAC resource pattern scoped by the caller's own tenant tag is inside the tenant by construction.
ABAC_TENANT_VARIABLE = "${aws:PrincipalTag/" + TENANT_TAG + "}"


@resource_rule(
    "isolation-tenant-tag", "Every tenant-owned AWS resource carries the hipaachat:tenant tag of its tenant.",
    severity=Severity.HIGH, types=lambda t: is_aws_resource(t) or t.startswith(DYNAMIC_PREFIX))
def tenant_tag(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(a)(4)(i), 164.312(a)(1); AWS Config `required-tags`.

    ABAC conditions (aws:ResourceTag/hipaachat:tenant) and every audit query select a tenant's
    resources by this tag, so it must name the tenant the resource structurally belongs to.
    CometChat dynamic resources carry the same identity in their `tenantId` input.
    """
    owner = resource.tenant
    if owner is None:
        return  # isolation-tenant-ancestry reports resources outside every tenant
    if resource.type.startswith(DYNAMIC_PREFIX):
        declared = resource.props.get("tenantId")
        if declared is not None and declared != owner:
            report(f"tenantId is '{declared}' but the resource belongs to tenant '{owner}'; "
                   f"set tenantId to '{owner}' or create it under tenant '{declared}'")
        return
    try:
        taggable = is_taggable(resource.type)
    except UnknownAwsType:
        taggable = "tags" in resource.props
    if not taggable:
        return
    tag = resource.tag_tenant()
    if tag is None:
        report(f"missing tag {TENANT_TAG}; add {TENANT_TAG}={owner} (components.tags.tenant_tags)")
    elif tag != owner:
        report(f"tag {TENANT_TAG} is '{tag}' but the resource belongs to tenant '{owner}'; "
               f"set it to '{owner}' or move the resource under tenant '{tag}'")


@resource_rule(
    "isolation-tenant-ancestry", "Every resource is created inside exactly one tenant's component.",
    severity=Severity.HIGH)
def tenant_ancestry(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.308(a)(4)(i), 164.312(a)(1).

    Ownership is structural: a resource belongs to the `hipaachat:index:Tenant` it descends from.
    A resource outside every tenant (or a tenant inside another) has no provable owner, so no
    isolation claim about it could be checked. Default providers are the engine's, not the program's.
    """
    if resource.type == ROOT_STACK_TYPE or is_default_provider(resource.type, resource.name):
        return
    if resource.tenant is None and (resource.type == CI_IDENTITY_TYPE or (
            resource.placement.within(CI_IDENTITY_TYPE) and resource.type in CI_IDENTITY_PARTS)):
        return  # the CI deploy identity (components.ci_identity) serves every tenant; its trust has its own rule
    if resource.type == TENANT_TYPE:
        if resource.placement.within(TENANT_TYPE):
            report("a tenant is nested inside another tenant; create every Tenant at the top of the stack")
        if resource.facts is not None and resource.facts.tenant_id != resource.name:
            report(f"the Tenant component is named '{resource.name}' but its tenantId is "
                   f"'{resource.facts.tenant_id}'; name the component after the tenant id")
        return
    if resource.tenant is None:
        report("this resource is not inside any hipaachat:index:Tenant, so no tenant owns it; create it with "
               "ResourceOptions(parent=<its tenant's component>)")


@resource_rule(
    "isolation-no-wildcard-principal", "Key, bucket, secret and trust policies never Allow a wildcard principal.",
    severity=Severity.CRITICAL, types=POLICY_DOCUMENTS.keys())
def no_wildcard_principal(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.312(a)(1), 164.308(a)(3)(i); Checkov CKV_AWS_33, CKV_AWS_70; Prowler
    `kms_key_not_publicly_accessible`, `s3_bucket_policy_public_write_access`.

    `Principal: "*"` (or `NotPrincipal`) in an Allow opens the resource to every AWS account.
    In a Deny it is the standard way to refuse something to everyone (the TLS-only bucket policy),
    so Deny statements are left alone.
    """
    prop = POLICY_DOCUMENTS[resource.type]
    document = resource.props.get(prop)
    if document is None:
        return
    try:
        statements = parse(document)
    except DocumentError as exc:
        report(f"{prop} is {exc}; write a valid policy document so its principals can be checked")
        return
    for index, statement in enumerate(statements):
        if not statement.allows:
            continue
        if statement.not_principal:
            report(f"{prop} {statement.label(index)} allows everyone except the listed principals (NotPrincipal); "
                   "name the allowed principals with Principal instead")
        elif statement.principal_is_wildcard:
            report(f"{prop} {statement.label(index)} allows Principal \"*\"; name the tenant's roles, the account "
                   "root or an AWS service principal instead")


@stack_rule(
    "isolation-no-cross-tenant-reference",
    "No resource of one tenant references or depends on a resource of another tenant.", severity=Severity.CRITICAL)
def no_cross_tenant_reference(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.308(a)(4)(i), 164.312(a)(1), 164.312(c)(1).

    Follows every property value (ARNs inside policy documents included), every dependency,
    property dependency and provider of each tenant-owned resource to the resource it names,
    and refuses any that belongs to another tenant: sharing a key, bucket, role, secret, log
    group or CometChat app between clinics is exactly the breach the per-tenant model prevents.
    """
    for resource in stack.resources:
        owner = stack.owner(resource.urn)
        if owner is None:
            continue
        for target, how in _foreign_references(stack, resource, owner).items():
            report(f"this resource of tenant '{owner}' {how} {target}, which belongs to tenant "
                   f"'{stack.owner(target)}'; a tenant may only use its own resources, so give tenant '{owner}' "
                   "its own", resource.urn)


def _foreign_references(stack: StackView, resource: PolicyResource, owner: str) -> dict[str, str]:
    """URN of each other tenant's resource `resource` points at -> how it points at it (first way found)."""
    edges = [(d.urn, "depends on") for d in resource.dependencies]
    edges += [(d.urn, f"takes {prop} from") for prop, deps in resource.property_dependencies.items() for d in deps]
    if resource.provider is not None:
        edges.append((resource.provider.urn, "is managed through the provider"))
    foreign: dict[str, str] = {}
    for target, how in edges:
        if stack.owner(target) not in (None, owner):
            foreign.setdefault(target, how)
    for path, value in strings(stack.props(resource)):
        for candidate in [value, *arns_in(value)] if "arn:" in value else [value]:
            named = stack.named_by(candidate)
            if named and owner not in named:
                for target in named.values():
                    foreign.setdefault(target, f"names in {path}")
    return foreign


@stack_rule(
    "isolation-cometchat-app-per-tenant", "Each tenant has at most one CometChat app, and no app is shared.",
    severity=Severity.CRITICAL)
def cometchat_app_per_tenant(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.308(a)(4)(i), 164.312(a)(1).

    The CometChat app is the tenant boundary for messages (structural isolation, not a
    tenant-id filter). Two apps for one tenant split its audit trail; one app for two tenants is
    a shared message store. A tenant without an app yet is not an isolation breach.
    """
    apps_of: dict[str, list[str]] = defaultdict(list)
    tenants_of_id: dict[str, set[str]] = defaultdict(set)
    for app in stack.of_type(COMETCHAT_APP_TYPE):
        owner = stack.owner(app.urn)
        if owner is None:
            continue
        apps_of[owner].append(app.urn)
        props = stack.props(app)
        declared = props.get("tenantId")
        if isinstance(declared, str) and declared != owner:
            report(f"CometChat app of tenant '{owner}' declares tenantId '{declared}'; an app serves only the "
                   "tenant it belongs to", app.urn)
        for field in ("appId", "id"):
            if isinstance(props.get(field), str) and props[field]:
                tenants_of_id[props[field]].add(owner)
    for owner, urns in apps_of.items():
        for extra in urns[1:]:
            report(f"tenant '{owner}' has {len(urns)} CometChat apps; keep exactly one per tenant and remove "
                   "this one", extra)
    for owners in tenants_of_id.values():
        if len(owners) > 1:
            for owner in sorted(owners):
                report(f"CometChat app id is shared by tenants {sorted(owners)}; every tenant needs its own app",
                       apps_of[owner][0])


@stack_rule(
    "isolation-iam-scoped-to-tenant",
    "A tenant's IAM roles grant nothing outside the tenant and can be assumed only within it.",
    severity=Severity.CRITICAL)
def iam_scoped_to_tenant(stack: StackView, ctx: PackContext, report: StackReport) -> None:
    """45 CFR 164.308(a)(3)(i), 164.308(a)(4)(ii)(B), 164.312(a)(1); Checkov CKV_AWS_1, CKV_AWS_289,
    CKV_AWS_290, CKV_AWS_355; Prowler `iam_*_no_administrative_privileges`.

    Every Allow in a tenant's identity policies must name resources this tenant owns (or an ABAC
    pattern on the caller's own tenant tag); `"*"`, NotResource, AWS managed policies and other
    tenants' ARNs are refused. Trust policies must pin aws:PrincipalTag/hipaachat:tenant to the
    tenant unless they name only the tenant's own roles or AWS service principals.
    """
    for resource in stack.of_type(IAM_ROLE_POLICY, IAM_POLICY, IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT):
        owner = stack.owner(resource.urn)
        if owner is None:
            continue
        props = stack.props(resource)
        documents = [("policy", props.get("policy"))] if resource.resource_type != IAM_ROLE else [
            (f"inlinePolicies[{i}].policy", p.get("policy")) for i, p in enumerate(props.get("inlinePolicies") or [])
            if isinstance(p, dict)]
        for where, document in documents:
            for problem in _identity_problems(stack, owner, document):
                report(f"{where}: {problem}", resource.urn)
        attached = [props.get("policyArn")] if resource.resource_type == IAM_ROLE_POLICY_ATTACHMENT else list(
            props.get("managedPolicyArns") or [])
        for arn in attached:
            if isinstance(arn, str) and owner not in stack.named_by(arn) and (
                    not stack.identifiers_unresolved or arn.startswith(AWS_MANAGED_POLICY_PREFIX)):
                report(f"attaches {arn}, a policy this tenant does not own (AWS managed policies grant across "
                       "tenants); use an inline policy naming the tenant's own ARNs", resource.urn)
        if resource.resource_type == IAM_ROLE:
            for problem in _trust_problems(stack, owner, props.get("assumeRolePolicy")):
                report(f"assumeRolePolicy: {problem}", resource.urn)


def _statements(document: object) -> list[Statement] | None:
    if document is None or contains_unknown(document):
        return None  # not known yet (preview): the update phase reads the whole document
    try:
        return parse(document)
    except DocumentError:
        return None  # isolation-no-wildcard-principal / AWS itself refuse unreadable documents


def _identity_problems(stack: StackView, owner: str, document: object) -> list[str]:
    problems: list[str] = []
    for index, statement in enumerate(_statements(document) or []):
        if not statement.allows:
            continue
        label = statement.label(index)
        if statement.not_resource:
            problems.append(f"{label} uses NotResource, which grants everything not listed; list the tenant's ARNs")
            continue
        for arn in statement.resources:
            if arn == "*":
                problems.append(f"{label} grants {', '.join(statement.actions) or 'its actions'} on every resource "
                                "(\"*\"); name the tenant's own ARNs")
            elif ABAC_TENANT_VARIABLE in arn:
                continue
            elif others := sorted(set(stack.covered_by(arn)) - {owner}):
                problems.append(f"{label} grants on {arn}, a pattern that covers resources of tenant(s) {others}; "
                                f"name tenant '{owner}''s own ARNs")
            elif owner not in (named := stack.named_by(arn)):
                if not named and stack.may_name_unseen(arn):
                    continue  # may name one of this tenant's resources whose ARN is unknown until it exists
                whose = f"tenant '{sorted(named)[0]}'" if named else "no resource of this tenant"
                problems.append(f"{label} grants on {arn}, which belongs to {whose}; grant only on tenant "
                                f"'{owner}''s own resources")
    return problems


def _trust_problems(stack: StackView, owner: str, document: object) -> list[str]:
    problems: list[str] = []
    for index, statement in enumerate(_statements(document) or []):
        if not statement.allows:
            continue
        label = statement.label(index)
        pinned = condition_values(statement, f"aws:PrincipalTag/{TENANT_TAG}")
        others = sorted({v for v in pinned if v != owner})
        if others:
            problems.append(f"{label} lets principals tagged for tenant(s) {others} assume this role; pin "
                            f"aws:PrincipalTag/{TENANT_TAG} to '{owner}'")
            continue
        own_roles_or_services = all(p.endswith(".amazonaws.com") or owner in stack.named_by(p) or (
            not stack.named_by(p) and stack.may_name_unseen(p)) for p in statement.principals) \
            and statement.principals
        if not pinned and not own_roles_or_services and not statement.principal_is_wildcard:
            problems.append(f"{label} lets any principal of the trusted account assume this role; add "
                            f"Condition StringEquals aws:PrincipalTag/{TENANT_TAG} = '{owner}'")
    return problems
