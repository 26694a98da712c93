"""One policy pack process, started as the Pulumi CLI starts it and spoken to over the Analyzer protocol.

The CLI's Python language host runs `python -u -m pulumi.policy <engine> <packDir>` with the
pack directory as cwd and the stack's config in the environment; the pack prints the port it
serves on. `PackProcess` does the same in two steps, so a caller can start the process early
(it imports the pack and starts serving on its own) and connect when it needs it. It also
remembers what this process last answered (`Answers`), which `scripts.engine.analyzer` reuses when the
same request comes again.
"""

from __future__ import annotations

import collections
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
import yaml
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

STARTUP_TIMEOUT_SECONDS = 60.0
RPC_TIMEOUT_SECONDS = 600.0
# Analyze calls in flight per pack process: enough to keep its four gRPC workers busy.
MAX_IN_FLIGHT = 32
STDERR_TAIL_LINES = 40
DEATH_GRACE_SECONDS = 2.0
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 1 << 30), ("grpc.max_send_message_length", 1 << 30)]


class PolicyPackError(RuntimeError):
    """The policy pack could not be started or stopped answering; the message carries its stderr tail."""



class Answers:
    """What one pack process last answered, by position: the resources' URNs, each request's digest and diagnostics."""

    def __init__(self, urns: list[str] | None = None, answered: Sequence[Any] = ()) -> None:
        self.urns = urns or []
        self.answered = list(answered)

    def reusable(self, urns: list[str], digests: Sequence[bytes], tenants: Iterable[int]) -> list[Any]:
        """The last answers if the same resources are sent with every tenant component's request unchanged, else []."""
        if urns != self.urns or any(self.answered[i][0] != digests[i] for i in tenants):
            return []
        return self.answered


class PackProcess:
    """One pack: the subprocess, spawned first (it imports the pack and starts serving on its own), then
    connected: its output pumps and a channel to its Analyzer service."""

    def __init__(self, pack_dir: Path, env: Mapping[str, str]) -> None:
        self.pack_dir = pack_dir
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stderr_pump: threading.Thread | None = None
        self._channel: grpc.Channel | None = None
        self._process = subprocess.Popen(
            [pack_interpreter(pack_dir), "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack_dir)],
            cwd=pack_dir, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.answers = Answers()
        # The phase last announced with ConfigureStack (None until the handshake).
        self.dry_run: bool | None = None

    def connect(self, startup_timeout: float) -> None:
        """Wait for the port the pack prints and open a channel to it."""
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(self._process.stdout, lines.put, lines.put), daemon=True).start()
        self._stderr_pump = threading.Thread(target=_pump, args=(self._process.stderr, self._stderr.append),
                                             daemon=True)
        self._stderr_pump.start()
        try:
            first = lines.get(timeout=startup_timeout)
        except queue.Empty:
            self.close()
            raise PolicyPackError(self.died(f"did not print its port within {startup_timeout:.0f}s")) from None
        if first is None or not first.strip().isdigit():
            self.close()
            raise PolicyPackError(self.died("exited before serving" if first is None else f"printed {first!r}"))
        self._channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}", options=_CHANNEL_OPTIONS)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        # Analyze with the request already serialized: it is serialized once, to digest and to send.
        self._analyze = self._channel.unary_unary("/pulumirpc.Analyzer/Analyze",
                                                  response_deserializer=proto.AnalyzeResponse.FromString)

    def call(self, what: str, method: Callable[..., Any], request: Any) -> Any:
        try:
            return method(request, timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            raise PolicyPackError(self.died(f"failed during {what}: {_rpc_detail(exc)}")) from exc

    def analyze(self, requests: Iterable[tuple[int, str, bytes]]) -> list[tuple[int, Any]]:
        """(key, response) for each (key, urn, serialized Analyze request), up to MAX_IN_FLIGHT at a time."""
        results, pending = [], collections.deque()
        for key, urn, payload in requests:
            pending.append((key, urn, self._analyze.future(payload, timeout=RPC_TIMEOUT_SECONDS)))
            if len(pending) >= MAX_IN_FLIGHT:
                results.append(self._settle(*pending.popleft()))
        results += [self._settle(*item) for item in pending]
        return results

    def _settle(self, key: int, urn: str, future: Any) -> tuple[int, Any]:
        try:
            return key, future.result()
        except grpc.RpcError as exc:
            raise PolicyPackError(self.died(f"failed to Analyze {urn}: {_rpc_detail(exc)}")) from exc

    def died(self, what: str) -> str:
        """An error message for a failed call: whether the pack exited, and the last lines it wrote to stderr."""
        try:  # a failed call usually means the process is exiting: give it a moment to finish and flush
            code: int | None = self._process.wait(timeout=DEATH_GRACE_SECONDS)
            if self._stderr_pump is not None:
                self._stderr_pump.join(timeout=DEATH_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        state = f"exited with code {code}" if code is not None else "still running"
        tail = "\n".join(self._stderr) or "(no stderr output)"
        return f"policy pack {self.pack_dir} {what} ({state}). Last stderr lines:\n{tail}"

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def pack_interpreter(pack_dir: Path) -> str:
    """The Python the Pulumi CLI would run the pack with: PulumiPolicy.yaml's `virtualenv`, if it exists.

    A published pack names its own virtualenv (`venv`, beside it); the repository's pack names
    the project's. Where the named one is missing, this process's interpreter serves.
    """
    try:
        manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
        runtime = manifest.get("runtime")
        venv = runtime.get("options", {}).get("virtualenv") if isinstance(runtime, dict) else None
    except (OSError, yaml.YAMLError, AttributeError):
        venv = None
    python = (pack_dir / venv / "bin" / "python") if isinstance(venv, str) else None
    return str(python) if python is not None and python.exists() else sys.executable


def _pump(stream: Any, sink: Callable[[str], None], done: Callable[[None], None] | None = None) -> None:
    """Forward a pipe line by line so the pack never blocks on a full pipe; `done(None)` marks its end."""
    for raw in iter(stream.readline, b""):
        sink(raw.decode("utf-8", "replace").rstrip("\n"))
    stream.close()
    if done is not None:
        done(None)


def _rpc_detail(exc: grpc.RpcError) -> str:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return f"{code.name if code else 'RPC error'}: {details}"
