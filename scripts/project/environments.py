"""Stacks per environment: one source of settings, materialized into each stack's file.

Why materialized: `pulumi up -s production-eu` gives the program *and* the policy pack only
that stack's config (the pack gets it in PULUMI_CONFIG; a published pack has no repository to
read anything else from), and Pulumi encrypts `secure:` values per stack. So every stack file
carries its environment's settings itself, and exactly one file says what they are:
`stacks/environments/<env>.yaml`. `hipaachat stacks sync` writes them into the stacks,
`hipaachat stacks check` and every command that loads a stack refuse a stack that disagrees.

Which stacks share: those named after the environment (`production`, `production-eu`,
`production-2`, see components.settings.fleet_of). Other stacks (`local`) stand alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from components.files import STACK_FILE, InputFileError, read_yaml
from components.settings import NAMESPACE, SECRET_KEYS, StackSettings, fleet_of
from scripts.project.root import InputError, Project

ENVIRONMENTS = ("prototype", "production")
# Settings a stack sets for itself: secrets (Pulumi encrypts them per stack, so they cannot be
# shared) and the residencies a residency shard holds.
STACK_SCOPED = frozenset({*SECRET_KEYS, "residencies"})


class Drift(BaseModel):
    """One way a stack's settings disagree with its environment's, and how to fix it."""

    model_config = ConfigDict(frozen=True)

    stack: str
    key: str
    problem: str
    fix: str
    # `stack-only`: a shared-namespace key only this stack sets (sync must not drop it silently).
    kind: Literal["missing", "differs", "stack-only", "other"] = "other"

    def __str__(self) -> str:
        return f"stack {self.stack}: {self.key}: {self.problem}; {self.fix}"


class EnvironmentSettings(BaseModel):
    """`stacks/environments/<env>.yaml`: the settings every stack of one environment shares."""

    model_config = ConfigDict(frozen=True)

    environment: str
    path: Path
    config: dict[str, Any]


def environment_file(project: Project, environment: str) -> Path:
    return project.stack_config_dir / "environments" / f"{environment}.yaml"


def check_environment_name(environment: str) -> str:
    if environment not in ENVIRONMENTS:
        raise InputError(f"--environment {environment!r}: use {' or '.join(ENVIRONMENTS)}")
    return environment


def load_environment(project: Project, environment: str) -> EnvironmentSettings:
    """Read and validate an environment's settings; every problem names the file and the key."""
    check_environment_name(environment)
    path = environment_file(project, environment)
    shown = project.relative(path)
    if not path.is_file():
        raise InputError(f"{shown}: missing; it holds the settings every {environment} stack shares. Create it "
                         f"with a `config:` mapping (start from stacks/Pulumi.{environment}.yaml)")
    data = read_yaml(path, STACK_FILE, root=project.root, shown=shown) or {}
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict):
        raise InputError(f"{shown}: config: must be a mapping of '{NAMESPACE}:key: value'")
    problems = []
    for key in config:
        ns, _, name = str(key).partition(":")
        if ns != NAMESPACE or not name:
            problems.append(f"{shown}: config.{key}: only {NAMESPACE}: settings are shared; set other "
                            "namespaces in each stack file")
        elif name in STACK_SCOPED:
            problems.append(f"{shown}: config.{key}: is set per stack, never shared ("
                            + ("secrets are encrypted per stack: pulumi config set --secret -s STACK "
                               f"{key} <value>" if name in SECRET_KEYS else "set it in the shard's stack file")
                            + ")")
    declared = config.get(f"{NAMESPACE}:environment")
    if declared != environment:
        problems.append(f"{shown}: config.{NAMESPACE}:environment: must be {environment} (the file's name)")
    if problems:
        raise InputError("\n".join(problems))
    try:
        StackSettings.from_config({k: config_string(v) for k, v in config.items()})
    except ValidationError as exc:
        raise InputError("\n".join(f"{shown}: config.{NAMESPACE}:{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                   for e in exc.errors())) from exc
    return EnvironmentSettings(environment=environment, path=path, config=dict(config))


def members(project: Project, environment: str) -> list[str]:
    """The stacks that share `environment`'s settings, by name (the environment's own stack first)."""
    return sorted((s for s in project.stacks() if fleet_of(s) == environment), key=lambda s: (s != environment, s))


def config_string(value: Any) -> str:
    """A config value as Pulumi passes it to a program: strings as-is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def stack_drift(project: Project, stack: str, config: dict[str, Any]) -> list[Drift]:
    """How `stack`'s config (its file's `config:` mapping) disagrees with its environment's settings."""
    environment = fleet_of(stack)
    if environment is None:
        return []
    try:
        shared = load_environment(project, environment)
    except (InputError, InputFileError) as exc:
        return [Drift(stack=stack, key=project.relative(environment_file(project, environment)),
                      problem=str(exc), fix="fix the environment file, then run `hipaachat stacks check`")]
    config = {key if ":" in str(key) else f"{NAMESPACE}:{key}": value for key, value in config.items()}
    source = project.relative(shared.path)
    sync = f"run `hipaachat stacks sync --environment {environment}` (or edit {source} if it is the one to change)"
    found = []
    for key, value in shared.config.items():
        if key not in config:
            found.append(Drift(stack=stack, key=key, problem=f"missing, but {source} sets it", fix=sync,
                               kind="missing"))
        elif config_string(config[key]) != config_string(value):
            found.append(Drift(stack=stack, key=key, problem=f"differs from {source}", fix=sync,
                               kind="differs"))
    for key in config:
        ns, _, name = str(key).partition(":")
        if ns == NAMESPACE and key not in shared.config and name not in STACK_SCOPED:
            found.append(Drift(stack=stack, key=key, problem="set only in this stack, but settings are shared by "
                               f"every {environment} stack",
                               fix=f"move it to {source} and run `hipaachat stacks sync`, or remove it",
                               kind="stack-only"))
    return found
