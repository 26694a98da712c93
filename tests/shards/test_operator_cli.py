"""`hipaachat shards operator`: Stacks valid against the Operator's CRD, and gated by the pack.

The gate is the pinned commit. These tests fail if a generated Stack could deploy anything
`shards plan` did not pass: a branch, another commit, inline config, literal secrets.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from scripts.shards.operator import check_gate
from tests.shards.conftest import add_tenant, commit_all, git, run

CRD_SCHEMA = json.loads((Path(__file__).parent / "data" / "stack-crd-v1.schema.json").read_text())
FIELDS_THAT_CHANGE_WHAT_IS_DEPLOYED = ("branch", "fluxSource", "programRef", "config", "configRef", "secrets",
                                       "secretsRef", "environment", "envs", "envSecrets", "targets")


def _documents(directory: Path) -> dict[str, list[dict]]:
    return {p.name: [d for d in yaml.safe_load_all(p.read_text()) if d] for p in sorted(directory.glob("*.yaml"))}


@pytest.fixture
def fleet(git_project: Path) -> tuple[Path, str]:
    assert run("stacks", "new", "prototype-eu", "-e", "prototype", "--residency", "eu", cwd=git_project).returncode == 0
    assert run("stacks", "new", "prototype-empty", "-e", "prototype", cwd=git_project).returncode == 0
    add_tenant(git_project, "prototype-eu", "linden-praxis", residency="eu")
    return git_project, commit_all(git_project, "prototype fleet")


def test_one_valid_stack_per_stack_pinned_to_the_checked_commit(fleet: tuple[Path, str], tmp_path: Path) -> None:
    project, head = fleet
    out = tmp_path / "operator"
    result = run("shards", "operator", "-e", "prototype", "--org", "acme", "--out", str(out),
                 "--aws-credentials-secret", "hipaachat-aws", cwd=project)
    assert result.returncode == 0, result.stderr
    documents = _documents(out)
    stacks = [d for docs in documents.values() for d in docs if d["kind"] == "Stack"]
    assert sorted(d["spec"]["stack"] for d in stacks) == ["acme/prototype", "acme/prototype-eu"]  # empty: none
    validator = jsonschema.Draft7Validator(CRD_SCHEMA)
    for stack in stacks:
        errors = sorted(validator.iter_errors(stack), key=str)
        assert not errors, [e.message for e in errors]
        assert len(stack["metadata"]["name"]) <= 42  # the CRD's CEL rule
        spec = stack["spec"]
        # The gate: exactly the commit that was planned, and nothing that could change what it deploys.
        assert spec["commit"] == head == git(project, "rev-parse", "HEAD")
        assert not set(FIELDS_THAT_CHANGE_WHAT_IS_DEPLOYED) & set(spec)
        assert spec["destroyOnFinalize"] is False and spec["refresh"] is True
        assert spec["projectRepo"] == "https://git.example.org/acme/hipaachat.git"
        assert spec["envRefs"] and all(ref["type"] == "Secret" and "literal" not in ref for ref in spec["envRefs"].values())
        assert stack["metadata"]["annotations"]["hipaachat.io/checked-commit"] == head
    rbac = {d["kind"]: d for d in documents["rbac.yaml"]}
    assert {s["spec"]["serviceAccountName"] for s in stacks} == {rbac["ServiceAccount"]["metadata"]["name"]}
    assert rbac["ClusterRoleBinding"]["roleRef"]["name"] == "system:auth-delegator"
    assert rbac["ClusterRoleBinding"]["subjects"][0]["name"] == rbac["ServiceAccount"]["metadata"]["name"]
    assert sorted(documents["kustomization.yaml"][0]["resources"]) == sorted(set(documents) - {"kustomization.yaml"})


def test_a_commit_the_pack_blocks_gets_no_stack(fleet: tuple[Path, str], tmp_path: Path) -> None:
    project, _ = fleet
    tenant = project / "stacks" / "tenants" / "prototype-eu" / "linden-praxis.yaml"
    tenant.write_text(tenant.read_text().replace(
        'sms: "New message in your care portal: {{deep_link}}"',
        'sms: "Hi {{patient_name}}, your biopsy results are ready"'))
    commit_all(project, "PHI in an SMS template")
    out = tmp_path / "operator"
    result = run("shards", "operator", "-e", "prototype", "--org", "acme", "--out", str(out), cwd=project)
    assert result.returncode == 1
    assert "prototype-eu would be blocked by the policy pack" in result.stderr
    assert not out.exists()


def test_an_uncommitted_change_gets_no_stack(fleet: tuple[Path, str], tmp_path: Path) -> None:
    project, head = fleet
    add_tenant(project, "prototype-eu", "fjord-klinik", residency="eu")  # planned here, but not in the commit
    out = tmp_path / "operator"
    result = run("shards", "operator", "-e", "prototype", "--org", "acme", "--out", str(out), cwd=project)
    assert result.returncode == 1 and "commit or stash" in result.stderr
    assert not out.exists()
    other = run("shards", "operator", "-e", "prototype", "--org", "acme", "--out", str(out),
                "--commit", f"{head}~1", cwd=project)
    assert other.returncode == 2 and "not the checked-out commit" in other.stderr


TAMPERING = [
    (lambda spec: spec.update(branch="main"), "spec.branch"),
    (lambda spec: spec.update(commit="0" * 40), "spec.commit must be the checked commit"),
    (lambda spec: spec.update(config={"hipaachat:environment": "prototype"}), "spec.config"),
    (lambda spec: spec["envRefs"].update(AWS_SECRET_ACCESS_KEY={"type": "Literal", "literal": {"value": "x"}}),
     "never literal values"),
    (lambda spec: spec.update(destroyOnFinalize=True), "destroyOnFinalize"),
]


def test_the_gate_rules_refuse_a_tampered_stack(fleet: tuple[Path, str], tmp_path: Path) -> None:
    project, head = fleet
    out = tmp_path / "operator"
    assert run("shards", "operator", "-e", "prototype", "--org", "acme", "--out", str(out), cwd=project).returncode == 0
    generated = yaml.safe_load((out / "stack-prototype.yaml").read_text())
    assert check_gate(generated, head) == []
    for tamper, expected in TAMPERING:
        stack = copy.deepcopy(generated)
        tamper(stack["spec"])
        assert any(expected in problem for problem in check_gate(stack, head)), expected
