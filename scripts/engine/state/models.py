"""What reading a state file yields: the resources as captured registrations, plus context."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from scripts.engine.models import CapturedResource
from scripts.project import InputError


class StateError(InputError):
    """A state file that cannot be read: the message names the file and the reason (exit 2)."""


class StateManifest(BaseModel):
    """Who wrote the deployment and when (`deployment.manifest`)."""

    time: str | None = None
    magic: str | None = None
    version: str | None = None

    @property
    def declared_export(self) -> bool:
        """Written by `hipaachat plan --export-state` (the declared state), not by Pulumi from a deployment.

        The writer signs the manifest's version `hipaachat X` where Pulumi writes its CLI version.
        """
        return (self.version or "").split(" ")[0] == "hipaachat"


class PendingOperation(BaseModel):
    """An operation the engine started and never finished (an interrupted `pulumi up`)."""

    type: str
    urn: str


class StateDocument(BaseModel):
    """One stack's deployed state, from an export or a checkpoint.

    `resources` excludes the root `pulumi:pulumi:Stack` (its outputs are `stack_outputs`) and
    resources marked `delete: true` (old copies awaiting deletion; their URNs are in
    `pending_deletes`), so it lines up one-to-one with a capture of the same program.
    """

    source: str
    kind: Literal["export", "checkpoint"]
    stack: str | None = None
    project: str | None = None
    manifest: StateManifest | None = None
    secrets_provider: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    stack_outputs: dict[str, Any] = Field(default_factory=dict)
    resources: list[CapturedResource] = Field(default_factory=list)
    pending_deletes: list[str] = Field(default_factory=list)
    pending_operations: list[PendingOperation] = Field(default_factory=list)

    def by_urn(self) -> dict[str, CapturedResource]:
        return {r.urn: r for r in self.resources}
