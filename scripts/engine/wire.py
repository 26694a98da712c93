"""What the Pulumi engine puts on the Analyzer wire, built from captured resources.

Kept apart from the process handling in `scripts.engine.analyzer` so the translation from a
`CapturedResource` to `AnalyzeRequest` / `AnalyzerResource`, the policy-config reconciliation
and the secret scrubbing can each be read (and tested) on their own.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, serialize_properties

from scripts.engine.models import CapturedResource, Enforcement

LEVELS: dict[int, Enforcement] = {proto.ADVISORY: "advisory", proto.MANDATORY: "mandatory",
                                  proto.REMEDIATE: "remediate", proto.DISABLED: "disabled"}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
# Shorter secrets ("test", "1") cannot be scrubbed without mangling ordinary words.
MIN_SCRUBBED_SECRET_LENGTH = 5


class PolicyConfigError(ValueError):
    """Policy pack config (the `--policy-pack-config` equivalent) names unknown policies or invalid values."""


def waves(resources: Sequence[CapturedResource]) -> list[list[CapturedResource]]:
    """Resources grouped by depth in the parent tree: the engine analyzes a parent before its children."""
    parents = {r.urn: r.parent for r in resources}
    depth: dict[str, int] = {}
    for resource in resources:
        chain, node = [], resource.urn
        while node in parents and node not in depth:
            chain.append(node)
            node = parents[node]
        base = depth.get(node, -1) if node is not None else -1
        for offset, visited in enumerate(reversed(chain), start=1):
            depth[visited] = base + offset
    grouped: dict[int, list[CapturedResource]] = collections.defaultdict(list)
    for resource in resources:
        grouped[depth[resource.urn]].append(resource)
    return [grouped[level] for level in sorted(grouped)]


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them: assets and archives in their wire form, secrets wrapped.

    Captured properties are almost always plain JSON (secrets are already wrapped dicts), which
    Struct takes directly; only values it refuses (assets, archives) go through pulumi_policy's
    serializer, which is many times slower.
    """
    message = struct_pb2.Struct()
    try:
        message.update(values)
    except (TypeError, ValueError):
        message = struct_pb2.Struct()
        message.update(serialize_properties(values))
    return message


def _options(r: CapturedResource) -> Any:
    return proto.AnalyzerResourceOptions(
        protect=r.options.protect, ignoreChanges=r.options.ignore_changes,
        deleteBeforeReplace=r.options.delete_before_replace, deleteBeforeReplaceDefined=r.options.delete_before_replace,
        additionalSecretOutputs=r.options.additional_secret_outputs, parent=r.parent or "")


class WireStack:
    """One stack's resources, ready to be turned into Analyze and AnalyzeStack requests.

    Providers are described once each (a stack has one per tenant, used by dozens of resources).
    """

    def __init__(self, resources: Sequence[CapturedResource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._providers: dict[str, Any] = {}

    def provider(self, r: CapturedResource) -> Any | None:
        """The resource's provider as the engine describes it: type, name, urn and the provider's inputs."""
        if not r.provider:
            return None
        if r.provider not in self._providers:
            urn, sep, _ = r.provider.rpartition("::")  # a provider reference is `<urn>::<id>`
            provider = self.by_urn.get(urn if sep else r.provider)
            self._providers[r.provider] = None if provider is None else proto.AnalyzerProviderResource(
                type=provider.type, urn=provider.urn, name=provider.name, properties=struct(provider.inputs))
        return self._providers[r.provider]

    def analyze_request(self, r: CapturedResource) -> Any:
        """Analyze: the resource's inputs, options and provider (what the step generator sends)."""
        return proto.AnalyzeRequest(type=r.type, urn=r.urn, name=r.name, properties=struct(r.inputs),
                                    options=_options(r), provider=self.provider(r))

    def stack_request(self) -> Any:
        """AnalyzeStack: every resource's outputs plus parent, dependencies and property dependencies."""
        return proto.AnalyzeStackRequest(resources=[proto.AnalyzerResource(
            type=r.type, urn=r.urn, name=r.name, properties=struct(r.outputs), options=_options(r),
            provider=self.provider(r), parent=r.parent or "", dependencies=r.dependencies,
            propertyDependencies={k: proto.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()}) for r in self.resources])


def config_string(value: Any) -> str:
    """Pulumi passes every config value to a pack as a string; objects and lists as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def policy_config_request(reconciled: Mapping[str, tuple[Enforcement, Mapping[str, Any]]]) -> Any:
    configs = {}
    for name, (level, props) in reconciled.items():
        config = proto.PolicyConfig(enforcementLevel=LEVEL_VALUES[level])
        if props:
            config.properties.update(props)
        configs[name] = config
    return proto.ConfigureAnalyzerRequest(policyConfig=configs)


def reconcile(policies: Mapping[str, tuple[Enforcement, Mapping[str, Any]]], given: Mapping[str, Any],
              pack: str) -> dict[str, tuple[Enforcement, dict[str, Any]]]:
    """The engine's ReconcilePolicyPackConfig: schema defaults, then `all`, then per-policy config.

    `policies` maps each policy to (its level, its config schema); `given` is a
    `--policy-pack-config` document ({name: level} or {name: {enforcementLevel, ...props}}).
    """
    result = {name: (level, {k: v["default"] for k, v in schema.get("properties", {}).items()
                             if isinstance(v, Mapping) and "default" in v})
              for name, (level, schema) in policies.items()}
    for name, value in given.items():
        if isinstance(value, str):
            level, props = value, {}
        else:
            level = value.get("enforcementLevel")
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
        if level is not None and level not in LEVEL_VALUES:
            raise PolicyConfigError(f"policy config for '{name}': {level!r} is not an enforcement level "
                                    f"({', '.join(LEVEL_VALUES)})")
        if name == "all":
            result = {n: (level or lvl, props_) for n, (lvl, props_) in result.items()}
            continue
        if name not in policies:
            raise PolicyConfigError(f"policy config names '{name}', which is not a policy of {pack}; "
                                    f"known policies: {', '.join(sorted(policies))}")
        check_schema(name, policies[name][1], props)
        current_level, current_props = result[name]
        result[name] = (level or current_level, {**current_props, **props})
    return result


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer(),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def check_schema(policy: str, schema: Mapping[str, Any], props: Mapping[str, Any]) -> None:
    """The subset of JSON Schema policy packs use (type, minimum, maximum, enum), checked as the engine would."""
    properties = schema.get("properties", {})
    for key, value in props.items():
        spec = properties.get(key)
        where = f"policy config for '{policy}': '{key}'"
        if spec is None:
            raise PolicyConfigError(f"{where} is not a setting of this policy "
                                    f"(settings: {', '.join(properties) or 'none'})")
        if not _JSON_TYPES.get(spec.get("type"), lambda _: True)(value):
            raise PolicyConfigError(f"{where} must be of type {spec.get('type')}")
        if ("minimum" in spec and value < spec["minimum"]) or ("maximum" in spec and value > spec["maximum"]):
            raise PolicyConfigError(f"{where} is out of range "
                                    f"({spec.get('minimum', '-inf')}..{spec.get('maximum', 'inf')})")
        if "enum" in spec and value not in spec["enum"]:
            raise PolicyConfigError(f"{where} must be one of {spec['enum']}")


class Scrubber:
    """Replaces every secret value of the stack found in a message with `[secret]`.

    Defense in depth: policies never quote property values that could be secret, but a
    message that leaves this process must not depend on every policy author remembering that.
    """

    def __init__(self, resources: Sequence[CapturedResource]) -> None:
        found: set[str] = set()
        for r in resources:
            _collect_secrets(r.inputs, found, False)
            _collect_secrets(r.outputs, found, False)
        self._secrets = sorted((s for s in found if len(s) >= MIN_SCRUBBED_SECRET_LENGTH), key=len, reverse=True)

    def __call__(self, message: str) -> str:
        for secret in self._secrets:
            if secret in message:
                message = message.replace(secret, "[secret]")
        return message


def _collect_secrets(value: Any, found: set[str], inside: bool) -> None:
    if isinstance(value, Mapping):
        inside = inside or value.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG
        for key, item in value.items():
            if key != SPECIAL_SIG_KEY:
                _collect_secrets(item, found, inside)
    elif isinstance(value, list):
        for item in value:
            _collect_secrets(item, found, inside)
    elif inside and isinstance(value, str | int | float) and not isinstance(value, bool):
        found.add(str(value))
