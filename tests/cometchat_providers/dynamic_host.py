"""Pulumi's real dynamic provider host, driven over gRPC the way the engine drives it.

`python -m pulumi.dynamic` is what the Pulumi CLI launches (through its `pulumi-resource-
pulumi-python` shim) for every Python dynamic resource. Its `main()` binds 127.0.0.1:0, prints
the port on stdout and serves `pulumirpc.ResourceProvider`; it ignores its arguments and never
dials the engine, so no fake Engine service is needed. Whatever the provider prints or logs goes
to the plugin's stderr, which the engine shows to the user: the harness captures both streams,
line by line, as the "log" a secret must never reach.

`DynamicProviderHost` is the transport: one subprocess, one channel, one method per RPC, with
property maps marshalled by `pulumi.runtime.rpc` exactly as the engine marshals them
(secrets as the wire secret envelope, unknowns as the unknown sentinel). The engine-side
bookkeeping (secret stripping and re-annotation, state) lives in `engine.py`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 30.0
RPC_TIMEOUT_SECONDS = 60.0


class HostStartError(RuntimeError):
    """The dynamic provider host did not print its port; its stderr says why."""


class ProviderRpcError(RuntimeError):
    """A provider RPC failed; `details` is what the engine would show the user."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str):
        super().__init__(f"{method} failed ({code.name}): {details}")
        self.method = method
        self.code = code
        self.details = details


def marshal(props: dict[str, Any]) -> struct_pb2.Struct:
    """A property map as the engine puts it on the wire (wrapped secrets stay secret envelopes)."""
    # A private loop: `asyncio.run` would reset the thread's current loop, which the Pulumi
    # runtime (used by `program.register` in the same test) relies on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def unmarshal(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A wire property map back to Python values, keeping secret envelopes and unknowns."""
    return rpc.deserialize_properties(struct, keep_unknowns=True)


class DynamicProviderHost:
    """`python -m pulumi.dynamic` in a subprocess, with its output captured as log lines.

    Use as a context manager. `env` is added to the host's environment: the engine sets
    `PULUMI_PROJECT` for it, which the host uses to namespace config keys.
    """

    def __init__(self, project: str = "hipaachat", env: dict[str, str] | None = None):
        self._env = {**os.environ, "PULUMI_PROJECT": project, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._readers: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "DynamicProviderHost":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=REPO_ROOT, env=self._env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        port = self._read_port()
        self._readers = [
            threading.Thread(target=self._drain, args=(stream, name), daemon=True)
            for stream, name in ((self._proc.stdout, "stdout"), (self._proc.stderr, "stderr"))
        ]
        for reader in self._readers:
            reader.start()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=STARTUP_TIMEOUT_SECONDS)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for reader in self._readers:
            reader.join(timeout=5)

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(STARTUP_TIMEOUT_SECONDS)
        first = result[0].decode().strip() if result else ""
        if not first.isdigit():
            self._proc.kill()
            err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
            raise HostStartError(f"`python -m pulumi.dynamic` printed {first!r}, not a port; stderr:\n{err}")
        return int(first)

    def _drain(self, stream: Any, name: str) -> None:
        for raw in iter(stream.readline, b""):
            with self._lines_lock:
                self._lines.append(f"{name}: {raw.decode(errors='replace').rstrip()}")

    @property
    def log_lines(self) -> list[str]:
        """Everything the host process has printed so far, one entry per line."""
        with self._lines_lock:
            return list(self._lines)

    # -- RPCs ----------------------------------------------------------------------------------
    def _call(self, method: str, request: Any) -> Any:
        assert self._stub is not None, "start() the host first"
        try:
            return getattr(self._stub, method)(request, timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as err:
            raise ProviderRpcError(method, err.code(), err.details() or "") from None

    def plugin_info(self) -> proto.PluginInfo:
        return self._call("GetPluginInfo", empty_pb2.Empty())

    def configure(self, config: dict[str, Any], accept_secrets: bool = True) -> proto.ConfigureResponse:
        """Send stack config as the engine does (secret values as envelopes) and get the features."""
        return self._call("Configure", proto.ConfigureRequest(
            args=marshal(config), acceptSecrets=accept_secrets, acceptResources=True))

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> proto.CheckResponse:
        return self._call("Check", proto.CheckRequest(urn=urn, olds=marshal(olds), news=marshal(news)))

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any],
             old_inputs: dict[str, Any]) -> proto.DiffResponse:
        return self._call("Diff", proto.DiffRequest(
            urn=urn, id=id_, olds=marshal(olds), news=marshal(news), old_inputs=marshal(old_inputs)))

    def create(self, urn: str, properties: dict[str, Any]) -> proto.CreateResponse:
        return self._call("Create", proto.CreateRequest(urn=urn, properties=marshal(properties)))

    def read(self, urn: str, id_: str, properties: dict[str, Any], inputs: dict[str, Any]) -> proto.ReadResponse:
        return self._call("Read", proto.ReadRequest(
            urn=urn, id=id_, properties=marshal(properties), inputs=marshal(inputs)))

    def update(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any],
               old_inputs: dict[str, Any]) -> proto.UpdateResponse:
        return self._call("Update", proto.UpdateRequest(
            urn=urn, id=id_, olds=marshal(olds), news=marshal(news), old_inputs=marshal(old_inputs)))

    def delete(self, urn: str, id_: str, properties: dict[str, Any], old_inputs: dict[str, Any]) -> None:
        self._call("Delete", proto.DeleteRequest(
            urn=urn, id=id_, properties=marshal(properties), old_inputs=marshal(old_inputs)))
