"""The engine side: the step logic of `pulumi up`/`refresh`/`destroy` for one dynamic resource.

This mirrors what the Pulumi engine does around each provider RPC (pkg/resource/plugin/
provider_plugin.go and the step generator), because that is where secrets are won or lost:

* `Configure` asks the provider whether it accepts secrets. The dynamic host answers
  `acceptSecrets: False`, so every property map is sent with its secret envelopes stripped.
* Returned properties are re-marked secret only where the same-named property sent in held a
  secret (`annotateSecrets`); `additionalSecretOutputs` then marks the listed outputs.
* `Diff` and `Update` get the old *outputs*, `Delete` gets the outputs only; `Read` gets both.
* A diff with replacements creates the replacement first and deletes the old resource after,
  unless the provider asks for delete-before-replace.

`ResourceState.plain_view()` is the checkpoint as written to a backend: secrets appear only as
ciphertext there, so anything readable in it is "plain state".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pulumi.runtime import proto, rpc

from tests.cometchat_providers.dynamic_host import DynamicProviderHost, unmarshal
from tests.cometchat_providers.program import Registration

PROVIDER_KEY = "__provider"
CIPHERTEXT = "<secret: encrypted by the stack's secrets provider>"


class CheckFailed(AssertionError):
    """The provider's Check refused the inputs; `failures` maps property to reason."""

    def __init__(self, failures: dict[str, str]):
        super().__init__(f"Check failed: {failures}")
        self.failures = failures


def contains_secret(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def reveal(value: Any) -> Any:
    """The value with every secret envelope removed (what a provider without secrets support gets)."""
    if rpc.is_rpc_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def _conceal(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return CIPHERTEXT
    if isinstance(value, dict):
        return {k: _conceal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_conceal(v) for v in value]
    return value


def _is_object(value: Any) -> bool:
    return isinstance(value, dict) and not rpc.is_rpc_secret(value)


def annotate_secrets(outs: dict[str, Any], ins: dict[str, Any]) -> dict[str, Any]:
    """The engine's `annotateSecrets`: an output is secret where the same-named input held one.

    Objects on both sides are compared key by key (so one secret field does not encrypt a whole
    object); anything else containing a secret makes the whole output value secret.
    """
    annotated = dict(outs)
    for key, value in outs.items():
        if key not in ins or rpc.is_rpc_secret(value):
            continue
        if _is_object(value) and _is_object(ins[key]):
            annotated[key] = annotate_secrets(value, ins[key])
        elif contains_secret(ins[key]):
            annotated[key] = rpc.wrap_rpc_secret(value)
    return annotated


@dataclass(frozen=True)
class ResourceState:
    """One resource in the checkpoint."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)

    def plain_view(self) -> str:
        """The resource as a backend stores it: secrets are ciphertext, everything else readable."""
        return json.dumps({"urn": self.urn, "type": self.type, "id": self.id,
                           "inputs": _conceal(self.inputs), "outputs": _conceal(self.outputs)}, sort_keys=True)

    def output(self, name: str) -> Any:
        return reveal(self.outputs[name])

    def is_secret_output(self, name: str) -> bool:
        return rpc.is_rpc_secret(self.outputs.get(name))


@dataclass(frozen=True)
class DiffOutcome:
    changes: bool
    replaces: list[str]
    delete_before_replace: bool


@dataclass(frozen=True)
class StepResult:
    op: Literal["create", "update", "replace", "same"]
    state: ResourceState


class MiniEngine:
    """Drives one dynamic provider host the way the engine's step executor does."""

    def __init__(self, host: DynamicProviderHost, config: dict[str, Any] | None = None):
        self.host = host
        response = host.configure(config or {}, accept_secrets=True)
        self.accept_secrets = response.acceptSecrets

    def _send(self, props: dict[str, Any]) -> dict[str, Any]:
        return props if self.accept_secrets else reveal(props)

    def check(self, reg: Registration, olds: dict[str, Any]) -> dict[str, Any]:
        response = self.host.check(reg.urn, self._send(olds), self._send(reg.inputs))
        if response.failures:
            raise CheckFailed({f.property: f.reason for f in response.failures})
        return annotate_secrets(unmarshal(response.inputs), reg.inputs)

    def _finish(self, reg: Registration, id_: str, inputs: dict[str, Any], outs: dict[str, Any]) -> ResourceState:
        outs = annotate_secrets(outs, inputs)
        outs = {k: rpc.wrap_rpc_secret(v) if k in reg.additional_secret_outputs else v for k, v in outs.items()}
        return ResourceState(reg.urn, reg.type, id_, inputs, outs, reg.additional_secret_outputs)

    def create(self, reg: Registration) -> ResourceState:
        inputs = self.check(reg, {})
        response = self.host.create(reg.urn, self._send(inputs))
        return self._finish(reg, response.id, inputs, unmarshal(response.properties))

    def diff(self, state: ResourceState, reg: Registration) -> DiffOutcome:
        inputs = self.check(reg, state.inputs)
        return self._diff(state, reg, inputs)

    def _diff(self, state: ResourceState, reg: Registration, inputs: dict[str, Any]) -> DiffOutcome:
        response = self.host.diff(reg.urn, state.id, self._send(state.outputs), self._send(inputs),
                                  self._send(state.inputs))
        if response.changes == proto.DiffResponse.DIFF_UNKNOWN:
            # The engine's fallback: compare old and new inputs itself.
            return DiffOutcome(reveal(state.inputs) != reveal(inputs), [], False)
        return DiffOutcome(response.changes == proto.DiffResponse.DIFF_SOME, list(response.replaces),
                           response.deleteBeforeReplace)

    def up(self, state: ResourceState | None, reg: Registration) -> StepResult:
        """One resource's step in `pulumi up`: create, update, replace or leave alone."""
        if state is None:
            return StepResult("create", self.create(reg))
        inputs = self.check(reg, state.inputs)
        outcome = self._diff(state, reg, inputs)
        if outcome.replaces:
            if outcome.delete_before_replace:
                self.delete(state)
                return StepResult("replace", self.create(reg))
            created = self.create(reg)
            self.delete(state)
            return StepResult("replace", created)
        if not outcome.changes:
            return StepResult("same", state)
        response = self.host.update(reg.urn, state.id, self._send(state.outputs), self._send(inputs),
                                    self._send(state.inputs))
        return StepResult("update", self._finish(reg, state.id, inputs, unmarshal(response.properties)))

    def read(self, state: ResourceState) -> ResourceState | None:
        """`pulumi refresh` for one resource; None when the provider reports it gone."""
        response = self.host.read(state.urn, state.id, self._send(state.outputs), self._send(state.inputs))
        if not response.id:
            return None
        outs = annotate_secrets(unmarshal(response.properties), state.outputs)
        outs = {k: rpc.wrap_rpc_secret(v) if k in state.additional_secret_outputs else v for k, v in outs.items()}
        inputs = state.inputs
        if response.HasField("inputs") and response.inputs.fields:
            inputs = annotate_secrets(unmarshal(response.inputs), state.inputs)
        return replace(state, id=response.id, inputs=inputs, outputs=outs)

    def delete(self, state: ResourceState) -> None:
        self.host.delete(state.urn, state.id, self._send(state.outputs), self._send(state.inputs))
