"""Write captured registrations as a `pulumi stack export` version-3 document.

The document is what `pulumi stack export` would show after deploying exactly these
registrations: the root `pulumi:pulumi:Stack`, then every resource in registration order
(parents and providers before the resources that use them, as the engine stores them).
Secrets are ciphertext envelopes holding a fixed marker, never the value or anything derived
from it; a ciphertext read from a real export is kept as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from scripts.files import atomic_file
from scripts.engine.models import CapturedResource
from scripts.engine.state.envelope import SECRET_SIG, SIG_KEY, is_secret, sealed
from policies.hipaa.contracts import ROOT_STACK_TYPE
from scripts.engine.state.reader import SUPPORTED_VERSION


def _tool_version() -> str:
    try:
        return f"hipaachat {metadata.version('hipaachat')}"
    except metadata.PackageNotFoundError:
        return "hipaachat"


def root_stack_urn(stack: str, project: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}"


def secret_outputs(r: CapturedResource) -> dict[str, Any]:
    """Outputs as the engine stores them: those named in `additionalSecretOutputs` become secrets.

    Under mocks a provider answers in plain values (a RandomPassword's `result`); the engine
    would wrap them before they reach the state, and so does this writer.
    """
    hidden = set(r.options.additional_secret_outputs)
    return {k: v if k not in hidden or is_secret(v) else {SIG_KEY: SECRET_SIG, "value": v}
            for k, v in r.outputs.items()}


def _resource(r: CapturedResource) -> dict[str, Any]:
    # Booleans and collections are always present (a reader sees `false`, not a missing key);
    # strings Pulumi omits when empty (id, parent, provider) are omitted the same way.
    entry: dict[str, Any] = {"urn": r.urn, "custom": r.custom}
    if r.id:
        entry["id"] = r.id
    entry |= {"type": r.type, "inputs": sealed(r.inputs), "outputs": sealed(secret_outputs(r))}
    if r.parent:
        entry["parent"] = r.parent
    if r.provider:
        entry["provider"] = r.provider
    entry |= {
        "dependencies": list(r.dependencies),
        "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
        "protect": r.options.protect,
        "retainOnDelete": r.options.retain_on_delete,
        "additionalSecretOutputs": list(r.options.additional_secret_outputs),
    }
    if r.options.ignore_changes:
        entry["ignoreChanges"] = list(r.options.ignore_changes)
    return entry


def export_document(resources: Sequence[CapturedResource], *, stack: str, project: str = "hipaachat",
                    stack_outputs: dict[str, Any] | None = None, time: datetime | None = None) -> dict[str, Any]:
    """The `pulumi stack export` document for `resources` (which must not include the root stack)."""
    version = _tool_version()
    root = root_stack_urn(stack, project)
    listed = [{"urn": root, "custom": False, "type": ROOT_STACK_TYPE, "inputs": {},
               "outputs": sealed(stack_outputs or {}), "dependencies": [], "propertyDependencies": {},
               "protect": False, "retainOnDelete": False, "additionalSecretOutputs": []}]
    listed.extend(_resource(r) for r in resources if r.urn != root)
    return {
        "version": SUPPORTED_VERSION,
        "deployment": {
            "manifest": {
                "time": (time or datetime.now(UTC)).isoformat(),
                # Pulumi's magic is a digest of the writer's version, so readers can tell writers apart.
                "magic": hashlib.sha256(version.encode()).hexdigest(),
                "version": version,
            },
            "resources": listed,
        },
    }


def write_state(path: Path, resources: Sequence[CapturedResource], *, stack: str, project: str = "hipaachat",
                stack_outputs: dict[str, Any] | None = None) -> None:
    """Write the export document to `path` atomically: a reader never sees half a state file."""
    document = export_document(resources, stack=stack, project=project, stack_outputs=stack_outputs)
    with atomic_file(path) as out:  # streamed: a 52k-resource export is never held as one string
        json.dump(document, out, indent=4)
        out.write("\n")
