"""Benchmark the fleet paths against the floor, all measured in one run (on demand, not in the suite).

    python3 -m uv run --locked python tests/benchmarks/bench_shards.py [--tenants 1000] [--stacks 10]

floor     the bare program (__main__.py) under Pulumi's stock mocks (`pulumi.runtime.Mocks`
          answering every registration with its inputs, no recording), its tenants split over
          one process per core: the least any offline plan of these tenants can cost here.
single    `build_plan` of one stack holding every tenant, policy pack included.
shards    `hipaachat shards plan --environment prototype` over --stacks stacks (CLI, end to end).
changed   one tenant edited, `hipaachat shards plan --changed-since HEAD` (CLI, end to end).

Each measurement runs in its own process so peak memory (ru_maxrss) belongs to it alone; the
ratios are to the floor measured in the same run. Targets (issue #11): single and shards
<= 1.3x floor, changed <= 15 s, <= 2 GiB per process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_plan import RESIDENCIES, TENANT  # noqa: E402

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}


def make_fleet(directory: Path, tenants: int, stacks: int) -> list[str]:
    """A project copy whose prototype environment has `stacks` stacks sharing `tenants` tenants."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    shutil.copytree(ROOT / "policies", directory / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "stacks", directory / "stacks", ignore=shutil.ignore_patterns("tenants"))
    names = ["prototype"] + [f"prototype-{i}" for i in range(1, stacks)]
    for name in names[1:]:
        subprocess.run([HIPAACHAT, "stacks", "new", name, "-e", "prototype"], cwd=directory, check=True,
                       capture_output=True)
    for n in range(tenants):
        catalog = directory / "stacks" / "tenants" / names[n % len(names)]
        catalog.mkdir(parents=True, exist_ok=True)
        (catalog / f"bench-{n:05d}.yaml").write_text(
            TENANT.format(id=f"bench-{n:05d}", n=n, residency=RESIDENCIES[n % 3]))
    return names


def _bare_program(view: str, stack: str, config: dict[str, str], secret_keys: list[str]) -> int:
    """Pulumi's stock mocks and nothing else: the floor."""
    import asyncio
    import runpy

    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    class StockMocks(pulumi.runtime.Mocks):
        def __init__(self) -> None:
            self.count = 0

        def new_resource(self, args):
            # Inputs echoed, plus a constant for each output the program reads (no per-type logic).
            self.count += 1
            fake = f"arn:aws:mock:us-east-2:123456789012:{args.name}"
            return f"{args.name}-id", {**args.inputs, "arn": fake, "invokeArn": fake, "executionArn": fake,
                                       "invokeUrl": "https://mock.example/", "apiEndpoint": "https://mock.example",
                                       "appId": f"{args.name}-id", "keyId": f"{args.name}-id"}

        def call(self, args):
            return {"accountId": "123456789012"} if "getCallerIdentity" in args.token else {}

    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = StockMocks()
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(mocks, project="hipaachat", stack=stack, preview=False)
    os.chdir(view)
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(Path(view) / "__main__.py"), run_name="__main__")))
    return mocks.count


def measure_floor(tmp: Path, tenants: int) -> dict:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from scripts.engine.capture import project_view
    from scripts.project import Project, load_stack

    make_fleet(tmp, tenants, 1)
    config = load_stack(Project.find(tmp), "prototype")
    files = sorted((tmp / "stacks" / "tenants" / "prototype").glob("*.yaml"))
    workers = os.cpu_count() or 1
    views = [project_view(tmp, "prototype", files[i::workers], tmp / f"view-{i}") for i in range(workers)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        counts = list(pool.map(_bare_program, [str(v) for v in views], ["prototype"] * workers,
                               [config.values] * workers, [sorted(config.secret_keys)] * workers))
    return {"seconds": time.perf_counter() - started, "registrations": sum(counts)}


def measure_single(tmp: Path, tenants: int) -> dict:
    from scripts.plan.report import build_plan
    from scripts.project import Project

    make_fleet(tmp, tenants, 1)
    started = time.perf_counter()
    report = build_plan(Project.find(tmp), "prototype")
    return {"seconds": time.perf_counter() - started, "resources": report.resource_count,
            "program_seconds": report.timings.program_seconds, "policy_seconds": report.timings.policy_seconds,
            "blocked": report.blocked}


def _cli(tmp: Path, *args: str) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([HIPAACHAT, "shards", "plan", "-e", "prototype", "--format", "json", *args],
                            cwd=tmp, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(result.stderr)
    return seconds, json.loads(result.stdout)


def measure_shards(tmp: Path, tenants: int, stacks: int) -> dict:
    make_fleet(tmp, tenants, stacks)
    seconds, report = _cli(tmp)
    return {"seconds": seconds, "stacks": len(report["stacks"]),
            "resources": sum(s["resource_count"] for s in report["stacks"]), "blocked": report["blocked"]}


def measure_changed(tmp: Path, tenants: int, stacks: int) -> dict:
    names = make_fleet(tmp, tenants, stacks)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fleet"]):
        subprocess.run(["git", *args], cwd=tmp, check=True, env=GIT_ENV, capture_output=True)
    tenant = next((tmp / "stacks" / "tenants" / names[-1]).glob("*.yaml"))
    tenant.write_text(tenant.read_text().replace("Synthetic Clinic", "Synthetic Renamed Clinic"))
    seconds, report = _cli(tmp, "--changed-since", "HEAD")
    return {"seconds": seconds, "stacks": len(report["stacks"]),
            "resources": sum(s["resource_count"] for s in report["stacks"]), "blocked": report["blocked"]}


def child(kind: str, tenants: int, stacks: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
        measure = {"floor": lambda: measure_floor(Path(tmp), tenants),
                   "single": lambda: measure_single(Path(tmp), tenants),
                   "shards": lambda: measure_shards(Path(tmp), tenants, stacks),
                   "changed": lambda: measure_changed(Path(tmp), tenants, stacks)}[kind]
        result = measure()
    result["self_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["largest_child_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--stacks", type=int, default=10)
    parser.add_argument("--only", nargs="+", default=["floor", "single", "shards", "changed"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.tenants, args.stacks)))
        return
    print(f"{args.tenants} tenants, {args.stacks} stacks for shards/changed, {os.cpu_count()} cores", flush=True)
    results = {}
    for kind in args.only:
        out = subprocess.run([sys.executable, __file__, "--child", kind, "--tenants", str(args.tenants),
                              "--stacks", str(args.stacks)], check=True, capture_output=True, text=True, cwd=ROOT)
        results[kind] = r = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = f"{r['seconds'] / results['floor']['seconds']:.2f}x floor" if "floor" in results else ""
        extra = {k: v for k, v in r.items() if k not in ("seconds",)}
        print(f"{kind:>8}: {r['seconds']:7.1f} s  {ratio:>12}  {extra}", flush=True)


if __name__ == "__main__":
    main()
