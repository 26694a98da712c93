"""The engine's side of the Analyzer protocol: run a policy pack exactly as `pulumi preview` would.

`PolicyPackProcess` starts the pack the way the Pulumi CLI's Python language host does
(`scripts.engine.pack_process`), and speaks `pulumirpc.Analyzer` to it: GetAnalyzerInfo,
ConfigureStack, Configure (policy config reconciled as the engine does), Analyze for every
resource (inputs, options and provider; parents before children, as the step generator sends
them) and AnalyzeStack for the whole stack (outputs, parent, dependencies, property
dependencies, provider). Wire details live in `scripts.engine.wire`.

Throughput: a Python gRPC server costs about half a millisecond per call, so a 1,000-tenant
stack spends most of its policy time in Analyze round trips. The client keeps up to
`analyzer_process.MAX_IN_FLIGHT` calls in flight and, for large stacks, spreads tenants over
more pack processes (one per core, `processes`): each is a complete pack started the same way,
a tenant's whole subtree goes to one of them (the pack learns where resources sit from their
parents), and the first one alone analyzes the whole stack, so every stack-wide finding
appears once.

Both phases of a plan send the same stack twice, and a fresh stack's update phase repeats, byte
for byte, about a third of its preview's Analyze requests (every resource whose inputs hold no
value computed from another). The pack is deterministic: a request answers from its bytes and
from where its ancestors sit, which the pack learned from their own requests. So when the same
pack process is sent the same resources again, a request identical to the last one it answered
for that URN, none of whose ancestors was sent anew, gets that answer without the round trip
(`scripts.engine.pack_process.Answers`). Any difference in a tenant component's request (the
tenant's declared facts, which every rule of its subtree reads) or in the resources sent turns
the reuse off for that process.

Secret values travel wrapped in Pulumi's secret envelope, as the engine sends them; the pack
unwraps them. Nothing secret reaches a `PolicyOutcome`: messages are scrubbed of every secret
value the stack holds before they leave this module.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2, json_format
from pulumi.runtime import proto
from pydantic import BaseModel, Field

from components.tags import TENANT_TYPE
from policies.hipaa.waiver_report import WAIVER_POLICY, decode
from scripts.engine.pack_process import STARTUP_TIMEOUT_SECONDS, Answers, PackProcess, PolicyPackError
from scripts.engine.wire import (
    LEVELS,
    PolicyConfigError,
    Scrubber,
    WireStack,
    config_string,
    policy_config_request,
    reconcile,
    waves,
)
from scripts.engine.models import CapturedResource, Deferred, Enforcement, Phase, Violation, Waived, tenant_owners

__all__ = ["AnalyzerInfo", "PolicyConfigError", "PolicyInfo", "PolicyOutcome", "PolicyPackError",
           "PolicyPackProcess"]

# How pulumi-policy (and the pack's servicer) words an advisory for a check that read an unknown value.
CANT_RUN_DURING_PREVIEW = "can't run policy "
# Below this many resources one pack process is faster than starting another (~1 s each).
RESOURCES_PER_EXTRA_PROCESS = 3000


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
        self._packs: list[PackProcess] = []
        self._spawned: list[PackProcess] = []  # started, not yet connected
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
            self._spawned.append(PackProcess(self.pack_dir, self._env()))

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
        (scripts.engine.phases.preview_view), `update` when every value is resolved.
        """
        if not self._packs or self.info is None:
            raise PolicyPackError("the policy pack is not running; use PolicyPackProcess as a context manager")
        wire = WireStack(resources)
        owner = tenant_owners(resources)
        packs = self._packs_for(len(resources))
        for pack in packs:  # the engine tells the analyzer which phase it is in: preview or update
            self._configure_stack(pack, dry_run=phase == "preview")
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
            pack.answers = Answers(urns, answered)
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

    def _packs_for(self, count: int) -> list[PackProcess]:
        self.spawn(count)  # all missing processes start at once, then each is connected
        while len(self._packs) < self._wanted(count):
            self._handshake(self._connect_next())
        return self._packs[:self._wanted(count)]

    def _connect_next(self) -> PackProcess:
        """A spawned pack (or a new one), connected; tracked before connecting so close() stops it on failure."""
        pack = self._spawned.pop(0) if self._spawned else PackProcess(self.pack_dir, self._env())
        self._packs.append(pack)
        pack.connect(self.startup_timeout)
        return pack

    def _check_pack_dir(self) -> None:
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{self.pack_dir} is not a policy pack (no PulumiPolicy.yaml)")

    def _handshake(self, pack: PackProcess) -> None:
        self._configure_stack(pack, dry_run=True)  # an engine run starts with its preview
        pack.call("Configure", pack.stub.Configure, self._configure)

    def _configure_stack(self, pack: PackProcess, *, dry_run: bool) -> None:
        """ConfigureStack as the engine sends it for a phase (dry_run true at preview, false at update)."""
        if pack.dry_run == dry_run:
            return
        pack.call("ConfigureStack", pack.stub.ConfigureStack, proto.AnalyzerStackConfigureRequest(
            stack=self.stack, project=self.project, organization="organization", dry_run=dry_run,
            config=self.stack_config))
        pack.dry_run = dry_run

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
