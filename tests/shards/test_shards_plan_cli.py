"""`hipaachat shards plan|matrix`: an environment's stacks planned together, or only the changed ones."""

from __future__ import annotations

import json
from pathlib import Path

from tests.shards.conftest import add_tenant, commit_all, run


def _prototype_fleet(project: Path) -> None:
    assert run("stacks", "new", "prototype-2", "--environment", "prototype", cwd=project).returncode == 0
    assert run("stacks", "new", "prototype-eu", "--environment", "prototype", "--residency", "eu",
               cwd=project).returncode == 0
    add_tenant(project, "prototype-2", "harbor-clinic")
    add_tenant(project, "prototype-eu", "linden-praxis", residency="eu")


def test_plans_every_stack_of_the_environment_with_its_tenants(git_project: Path) -> None:
    _prototype_fleet(git_project)
    result = run("shards", "plan", "--environment", "prototype", "--format", "json", cwd=git_project)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["environment"] == "prototype" and report["blocked"] is False
    stacks = {s["stack"]: s for s in report["stacks"]}
    assert list(stacks) == ["prototype", "prototype-2", "prototype-eu"]  # `local` stands alone
    assert {name: s["tenants"] for name, s in stacks.items()} == {
        "prototype": ["sunrise-clinic"], "prototype-2": ["harbor-clinic"], "prototype-eu": ["linden-praxis"]}
    for s in stacks.values():
        assert s["resource_count"] > 40 and s["blocked"] is False
        # prototype: the production gates speak, advisory only
        assert s["violations"] and {v["enforcement"] for v in s["violations"]} == {"advisory"}


def test_changed_since_plans_only_the_stack_whose_tenant_changed(git_project: Path) -> None:
    _prototype_fleet(git_project)
    base = commit_all(git_project, "fleet")
    tenant = git_project / "stacks" / "tenants" / "prototype-2" / "harbor-clinic.yaml"
    tenant.write_text(tenant.read_text().replace("audit_log_days: 2192", "audit_log_days: 2557"))
    result = run("shards", "plan", "-e", "prototype", "--changed-since", base, "--format", "json", cwd=git_project)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [s["stack"] for s in report["stacks"]] == ["prototype-2"]
    assert report["unchanged"] == ["prototype", "prototype-eu"]
    assert report["changed_since"]["files"] == {"prototype-2": ["stacks/tenants/prototype-2/harbor-clinic.yaml"]}
    matrix = json.loads(run("shards", "matrix", "-e", "prototype", "--changed-since", base, cwd=git_project).stdout)
    assert [entry["stack"] for entry in matrix["include"]] == ["prototype-2"]


def test_changed_since_plans_everything_when_shared_inputs_change(git_project: Path) -> None:
    _prototype_fleet(git_project)
    base = commit_all(git_project, "fleet")
    add_tenant(git_project, "prototype-eu", "fjord-klinik", residency="eu")  # new, untracked
    matrix = run("shards", "matrix", "-e", "prototype", "--changed-since", base, cwd=git_project)
    assert [e["stack"] for e in json.loads(matrix.stdout)["include"]] == ["prototype-eu"]
    waivers = git_project / "policies" / "waivers.yaml"
    waivers.write_text(waivers.read_text() + "\n")
    everything = json.loads(run("shards", "matrix", "-e", "prototype", "--changed-since", base, cwd=git_project).stdout)
    assert [e["stack"] for e in everything["include"]] == ["prototype", "prototype-2", "prototype-eu"]
    commit_all(git_project, "all of it")
    (git_project / "README.md").write_text("docs only\n")  # uncommitted changes count: this one selects nothing
    docs = run("shards", "matrix", "-e", "prototype", "--changed-since", "HEAD", cwd=git_project)
    assert json.loads(docs.stdout) == {"include": []}
    bad = run("shards", "matrix", "-e", "prototype", "--changed-since", "no-such-ref", cwd=git_project)
    assert bad.returncode == 2 and "no-such-ref" in bad.stderr


def test_matrix_is_a_github_actions_include_list_without_empty_stacks(project_copy: Path) -> None:
    assert run("stacks", "new", "production-eu", "-e", "production", "--residency", "eu", cwd=project_copy).returncode == 0
    result = run("shards", "matrix", "--environment", "production", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"include": [
        {"stack": "production", "environment": "production", "tenants": 1, "residencies": ["us", "eu", "in"]}]}


def test_matrix_without_an_environment_lists_every_environment_and_refuses_a_drifted_one(project_copy: Path) -> None:
    """What the workflows call: shards of every environment, `local` never; bad input in any one is exit 2."""
    _prototype_fleet(project_copy)
    result = run("shards", "matrix", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert [(e["stack"], e["environment"]) for e in json.loads(result.stdout)["include"]] == [
        ("prototype", "prototype"), ("prototype-2", "prototype"), ("prototype-eu", "prototype"),
        ("production", "production")]
    both = run("shards", "matrix", "-e", "production", "-e", "prototype", cwd=project_copy)
    assert [e["stack"] for e in json.loads(both.stdout)["include"]][0] == "production"
    stack_file = project_copy / "stacks" / "Pulumi.prototype-2.yaml"
    stack_file.write_text(stack_file.read_text().replace("retentionMinimumDays: 2192", "retentionMinimumDays: 30"))
    drifted = run("shards", "matrix", cwd=project_copy)
    assert drifted.returncode == 2 and drifted.stdout == ""
    assert "prototype-2" in drifted.stderr and "retentionMinimumDays" in drifted.stderr


def test_a_blocked_stack_blocks_the_environment(project_copy: Path) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    add_tenant(project_copy, "production-2", "no-baa-clinic")
    tenant = project_copy / "stacks" / "tenants" / "production-2" / "no-baa-clinic.yaml"
    tenant.write_text("\n".join(line for line in tenant.read_text().splitlines()
                                if not line.startswith(("baa:", "  signed:", "  reference:"))) + "\n")
    result = run("shards", "plan", "-e", "production", "--format", "json", cwd=project_copy)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    verdicts = {s["stack"]: s["blocked"] for s in report["stacks"]}
    assert verdicts == {"production": False, "production-2": True} and report["blocked"] is True
    blocked = next(s for s in report["stacks"] if s["stack"] == "production-2")
    assert any(v["tenant"] == "no-baa-clinic" and v["enforcement"] == "mandatory" for v in blocked["violations"])


def test_bad_input_in_any_stack_plans_nothing(project_copy: Path) -> None:
    assert run("stacks", "new", "production-2", "-e", "production", cwd=project_copy).returncode == 0
    broken = add_tenant(project_copy, "production-2", "broken-clinic")
    broken.write_text(broken.read_text().replace("residency: us", "residency: moon"))
    result = run("shards", "plan", "-e", "production", cwd=project_copy)
    assert result.returncode == 2 and result.stdout == ""
    assert "stacks/tenants/production-2/broken-clinic.yaml" in result.stderr
