"""Read a stack's config the way the `pulumi` CLI does, offline, refusing a stack that drifted.

A stack of an environment must carry exactly its environment's settings
(scripts.project.environments); `load_stack` checks that before anything plans or deploys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from components.files import STACK_FILE, read_yaml
from components.monitoring_settings import oncall_problem
from components.settings import SECRET_KEYS, NAMESPACE, StackSettings
from components.settings import fleet_of as environment_of
from scripts.project.environments import stack_drift
from scripts.project.root import UNDECRYPTED, InputError, Project


@dataclass(frozen=True)
class StackConfig:
    """A stack's config as Pulumi passes it to a program: `ns:key` -> string, plus secret keys."""

    name: str
    values: dict[str, str]
    secret_keys: frozenset[str]
    settings: StackSettings
    # Things a plan could work around but a deploy cannot (e.g. a secret that is not set yet).
    warnings: tuple[str, ...] = ()


def load_stack(project: Project, stack: str) -> StackConfig:
    path = project.stack_file(stack)
    shown = project.relative(path)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise InputError(f"{shown}: no such stack file; known stacks: {known} "
                         f"(create it, or pick one with --stack)")
    data = read_yaml(path, STACK_FILE, root=project.root, shown=shown) or {}
    if not isinstance(data, dict):
        raise InputError(f"{shown}: a stack file is a mapping with a config: key")
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{shown}: config: must be a mapping of 'namespace:key: value'")
    _refuse_drift(project, stack, raw)
    return stack_config(project, stack, raw)


def stack_config(project: Project, stack: str, raw: dict[str, Any]) -> StackConfig:
    """A stack's config from its file's `config:` mapping, whose drift the caller has already checked.

    `hipaachat stacks check` computes every member's drift to report it; it builds the clean
    members through this so their drift is not computed a second time.
    """
    shown = project.relative(project.stack_file(stack))
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in raw.items():
        if ":" not in str(key):
            key = f"{NAMESPACE}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key], _ = UNDECRYPTED, secret_keys.add(key)
            continue
        values[key] = value if isinstance(value, str) else json.dumps(value)
        if key.partition(":")[2] in SECRET_KEYS:
            secret_keys.add(key)
    warnings = []
    for name in sorted(SECRET_KEYS):
        key = f"{NAMESPACE}:{name}"
        if key not in values:
            # An offline plan needs no credentials (PR CI has none); a deploy does.
            values[key], _ = UNDECRYPTED, secret_keys.add(key)
            warnings.append(f"{shown}: {key} is not set; planned with a placeholder. Before `pulumi up`: "
                            f"pulumi config set --secret -s {stack} {key} <value>")
    try:
        settings = StackSettings.from_config(values)
    except ValidationError as exc:
        raise InputError("\n".join(
            f"{shown}: config.{NAMESPACE}:{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors())) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown}: a {NAMESPACE}: value is not valid JSON/YAML ({exc})") from exc
    if (problem := oncall_problem(settings.environment, settings.oncall)) is not None:
        shared = environment_of(stack)
        where = f" (set it in stacks/environments/{shared}.yaml, then `hipaachat stacks sync`)" if shared else ""
        raise InputError(f"{shown}: {problem}{where}")
    return StackConfig(name=stack, values=values, secret_keys=frozenset(secret_keys), settings=settings,
                       warnings=tuple(warnings))


def _refuse_drift(project: Project, stack: str, raw: dict[str, Any]) -> None:
    """A stack of an environment (`production-eu`) must carry exactly its environment's settings."""
    drift = stack_drift(project, stack, raw)
    if drift:
        shown = project.relative(project.stack_file(stack))
        raise InputError("\n".join(f"{shown}: {d}" for d in drift))


def stack_config_for_pack(config: StackConfig) -> dict[str, Any]:
    """The config a policy pack sees via PULUMI_CONFIG; secret values never leave this process."""
    return {k: v for k, v in config.values.items() if k not in config.secret_keys}
