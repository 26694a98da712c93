"""The program under Pulumi's mocks: the evidence subtree is retained, and is all an offboarded tenant keeps."""

from __future__ import annotations

import json
from pathlib import Path

from components.tags import RETAIN_TAG
from scripts.engine.capture import run_program
from scripts.engine.models import CapturedResource, tenant_owners
from scripts.project import Project, load_stack

# A production stack must name who is paged (hipaachat:oncall); the program refuses one that does not.
ONCALL = {"hipaachat:oncall": '{"email": ["oncall@example.org"]}'}

EVIDENCE = {("aws:kms/key:Key", "key"), ("aws:kms/alias:Alias", "key-alias"),
            ("aws:cloudwatch/logGroup:LogGroup", "audit"), ("aws:s3/bucket:Bucket", "audit-archive"),
            ("aws:iam/role:Role", "auditor"), ("aws:iam/rolePolicy:RolePolicy", "auditor-policy"),
            # The trail's pseudonym key: without it no archived pseudonym can be matched again.
            ("aws:secretsmanager/secret:Secret", "pseudonym-key"),
            ("aws:iam/rolePolicy:RolePolicy", "auditor-trail-policy")}


def _run(root: Path, overrides: dict[str, str] | None = None) -> list[CapturedResource]:
    config = load_stack(Project.find(root), "local")
    return run_program(root, "local", {**config.values, **(overrides or {})}, config.secret_keys)


def test_production_retains_and_protects_the_whole_evidence_subtree(project_root):
    resources = _run(project_root, {"hipaachat:environment": "production", **ONCALL})
    owner = tenant_owners(resources)
    for kind, part in EVIDENCE:
        found = [r for r in resources if r.type == kind and r.name == f"sunrise-clinic-{part}"]
        assert len(found) == 1, (kind, part)
        assert found[0].options.retain_on_delete and found[0].options.protect, (kind, part)
        if "tags" in found[0].inputs:
            assert found[0].inputs["tags"][RETAIN_TAG] == "true"
    operator = next(r for r in resources if r.name == "sunrise-clinic-operator")
    assert not operator.options.retain_on_delete and owner[operator.urn] == "sunrise-clinic"


def test_an_offboarded_tenant_keeps_only_evidence_and_its_key_forgets_the_operator(project_copy):
    path = project_copy / "stacks/tenants/local/lindenhof-praxis.yaml"
    path.write_text(path.read_text() + "lifecycle:\n  state: offboarded\n  offboarded_on: 2026-10-01\n")
    resources = _run(project_copy)
    owner = tenant_owners(resources)
    mine = [r for r in resources if owner.get(r.urn) == "lindenhof-praxis"]
    custom = {(r.type, r.name.removeprefix("lindenhof-praxis-")) for r in mine if r.custom}
    assert EVIDENCE <= custom
    assert not {t for t, _ in custom} & {"pulumi-python:dynamic/hipaachat:CometChatApp",
                                         "aws:lambda/function:Function", "aws:s3/bucketObjectv2:BucketObjectv2"}
    assert {n for t, n in custom if t == "aws:secretsmanager/secret:Secret"} == {"pseudonym-key"}
    assert ("aws:iam/role:Role", "operator") not in custom
    [key] = [r for r in mine if r.type == "aws:kms/key:Key"]
    sids = [s["Sid"] for s in json.loads(key.inputs["policy"])["Statement"]]
    assert "TenantOperatorUse" not in sids and "TenantAuditorRead" in sids
    [tenant] = [r for r in mine if r.type == "hipaachat:index:Tenant"]
    assert tenant.inputs["lifecycle"] == {"state": "offboarded", "offboardedOn": "2026-10-01",
                                          "evidenceUntil": "2036-10-01"}  # 3653 days: DE's 10-year floor
    # The other tenants are untouched.
    assert any(r.type == "pulumi-python:dynamic/hipaachat:CometChatApp" and owner[r.urn] == "sunrise-clinic"
               for r in resources)
