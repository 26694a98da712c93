"""The program side: what a Pulumi program sends the engine when it declares a dynamic resource.

Rather than hand-building `__provider` and the input map, the test runs the real resource
classes under Pulumi's mock runtime and records each `RegisterResourceRequest` as the SDK sends
it: the provider pickled by `serialize_provider` and wrapped as a secret by `dynamic.Resource`,
secret inputs as secret envelopes, output-only props as the SDK encodes them, and the options
(`additionalSecretOutputs`, `protect`) the engine applies. The mock monitor itself ignores
those options, so the recording is the only place they can be checked.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import resource_pb2


@dataclass(frozen=True)
class Registration:
    """One resource as the engine receives it from the program."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    protect: bool = False


class _NoOpMocks(pulumi.runtime.Mocks):
    """The program only needs its registrations recorded; the real work happens in the host."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-preview-id", {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self) -> None:
        super().__init__(_NoOpMocks())
        self.requests: list[resource_pb2.RegisterResourceRequest] = []

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest) -> Any:
        if request.type.startswith("pulumi-python:dynamic"):
            self.requests.append(copy.deepcopy(request))
        return super().RegisterResource(request)


def register(build: Callable[[], list[pulumi.Resource]], project: str = "hipaachat",
             stack: str = "test") -> dict[str, Registration]:
    """Run `build` as a Pulumi program and return its dynamic resources' registrations by name."""
    monitor = _RecordingMonitor()
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)

    def program() -> pulumi.Output[list[str]]:
        return pulumi.Output.all(*[resource.urn for resource in build()])

    pulumi.runtime.test(program)()
    registrations = {}
    for request in monitor.requests:
        registrations[request.name] = Registration(
            type=request.type,
            name=request.name,
            urn=monitor.make_urn(request.parent, request.type, request.name),
            inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            protect=request.protect,
        )
    return registrations
