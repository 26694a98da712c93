"""The tag vocabulary that ties every AWS resource to the tenant that owns it.

Policies prove isolation by following this tag, so it is a contract: rename it and every
deployed stack fails its isolation policy.
"""

# The Tenant component's type token: every tenant-owned resource descends from one of these.
TENANT_TYPE = "hipaachat:index:Tenant"
# The CI deploy identity (components.ci_identity): the one part of a stack outside every tenant.
CI_IDENTITY_TYPE = "hipaachat:ci:DeployIdentity"
TENANT_TAG = "hipaachat:tenant"
STACK_TAG = "hipaachat:stack"
PART_TAG = "hipaachat:part"
MANAGED_BY_TAG = "hipaachat:managed-by"


def tenant_tags(tenant_id: str, stack: str, part: str) -> dict[str, str]:
    """Tags for one tenant-owned resource; `part` names the component part that made it."""
    return {TENANT_TAG: tenant_id, STACK_TAG: stack, PART_TAG: part, MANAGED_BY_TAG: "hipaachat"}

# Analyzers cannot see `retain_on_delete` (AnalyzerResourceOptions has no such field), so every
# resource registered with it also carries this tag: the retention policy checks the tag, and the
# tag is only ever set alongside the option (components.buckets, components.log_sinks).
RETAIN_TAG = "hipaachat:retain"
CHANNEL_TAG = "hipaachat:channel"
