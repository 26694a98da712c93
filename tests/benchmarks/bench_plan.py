"""Benchmark `hipaachat plan` on generated synthetic catalogs (run on demand, not in the suite).

    python3 -m uv run --locked python tests/benchmarks/bench_plan.py [--sizes 10 100 1000] [--no-policies]

Each size runs in its own process so peak memory (ru_maxrss) belongs to that size alone.
Prints wall time, the program/policy split, the peak RSS of the plan process and of its largest
worker (a program shard or a policy pack process), and t(1000)/t(100).
Target (issue #2): 1,000 tenants in <= 60 s and <= 2 GiB on 2 cores, policy evaluation included.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESIDENCIES = ("us", "eu", "in")
TENANT = """\
id: {id}
name: Synthetic Clinic {n:05d}
residency: {residency}
roles:
  patient:    {{sees: [own], clinical_content: true}}
  provider:   {{sees: [panel], clinical_content: true}}
  admin:      {{sees: [audit], clinical_content: false}}
  front-desk: {{sees: [scheduling], clinical_content: false}}
notifications:
  push: "You have a new message from your care team."
  in_app: "New message"
  email: "You have a new message in your care portal. Log in to view it."
  sms: "New message in your care portal: {{{{deep_link}}}}"
"""


def make_project(directory: Path, tenants: int) -> None:
    """A copy of the project whose `local` catalog holds `tenants` generated synthetic tenants."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, directory / name)
    shutil.copytree(ROOT / "policies", directory / "policies",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / "Pulumi.local.yaml", directory / "stacks" / "Pulumi.local.yaml")
    catalog = directory / "stacks" / "tenants" / "local"
    catalog.mkdir(parents=True)
    for n in range(tenants):
        tenant_id = f"bench-{n:05d}"
        (catalog / f"{tenant_id}.yaml").write_text(
            TENANT.format(id=tenant_id, n=n, residency=RESIDENCIES[n % 3]))


def measure_one(tenants: int, policies: bool) -> dict:
    """Runs in a child process: plan one generated project, report time and peak memory."""
    from scripts.plan.report import build_plan
    from scripts.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        make_project(Path(tmp), tenants)
        started = time.perf_counter()
        report = build_plan(Project.find(Path(tmp)), "local", policies=policies)
        seconds = time.perf_counter() - started
    # Linux reports ru_maxrss in KiB. The plan process and its workers (program shards, pack
    # processes) peak at different moments; both peaks are reported rather than a made-up sum.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"tenants": tenants, "resources": report.resource_count, "seconds": round(seconds, 2),
            "program_seconds": report.timings.program_seconds, "policy_seconds": report.timings.policy_seconds,
            "violations": len(report.violations), "plan_mib": round(own), "worker_mib": round(child)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--no-policies", action="store_true", help="measure the program run alone")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure_one(args.child, not args.no_policies)))
        return
    results = []
    print(f"{'tenants':>8} {'resources':>10} {'total s':>8} {'program s':>10} {'policy s':>9} "
          f"{'policy %':>9} {'plan MiB':>9} {'worker MiB':>11} {'violations':>11}")
    for size in args.sizes:
        command = [sys.executable, __file__, "--child", str(size)] + (["--no-policies"] if args.no_policies else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        r = json.loads(out.strip().splitlines()[-1])
        results.append(r)
        share = 100 * r["policy_seconds"] / r["seconds"] if r["seconds"] else 0
        print(f"{r['tenants']:>8} {r['resources']:>10} {r['seconds']:>8} {r['program_seconds']:>10} "
              f"{r['policy_seconds']:>9} {share:>8.0f}% {r['plan_mib']:>9} {r['worker_mib']:>11} "
              f"{r['violations']:>11}", flush=True)
    by_size = {r["tenants"]: r["seconds"] for r in results}
    if 100 in by_size and 1000 in by_size:
        print(f"t(1000)/t(100) = {by_size[1000] / by_size[100]:.1f} (linear scaling = 10.0)")


if __name__ == "__main__":
    main()
