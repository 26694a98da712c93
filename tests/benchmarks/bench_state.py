"""Benchmark reading and writing the pivot format at real-stack scale (on demand, not in the suite).

    python3 -m uv run --locked python tests/benchmarks/bench_state.py [--resources 52000]

Builds an export of about N resources by repeating the local stack's capture under distinct
tenant names, writes it with `scripts.engine.state.write_state`, reads it with `read_state`, and for
comparison builds the same resources with full pydantic validation (what the reader avoids).
Prints file size, write and read seconds, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.engine.capture import run_program  # noqa: E402
from scripts.engine.models import CapturedResource  # noqa: E402
from scripts.project import Project, load_stack  # noqa: E402
from scripts.engine.state import read_state, write_state  # noqa: E402


def synthetic(count: int) -> list[CapturedResource]:
    project = Project.find(ROOT)
    config = load_stack(project, "local")
    # Through the reader once: plain JSON values (the SDK's asset objects become their wire form).
    with tempfile.TemporaryDirectory() as tmp:
        write_state(Path(tmp) / "base.json", run_program(project.root, "local", config.values, config.secret_keys),
                    stack="local")
        base = read_state(Path(tmp) / "base.json").resources
    out: list[CapturedResource] = []
    copy = 0
    while len(out) < count:
        text = json.dumps([r.model_dump(mode="json") for r in base]).replace("-clinic", f"-clinic{copy:05d}") \
            .replace("-praxis", f"-praxis{copy:05d}").replace("-health", f"-health{copy:05d}")
        out.extend(CapturedResource.model_validate(item) for item in json.loads(text))
        copy += 1
    return out[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=52000)
    args = parser.parse_args()
    resources = synthetic(args.resources)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.json"
        started = time.perf_counter()
        write_state(path, resources, stack="local")
        wrote = time.perf_counter() - started
        started = time.perf_counter()
        state = read_state(path)
        read = time.perf_counter() - started
        started = time.perf_counter()
        [CapturedResource.model_validate(r.model_dump()) for r in state.resources]
        validated = time.perf_counter() - started
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(state.resources)} resources, {size / 1e6:.1f} MB: write {wrote:.2f}s, read {read:.2f}s "
          f"(full pydantic validation of the same resources would add {validated:.2f}s), peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
