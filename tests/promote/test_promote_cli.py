"""`hipaachat promote` as CI runs it: real processes, real git, real plans of both stacks."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from scripts.promote import records
from tests.promote.conftest import commit_all, git

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
PROMOTE = ("promote", "--from", "prototype", "--to", "production")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTOR"} | (env or {})
    return subprocess.run([HIPAACHAT, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=environ)


def new_prototype_tenant(root: Path, tenant: str, *, baa: bool = True) -> Path:
    source = root / "stacks" / "tenants" / "prototype" / "sunrise-clinic.yaml"
    text = source.read_text().replace("sunrise-clinic", tenant).replace("Sunrise Family Clinic", f"Clinic {tenant}")
    if not baa:
        text = text.replace("baa:\n  signed: 2026-10-01\n  reference: BAA-2026-041\n", "")
        assert "baa:" not in text
    path = source.parent / f"{tenant}.yaml"
    path.write_text(text)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the destination catalog and the records directory, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes()
            for d in ("stacks/tenants/production", "stacks/promotions") for p in (root / d).rglob("*") if p.is_file()}


def test_a_committed_prototype_tenant_is_promoted_with_a_record_naming_commit_and_sha256(git_project: Path) -> None:
    source = new_prototype_tenant(git_project, "harbor-clinic")
    commit = commit_all(git_project, "onboard harbor-clinic in prototype")
    before = records.read_chain(records.records_path(git_project, "production"))
    result = run(*PROMOTE, "--tenant", "harbor-clinic", "--format", "json", cwd=git_project)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "promoted"
    target = git_project / "stacks" / "tenants" / "production" / "harbor-clinic.yaml"
    assert target.read_bytes() == source.read_bytes()
    chain = records.read_chain(records.records_path(git_project, "production"))
    assert chain.problems == [] and len(chain.records) == len(before.records) + 1
    record = chain.records[-1][1]
    assert record.commit == commit and record.previous == before.head
    assert [(t.id, t.sha256) for t in record.tenants] == [("harbor-clinic", hashlib.sha256(source.read_bytes()).hexdigest())]
    assert record.actor == "operator@example.org" and record.from_ == "prototype" and record.to == "production"
    assert {g.name: g.passed for g in record.gates} == {"committed": True, "templates-phi-free": True,
                                                        "source-plan": True, "destination-plan": True, "waivers": True}
    assert outcome["record"] == json.loads(chain.records[-1][1].model_dump_json(by_alias=True))
    # The promoted repository passes the check; promoting again is a no-op that says so.
    assert run(*PROMOTE[:1], "--check", *PROMOTE[1:], cwd=git_project).returncode == 0
    unchanged = snapshot(git_project)
    again = run(*PROMOTE, "--tenant", "harbor-clinic", cwd=git_project)
    assert again.returncode == 0 and "already identical" in again.stdout
    assert snapshot(git_project) == unchanged


def test_a_tenant_without_a_baa_is_refused_and_nothing_is_written(git_project: Path) -> None:
    new_prototype_tenant(git_project, "nobaa-clinic", baa=False)
    commit_all(git_project, "onboard nobaa-clinic in prototype (no BAA yet)")
    before = snapshot(git_project)
    result = run(*PROMOTE, "--tenant", "nobaa-clinic", "--format", "json", cwd=git_project)
    assert result.returncode == 1, result.stderr
    gates = {g["name"]: g for g in json.loads(result.stdout)["gates"]}
    assert gates["source-plan"]["passed"] is True  # advisory in prototype
    assert gates["destination-plan"]["passed"] is False
    assert "production-baa-attested (nobaa-clinic)" in gates["destination-plan"]["detail"]
    assert "baa: {signed: YYYY-MM-DD" in gates["destination-plan"]["fix"]
    assert snapshot(git_project) == before
    assert not list((git_project / "stacks").rglob("*.partial"))


def test_an_uncommitted_tenant_is_refused_unless_allow_dirty(git_project: Path) -> None:
    new_prototype_tenant(git_project, "draft-clinic")  # written, never committed
    before = snapshot(git_project)
    refused = run(*PROMOTE, "--tenant", "draft-clinic", "--format", "json", cwd=git_project)
    assert refused.returncode == 1
    gates = {g["name"]: g for g in json.loads(refused.stdout)["gates"]}
    assert gates["committed"]["passed"] is False and "untracked" in gates["committed"]["detail"]
    assert snapshot(git_project) == before
    dry = run(*PROMOTE, "--tenant", "draft-clinic", "--allow-dirty", "--dry-run", cwd=git_project)
    assert dry.returncode == 0 and "would promote" in dry.stdout
    assert snapshot(git_project) == before


def test_two_racing_promotions_both_land_in_one_chain(git_project: Path) -> None:
    for tenant in ("north-clinic", "south-clinic"):
        new_prototype_tenant(git_project, tenant)
    commit_all(git_project, "onboard two clinics")
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTOR"} | {"GITHUB_ACTOR": "ci-bot"}
    racers = [subprocess.Popen([HIPAACHAT, *PROMOTE, "--tenant", t], cwd=git_project, env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for t in ("north-clinic", "south-clinic")]
    for racer in racers:
        _, err = racer.communicate(timeout=600)
        assert racer.returncode == 0, err
    chain = records.read_chain(records.records_path(git_project, "production"))
    assert chain.problems == []
    assert {t.id for _, r in chain.records for t in r.tenants} >= {"north-clinic", "south-clinic"}
    assert {r.actor for _, r in chain.records[-2:]} == {"ci-bot"}


def test_check_passes_on_the_shipped_repository(project_root: Path) -> None:
    result = run(*PROMOTE[:1], "--check", *PROMOTE[1:], "--format", "json", cwd=project_root)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["tenant_files"] >= 1 and report["records"] >= 1


def test_check_fails_after_a_hand_edit_of_a_production_tenant(project_copy: Path) -> None:
    target = project_copy / "stacks" / "tenants" / "production" / "sunrise-clinic.yaml"
    target.write_text(target.read_text().replace("features:\n  ai: false", "features:\n  ai: true"))
    result = run(*PROMOTE[:1], "--check", *PROMOTE[1:], "--format", "json", cwd=project_copy)
    assert result.returncode == 1
    messages = [p["message"] for p in json.loads(result.stdout)["problems"]]
    assert len(messages) == 1 and "(edited without a promotion)" in messages[0]
    assert "stacks/promotions/production.jsonl line 2" in messages[0]


def test_check_fails_after_a_hand_edit_of_a_record_line(project_copy: Path) -> None:
    path = records.records_path(project_copy, "production")
    path.write_bytes(path.read_bytes().replace(b'"actor":"', b'"actor":"someone-else ', 1))
    result = run(*PROMOTE[:1], "--check", *PROMOTE[1:], cwd=project_copy)
    assert result.returncode == 1
    assert "line 1: its id does not match its contents" in result.stdout


def test_check_fails_on_a_production_tenant_that_was_never_promoted(project_copy: Path) -> None:
    catalog = project_copy / "stacks" / "tenants"
    for stack in ("prototype", "production"):
        shutil.copy(catalog / stack / "sunrise-clinic.yaml", catalog / stack / "copied-clinic.yaml")
    result = run(*PROMOTE[:1], "--check", *PROMOTE[1:], "--format", "json", cwd=project_copy)
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["tenant"], p["message"]) for p in problems] == [
        ("copied-clinic", "no promotion record in stacks/promotions/production.jsonl names it: it did not arrive by "
                          "promotion or move")]


def test_check_fails_on_a_production_tenant_file_named_yml_that_was_never_promoted(project_copy: Path) -> None:
    # The catalog loader deploys <id>.yml as well as <id>.yaml, so the check must see it too.
    production = project_copy / "stacks" / "tenants" / "production"
    text = (production / "sunrise-clinic.yaml").read_text().replace("sunrise-clinic", "rogue")
    (production / "rogue.yml").write_text(text)
    result = run(*PROMOTE[:1], "--check", *PROMOTE[1:], "--format", "json", cwd=project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert {(p["file"], p["tenant"]) for p in problems} == {("stacks/tenants/production/rogue.yml", "rogue")}
    assert any(p["message"].startswith("no promotion record in stacks/promotions/production.jsonl names it")
               for p in problems)


def test_check_refuses_a_production_tenant_file_that_links_outside_the_project(project_copy: Path,
                                                                               tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((project_copy / "stacks" / "tenants" / "prototype" / "sunrise-clinic.yaml").read_bytes())
    (project_copy / "stacks" / "tenants" / "production" / "linked-clinic.yaml").symlink_to(outside)
    result = run(*PROMOTE[:1], "--check", *PROMOTE[1:], cwd=project_copy)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "linked-clinic.yaml" in result.stderr and "outside the project" in result.stderr


def test_bad_input_exits_2_and_names_the_fix(git_project: Path) -> None:
    same = run("promote", "--from", "prototype", "--to", "prototype", "--tenant", "sunrise-clinic", cwd=git_project)
    assert same.returncode == 2 and "--from and --to are both 'prototype'" in same.stderr
    unknown = run(*PROMOTE, "--tenant", "nowhere-clinic", cwd=git_project)
    assert unknown.returncode == 2
    assert "stacks/tenants/prototype/nowhere-clinic.yaml: no such tenant file" in unknown.stderr
    assert "known tenants: sunrise-clinic" in unknown.stderr
    stack = run("promote", "--from", "prototype", "--to", "staging", "--tenant", "sunrise-clinic", cwd=git_project)
    assert stack.returncode == 2 and "stacks/Pulumi.staging.yaml: no such stack file" in stack.stderr
    broken = git_project / "stacks" / "tenants" / "prototype" / "broken-clinic.yaml"
    broken.write_text("id: broken-clinic\nresidency: moon\n")
    malformed = run(*PROMOTE, "--tenant", "broken-clinic", "--allow-dirty", cwd=git_project)
    assert malformed.returncode == 2 and "broken-clinic.yaml" in malformed.stderr
    assert not (git_project / "stacks" / "tenants" / "production" / "broken-clinic.yaml").exists()


def test_an_edit_made_in_prototype_reaches_production_only_by_promotion(git_project: Path, tmp_path: Path) -> None:
    source = git_project / "stacks" / "tenants" / "prototype" / "sunrise-clinic.yaml"
    source.write_text(source.read_text().replace("Sunrise Family Clinic (synthetic)", "Sunrise Family Health (synthetic)"))
    commit = commit_all(git_project, "rename sunrise-clinic in prototype")
    # Prototype ahead of production is the pipeline's normal state: pending, listed, not a failure.
    check = run(*PROMOTE[:1], "--check", *PROMOTE[1:], "--format", "json", cwd=git_project)
    assert check.returncode == 0, check.stdout + check.stderr
    assert [(p["tenant"], p["state"], p["destination"]) for p in json.loads(check.stdout)["pending"]] == [
        ("sunrise-clinic", "changed", "production")]
    plan = tmp_path / "production-plan.json"
    result = run(*PROMOTE, "--tenant", "sunrise-clinic", "--actor", "release-manager", "--plan-out", str(plan),
                 "--format", "json", cwd=git_project)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)["record"]
    assert record["commit"] == commit and record["actor"] == "release-manager"
    assert hashlib.sha256(plan.read_bytes()).hexdigest() == record["plan_sha256"]
    assert json.loads(plan.read_bytes())["stack"] == "production"
    production = git_project / "stacks" / "tenants" / "production" / "sunrise-clinic.yaml"
    assert production.read_bytes() == source.read_bytes()
    chain = records.read_chain(records.records_path(git_project, "production"))
    assert chain.problems == [] and [r.id for _, r in chain.records][-1] == record["id"]
    assert chain.records[-1][1].previous == chain.records[-2][1].id
    assert run(*PROMOTE[:1], "--check", *PROMOTE[1:], cwd=git_project).returncode == 0
    changed = [line.split()[-1] for line in git(git_project, "status", "--porcelain").splitlines()]
    assert changed == ["stacks/promotions/production.jsonl", "stacks/tenants/production/sunrise-clinic.yaml"]
