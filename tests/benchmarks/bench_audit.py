"""Benchmark `hipaachat audit --state` on a generated 1,000-tenant export (run on demand, not in the suite).

    python3 -m uv run --locked python tests/benchmarks/bench_audit.py [--tenants 1000]

Step 1 (not timed): a synthetic project with N tenants is captured and written as a
`pulumi stack export` file with the project's writer (scripts.engine.state). Step 2 (timed, in its own
process so its peak memory is its own): what `hipaachat audit --state FILE` does: read the
export, evaluate the policy pack over the Analyzer protocol, build the evidence, render HTML,
JSON, CSV and OCSF, and write them. Prints the split and the peak RSS of the audit process and
of its largest child (a policy pack process).
Target (issue #10): 1,000 tenants (~52k resources) in <= 45 s and <= 2 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def write_export(directory: Path, tenants: int) -> Path:
    """Runs in a child process: capture a generated project and write its export."""
    from scripts.audit.sources import declared
    from scripts.project import Project
    from scripts.engine.state import write_state
    from tests.benchmarks.bench_plan import make_project

    make_project(directory, tenants)
    subject = declared(Project.find(directory), "local")
    state = directory / "state.json"
    write_state(state, subject.resources, stack="local")
    return state


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(directory: Path) -> dict:
    """Runs in a child process: the audit pipeline on the export, timed step by step."""
    from scripts.audit.evidence import build_report, evaluate
    from scripts.audit.output import FORMATS, render_all, write_all
    from scripts.audit.sources import deployed
    from scripts.project import Project

    started = time.perf_counter()
    subject = deployed(Project.find(directory), directory / "state.json", None)
    read = time.perf_counter()
    results = evaluate(subject)
    evaluated = time.perf_counter()
    report, secrets = build_report(subject, results, tenants=None, now=dt.datetime.now(dt.timezone.utc),
                                   today=dt.date.today())
    built = time.perf_counter()
    documents = render_all(report, FORMATS, secrets)
    rendered = time.perf_counter()
    written = write_all(directory / "evidence", documents)
    done = time.perf_counter()
    return {"tenants": report.summary.tenants, "resources": len(subject.resources),
            "status": report.summary.status, "read_s": round(read - started, 2),
            "policy_s": round(evaluated - read, 2), "evidence_s": round(built - evaluated, 2),
            "render_s": round(rendered - built, 2), "write_s": round(done - rendered, 2),
            "total_s": round(done - started, 2),
            "sizes_mib": {p.name: round(p.stat().st_size / 2**20, 1) for p in written},
            # CPU seconds tell what the wall time would be on 2 idle cores when the machine is shared.
            "audit_cpu_s": round(_cpu(resource.RUSAGE_SELF), 1), "pack_cpu_s": round(_cpu(resource.RUSAGE_CHILDREN), 1),
            "audit_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "pack_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--workdir", type=Path,
                        help="keep the generated project and export here, and reuse an export already there")
    parser.add_argument("--step", choices=["export", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "export":
        write_export(args.dir, args.tenants)
        return
    if args.step == "measure":
        print(json.dumps(measure(args.dir)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "state.json").is_file():
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--step", "export", "--tenants", str(args.tenants),
                            "--dir", str(work)], check=True, cwd=ROOT)
            print(f"export of {args.tenants} tenants written in {time.perf_counter() - started:.1f} s")
        print(f"auditing {work / 'state.json'} ({(work / 'state.json').stat().st_size / 2**20:.0f} MiB)")
        out = subprocess.run([sys.executable, __file__, "--step", "measure", "--dir", str(work)],
                             check=True, cwd=ROOT, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
    print(f"{r['tenants']} tenants, {r['resources']} resources, audit {r['status'].upper()}")
    print(f"total {r['total_s']} s = read {r['read_s']} + policy {r['policy_s']} + evidence {r['evidence_s']} "
          f"+ render {r['render_s']} + write {r['write_s']}")
    print(f"CPU: audit process {r['audit_cpu_s']} s, pack processes {r['pack_cpu_s']} s "
          f"(1-minute load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"peak RSS: audit process {r['audit_mib']} MiB, largest child (pack) {r['pack_mib']} MiB")
    print("outputs (MiB): " + ", ".join(f"{k} {v}" for k, v in r["sizes_mib"].items()))
    print(f"target: <= 45 s and <= 2048 MiB -> {'met' if r['total_s'] <= 45 and r['audit_mib'] <= 2048 else 'MISSED'}")


if __name__ == "__main__":
    main()
