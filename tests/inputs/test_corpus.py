"""Every malformed input in the corpus, through the real `hipaachat` process.

For each: exit 2, the file named, no traceback, under 2 seconds, and nothing written anywhere
(not the --out report, not a byte of the project or of its neighbours).

The 2-second bound (an alias bomb used to run past a minute) is on the CPU time the process
spends, which is what a hostile input controls; on a shared runner, wall time also counts the
wait for a free core. Wall time gets its own, looser bound, which is what a blocking read (a
FIFO) or a runaway parse would break.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.inputs.corpus import CORPUS, LIST, PLAN, STACK, TENANT, VALIDATE, Case

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
CPU_BOUND_SECONDS = 2.0
WALL_BOUND_SECONDS = 10.0


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under `root` (links not followed, FIFOs not opened): type, size and content hash."""
    seen: dict[str, tuple[int, int, str]] = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(info.st_mode) else ""
            seen[str(path.relative_to(root))] = (stat.S_IFMT(info.st_mode), info.st_size, digest)
    return seen


def run(args: tuple[str, ...], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """The finished process, its CPU seconds (user + system) and its wall seconds."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    result = subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def test_the_corpus_is_large_and_covers_every_input_kind() -> None:
    assert len(CORPUS) >= 40
    assert len({case.id for case in CORPUS}) == len(CORPUS)
    targets = {case.target for case in CORPUS}
    assert {TENANT, STACK, "policies/waivers.yaml", "Pulumi.yaml"} <= targets
    assert {PLAN, VALIDATE, LIST} <= {case.command for case in CORPUS}


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_malformed_input_exits_2_naming_the_file_quickly_and_writes_nothing(case: Case, project_copy: Path) -> None:
    case.make(project_copy)
    out = project_copy.parent / "report.json"
    args = case.command + (("--out", str(out)) if case.command[0] == "plan" else ())
    before = snapshot(project_copy.parent)

    result, cpu, wall = run(args, project_copy)

    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr[-2000:])
    message = " ".join(result.stderr.split())  # rich wraps long lines; the words are what count
    assert (case.named or case.target) in message, message
    for phrase in case.says:
        assert phrase in message, (phrase, message)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert cpu < CPU_BOUND_SECONDS, f"{case.id} spent {cpu:.2f}s of CPU"
    assert wall < WALL_BOUND_SECONDS, f"{case.id} took {wall:.2f}s"
    assert not out.exists()
    assert snapshot(project_copy.parent) == before


def _bom_and_crlf(project: Path) -> None:
    for relative in (TENANT, STACK):
        path = project / relative
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))


def test_bom_and_crlf_files_are_accepted_by_tenants_commands(project_copy: Path) -> None:
    _bom_and_crlf(project_copy)
    result, *_ = run(VALIDATE, project_copy)
    assert result.returncode == 0, result.stderr
    listed, *_ = run(LIST, project_copy)
    assert listed.returncode == 0, listed.stderr
    assert "Lotus Health Centre (synthetic)" in listed.stdout  # no stray \r or BOM in values


def test_bom_and_crlf_files_plan_like_the_originals(project_copy: Path, project_root: Path) -> None:
    _bom_and_crlf(project_copy)
    edited, *_ = run(PLAN + ("--format", "json", "--no-policies"), project_copy)
    original, *_ = run(PLAN + ("--format", "json", "--no-policies"), project_root)
    assert edited.returncode == 0, edited.stderr
    assert _planned(edited.stdout) == _planned(original.stdout)


def _planned(document: str) -> dict[str, object]:
    """A plan without what varies run to run (timings, the order resources registered in)."""
    report = json.loads(document)
    report.pop("timings")
    for tenant in report["tenants"]:
        tenant["resources"] = sorted(tenant["resources"], key=lambda r: r["urn"])
    return report


def test_hidden_files_in_the_catalog_are_not_tenants(project_copy: Path) -> None:
    catalog = project_copy / "stacks" / "tenants" / "local"
    (catalog / ".lotus-health.yaml.swp").write_bytes(b"\x00\xff editor swap")
    result, *_ = run(VALIDATE, project_copy)
    assert result.returncode == 0, result.stderr
