"""`hipaachat shards move`: the file moves, the printed command carries the engine's URNs, and
the tenant keeps every physical name in its new shard (no replacement of its evidence)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.engine.capture import run_program
from scripts.project import Project, load_stack
from tests.shards.conftest import add_tenant, run

PHYSICAL = {"aws:s3/bucket:Bucket": "bucket", "aws:cloudwatch/logGroup:LogGroup": "name", "aws:iam/role:Role": "name",
            "aws:kms/alias:Alias": "name", "aws:secretsmanager/secret:Secret": "name"}


def _physical_names(project: Path, stack: str) -> set[str]:
    config = load_stack(Project.find(project), stack)
    resources = run_program(project, stack, config.values, config.secret_keys)
    return {r.inputs[PHYSICAL[r.type]] for r in resources if r.type in PHYSICAL and r.inputs.get(PHYSICAL[r.type])}


def test_move_renames_the_file_prints_the_state_move_and_keeps_physical_names(project_copy: Path,
                                                                                event_loop_per_test) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    add_tenant(project_copy, "production-2", "harbor-clinic")
    before = _physical_names(project_copy, "production")
    result = run("shards", "move", "sunrise-clinic", "--to", "production-2", "--format", "json", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    moved = json.loads(result.stdout)
    assert moved["command"] == ("pulumi state move --source production --dest production-2 "
                                "urn:pulumi:production::hipaachat::hipaachat:index:Tenant::sunrise-clinic")
    assert len(moved["urns"]) > 40
    # The engine's URNs: parents' full qualified types, never the root stack type.
    assert ("urn:pulumi:production::hipaachat::hipaachat:index:Tenant$hipaachat:tenant:Keys$aws:kms/key:Key"
            "::sunrise-clinic-key") in moved["urns"]
    assert not any("pulumi:pulumi:Stack" in urn for urn in moved["urns"])
    assert not (project_copy / "stacks" / "tenants" / "production" / "sunrise-clinic.yaml").exists()
    assert (project_copy / "stacks" / "tenants" / "production-2" / "sunrise-clinic.yaml").is_file()
    after = _physical_names(project_copy, "production-2")
    assert before and before <= after  # every bucket, role, log group, alias and secret name is unchanged


def test_move_refuses_another_residency_and_another_environment(project_copy: Path) -> None:
    assert run("stacks", "new", "production-eu", "-e", "production", "--residency", "eu",
               cwd=project_copy).returncode == 0
    source = project_copy / "stacks" / "tenants" / "production" / "sunrise-clinic.yaml"
    residency = run("shards", "move", "sunrise-clinic", "--to", "production-eu", cwd=project_copy)
    assert residency.returncode == 1 and "refused" in residency.stderr and "residency us" in residency.stderr
    assert source.is_file()
    assert run("stacks", "new", "prototype-2", "-e", "prototype", cwd=project_copy).returncode == 0
    across = run("shards", "move", "lotus-health", "--to", "prototype-2", cwd=project_copy)
    assert across.returncode == 1 and "never cross environments" in across.stderr
    assert (project_copy / "stacks" / "tenants" / "local" / "lotus-health.yaml").is_file()
    unknown = run("shards", "move", "nobody", "--to", "prototype-2", cwd=project_copy)
    assert unknown.returncode == 2 and "nobody" in unknown.stderr


def test_dry_run_moves_nothing(project_copy: Path) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    result = run("shards", "move", "sunrise-clinic", "--to", "production-2", "--dry-run", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert "pulumi state move --source production --dest production-2" in result.stdout
    assert (project_copy / "stacks" / "tenants" / "production" / "sunrise-clinic.yaml").is_file()
