"""Writing stack files: a member stack's file is its environment's settings plus its own.

The file stays an ordinary Pulumi stack file (`pulumi config set -s NAME ...` keeps working);
only the shared keys are rewritten by `hipaachat stacks sync`, and every other top-level key
(`secretsprovider`, `encryptedkey`) and every stack-scoped value (secrets, residencies) is kept.
"""

from __future__ import annotations

from typing import Any

import yaml

from components.settings import NAMESPACE
from scripts.project.environments import EnvironmentSettings

HEADER = """\
# Stack {stack} of the {environment} environment.
# The {namespace}: settings below come from {source}: edit them there, then run
#   hipaachat stacks sync --environment {environment}
# (`hipaachat stacks check` and `hipaachat plan` refuse this stack while it disagrees).
# Set only per stack: {namespace}:residencies (a residency shard) and secrets:
#   pulumi config set --secret -s {stack} {namespace}:cometchatManagementKey <key>
#   pulumi config set --secret -s {stack} {namespace}:cometchatManagementSecret <secret>
"""


def render_member(shared: EnvironmentSettings, stack: str, source: str, existing: dict[str, Any] | None = None,
                  residencies: list[str] | None = None) -> str:
    """The text of `stack`'s file: shared settings first, then what the stack sets for itself."""
    existing = dict(existing or {})
    own = {k if ":" in str(k) else f"{NAMESPACE}:{k}": v for k, v in (existing.pop("config", None) or {}).items()}
    config: dict[str, Any] = dict(shared.config)
    if residencies:
        own[f"{NAMESPACE}:residencies"] = list(residencies)
    config.update({k: v for k, v in own.items() if k not in shared.config})
    document = {"config": config, **existing}
    header = HEADER.format(stack=stack, environment=shared.environment, namespace=NAMESPACE, source=source)
    return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True)
