"""`hipaachat stacks`: one source of settings per environment, drift refused everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.shards.conftest import add_tenant, run


def test_new_stack_carries_the_environment_settings_and_checks_clean(project_copy: Path) -> None:
    made = run("stacks", "new", "production-eu", "--environment", "production", "--residency", "eu", cwd=project_copy)
    assert made.returncode == 0, made.stderr
    config = yaml.safe_load((project_copy / "stacks" / "Pulumi.production-eu.yaml").read_text())["config"]
    shared = yaml.safe_load((project_copy / "stacks" / "environments" / "production.yaml").read_text())["config"]
    assert {k: config[k] for k in shared} == shared  # what `pulumi up -s production-eu` and the pack will read
    assert config["hipaachat:residencies"] == ["eu"]
    assert (project_copy / "stacks" / "tenants" / "production-eu").is_dir()
    checked = run("stacks", "check", "--format", "json", cwd=project_copy)
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["drifted"] is False
    assert "production-eu" in next(e for e in report["environments"] if e["environment"] == "production")["stacks"]


def test_new_refuses_names_outside_the_environment_and_existing_stacks(project_copy: Path) -> None:
    wrong = run("stacks", "new", "prod-eu", "--environment", "production", cwd=project_copy)
    assert wrong.returncode == 2 and "production-SUFFIX" in wrong.stderr
    again = run("stacks", "new", "production", "--environment", "production", cwd=project_copy)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert not (project_copy / "stacks" / "Pulumi.prod-eu.yaml").exists()


def test_drift_fails_check_naming_stack_and_key_and_plan_refuses_then_sync_fixes(project_copy: Path) -> None:
    assert run("stacks", "new", "prototype-2", "--environment", "prototype", cwd=project_copy).returncode == 0
    add_tenant(project_copy, "prototype-2", "harbor-clinic")
    stack_file = project_copy / "stacks" / "Pulumi.prototype-2.yaml"
    stack_file.write_text(stack_file.read_text().replace("retentionMinimumDays: 2192", "retentionMinimumDays: 30"))
    checked = run("stacks", "check", cwd=project_copy)
    assert checked.returncode == 1
    assert "stack prototype-2: hipaachat:retentionMinimumDays: differs from stacks/environments/prototype.yaml" \
        in checked.stderr
    planned = run("plan", "--stack", "prototype-2", cwd=project_copy)
    assert planned.returncode == 2 and planned.stdout == ""
    assert "hipaachat:retentionMinimumDays" in planned.stderr and "hipaachat stacks sync" in planned.stderr
    synced = run("stacks", "sync", "--environment", "prototype", cwd=project_copy)
    assert synced.returncode == 0 and "synced stacks/Pulumi.prototype-2.yaml" in synced.stdout
    assert run("stacks", "check", cwd=project_copy).returncode == 0


def test_an_environment_change_is_drift_until_synced_and_keeps_stack_secrets(project_copy: Path) -> None:
    assert run("stacks", "new", "production-in", "--environment", "production", "--residency", "in",
               cwd=project_copy).returncode == 0
    stack_file = project_copy / "stacks" / "Pulumi.production-in.yaml"
    # What `pulumi config set --secret` writes: a per-stack ciphertext that must survive a sync.
    stack_file.write_text(stack_file.read_text() + "  hipaachat:cometchatManagementKey:\n    secure: v1:c3ludGhldGlj\n")
    shared = project_copy / "stacks" / "environments" / "production.yaml"
    shared.write_text(shared.read_text().replace("hipaachat:retentionMinimumDays: 2192",
                                                 "hipaachat:retentionMinimumDays: 2557"))
    checked = run("stacks", "check", "--environment", "production", cwd=project_copy)
    assert checked.returncode == 1
    assert "stack production: hipaachat:retentionMinimumDays" in checked.stderr
    assert "stack production-in: hipaachat:retentionMinimumDays" in checked.stderr
    assert run("stacks", "sync", cwd=project_copy).returncode == 0
    config = yaml.safe_load(stack_file.read_text())["config"]
    assert config["hipaachat:retentionMinimumDays"] == 2557
    assert config["hipaachat:cometchatManagementKey"] == {"secure": "v1:c3ludGhldGlj"}
    assert config["hipaachat:residencies"] == ["in"]
    assert run("stacks", "check", cwd=project_copy).returncode == 0


def test_a_stack_only_setting_is_drift_and_sync_refuses_to_drop_it(project_copy: Path) -> None:
    stack_file = project_copy / "stacks" / "Pulumi.production.yaml"
    stack_file.write_text(stack_file.read_text() + "  hipaachat:namePrefix: acme\n")
    checked = run("stacks", "check", cwd=project_copy)
    assert checked.returncode == 1 and "stack production: hipaachat:namePrefix: set only in this stack" in checked.stderr
    synced = run("stacks", "sync", cwd=project_copy)
    assert synced.returncode == 2 and "hipaachat:namePrefix" in synced.stderr
    assert "hipaachat:namePrefix: acme" in stack_file.read_text()


def test_environment_file_may_not_share_secrets(project_copy: Path) -> None:
    shared = project_copy / "stacks" / "environments" / "prototype.yaml"
    shared.write_text(shared.read_text() + "  hipaachat:cometchatManagementKey: oops\n")
    checked = run("stacks", "check", cwd=project_copy)
    assert checked.returncode == 2
    assert "stacks/environments/prototype.yaml: config.hipaachat:cometchatManagementKey" in checked.stderr


def test_fleet_rules_a_tenant_in_two_shards_and_outside_its_residency(project_copy: Path) -> None:
    assert run("stacks", "new", "production-eu", "--environment", "production", "--residency", "eu",
               cwd=project_copy).returncode == 0
    add_tenant(project_copy, "production-eu", "sunrise-clinic", residency="eu")
    add_tenant(project_copy, "production-eu", "harbor-clinic", residency="us")
    checked = run("stacks", "check", cwd=project_copy)
    assert checked.returncode == 1
    assert "tenant sunrise-clinic: also in production" in checked.stderr
    assert "tenant harbor-clinic has residency us" in checked.stderr


def test_plan_refuses_a_tenant_outside_its_residency_shard(project_copy: Path) -> None:
    assert run("stacks", "new", "production-eu", "--environment", "production", "--residency", "eu",
               cwd=project_copy).returncode == 0
    add_tenant(project_copy, "production-eu", "harbor-clinic", residency="us")
    planned = run("plan", "--stack", "production-eu", cwd=project_copy)
    assert planned.returncode == 2 and planned.stdout == ""
    assert "stacks/tenants/production-eu/harbor-clinic.yaml: residency: us" in planned.stderr


def test_check_computes_each_members_drift_once(project_copy: Path, monkeypatch) -> None:
    """`stacks check` reports every member's drift, then builds the clean ones without computing it again."""
    from scripts.project import Project, environments
    from scripts.stacks.fleet import check_environment

    assert run("stacks", "new", "production-eu", "--environment", "production", cwd=project_copy).returncode == 0
    computed: list[str] = []
    real = environments.stack_drift

    def counting(project, stack, config):
        computed.append(stack)
        return real(project, stack, config)

    monkeypatch.setattr(environments, "stack_drift", counting)
    monkeypatch.setattr("scripts.project.stack.stack_drift", counting)
    monkeypatch.setattr("scripts.stacks.fleet.stack_drift", counting)
    project = Project.find(project_copy)
    assert check_environment(project, "production") == []
    assert sorted(computed) == ["production", "production-eu"]
