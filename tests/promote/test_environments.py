"""Promotion across an environment's stacks: where a new tenant lands, and moves the check accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.project import InputError, Project
from scripts.promote import records
from scripts.promote.targets import place, stacks_of
from tests.shards.conftest import run

CHECK = ("promote", "--check", "--from", "prototype", "--to", "production", "--format", "json")


def test_a_new_tenant_lands_by_residency_or_by_stack_and_ambiguity_is_refused(project_copy: Path) -> None:
    assert run("stacks", "new", "production-eu", "-e", "production", "--residency", "eu", cwd=project_copy).returncode == 0
    project = Project.find(project_copy)
    stacks = stacks_of(project, "production")
    assert stacks == ["production", "production-eu"] and stacks_of(project, "production-eu") == ["production-eu"]
    assert place(project, stacks, "fjord-praxis", "eu", None) == "production-eu"  # the shard naming its residency
    assert place(project, stacks, "harbor-clinic", "us", None) == "production"    # the only stack accepting us
    assert place(project, stacks, "sunrise-clinic", "eu", None) == "production"   # already lives there
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    stacks = stacks_of(project, "production")
    with pytest.raises(InputError, match="could go to production, production-2; say which with --stack"):
        place(project, stacks, "harbor-clinic", "us", None)
    assert place(project, stacks, "harbor-clinic", "us", "production-2") == "production-2"
    with pytest.raises(InputError, match="lives in production; promote it there, or move it first"):
        place(project, stacks, "sunrise-clinic", "us", "production-2")


def test_a_move_records_itself_in_both_chains_and_the_check_accepts_it(project_copy: Path) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    moved = run("shards", "move", "sunrise-clinic", "--to", "production-2", cwd=project_copy)
    assert moved.returncode == 0, moved.stderr
    for stack in ("production", "production-2"):
        chain = records.read_chain(records.records_path(project_copy, stack))
        last = chain.records[-1][1]
        assert chain.problems == [] and (last.kind, last.from_, last.to) == ("move", "production", "production-2")
    check = run(*CHECK, cwd=project_copy)
    assert check.returncode == 0, check.stdout + check.stderr
    report = json.loads(check.stdout)
    assert report["stacks"] == ["production", "production-2"] and report["pending"] == []
    # Moved back by hand (no record): the file is unrecorded in production and missing in production-2.
    (project_copy / "stacks/tenants/production-2/sunrise-clinic.yaml").rename(
        project_copy / "stacks/tenants/production/sunrise-clinic.yaml")
    check = run(*CHECK, cwd=project_copy)
    assert check.returncode == 1
    messages = sorted(p["message"] for p in json.loads(check.stdout)["problems"])
    assert messages[0].startswith("recorded (stacks/promotions/production-2.jsonl line 1) but the file is gone")
    assert "recorded it moving to production-2: it did not arrive by promotion or move" in messages[1]


def test_a_move_into_a_broken_chain_is_refused_and_moves_nothing(project_copy: Path) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    chain = records.records_path(project_copy, "production")
    chain.write_bytes(chain.read_bytes().replace(b'"actor":"', b'"actor":"x', 1))
    moved = run("shards", "move", "sunrise-clinic", "--to", "production-2", cwd=project_copy)
    assert moved.returncode == 1 and "the record chain is broken" in moved.stderr
    assert (project_copy / "stacks/tenants/production/sunrise-clinic.yaml").is_file()
    assert not records.records_path(project_copy, "production-2").exists()


def test_production_stacks_refuse_tenants_new_and_offboard_with_the_path_ci_accepts(project_copy: Path) -> None:
    new = run("tenants", "new", "--stack", "production", "harbor-clinic", cwd=project_copy)
    assert new.returncode == 1
    assert "hipaachat tenants new --stack prototype harbor-clinic --residency us" in new.stderr
    assert "hipaachat promote --from prototype --to production --tenant harbor-clinic" in new.stderr
    assert not (project_copy / "stacks/tenants/production/harbor-clinic.yaml").exists()
    target = project_copy / "stacks/tenants/production/sunrise-clinic.yaml"
    before = target.read_bytes()
    off = run("tenants", "offboard", "--stack", "production", "sunrise-clinic", "--on", "2026-11-01", cwd=project_copy)
    assert off.returncode == 1 and target.read_bytes() == before
    assert "hipaachat tenants offboard --stack prototype sunrise-clinic --on 2026-11-01" in off.stderr


def test_promoting_to_one_shard_a_tenant_that_lives_in_another_is_refused(project_copy: Path) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    result = run("promote", "--from", "prototype", "--to", "production-2", "--tenant", "sunrise-clinic",
                 "--actor", "dev", cwd=project_copy)
    assert result.returncode == 2
    assert "tenant sunrise-clinic lives in production" in result.stderr
    assert "hipaachat shards move sunrise-clinic --to production-2" in result.stderr
    assert not (project_copy / "stacks/tenants/production-2/sunrise-clinic.yaml").exists()
