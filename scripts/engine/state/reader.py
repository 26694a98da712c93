"""Read a `pulumi stack export` file or a self-managed backend checkpoint into captured registrations.

Tolerant of what real state files hold (foreign resource types, fields this tool does not
know, exports from CLIs that predate `created`/`modified`, interrupted operations) and strict
about what would make the answer wrong (not JSON, not a deployment, another schema version).
Resources are built without per-resource validation: the shape checks below are all a
state file needs, and a 50k-resource export then reads in seconds, not minutes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.files import STATE_EXPORT, InputFileError, read_bytes
from policies.hipaa.contracts import ROOT_STACK_TYPE
from scripts.engine.models import CapturedOptions, CapturedResource
from scripts.engine.state.envelope import unseal_hook
from scripts.engine.state.models import PendingOperation, StateDocument, StateError, StateManifest

SUPPORTED_VERSION = 3
HOW_TO_EXPORT = "produce one with `pulumi stack export --file state.json` (or hipaachat plan --export-state)"


def read_state(path: Path) -> StateDocument:
    """Read and check a state file; any problem is a `StateError` naming the file.

    The bytes come through the one bounded reader (components.files): a FIFO, a device or a
    file larger than any state this tool reads is refused before it is opened or read.
    """
    shown = str(path)
    try:
        data = read_bytes(path, STATE_EXPORT, shown=shown)
    except InputFileError as exc:
        hint = "" if path.is_file() else f"; {HOW_TO_EXPORT}"
        raise StateError(f"{exc}{hint}") from exc
    return parse_state(data, shown)


def parse_state(text: bytes | str, source: str) -> StateDocument:
    """Parse state already in memory; `source` names it in errors."""
    try:
        document = json.loads(text, object_hook=unseal_hook)
    except UnicodeDecodeError as exc:
        raise StateError(f"{source}: not a JSON file (not UTF-8 text); {HOW_TO_EXPORT}") from exc
    except json.JSONDecodeError as exc:
        raise StateError(f"{source}: {_json_problem(text, exc)}") from exc
    except RecursionError as exc:
        raise StateError(f"{source}: nested too deeply to be a Pulumi state file; {HOW_TO_EXPORT}") from exc
    if not isinstance(document, dict) or not ("deployment" in document or "checkpoint" in document):
        raise StateError(f"{source}: valid JSON but not a Pulumi state file (no 'deployment' or 'checkpoint' "
                         f"at the top level); {HOW_TO_EXPORT}")
    version = document.get("version")
    if version != SUPPORTED_VERSION:
        raise StateError(f"{source}: version {version!r} is not supported; this tool reads version "
                         f"{SUPPORTED_VERSION}, what every Pulumi CLI since 1.0 writes. Re-export it with a "
                         f"current CLI: pulumi stack export --file state.json")
    if "checkpoint" in document:
        checkpoint = _mapping(document["checkpoint"], source, "checkpoint")
        config = _mapping(checkpoint.get("config") or {}, source, "checkpoint.config")
        latest = checkpoint.get("latest")
        deployment = _mapping(latest, source, "checkpoint.latest") if latest is not None else {}
        return _document(deployment, source, "checkpoint", config, checkpoint.get("stack"))
    return _document(_mapping(document["deployment"], source, "deployment"), source, "export", {}, None)


def _json_problem(text: bytes | str, exc: json.JSONDecodeError) -> str:
    if not text.strip():
        return f"the file is empty; {HOW_TO_EXPORT}"
    if exc.pos >= len(text.rstrip()):
        return (f"the file is truncated (its JSON stops at line {exc.lineno}, column {exc.colno} before the "
                f"document is complete); export it again")
    return f"not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); {HOW_TO_EXPORT}"


def _mapping(value: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StateError(f"{source}: {where} must be an object, found {type(value).__name__}; {HOW_TO_EXPORT}")
    return value


def _document(deployment: dict[str, Any], source: str, kind: str, config: dict[str, Any],
              checkpoint_stack: Any) -> StateDocument:
    raw = deployment.get("resources")
    raw = [] if raw is None else raw
    if not isinstance(raw, list):
        raise StateError(f"{source}: deployment.resources must be a list, found {type(raw).__name__}")
    resources: list[CapturedResource] = []
    pending_deletes: list[str] = []
    outputs: dict[str, Any] = {}
    root_urn: str | None = None
    for index, item in enumerate(raw):
        resource = _resource(item, source, index)
        if item.get("delete") is True:
            pending_deletes.append(resource.urn)
        elif resource.type == ROOT_STACK_TYPE and resource.parent is None:
            root_urn, outputs = resource.urn, resource.outputs
        else:
            resources.append(resource)
    first = root_urn or (resources[0].urn if resources else None)
    stack, project = _stack_and_project(first) if first else (None, None)
    if stack is None and isinstance(checkpoint_stack, str):
        stack = checkpoint_stack.rpartition("/")[2]
    manifest = deployment.get("manifest")
    secrets = deployment.get("secrets_providers")
    return StateDocument.model_construct(
        source=source, kind=kind, stack=stack, project=project,
        manifest=StateManifest.model_validate({k: v for k, v in manifest.items() if k in ("time", "magic", "version")
                                               and isinstance(v, str)}) if isinstance(manifest, dict) else None,
        secrets_provider=secrets.get("type") if isinstance(secrets, dict) else None,
        config=config, stack_outputs=outputs, resources=resources, pending_deletes=pending_deletes,
        pending_operations=_pending(deployment.get("pending_operations"), source),
    )


def _resource(item: Any, source: str, index: int) -> CapturedResource:
    where = f"deployment.resources[{index}]"
    if not isinstance(item, dict):
        raise StateError(f"{source}: {where} must be an object, found {type(item).__name__}")
    urn, type_ = item.get("urn"), item.get("type")
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:") or urn.count("::") < 3:
        raise StateError(f"{source}: {where}.urn is missing or not a Pulumi URN (urn:pulumi:<stack>::<project>::"
                         f"<type>::<name>), found {urn!r}")
    if not isinstance(type_, str) or not type_:
        raise StateError(f"{source}: {where}.type is missing ({urn})")
    inputs, outputs = item.get("inputs") or {}, item.get("outputs") or {}
    if not isinstance(inputs, dict) or not isinstance(outputs, dict):
        raise StateError(f"{source}: {where}.inputs and .outputs must be objects ({urn})")
    property_dependencies = item.get("propertyDependencies") or {}
    # model_construct: the checks above are the whole contract; pydantic per resource would
    # dominate reading a large export (see tests/benchmarks/bench_state.py).
    return CapturedResource.model_construct(
        urn=urn, type=type_, name=urn.split("::", 3)[3], custom=item.get("custom") is True,
        id=item.get("id") or "", inputs=inputs, outputs=outputs, parent=item.get("parent") or None,
        provider=item.get("provider") or None, dependencies=list(item.get("dependencies") or []),
        property_dependencies=dict(property_dependencies) if isinstance(property_dependencies, dict) else {},
        options=CapturedOptions.model_construct(
            protect=item.get("protect") is True, retain_on_delete=item.get("retainOnDelete") is True,
            ignore_changes=list(item.get("ignoreChanges") or []), delete_before_replace=False,
            additional_secret_outputs=list(item.get("additionalSecretOutputs") or [])),
    )


def _stack_and_project(urn: str) -> tuple[str, str]:
    head, project = urn.split("::", 2)[:2]
    return head[len("urn:pulumi:"):], project


def _pending(value: Any, source: str) -> list[PendingOperation]:
    found: list[PendingOperation] = []
    for index, op in enumerate(value or []):
        resource = op.get("resource") if isinstance(op, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str):
            raise StateError(f"{source}: deployment.pending_operations[{index}] has no resource URN")
        found.append(PendingOperation(type=str(op.get("type", "unknown")), urn=resource["urn"]))
    return found
