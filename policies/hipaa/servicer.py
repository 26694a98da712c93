"""The Analyzer servicer the pack runs: pulumi_policy's, with each request's conversions done once.

pulumi_policy 1.21's `_PolicyAnalyzerServicer` converts a resource's properties, options and
provider inside its loop over policies, and for AnalyzeStack rebuilds every resource of the stack
once per stack policy: with ~28 policies and tens of thousands of resources that is most of a
plan's time. `HipaachatServicer` overrides exactly `Analyze` and `AnalyzeStack` to convert once
per request and then run each policy with pulumi_policy's own helpers (enforcement level,
diagnostics, config, runtime settings), with the same semantics: disabled policies skipped,
remediate reported as mandatory, an unknown value during preview an advisory "can't run"
diagnostic, `not_applicable` passed through. Policies share the request's read-only view.

Three more savings keep a 50,000-resource plan fast without changing any result: a policy that
declares the resource types it applies to (`applies_to`) is not invoked for other types (it would
return at once); a provider's converted properties are reused across requests while the
provider's serialized properties are byte-for-byte the same; and the Pulumi runtime settings,
which pulumi_policy rebuilds from the process environment on every request (signature
inspection included: 40% of a request's time), are built once, because the engine sets that
environment when it starts the pack and never changes it.

Each request also gets a `RequestScope`: where the resource sits (observed once, by the pack's
`observe` hook, before any policy runs), the stack view (built once), and findings a waiver
covers, which `waiver-applied` (the pack's last policy) reports in the same response.
`install()` makes `PolicyPack(...)` build this servicer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as pulumi_policy_module
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

_local = threading.local()
# Distinct providers remembered at once; a stack has one per tenant, so this covers large stacks.
PROVIDER_CACHE_SIZE = 4096
_HELPERS = ("_configure_runtime_settings", "_get_enforcement_level", "_create_report_violation",
            "_map_enforcement_level", "_get_resource_options", "_get_provider_resource", "_get_policy_config")


class RequestScope:
    """State that lives exactly as long as one Analyze or AnalyzeStack call."""

    def __init__(self) -> None:
        self.waived: list[Any] = []
        self.extras: dict[str, Any] = {}


def current() -> RequestScope | None:
    """The scope of the request this thread is serving, or None outside the servicer."""
    return getattr(_local, "scope", None)


@contextmanager
def _request_scope() -> Iterator[RequestScope]:
    _local.scope = RequestScope()
    try:
        yield _local.scope
    finally:
        _local.scope = None


def _props(message: Any) -> Any:
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(message)))


_Base: Any = pulumi_policy_module._PolicyAnalyzerServicer


class HipaachatServicer(_Base):
    # Called with each Analyze request's args before any policy runs (the pack's lineage); set by install().
    observe: Callable[[ResourceValidationArgs], None] | None = None

    def __init__(self, name: str, version: str, policies: list[Policy], *args: Any, **kwargs: Any) -> None:
        super().__init__(name, version, policies, *args, **kwargs)
        self._pack = (name, version)
        self._policies = list(policies)
        self._tags: dict[str, str] = {}
        self._active_cache: dict[tuple[type, str | None], list[tuple[Policy, EnforcementLevel]]] = {}
        self._providers: dict[tuple[str, bytes], Any] = {}
        self._runtime_lock = threading.Lock()
        self._runtime_configured = False

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().Configure(request, context)
        self._active_cache = {}  # enforcement levels may have changed
        return response

    def ConfigureStack(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        self._tags = dict(request.tags)
        return super().ConfigureStack(request, context)

    def Analyze(self, request: Any, _context: Any) -> Any:  # noqa: N802
        self._configure_runtime()
        response = proto.AnalyzeResponse()
        props = _props(request.properties)
        opts = self._get_resource_options(request)
        provider = self._provider(request)
        with _request_scope():
            if self.observe is not None:
                self.observe(ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,
                                                    None, self._tags))
            for policy, level in self._active(ResourceValidationPolicy, request.type):
                if not policy.has_validation():
                    response.not_applicable.append(proto.PolicyNotApplicable(
                        policy_name=policy.name, reason="Policy does not implement validate"))
                    continue
                args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,
                                              self._get_policy_config(policy.name), self._tags)
                self._run(response, policy, level, lambda report, p=policy, a=args: p.validate(a, report))
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802
        self._configure_runtime()
        response = proto.AnalyzeResponse()
        resources = self._stack_resources(request)
        with _request_scope():
            for policy, level in self._active(StackValidationPolicy):
                args = StackValidationArgs(resources, self._get_policy_config(policy.name), self._tags)
                self._run(response, policy, level, lambda report, p=policy, a=args: p.validate(a, report))
        return response

    def _configure_runtime(self) -> None:
        """pulumi_policy's runtime settings (config, project, stack, dry run), built on the first request only."""
        if self._runtime_configured:
            return
        with self._runtime_lock:
            if not self._runtime_configured:
                self._configure_runtime_settings()
                self._runtime_configured = True

    def _active(self, kind: type, resource_type: str | None = None) -> list[tuple[Policy, EnforcementLevel]]:
        """Enabled policies of `kind` (for `resource_type`) with the level they report at (remediate as mandatory)."""
        key = (kind, resource_type)
        if key not in self._active_cache:
            active = []
            for policy in self._policies:
                level = self._get_enforcement_level(policy)
                applies_to = getattr(policy, "applies_to", None)
                if level == EnforcementLevel.DISABLED or not isinstance(policy, kind) or (
                        resource_type is not None and applies_to is not None and not applies_to(resource_type)):
                    continue
                active.append((policy, EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level))
            self._active_cache[key] = active
        return self._active_cache[key]

    def _provider(self, request: Any) -> Any:
        """The request's provider, converted once per distinct provider configuration."""
        if not request.HasField("provider"):
            return None
        key = (request.provider.urn, request.provider.properties.SerializeToString(deterministic=True))
        if key not in self._providers:
            if len(self._providers) >= PROVIDER_CACHE_SIZE:
                self._providers.clear()
            self._providers[key] = self._get_provider_resource(request)
        return self._providers[key]

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        by_urn: dict[str, PolicyResource] = {}
        links = []
        for r in request.resources:
            resource = PolicyResource(r.type, _props(r.properties), r.urn, r.name, self._get_resource_options(r),
                                      self._provider(r), None, [], {})
            by_urn[r.urn] = resource
            links.append((resource, r.parent, list(r.dependencies),
                          {k: list(v.urns) for k, v in r.propertyDependencies.items()}))
        for resource, parent, dependencies, property_dependencies in links:
            resource.parent = by_urn.get(parent) if parent else None
            resource.dependencies = [by_urn[d] for d in dependencies if d in by_urn]
            resource.property_dependencies = {k: [by_urn[d] for d in v if d in by_urn]
                                              for k, v in property_dependencies.items()}
        return list(by_urn.values())

    def _run(self, response: Any, policy: Policy, level: EnforcementLevel,
             validate: Callable[[Any], Any]) -> None:
        report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
        try:
            result = validate(report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                try:
                    loop.run_until_complete(result)
                finally:
                    loop.close()
        except UnknownValueError as exc:
            name, version = self._pack
            response.diagnostics.append(proto.AnalyzeDiagnostic(
                policyName=policy.name, policyPackName=name, policyPackVersion=version,
                message=f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: "
                        f"{exc.message}",
                urn="", description=policy.description,
                enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY)))
        except pulumi_policy_module._NotApplicableError as exc:
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=exc.reason or ""))


def install(observe: Callable[[ResourceValidationArgs], None] | None = None) -> None:
    """Make `PolicyPack(...)` serve with `HipaachatServicer`; refuses an unexpected pulumi_policy."""
    missing = [h for h in _HELPERS if not hasattr(_Base, h)]
    if missing or not hasattr(pulumi_policy_module, "_NotApplicableError"):
        raise RuntimeError(f"pulumi-policy's servicer lacks {missing or ['_NotApplicableError']}; the hipaachat pack "
                           "supports pulumi-policy 1.20-1.21 (see pyproject.toml)")
    HipaachatServicer.observe = staticmethod(observe) if observe is not None else None
    pulumi_policy_module._PolicyAnalyzerServicer = HipaachatServicer
