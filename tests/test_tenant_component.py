"""The Tenant component under Pulumi's mocks: every security-relevant property of every resource.

The program runs exactly as `pulumi up` would run it (the real `__main__.py`, real typed
args), and the assertions read what the engine would have received.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from components.catalog import catalog_dir, load_catalog
from components.retention_plan import retention_plan
from components.tags import RETAIN_TAG, TENANT_TAG
from scripts.engine.capture import run_program
from scripts.engine.models import CapturedResource, tenant_owners
from scripts.project import Project, load_stack

# A production stack must name who is paged (hipaachat:oncall); the program refuses one that does not.
ONCALL = {"hipaachat:oncall": '{"email": ["oncall@example.org"]}'}

KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"
TAGGABLE = {KEY, BUCKET, "aws:iam/role:Role", "aws:secretsmanager/secret:Secret",
            "aws:cloudwatch/logGroup:LogGroup", "aws:s3/bucketObjectv2:BucketObjectv2"}


def _run(project_root: Path, stack: str, overrides: dict[str, str] | None = None) -> list[CapturedResource]:
    config = load_stack(Project.find(project_root), stack)
    return run_program(project_root, stack, {**config.values, **(overrides or {})}, config.secret_keys)


@pytest.fixture(scope="module")
def resources() -> list[CapturedResource]:
    return _run(Path(__file__).resolve().parent.parent, "local")


@pytest.fixture(scope="module")
def owner(resources: list[CapturedResource]) -> dict[str, str]:
    return tenant_owners(resources)


def of_type(resources: Iterable[CapturedResource], typ: str, tenant: str | None = None,
            owner: dict[str, str] | None = None) -> list[CapturedResource]:
    return [r for r in resources if r.type == typ and (tenant is None or (owner or {}).get(r.urn) == tenant)]


def key_arn(resources: list[CapturedResource], owner: dict[str, str], tenant: str) -> str:
    [key] = of_type(resources, KEY, tenant, owner)
    return key.outputs["arn"]


def test_every_tenant_gets_the_full_set(resources, owner) -> None:
    tenants = sorted(r.name for r in resources if r.type == "hipaachat:index:Tenant")
    assert tenants == ["lindenhof-praxis", "lotus-health", "sunrise-clinic"]
    for tenant in tenants:
        mine = [r for r in resources if owner.get(r.urn) == tenant]
        kinds = [r.type for r in mine]
        assert kinds.count(KEY) == 1
        # app keys + webhook basic auth + the audit trail's pseudonym key
        assert sorted(r.name for r in mine if r.type == "aws:secretsmanager/secret:Secret") == [
            f"{tenant}-cometchat-credentials", f"{tenant}-pseudonym-key", f"{tenant}-webhook-credentials"]
        assert kinds.count("aws:cloudwatch/queryDefinition:QueryDefinition") == 1
        assert kinds.count(BUCKET) == 2  # template store + audit archive
        assert kinds.count("aws:s3/bucketObjectv2:BucketObjectv2") == 4
        assert kinds.count("aws:cloudwatch/logGroup:LogGroup") == 1
        assert sorted(r.name for r in mine if r.type == "aws:iam/role:Role") == [
            f"{tenant}-auditor", f"{tenant}-ingest-role", f"{tenant}-operator"]
        for kind in ("CometChatApp", "CometChatRoles", "CometChatExtensions", "CometChatWebhook"):
            assert kinds.count(f"pulumi-python:dynamic/hipaachat:{kind}") == 1, kind


def test_everything_descends_from_its_tenant_and_uses_its_regional_provider(resources, owner) -> None:
    providers = {r.urn: r for r in resources if r.type == "pulumi:providers:aws"}
    regions = {"sunrise-clinic": "us-east-2", "lindenhof-praxis": "eu-central-1", "lotus-health": "ap-south-1"}
    for r in resources:
        if r.type in ("pulumi:providers:aws", "hipaachat:index:Tenant"):
            continue
        assert r.urn in owner, f"{r.urn} is not under a Tenant"
        if r.type.startswith("aws:"):
            provider_urn = r.provider.rsplit("::", 1)[0]
            assert owner[provider_urn] == owner[r.urn]
            assert providers[provider_urn].inputs["region"] == regions[owner[r.urn]]


def test_taggable_resources_carry_their_tenant_tag(resources, owner) -> None:
    tagged = [r for r in resources if r.type in TAGGABLE]
    assert len(tagged) == 3 * 14
    for r in tagged:
        assert r.inputs["tags"][TENANT_TAG] == owner[r.urn]


def test_kms_key_rotates_has_a_long_deletion_window_and_no_wildcard_principal(resources, owner) -> None:
    for key in of_type(resources, KEY):
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30
        statements = json.loads(key.inputs["policy"])["Statement"]
        for statement in statements:
            assert statement["Effect"] == "Allow"
            assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*"
        tenant = owner[key.urn]
        role_principals = {s["Principal"]["AWS"] for s in statements if s["Sid"].startswith("Tenant") and "AWS" in s["Principal"]}
        roles = {r.outputs["arn"] for r in of_type(resources, "aws:iam/role:Role", tenant, owner)
                 if not r.name.endswith("-ingest-role")}
        assert role_principals == roles  # only this tenant's operator and auditor, nobody else's


def test_buckets_are_encrypted_with_their_own_tenants_key(resources, owner) -> None:
    sse = of_type(resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert len(sse) == 6
    for config in sse:
        rule = config.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert rule["sseAlgorithm"] == "aws:kms"
        assert rule["kmsMasterKeyId"] == key_arn(resources, owner, owner[config.urn])
    for obj in of_type(resources, "aws:s3/bucketObjectv2:BucketObjectv2"):
        assert obj.inputs["serverSideEncryption"] == "aws:kms"
        assert obj.inputs["kmsKeyId"] == key_arn(resources, owner, owner[obj.urn])


def test_log_groups_and_secrets_use_their_own_tenants_key(resources, owner) -> None:
    for typ in ("aws:cloudwatch/logGroup:LogGroup", "aws:secretsmanager/secret:Secret"):
        for r in of_type(resources, typ):
            assert r.inputs["kmsKeyId"] == key_arn(resources, owner, owner[r.urn])


def test_buckets_block_public_access_version_and_refuse_plain_http(resources) -> None:
    buckets = {r.outputs["bucket"] for r in of_type(resources, BUCKET)}
    for block in of_type(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        assert all(block.inputs[k] is True for k in
                   ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    versioned = {r.inputs["bucket"] for r in of_type(resources, "aws:s3/bucketVersioning:BucketVersioning")
                 if r.inputs["versioningConfiguration"]["status"] == "Enabled"}
    tls_only = set()
    for policy in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy"):
        [statement] = json.loads(policy.inputs["policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        tls_only.add(policy.inputs["bucket"])
    assert versioned == tls_only == buckets


def test_audit_sinks_keep_six_years_under_compliance_lock_and_outlive_the_tenant(resources, owner,
                                                                              project_root) -> None:
    retention = {"sunrise-clinic": 2192, "lindenhof-praxis": 2557, "lotus-health": 2192}
    # The archive's default lock covers the tenant's longest floor (e.g. ten years of German medical records).
    settings = load_stack(Project.find(project_root), "local").settings
    lock_days = {e.tenant.id: retention_plan(e.tenant, settings).bucket_default_days
                 for e in load_catalog(catalog_dir(project_root, "local"))}
    assert lock_days["lindenhof-praxis"] == 3653 and all(lock_days[t] >= retention[t] for t in retention)
    for group in of_type(resources, "aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["retentionInDays"] == retention[owner[group.urn]]
        assert group.options.retain_on_delete and group.inputs["skipDestroy"] is True
        assert group.inputs["tags"][RETAIN_TAG] == "true"
    locks = of_type(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert len(locks) == 3
    for lock in locks:
        assert lock.inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": lock_days[owner[lock.urn]]}
        assert lock.options.retain_on_delete
    archives = [b for b in of_type(resources, BUCKET) if b.name.endswith("-audit-archive")]
    assert len(archives) == 3
    for archive in archives:
        assert archive.inputs["objectLockEnabled"] is True
        assert archive.options.retain_on_delete and archive.inputs["tags"][RETAIN_TAG] == "true"
    templates = [b for b in of_type(resources, BUCKET) if b.name.endswith("-templates")]
    assert not any(b.options.retain_on_delete for b in templates)  # only evidence is retained


def test_roles_trust_only_this_tenants_principals_and_grant_only_its_resources(resources, owner) -> None:
    for role in of_type(resources, "aws:iam/role:Role"):
        if role.name.endswith("-ingest-role"):
            continue  # trusted by Lambda only (tests/ingest)
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        assert statement["Condition"]["StringEquals"] == {f"aws:PrincipalTag/{TENANT_TAG}": owner[role.urn]}
    arns_by_tenant: dict[str, set[str]] = {}
    for r in resources:
        if r.urn in owner and "arn" in r.outputs:
            arns_by_tenant.setdefault(owner[r.urn], set()).add(r.outputs["arn"])
    for policy in of_type(resources, "aws:iam/rolePolicy:RolePolicy"):
        if "-ingest-" in policy.name:
            continue  # the ingest role's policy has its own tests (tests/ingest)
        tenant = owner[policy.urn]
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for target in targets:
                assert "*" not in target.replace("/*", "").replace(":*", "")
                base = target.removesuffix("/*").removesuffix(":*")
                assert base in arns_by_tenant[tenant], f"{policy.name} grants {target} outside {tenant}"


def test_production_protects_the_audit_evidence(project_root: Path) -> None:
    resources = _run(project_root, "local", {"hipaachat:environment": "production", **ONCALL})
    sinks = [r for r in resources if r.type in ("aws:cloudwatch/logGroup:LogGroup",
                                                 "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
             or r.name.endswith("-audit-archive") and r.type == BUCKET]
    assert len(sinks) == 9 and all(r.options.protect for r in sinks)


def test_stack_region_override_moves_a_residency(project_root: Path) -> None:
    resources = _run(project_root, "local", {
        "hipaachat:regions": json.dumps({"eu": {"cometchatRegion": "eu", "awsRegion": "eu-west-1"}})})
    regions = {r.name: r.inputs["region"] for r in resources if r.type == "pulumi:providers:aws"}
    assert regions == {"lindenhof-praxis-aws": "eu-west-1", "lotus-health-aws": "ap-south-1",
                       "sunrise-clinic-aws": "us-east-2"}


SECRET_SIG = "4dabf18193072939515e22adb298388d"


def is_secret(value) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"


def test_cometchat_app_is_in_the_residency_region_and_its_keys_are_only_secrets(resources, owner) -> None:
    regions = {"sunrise-clinic": "us", "lindenhof-praxis": "eu", "lotus-health": "in"}
    apps = of_type(resources, "pulumi-python:dynamic/hipaachat:CometChatApp")
    assert len(apps) == 3
    for app in apps:
        assert app.inputs["region"] == regions[owner[app.urn]]
        assert set(app.options.additional_secret_outputs) >= {"fullAccessKey", "authOnlyKey"}
        assert is_secret(app.inputs["managementKey"]) and is_secret(app.inputs["managementSecret"])
        assert not app.options.protect  # prototype: replacement allowed
    for version in of_type(resources, "aws:secretsmanager/secretVersion:SecretVersion"):
        assert is_secret(version.inputs["secretString"])
    for hook in of_type(resources, "pulumi-python:dynamic/hipaachat:CometChatWebhook"):
        assert is_secret(hook.inputs["password"])
        assert hook.inputs["webhookUrl"].endswith("/webhook")
    for ext in of_type(resources, "pulumi-python:dynamic/hipaachat:CometChatExtensions"):
        assert ext.inputs["features"] == {"ai": False}


def test_production_refuses_to_replace_a_cometchat_app(project_root: Path) -> None:
    resources = _run(project_root, "local", {"hipaachat:environment": "production", **ONCALL})
    apps = [r for r in resources if r.type == "pulumi-python:dynamic/hipaachat:CometChatApp"]
    assert len(apps) == 3 and all(app.options.protect for app in apps)
