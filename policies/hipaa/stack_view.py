"""One stack, indexed for stack rules: owners, types, identifiers, and what configures which bucket.

Built from the resources AnalyzeStack delivers (outputs, parent, dependencies, provider), once
per stack rule. Ownership is structural (the `hipaachat:index:Tenant` a resource descends from),
never taken from a tag or a name: that is what makes "tenant A references tenant B" provable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies.hipaa.contracts import (
    BUCKETS,
    COMETCHAT_APP_TYPE,
    KMS_ALIAS,
    KMS_KEY,
    PROVIDER_TYPE_PREFIX,
    TENANT_TYPE,
)
from policies.hipaa.derived_arns import ACCOUNT_ROOT, NAME_INPUTS, Key, arn_key, covers, is_pattern, name_key
from policies.hipaa.documents import arn_base
from policies.hipaa.values import UNKNOWN, plain

# Output properties that name the resource itself (what another resource would use to point at it).
# Keys like `bucket` or `appId` also appear on resources that *refer* to a bucket or app, so they
# count as identifiers only on the types they belong to.
IDENTIFIER_KEYS = ("arn", "id", "name", "executionArn", "invokeArn", "apiEndpoint", "invokeUrl")
TYPE_IDENTIFIER_KEYS = {**{bucket: ("bucket",) for bucket in BUCKETS}, KMS_KEY: ("keyId",),
                        COMETCHAT_APP_TYPE: ("appId",)}
# Shorter values are too generic to attribute ("audit", "sms") and are not indexed.
MIN_IDENTIFIER_LENGTH = 8


def _origin(value: str) -> str | None:
    """`https://host` of an https URL: an endpoint's URLs (webhook paths, stages) point at the endpoint."""
    if not value.startswith("https://"):
        return None
    host = value[len("https://"):].split("/", 1)[0]
    return f"https://{host}" if host else None


def _get(resource: PolicyResource, key: str) -> Any:
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return UNKNOWN


class StackView:
    def __init__(self, resources: Sequence[PolicyResource], config: Mapping[str, Any] | None = None):
        self.resources = list(resources)
        # The current policy's config (pack config); set per policy when the view is shared.
        self.config: Mapping[str, Any] = config or {}
        self.by_urn = {r.urn: r for r in self.resources}
        self._owner: dict[str, str | None] = {}
        self._plain: dict[str, dict[str, Any]] = {}
        # Types of bucket configurations whose bucket is unknown yet (filled with _by_bucket).
        self._unplaced: set[str] = set()

    # ---- structure -------------------------------------------------------------------------
    @cached_property
    def _by_type(self) -> dict[str, list[PolicyResource]]:
        index: dict[str, list[PolicyResource]] = defaultdict(list)
        for r in self.resources:
            index[r.resource_type].append(r)
        return index

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    @cached_property
    def tenants(self) -> dict[str, PolicyResource]:
        """Tenant id -> its Tenant component."""
        return {self.tenant_id(r): r for r in self.of_type(TENANT_TYPE)}

    @staticmethod
    def tenant_id(tenant: PolicyResource) -> str:
        value = _get(tenant, "tenantId")
        return value if isinstance(value, str) and value else tenant.name

    def owner(self, urn: str | None) -> str | None:
        """The id of the tenant `urn` descends from (itself, for a Tenant), or None."""
        if urn is None or urn not in self.by_urn:
            return None
        if urn in self._owner:
            return self._owner[urn]
        path: list[str] = []
        node: PolicyResource | None = self.by_urn[urn]
        found: str | None = None
        while node is not None:
            if node.urn in self._owner:
                found = self._owner[node.urn]
                break
            path.append(node.urn)
            if node.resource_type == TENANT_TYPE:
                found = self.tenant_id(node)
                break
            node = node.parent
        for visited in path:
            self._owner[visited] = found
        return found

    def ancestor_types(self, resource: PolicyResource) -> list[str]:
        types, node = [], resource.parent
        while node is not None:
            types.append(node.resource_type)
            node = node.parent
        return types

    def props(self, resource: PolicyResource) -> dict[str, Any]:
        """The resource's outputs as plain data (unknowns as UNKNOWN), converted once per view."""
        if resource.urn not in self._plain:
            self._plain[resource.urn] = plain(resource.props)
        return self._plain[resource.urn]

    # ---- identifiers -----------------------------------------------------------------------
    @cached_property
    def _identifiers(self) -> dict[str, dict[str, str]]:
        """Identifier value -> {tenant id: urn of the resource it names} for tenant-owned resources."""
        index: dict[str, dict[str, str]] = defaultdict(dict)
        for r in self.resources:
            if r.resource_type.startswith(PROVIDER_TYPE_PREFIX) or r.resource_type == TENANT_TYPE:
                continue
            tenant = self.owner(r.urn)
            if tenant is None:
                continue
            for key in IDENTIFIER_KEYS + TYPE_IDENTIFIER_KEYS.get(r.resource_type, ()):
                value = _get(r, key)
                if isinstance(value, str) and len(value) >= MIN_IDENTIFIER_LENGTH:
                    index[value].setdefault(tenant, r.urn)
                    if (origin := _origin(value)) is not None:
                        index[origin].setdefault(tenant, r.urn)
        return index

    def named_by(self, value: str) -> dict[str, str]:
        """Which tenants' resources `value` names: {tenant: urn}. ARNs into a resource count as naming it."""
        hit = self._identifiers.get(value)
        if hit is None and value.startswith("arn:"):
            hit = self._identifiers.get(arn_base(value))
        if hit is None and (origin := _origin(value)) is not None:
            hit = self._identifiers.get(origin)
        if hit is None and (key := arn_key(value)) is not None and not is_pattern(key):
            hit = self._named.get(key)  # the ARN its name derives (known at preview, when the ARN is not)
        return hit or {}

    @cached_property
    def _named(self) -> dict[Key, dict[str, str]]:
        """(service, resource) of every tenant bucket, role and log group -> {tenant: urn}, from names."""
        index: dict[Key, dict[str, str]] = defaultdict(dict)
        for r in self.of_type(*NAME_INPUTS):
            tenant = self.owner(r.urn)
            if tenant is not None and (key := name_key(r.resource_type, self.props(r))) is not None:
                index[key].setdefault(tenant, r.urn)
        return index

    def covered_by(self, pattern: str) -> dict[str, str]:
        """Tenants whose buckets, roles or log groups a wildcard ARN pattern covers: {tenant: urn}."""
        key = arn_key(pattern)
        if key is None or not is_pattern(key):
            return {}
        hit: dict[str, str] = {}
        for named, owners in self._named.items():
            if covers(key, named):
                for tenant, urn in owners.items():
                    hit.setdefault(tenant, urn)
        return hit

    @cached_property
    def _names_complete(self) -> frozenset[str]:
        """Services (s3, iam, logs) whose every tenant bucket / role / log group has a known name."""
        services = {service for _, service in NAME_INPUTS.values()}
        for r in self.of_type(*NAME_INPUTS):
            if self.owner(r.urn) is not None and name_key(r.resource_type, self.props(r)) is None:
                services.discard(NAME_INPUTS[r.resource_type][1])
        return frozenset(services)

    def may_name_unseen(self, value: str) -> bool:
        """A value naming no known resource may still name one whose identifiers are unknown (preview).

        Not an account (never a tenant's resource), and not a bucket, role or log group ARN when
        every such resource's name is known: then `named_by` is already complete for it.
        """
        if not self.identifiers_unresolved or ACCOUNT_ROOT.match(value):
            return False
        key = arn_key(value)
        return key is None or key[0] not in self._names_complete

    @cached_property
    def _keys(self) -> dict[str, PolicyResource]:
        """Every way to name a KMS key (ARN, key id, alias name, alias ARN) -> the key."""
        keys: dict[str, PolicyResource] = {}
        for key in self.of_type(KMS_KEY):
            for field in ("arn", "keyId", "id"):
                value = _get(key, field)
                if isinstance(value, str):
                    keys[value] = key
        for alias in self.of_type(KMS_ALIAS):
            target = keys.get(_get(alias, "targetKeyId")) or keys.get(_get(alias, "targetKeyArn"))
            if target is None:
                continue
            for field in ("name", "arn", "id"):
                value = _get(alias, field)
                if isinstance(value, str):
                    keys[value] = target
        return keys

    def key_named(self, value: Any) -> PolicyResource | None:
        """The KMS key of this stack that `value` (ARN, id or alias) names, if any."""
        return self._keys.get(value) if isinstance(value, str) else None

    @cached_property
    def keys_unresolved(self) -> bool:
        """Some key or alias cannot be named yet (preview): a value naming no known key may name it."""
        return any(_get(r, field) is UNKNOWN for r in self.of_type(KMS_KEY, KMS_ALIAS)
                   for field in ("arn", "keyId", "name", "targetKeyId"))

    @cached_property
    def identifiers_unresolved(self) -> bool:
        """Some tenant resource's identifier is unknown yet (preview), so `named_by` cannot be complete.

        A value that names nothing known may then name that resource: rules treat "names none of
        this tenant's resources" as undecided rather than as a finding; the update phase decides.
        """
        for r in self.resources:
            if r.resource_type.startswith(PROVIDER_TYPE_PREFIX) or r.resource_type == TENANT_TYPE \
                    or self.owner(r.urn) is None:
                continue
            if any(_get(r, key) is UNKNOWN for key in IDENTIFIER_KEYS + TYPE_IDENTIFIER_KEYS.get(r.resource_type, ())):
                return True
        return False

    # ---- buckets and what configures them --------------------------------------------------
    @cached_property
    def _bucket_names(self) -> dict[str, PolicyResource]:
        names: dict[str, PolicyResource] = {}
        for bucket in self.of_type(*BUCKETS):
            for field in ("bucket", "id", "arn"):
                value = _get(bucket, field)
                if isinstance(value, str):
                    names[value] = bucket
        return names

    def bucket_of(self, resource: PolicyResource) -> PolicyResource | None:
        """The bucket a sibling resource (versioning, SSE, policy, object, ...) configures.

        Structure first, as the engine knows it at preview: the `bucket` input's property
        dependency. Then the value (a bucket name, id or ARN). A value that is unknown (the
        bucket's id before it exists) falls back to structure again: the one bucket the resource
        depends on, or the one bucket beside it under the same parent.
        """
        for dependency in resource.property_dependencies.get("bucket", []):
            if dependency.resource_type in BUCKETS:
                return dependency
        value = _get(resource, "bucket")
        if isinstance(value, str) and value in self._bucket_names:
            return self._bucket_names[value]
        if not self._bucket_undecided(value):
            return None
        depended = [d for d in resource.dependencies if d.resource_type in BUCKETS]
        if len(depended) == 1:
            return depended[0]
        parent = resource.parent.urn if resource.parent is not None else None
        beside = [b for b in self.of_type(*BUCKETS) if (b.parent.urn if b.parent is not None else None) == parent]
        return beside[0] if len(beside) == 1 else None

    @cached_property
    def _bucket_names_unresolved(self) -> bool:
        return any(_get(b, field) is UNKNOWN for b in self.of_type(*BUCKETS) for field in ("bucket", "id", "arn"))

    def _bucket_undecided(self, value: Any) -> bool:
        """A `bucket` value that may name a bucket whose name is not known yet (preview)."""
        return value is UNKNOWN or (isinstance(value, str) and value not in self._bucket_names
                                    and self._bucket_names_unresolved)

    @cached_property
    def _by_bucket(self) -> dict[str, dict[str, list[PolicyResource]]]:
        index: dict[str, dict[str, list[PolicyResource]]] = defaultdict(lambda: defaultdict(list))
        for r in self.resources:
            if r.resource_type in BUCKETS:
                continue
            bucket = self.bucket_of(r)
            if bucket is not None:
                index[bucket.urn][r.resource_type].append(r)
            elif "bucket" in r.props and self._bucket_undecided(_get(r, "bucket")):
                self._unplaced.add(r.resource_type)
        return index

    def configuring(self, bucket: PolicyResource, types: Iterable[str]) -> list[PolicyResource]:
        """Resources of `types` that configure `bucket` (its versioning, SSE, policy, lock, objects)."""
        siblings = self._by_bucket.get(bucket.urn, {})
        return [r for t in types for r in siblings.get(t, [])]

    def may_configure_unseen(self, types: Iterable[str]) -> bool:
        """A resource of `types` configures a bucket that cannot be told yet (its `bucket` is unknown).

        Then "this bucket has no such configuration" is undecided at preview, not a finding.
        """
        _ = self._by_bucket
        return any(t in self._unplaced for t in types)
