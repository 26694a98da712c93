"""Fixtures for `hipaachat audit`: real CLI processes over real projects, each run once per module."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
FILES = ("audit.html", "audit.json", "audit-prowler.csv", "audit.ocsf.json")

# A second clinic whose every identifying value is distinctive, so a scoped report that leaked
# anything of it would be caught by a plain substring search.
PLANTED_ID = "qzplanted-clinic"
PLANTED_NAME = "Quokkazebra Planted Clinic"
PLANTED_PUSH = "Quokkazebra update waiting in your portal."
PLANTED_TENANT = f"""\
# synthetic test tenant
id: {PLANTED_ID}
name: {PLANTED_NAME}
residency: eu
roles:
  patient:    {{sees: [own], clinical_content: true}}
  admin:      {{sees: [audit], clinical_content: false}}
  qzplanted-role: {{sees: [panel], clinical_content: true}}
notifications:
  push: "{PLANTED_PUSH}"
  in_app: "New message"
  email: "You have a new message in your care portal. Log in to view it."
  sms: "New message in your care portal: {{{{deep_link}}}}"
"""
PLANTED_MARKERS = (PLANTED_ID, PLANTED_NAME, "Quokkazebra", "qzplanted", "QZPLANTED")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@dataclass(frozen=True)
class AuditRun:
    result: subprocess.CompletedProcess[str]
    out: Path

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")

    def json(self) -> dict:
        return json.loads(self.text("audit.json"))

    def everything(self) -> str:
        """Every byte the run produced: the files, stdout and stderr."""
        return "\n".join([*(self.text(n) for n in FILES if (self.out / n).exists()),
                          self.result.stdout, self.result.stderr])


def copy_project(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    for name in ("stacks", "policies"):
        shutil.copytree(PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="session")
def local_audit(tmp_path_factory: pytest.TempPathFactory) -> AuditRun:
    """`hipaachat audit --stack local` on the repository itself, as the README tells users to run it."""
    out = tmp_path_factory.mktemp("local-evidence")
    return AuditRun(run("audit", "--stack", "local", "--out", str(out), cwd=PROJECT_ROOT), out)


@pytest.fixture(scope="session")
def planted_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local stack plus a distinctive second clinic, a waiver for it, and promotion records."""
    root = copy_project(tmp_path_factory.mktemp("planted") / "project")
    (root / "stacks" / "tenants" / "local" / f"{PLANTED_ID}.yaml").write_text(PLANTED_TENANT)
    (root / "policies" / "waivers.yaml").write_text(f"""\
- policy: production-baa-attested
  tenant: {PLANTED_ID}
  reason: "QZPLANTED: BAA in signature, ticket SEC-999"
  approved_by: "qzplanted-officer@example.org"
  expires: 2027-01-30
- policy: production-baa-attested
  tenant: lotus-health
  reason: "BAA in signature with the clinic, ticket SEC-123"
  approved_by: "compliance@example.org"
  expires: 2027-02-14
""")
    promotions = root / "stacks" / "promotions"
    promotions.mkdir(exist_ok=True)  # the shipped repo has records already
    records = [
        {"id": "p1", "previous": None, "time": "2026-11-01T10:00:00Z", "actor": "ci@example.org", "commit": "a" * 40,
         "from": "prototype", "to": "local", "tenants": [{"id": "sunrise-clinic", "sha256": "1" * 64}],
         "gates": [{"name": "plan", "passed": True, "detail": "no mandatory violation"}], "plan_sha256": "2" * 64,
         "waivers": []},
        {"id": "p2", "previous": "p1", "time": "2026-11-02T10:00:00Z", "actor": "ci@example.org", "commit": "b" * 40,
         "from": "prototype", "to": "local",
         "tenants": [{"id": "sunrise-clinic", "sha256": "3" * 64}, {"id": PLANTED_ID, "sha256": "4" * 64}],
         "gates": [{"name": "plan", "passed": True, "detail": f"{PLANTED_ID}: QZPLANTED gate detail"}],
         "plan_sha256": "5" * 64, "waivers": [{"tenant": PLANTED_ID, "policy": "production-baa-attested"}]},
    ]
    (promotions / "local.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n{not json\n")
    return root


@pytest.fixture(scope="session")
def planted_full(planted_project: Path, tmp_path_factory: pytest.TempPathFactory) -> AuditRun:
    out = tmp_path_factory.mktemp("planted-full")
    return AuditRun(run("audit", "--stack", "local", "--out", str(out), cwd=planted_project,
                        env={"HIPAACHAT_TODAY": "2026-12-01"}), out)


@pytest.fixture(scope="session")
def planted_scoped(planted_project: Path, tmp_path_factory: pytest.TempPathFactory) -> AuditRun:
    out = tmp_path_factory.mktemp("planted-scoped")
    return AuditRun(run("audit", "--stack", "local", "--tenant", "sunrise-clinic", "--out", str(out),
                        cwd=planted_project, env={"HIPAACHAT_TODAY": "2026-12-01"}), out)
