"""The publishable pack needs nothing from the repository: built, archived, extracted, served
from a fresh virtualenv over the Analyzer protocol, it reaches the same verdict as policies/hipaa."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from scripts.engine.analyzer import PolicyPackError, PolicyPackProcess
from scripts.engine.capture import run_program
from scripts.project import Project, load_stack, stack_config_for_pack
from tests.shards.fresh_venv import make_fresh_venv

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pack as Pulumi Cloud would run it: the archive, extracted far from the repo, with its venv."""
    work = tmp_path_factory.mktemp("published")
    archive = work / "hipaachat-hipaa.tar.gz"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([HIPAACHAT, "shards", "pack", "--out", str(work / "build"), "--archive", str(archive)],
                            cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    extracted = work / "downloaded"
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, filter="data")
    make_fresh_venv(extracted / "venv", extracted / "requirements.txt")
    return extracted


def _local_stack(project_root: Path):
    project = Project.find(project_root)
    config = load_stack(project, "local")
    return config, run_program(project_root, "local", config.values, config.secret_keys)


def test_fresh_venv_cannot_import_the_repository(published: Path) -> None:
    python = published / "venv" / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import components"], cwd="/", capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'components'" in probe.stderr
    assert (published / "components" / "settings.py").is_file()
    assert "pulumi-aws==" in (published / "requirements.txt").read_text().lower().replace("_", "-")


def test_published_pack_reaches_the_repository_packs_verdict(published: Path, project_root: Path,
                                                             event_loop_per_test) -> None:
    config, resources = _local_stack(project_root)
    settings = stack_config_for_pack(config)
    with PolicyPackProcess(published, stack_config=settings, stack="local") as pack:
        assert pack.info is not None and pack.info.name == "hipaachat-hipaa"
        outcome = pack.analyze(resources)
    with PolicyPackProcess(project_root / "policies" / "hipaa", stack_config=settings, stack="local") as pack:
        expected = pack.analyze(resources)
    key = lambda v: (v.policy, v.urn or "", v.message)  # noqa: E731
    assert sorted(map(key, outcome.violations)) == sorted(map(key, expected.violations))
    assert outcome.violations and all(v.policy.startswith("production-") for v in outcome.violations)


def test_published_pack_still_blocks_a_broken_resource(published: Path, project_root: Path,
                                                       event_loop_per_test) -> None:
    config, resources = _local_stack(project_root)
    key = next(r for r in resources if r.type == "aws:kms/key:Key")
    key.inputs["enableKeyRotation"] = False
    with PolicyPackProcess(published, stack_config=stack_config_for_pack(config), stack="local") as pack:
        outcome = pack.analyze(resources)
    assert outcome.blocked
    assert any(v.urn == key.urn and v.enforcement == "mandatory" for v in outcome.violations)


def test_a_pack_missing_a_project_module_fails_in_the_fresh_venv(published: Path, tmp_path: Path,
                                                                  project_root: Path) -> None:
    """The proof above is only worth something if a missing module would fail it."""
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(published), str(broken)], check=True)
    (broken / "components" / "phi.py").unlink()
    with pytest.raises(PolicyPackError, match="components.phi"):
        with PolicyPackProcess(broken, stack="local"):
            pass
