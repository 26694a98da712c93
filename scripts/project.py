"""Find the project and read a stack's config the way the `pulumi` CLI does, offline.

Every command works on the project it is run in (Pulumi.yaml in the current directory or a
parent, or `--cwd`), never on wherever the package is installed: a copy of the repo with
edited tenant files plans the edits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from components.files import PROJECT_FILE, STACK_FILE, read_yaml
from components.monitoring_settings import oncall_problem
from components.settings import SECRET_KEYS, NAMESPACE, StackSettings
from components.settings import fleet_of as environment_of


class InputError(Exception):
    """Bad input from the user: the message names the file, the field and the fix (exit 2)."""


# What an offline plan passes for a `secure:` value it cannot decrypt. It is marked secret like
# the real value, so nothing downstream can tell it apart or print it.
UNDECRYPTED = "[secret: not decrypted offline]"


@dataclass(frozen=True)
class Project:
    root: Path
    stack_config_dir: Path

    @classmethod
    def find(cls, start: Path | None = None) -> "Project":
        here = (start or Path.cwd()).resolve()
        for directory in (here, *here.parents):
            manifest = directory / "Pulumi.yaml"
            if manifest.is_file():
                return cls._from_manifest(manifest)
        raise InputError(f"no Pulumi.yaml in {here} or any parent; run inside a hipaachat project or pass --cwd DIR")

    @classmethod
    def _from_manifest(cls, manifest: Path) -> "Project":
        data = read_yaml(manifest, PROJECT_FILE, root=manifest.parent, shown=str(manifest)) or {}
        config_dir = data.get("stackConfigDir", ".") if isinstance(data, dict) else None
        if not isinstance(config_dir, str):
            raise InputError(f"{manifest}: must be a mapping whose stackConfigDir is a directory name (e.g. stacks)")
        return cls(root=manifest.parent, stack_config_dir=manifest.parent / config_dir)

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


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
    from scripts.stacks.environments import stack_drift  # imported here: it builds on this module

    drift = stack_drift(project, stack, raw)
    if drift:
        shown = project.relative(project.stack_file(stack))
        raise InputError("\n".join(f"{shown}: {d}" for d in drift))


def stack_config_for_pack(config: StackConfig) -> dict[str, Any]:
    """The config a policy pack sees via PULUMI_CONFIG; secret values never leave this process."""
    return {k: v for k, v in config.values.items() if k not in config.secret_keys}
