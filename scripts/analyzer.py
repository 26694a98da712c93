"""The engine's side of the Analyzer protocol: run a policy pack exactly as `pulumi preview` would.

`PolicyPackProcess` starts the pack the way the Pulumi CLI's Python language host does
(`python -u -m pulumi.policy <engine> <packDir>`, cwd = pack dir, the stack's config in
PULUMI_CONFIG), reads the port it prints, and speaks `pulumirpc.Analyzer` to it: GetAnalyzerInfo,
ConfigureStack, Configure (policy config reconciled as the engine does), Analyze for every
resource (inputs, options and provider; parents before children, as the step generator sends
them) and AnalyzeStack for the whole stack (outputs, parent, dependencies, property
dependencies, provider). Wire details live in `scripts.analyzer_wire`.

Throughput: a Python gRPC server costs about half a millisecond per call, so a 1,000-tenant
stack spends most of its policy time in Analyze round trips. The client keeps up to
MAX_IN_FLIGHT calls in flight and, for large stacks, spreads tenants over more pack processes
(one per core, `processes`): each is a complete pack started the same way, a tenant's whole
subtree goes to one of them (the pack learns where resources sit from their parents), and the
first one alone analyzes the whole stack, so every stack-wide finding appears once.

Both phases of a plan send the same stack twice, and a fresh stack's update phase repeats, byte
for byte, about a third of its preview's Analyze requests (every resource whose inputs hold no
value computed from another). The pack is deterministic: a request answers from its bytes and from
where its ancestors sit, which the pack learned from their own requests. So when the same pack
process is sent the same resources again, a request identical to the last one it answered for
that URN, none of whose ancestors was sent anew, gets that answer without the round trip
(`_Answers`). Any difference in a tenant component's request (the tenant's declared facts, which
every rule of its subtree reads) or in the resources sent turns the reuse off for that process.

Secret values travel wrapped in Pulumi's secret envelope, as the engine sends them; the pack
unwraps them. Nothing secret reaches a `PolicyOutcome`: messages are scrubbed of every secret
value the stack holds before they leave this module.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pydantic import BaseModel, Field

from policies.hipaa.waiver_report import WAIVER_POLICY, decode
from scripts.analyzer_wire import (
    LEVELS,
    PolicyConfigError,
    Scrubber,
    WireStack,
    config_string,
    policy_config_request,
    reconcile,
    waves,
)
from components.tags import TENANT_TYPE
from scripts.models import CapturedResource, Deferred, Enforcement, Phase, Violation, Waived, tenant_owners

__all__ = ["AnalyzerInfo", "PolicyConfigError", "PolicyInfo", "PolicyOutcome", "PolicyPackError",
           "PolicyPackProcess"]

STARTUP_TIMEOUT_SECONDS = 60.0
RPC_TIMEOUT_SECONDS = 600.0
# How pulumi-policy (and the pack's servicer) words an advisory for a check that read an unknown value.
CANT_RUN_DURING_PREVIEW = "can't run policy "
# Analyze calls in flight per pack process: enough to keep its four gRPC workers busy.
MAX_IN_FLIGHT = 32
# Below this many resources one pack process is faster than starting another (~1 s each).
RESOURCES_PER_EXTRA_PROCESS = 3000
STDERR_TAIL_LINES = 40
DEATH_GRACE_SECONDS = 2.0
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 1 << 30), ("grpc.max_send_message_length", 1 << 30)]


class PolicyPackError(RuntimeError):
    """The policy pack could not be started or stopped answering; the message carries its stderr tail."""


class PolicyInfo(BaseModel):
    name: str
    description: str
    enforcement: Enforcement
    config_schema: dict[str, Any] = Field(default_factory=dict)


class AnalyzerInfo(BaseModel):
    name: str
    version: str
    policies: list[PolicyInfo]


class PolicyOutcome(BaseModel):
    violations: list[Violation] = Field(default_factory=list)
    waived: list[Waived] = Field(default_factory=list)
    # Checks that could not run because a value was unknown (preview only).
    deferred: list[Deferred] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """A real deployment would be refused: some mandatory policy is violated."""
        return any(v.enforcement == "mandatory" for v in self.violations)


class _Answers:
    """What one pack process last answered, by position: the resources' URNs, each request's digest and diagnostics."""

    def __init__(self, urns: list[str] | None = None, answered: Sequence[Any] = ()) -> None:
        self.urns = urns or []
        self.answered = list(answered)

    def reusable(self, urns: list[str], digests: Sequence[bytes], tenants: Iterable[int]) -> list[Any]:
        """The last answers if the same resources are sent with every tenant component's request unchanged, else []."""
        if urns != self.urns or any(self.answered[i][0] != digests[i] for i in tenants):
            return []
        return self.answered


class _PackProcess:
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
        self.answers = _Answers()

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


class PolicyPackProcess:
    """A running policy pack, used as a context manager: `with PolicyPackProcess(dir, ...) as pack:`.

    `stack_config` is the stack's config as `namespace:key -> value` (what PULUMI_CONFIG carries);
    `policy_config` is the `--policy-pack-config` equivalent; `env` adds environment variables
    (e.g. HIPAACHAT_WAIVERS, HIPAACHAT_TODAY); `processes` caps the pack processes used for
    large stacks (default: one per core, at most 2).
    """

    def __init__(self, pack_dir: Path, *, stack_config: Mapping[str, Any] | None = None, project: str = "hipaachat",
                 stack: str = "dev", policy_config: Mapping[str, Any] | None = None,
                 env: Mapping[str, str] | None = None, processes: int | None = None,
                 startup_timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.stack_config = {k: config_string(v) for k, v in (stack_config or {}).items()}
        self.project, self.stack = project, stack
        self.policy_config = dict(policy_config or {})
        self.extra_env = dict(env or {})
        self.max_processes = max(1, processes if processes is not None else min(2, os.cpu_count() or 1))
        self.startup_timeout = startup_timeout
        self.info: AnalyzerInfo | None = None
        self._packs: list[_PackProcess] = []
        self._spawned: list[_PackProcess] = []  # started, not yet connected
        self._configure: Any = None

    def __enter__(self) -> "PolicyPackProcess":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def spawn(self, expected_resources: int) -> None:
        """Start the pack processes a stack of about `expected_resources` will use, without waiting for them.

        Each imports the pack and starts serving on its own, so a caller that spawns them before it
        runs the program (as the engine starts analyzers before the program registers anything)
        overlaps their start with the program; `start()` then connects to them.
        """
        self._check_pack_dir()
        while len(self._packs) + len(self._spawned) < self._wanted(expected_resources):
            self._spawned.append(_PackProcess(self.pack_dir, self._env()))

    def start(self) -> None:
        self._check_pack_dir()
        primary = self._connect_next()
        raw = primary.call("GetAnalyzerInfo", primary.stub.GetAnalyzerInfo, empty_pb2.Empty())
        self.info = AnalyzerInfo(name=raw.name, version=raw.version, policies=[PolicyInfo(
            name=p.name, description=p.description, enforcement=LEVELS[p.enforcementLevel],
            config_schema=json_format.MessageToDict(p.configSchema)) for p in raw.policies])
        self._configure = policy_config_request(reconcile(
            {p.name: (p.enforcement, p.config_schema) for p in self.info.policies}, self.policy_config, raw.name))
        self._handshake(primary)

    def close(self) -> None:
        for pack in self._packs + self._spawned:
            pack.close()
        self._packs, self._spawned = [], []

    def analyze(self, resources: Sequence[CapturedResource], phase: Phase = "update") -> PolicyOutcome:
        """Analyze every resource, then the stack, and attribute each finding to its tenant.

        `phase` labels the findings: `preview` when `resources` carry the engine's unknowns
        (scripts.phases.preview_view), `update` when every value is resolved.
        """
        if not self._packs or self.info is None:
            raise PolicyPackError("the policy pack is not running; use PolicyPackProcess as a context manager")
        wire = WireStack(resources)
        owner = tenant_owners(resources)
        packs = self._packs_for(len(resources))
        shards: list[list[CapturedResource]] = [[] for _ in packs]
        slot = {tenant: i % len(packs) for i, tenant in enumerate(sorted(set(owner.values())))}
        for resource in resources:
            shards[slot.get(owner.get(resource.urn, ""), 0)].append(resource)

        def analyze_shard(index: int) -> list[tuple[Any, str]]:
            pack, shard = packs[index], shards[index]
            position = {id(r): i for i, r in enumerate(shard)}
            payloads = [wire.analyze_request(r).SerializeToString(deterministic=True) for r in shard]
            digests = [hashlib.blake2b(p, digest_size=16).digest() for p in payloads]
            urns = [r.urn for r in shard]
            last = pack.answers.reusable(urns, digests, [i for i, r in enumerate(shard) if r.type == TENANT_TYPE])
            answered: list[tuple[bytes, list[Any]] | None] = [None] * len(shard)
            order, resent = [], set()
            for wave in waves(shard):
                send = []
                for r in wave:
                    i = position[id(r)]
                    order.append(i)
                    if last and last[i][0] == digests[i] and r.parent not in resent:
                        answered[i] = last[i]
                    else:
                        send.append((i, r.urn, payloads[i]))
                        resent.add(r.urn)
                for i, response in pack.analyze(send):
                    answered[i] = (digests[i], list(response.diagnostics))
            pack.answers = _Answers(urns, answered)
            return [(d, d.urn or urns[i]) for i in order for d in answered[i][1]]

        # The stack request is built while the packs work through the Analyze calls.
        with ThreadPoolExecutor(max_workers=len(packs) + 1) as pool:
            stack_request = pool.submit(wire.stack_request)
            diagnostics = [d for found in pool.map(analyze_shard, range(len(packs))) for d in found]
            request = stack_request.result()
        primary = packs[0]
        diagnostics += [(d, d.urn) for d in primary.call("AnalyzeStack", primary.stub.AnalyzeStack,
                                                          request).diagnostics]
        return self._outcome(diagnostics, resources, owner, phase)

    def _wanted(self, count: int) -> int:
        return min(self.max_processes, 1 + count // RESOURCES_PER_EXTRA_PROCESS)

    def _packs_for(self, count: int) -> list[_PackProcess]:
        self.spawn(count)  # all missing processes start at once, then each is connected
        while len(self._packs) < self._wanted(count):
            self._handshake(self._connect_next())
        return self._packs[:self._wanted(count)]

    def _connect_next(self) -> _PackProcess:
        """A spawned pack (or a new one), connected; tracked before connecting so close() stops it on failure."""
        pack = self._spawned.pop(0) if self._spawned else _PackProcess(self.pack_dir, self._env())
        self._packs.append(pack)
        pack.connect(self.startup_timeout)
        return pack

    def _check_pack_dir(self) -> None:
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{self.pack_dir} is not a policy pack (no PulumiPolicy.yaml)")

    def _handshake(self, pack: _PackProcess) -> None:
        pack.call("ConfigureStack", pack.stub.ConfigureStack, proto.AnalyzerStackConfigureRequest(
            stack=self.stack, project=self.project, organization="organization", dry_run=True,
            config=self.stack_config))
        pack.call("Configure", pack.stub.Configure, self._configure)

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.extra_env, "PULUMI_CONFIG": json.dumps(self.stack_config),
                "PULUMI_CONFIG_SECRET_KEYS": "[]", "PULUMI_PROJECT": self.project, "PULUMI_STACK": self.stack,
                "PULUMI_DRY_RUN": "true"}

    def _outcome(self, diagnostics: list[tuple[Any, str]], resources: Sequence[CapturedResource],
                 owner: Mapping[str, str], phase: Phase) -> PolicyOutcome:
        scrub = Scrubber(resources) if diagnostics else None
        violations: list[Violation] = []
        waived: list[Waived] = []
        deferred: list[Deferred] = []
        for diagnostic, urn in diagnostics:
            message = scrub(diagnostic.message) if scrub else diagnostic.message
            record = decode(message) if diagnostic.policyName == WAIVER_POLICY else None
            if diagnostic.enforcementLevel == proto.ADVISORY and message.startswith(CANT_RUN_DURING_PREVIEW):
                deferred.append(Deferred(policy=diagnostic.policyName, tenant=owner.get(urn), urn=urn or None,
                                         reason=message.rpartition("during preview: ")[2]))
            elif record is not None:
                waived.append(Waived(policy=record.policy, tenant=owner.get(record.urn or "") or record.tenant,
                                     urn=record.urn, message=record.message, reason=record.reason,
                                     approved_by=record.approved_by, expires=record.expires))
            else:
                violations.append(Violation(
                    policy=diagnostic.policyName, enforcement=LEVELS[diagnostic.enforcementLevel],
                    tenant=owner.get(urn), urn=urn or None, message=message, phase=phase))
        return PolicyOutcome(violations=violations, waived=waived, deferred=deferred,
                             policies=[p.name for p in self.info.policies] if self.info else [])


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
