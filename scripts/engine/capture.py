"""Run the Pulumi program offline under Pulumi's own mocks and capture every registration.

This is the "preview" half of `hipaachat plan`: the real Python SDK builds every resource
with real typed args; a recording monitor keeps what the engine would forward to a policy
pack (inputs, parent, dependencies, provider, options) and the mocks answer with
realistic outputs (ids, ARNs) so stack policies can follow references between resources.
No credentials, no network, no Pulumi CLI.
"""

from __future__ import annotations

import asyncio
import os
import runpy
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import reset_options
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from policies.hipaa.contracts import ROOT_STACK_TYPE
from scripts.engine.models import CapturedOptions, CapturedResource

MOCK_ACCOUNT_ID = "123456789012"
PROJECT = "hipaachat"
# The pickled provider of a dynamic resource: a large secret that no policy reads. The engine
# forwards it; we drop it to keep 1,000-tenant plans fast, and say so here rather than hide it.
DYNAMIC_PROVIDER_INPUT = "__provider"


class _RealisticMocks(pulumi.runtime.Mocks):
    """Answers registrations with the identifiers AWS would assign, derived from the inputs."""

    def __init__(self) -> None:
        self.provider_regions: dict[str, str] = {}

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        if not args.custom:
            # Components have no provider-side state; echo their inputs so they are captured.
            return "", inputs
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-id", inputs
        region = self.provider_regions.get(args.provider or "", "us-east-1")
        rid, outputs = _outputs_for(args.typ, args.name, inputs, region)
        return rid, {**inputs, **outputs}

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": MOCK_ACCOUNT_ID, "arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:user/hipaachat-plan",
                    "userId": "AIDAPLANMOCK"}
        return {}


def _outputs_for(typ: str, name: str, inputs: Mapping[str, Any], region: str) -> tuple[str, dict]:
    acct = MOCK_ACCOUNT_ID
    if typ == "aws:kms/key:Key":
        rid = f"{name}-0000"
        return rid, {"keyId": rid, "arn": f"arn:aws:kms:{region}:{acct}:key/{rid}"}
    if typ == "aws:kms/alias:Alias":
        return inputs.get("name", name), {"arn": f"arn:aws:kms:{region}:{acct}:{inputs.get('name', name)}"}
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}-0000"
        return bucket, {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    if typ == "aws:iam/role:Role":
        role = inputs.get("name") or name
        return role, {"name": role, "arn": f"arn:aws:iam::{acct}:role/{role}"}
    if typ == "aws:secretsmanager/secret:Secret":
        secret = inputs.get("name") or name
        return f"arn:aws:secretsmanager:{region}:{acct}:secret:{secret}-AbCdEf", {
            "arn": f"arn:aws:secretsmanager:{region}:{acct}:secret:{secret}-AbCdEf"}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        group = inputs.get("name") or name
        return group, {"arn": f"arn:aws:logs:{region}:{acct}:log-group:{group}"}
    if typ == "aws:lambda/function:Function":
        fn = inputs.get("name") or name
        arn = f"arn:aws:lambda:{region}:{acct}:function:{fn}"
        return fn, {"name": fn, "arn": arn, "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"}
    if typ == "aws:apigatewayv2/api:Api":
        rid = f"{name[:6]}api0"
        return rid, {"apiEndpoint": f"https://{rid}.execute-api.{region}.amazonaws.com",
                     "executionArn": f"arn:aws:execute-api:{region}:{acct}:{rid}"}
    if typ == "aws:apigatewayv2/stage:Stage":
        return f"{name}-id", {"invokeUrl": f"https://{name[:6]}api0.execute-api.{region}.amazonaws.com/"}
    if typ == "aws:sns/topic:Topic":
        topic = inputs.get("name") or name
        return f"arn:aws:sns:{region}:{acct}:{topic}", {"arn": f"arn:aws:sns:{region}:{acct}:{topic}"}
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        alarm = inputs.get("name") or name
        return alarm, {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{alarm}"}
    if typ == "aws:cloudwatch/eventRule:EventRule":
        rule = inputs.get("name") or name
        return rule, {"arn": f"arn:aws:events:{region}:{acct}:rule/{rule}"}
    if typ == "random:index/randomPassword:RandomPassword":
        # A placeholder of the requested shape; it is a secret output, so no report can show it.
        return f"{name}-id", {"result": "P" * int(inputs.get("length", 16))}
    if typ == "pulumi-python:dynamic/hipaachat:CometChatApp":
        # CometChat assigns app ids; the keys exist only after a real create, so none are invented.
        return f"mock-{name}", {"appId": f"mock-{name}", "region": inputs.get("region")}
    if typ.startswith("pulumi-python:dynamic/"):
        return f"mock-{name}", {}
    if "arn" in inputs:  # an input naming another resource (an EventBridge target, a topic policy) stays as given
        return f"{name}-id", {}
    return f"{name}-id", {"arn": f"arn:aws:mock:{region}:{acct}:{name}"}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that also keeps what the mock monitor drops: parent, dependencies, options."""

    def __init__(self, mocks: _RealisticMocks) -> None:
        super().__init__(mocks)
        self._mocks = mocks
        self._lock = threading.Lock()
        self.captured: list[CapturedResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them (`Deployment.generateURN`), so they match a real export.

        The engine qualifies a type with its parent's full qualified type and never with the root
        stack's; Pulumi's MockMonitor uses only the parent's last type and names the root stack
        too. `plan --state`, `audit --state` and `shards move` match URNs against real state.
        """
        qualified = parent.split("::")[2] if parent else ""
        if qualified and qualified != ROOT_STACK_TYPE:
            type_ = f"{qualified}${type_}"
        return super().make_urn("", type_, name)

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == ROOT_STACK_TYPE:
            return response
        registration = self.resources[response.urn]
        state = registration.state or {}
        inputs = {k: v for k, v in state.items() if k in request.object.fields and k != DYNAMIC_PROVIDER_INPUT}
        if request.type.startswith("pulumi:providers:") and isinstance(inputs.get("region"), str):
            self._mocks.provider_regions[f"{response.urn}::{response.id}"] = inputs["region"]
        resource = CapturedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=request.custom,
            id=response.id or "",
            inputs=inputs,
            outputs={k: v for k, v in state.items() if k != DYNAMIC_PROVIDER_INPUT},
            parent=request.parent or None,
            provider=request.provider or None,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            options=CapturedOptions(
                protect=request.protect,
                retain_on_delete=request.retainOnDelete,
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=request.deleteBeforeReplace,
                additional_secret_outputs=list(request.additionalSecretOutputs),
            ),
        )
        with self._lock:
            self.captured.append(resource)
        return response


def run_program(project_dir: Path, stack: str, config: Mapping[str, str],
                secret_keys: frozenset[str] = frozenset()) -> list[CapturedResource]:
    """Run `<project_dir>/__main__.py` for `stack` under mocks and return every registration.

    `config` maps `namespace:key` to the string value Pulumi would pass; keys in `secret_keys`
    become secret config exactly as `pulumi config set --secret` would make them.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = _RealisticMocks()
    monitor = _RecordingMonitor(mocks)
    # A fresh runtime per run: the SDK keeps its settings and root resource in module globals.
    reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    program = project_dir / "__main__.py"
    previous = Path.cwd()
    os.chdir(project_dir)  # `pulumi up` runs the program from the project directory too
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(program), run_name="__main__")))
    finally:
        os.chdir(previous)
        loop.close()
        asyncio.set_event_loop(None)
    return canonical_order(monitor.captured)


def canonical_order(resources: list[CapturedResource]) -> list[CapturedResource]:
    """Everything a resource uses (parent, provider, dependencies) before it, ties by URN path.

    The SDK registers resources from a thread pool, so the order registrations arrive in
    changes with the machine's load; reports list resources, violations and deferred checks in
    this order, and their outputs are byte-identical from run to run (and sharded or not).
    The engine's own order is a dependency order too, so an export keeps its shape.
    """
    import heapq

    by_urn = {r.urn: r for r in resources}

    def path(urn: str) -> tuple[str, ...]:
        chain: list[str] = []
        node: str | None = urn
        while node is not None and node in by_urn and node not in chain:
            chain.append(node)
            node = by_urn[node].parent
        return tuple(reversed(chain))

    def uses(r: CapturedResource) -> set[str]:
        found = {r.parent, r.provider.rpartition("::")[0] if r.provider else None, *r.dependencies,
                 *(u for urns in r.property_dependencies.values() for u in urns)}
        return {u for u in found if u in by_urn and u != r.urn}

    waiting = {r.urn: uses(r) for r in resources}
    users: dict[str, list[str]] = {}
    for urn, needed in waiting.items():
        for u in needed:
            users.setdefault(u, []).append(urn)
    ready = [(path(urn), urn) for urn, needed in waiting.items() if not needed]
    heapq.heapify(ready)
    ordered: list[CapturedResource] = []
    while ready:
        _, urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for user in users.get(urn, ()):
            waiting[user].discard(urn)
            if not waiting[user]:
                heapq.heappush(ready, (path(user), user))
    placed = {r.urn for r in ordered}  # a cycle cannot come from a program; keep anything left, by path
    return ordered + sorted((r for r in resources if r.urn not in placed), key=lambda r: path(r.urn))


# Below this many tenants a second process costs more (imports, pickling) than it saves.
SHARD_MIN_TENANTS = 60


def project_view(project_dir: Path, stack: str, tenant_files: list[Path], into: Path) -> Path:
    """A project directory holding only some tenant files (copies), for one shard's run.

    Sharding lives here, outside the program, so nothing a real `pulumi up` reads can ever
    make it deploy a subset of a stack's tenants.
    """
    into.mkdir()
    # Copied, not linked: the program locates its catalog from its own path.
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(project_dir / name, into / name)
    stacks = into / "stacks"
    catalog = stacks / "tenants" / stack
    catalog.mkdir(parents=True)
    (stacks / f"Pulumi.{stack}.yaml").symlink_to(project_dir / "stacks" / f"Pulumi.{stack}.yaml")
    for path in tenant_files:
        # Copied too: the catalog refuses symlinks that leave the project, and the view is its own project.
        shutil.copy(path, catalog / path.name)
    return into


def _run_shard(args: tuple[Path, str, dict[str, str], frozenset[str]]) -> list[CapturedResource]:
    return run_program(*args)


def run_program_sharded(project_dir: Path, stack: str, config: Mapping[str, str], secret_keys: frozenset[str],
                        tenant_files: list[Path], workers: int) -> list[CapturedResource]:
    """Run the program's tenants split across `workers` processes; same resources, same URNs.

    Tenants are independent subtrees, so the union of the shards' registrations is exactly
    what one run registers; the policy pack then still sees the whole stack at once.
    """
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(workers, len(tenant_files) // (SHARD_MIN_TENANTS // 2) or 1))
    if workers == 1:
        return run_program(project_dir, stack, config, secret_keys)
    with tempfile.TemporaryDirectory(prefix="hipaachat-plan-") as tmp:
        views = [project_view(project_dir, stack, tenant_files[i::workers], Path(tmp) / f"shard-{i}")
                 for i in range(workers)]
        # fork: the children inherit the imported SDK instead of importing it again.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            shards = list(pool.map(_run_shard, [(view, stack, dict(config), secret_keys) for view in views]))
    return canonical_order([resource for shard in shards for resource in shard])
