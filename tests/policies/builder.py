"""Build stacks of `CapturedResource`s shaped like the program's contracts, for policy tests.

`StackBuilder().tenant("alpha")` adds one compliant tenant exactly as `components/tenant.py`
registers it under Pulumi's mocks (types, names, parents, providers, dependencies, inputs and
mock outputs), plus the CometChat app and extensions the CometChat part will add. Tests then
mutate a resource (`stack.get("alpha-key").inputs[...] = ...`) to make one thing wrong and send
the stack to the real policy pack. Policy documents come from `components.policy_documents`,
the same functions the program uses. Every value is synthetic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from components import policy_documents
from components.settings import DEFAULT_REGIONS
from components.tags import CHANNEL_TAG, RETAIN_TAG, tenant_tags
from scripts.engine.models import CapturedOptions, CapturedResource

ACCOUNT = "123456789012"
PROJECT = "hipaachat"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
POINTER_TEMPLATES = {
    "push": "You have a new message from your care team.",
    "in_app": "New message",
    "email": "You have a new message in your care portal. Log in to view it.",
    "sms": "New message in your care portal: {{deep_link}}",
}
GOOD_BAA = {"signed": "2026-01-15", "reference": "BAA-2026-001"}


def secret(value: Any) -> dict[str, Any]:
    """A value wrapped the way the engine sends secrets."""
    return {**SECRET_SIG, "value": value}


class StackBuilder:
    def __init__(self, stack: str = "test") -> None:
        self.stack = stack
        self.root = f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
        self._resources: dict[str, CapturedResource] = {}

    # ---- access --------------------------------------------------------------------------------
    def resources(self) -> list[CapturedResource]:
        return list(self._resources.values())

    def get(self, name: str) -> CapturedResource:
        return self._resources[name]

    def __iter__(self) -> Iterator[CapturedResource]:
        return iter(self._resources.values())

    def remove(self, name: str) -> None:
        del self._resources[name]

    # ---- primitives ----------------------------------------------------------------------------
    def add(self, type_: str, name: str, *, parent: str | None, inputs: dict[str, Any] | None = None,
            outputs: dict[str, Any] | None = None, provider: str | None = None, custom: bool = True,
            deps: dict[str, list[str]] | None = None, protect: bool = False, retain: bool = False,
            id: str | None = None) -> CapturedResource:
        """Register one resource; `parent`/`provider`/`deps` name other resources by their logical name.

        `id` is the provider's physical id (default `<name>-id`; components have none), which a
        preview does not know for a resource that is not created yet.
        """
        parent_urn = self._resources[parent].urn if parent else self.root
        # The engine qualifies a type with its parent's full qualified type, never with the root stack's.
        qualified = f"{self._resources[parent].urn.split('::')[2]}${type_}" if parent else type_
        property_dependencies = {k: [self._resources[d].urn for d in v] for k, v in (deps or {}).items()}
        inputs = dict(inputs or {})
        resource = CapturedResource(
            urn=f"urn:pulumi:{self.stack}::{PROJECT}::{qualified}::{name}", type=type_, name=name,
            custom=custom, id=(id if id is not None else f"{name}-id") if custom else "",
            inputs=inputs, outputs={**inputs, **(outputs or {})}, parent=parent_urn,
            provider=f"{self._resources[provider].urn}::{provider}-id" if provider else None,
            dependencies=sorted({u for urns in property_dependencies.values() for u in urns}),
            property_dependencies={k: property_dependencies.get(k, []) for k in inputs} | property_dependencies,
            options=CapturedOptions(protect=protect, retain_on_delete=retain))
        self._resources[name] = resource
        return resource

    def arn(self, name: str) -> str:
        return self._resources[name].outputs["arn"]

    # ---- a compliant tenant --------------------------------------------------------------------
    def tenant(self, tid: str, *, residency: str = "us", environment: str = "prototype",
               baa: dict[str, str] | None = GOOD_BAA, ai: bool = False, retention_days: int = 2192,
               production: bool = False, notifications: dict[str, str] | None = None) -> "StackBuilder":
        region = DEFAULT_REGIONS[residency]
        aws, cc = region.aws_region, region.cometchat_region
        keep = production  # production registers audit sinks and the CometChat app with protect=True
        self.add("hipaachat:index:Tenant", tid, parent=None, custom=False, inputs={
            "tenantId": tid, "displayName": f"Synthetic Tenant {tid}", "residency": residency,
            "environment": environment, "awsRegion": aws, "cometchatRegion": cc, "retentionDays": retention_days,
            "baa": baa, "features": {"ai": ai}, "notifications": notifications or dict(POINTER_TEMPLATES)})
        self.add("pulumi:providers:aws", f"{tid}-aws", parent=tid, inputs={
            "region": aws, "accessKey": secret("synthetic-access-key"), "secretKey": secret("synthetic-secret-key")})
        for part, kind in (("access", "Access"), ("keys", "Keys"), ("credentials", "Credentials"),
                           ("template-store", "TemplateStore"), ("audit-sinks", "AuditSinks"),
                           ("cometchat", "CometChat")):
            self.add(f"hipaachat:tenant:{kind}", f"{tid}-{part}", parent=tid, custom=False)
        prov = f"{tid}-aws"

        def tags(part: str) -> dict[str, str]:
            return tenant_tags(tid, self.stack, part)

        for role in ("operator", "auditor"):
            name = f"hipaachat-{self.stack}-{tid}-{role}"
            # The auditor is evidence (it reads the retained sinks): retained and tagged like them.
            evidence = role == "auditor"
            self.add("aws:iam/role:Role", f"{tid}-{role}", parent=f"{tid}-access", provider=prov, inputs={
                "name": name, "assumeRolePolicy": policy_documents.trust_policy(ACCOUNT, tid),
                "maxSessionDuration": 3600, "tags": {**tags("access"), **({RETAIN_TAG: "true"} if evidence else {})}},
                outputs={"arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"},
                protect=keep and evidence, retain=evidence)
        log_group = f"/hipaachat/{self.stack}/{tid}/audit"
        self.add("aws:kms/key:Key", f"{tid}-key", parent=f"{tid}-keys", provider=prov, inputs={
            "enableKeyRotation": True, "deletionWindowInDays": 30, "tags": {**tags("keys"), RETAIN_TAG: "true"},
            "policy": policy_documents.key_policy(ACCOUNT, aws, tid, log_group, self.arn(f"{tid}-operator"),
                                                  self.arn(f"{tid}-auditor"))},
            outputs={"keyId": f"{tid}-key-id", "arn": f"arn:aws:kms:{aws}:{ACCOUNT}:key/{tid}-key-id"},
            deps={"policy": [f"{tid}-operator", f"{tid}-auditor"]}, protect=keep, retain=True)
        key_arn = self.arn(f"{tid}-key")
        self.add("aws:kms/alias:Alias", f"{tid}-key-alias", parent=f"{tid}-keys", provider=prov, inputs={
            "name": f"alias/hipaachat/{self.stack}/{tid}", "targetKeyId": f"{tid}-key-id"},
            outputs={"arn": f"arn:aws:kms:{aws}:{ACCOUNT}:alias/hipaachat/{self.stack}/{tid}"},
            deps={"targetKeyId": [f"{tid}-key"]}, protect=keep, retain=True)
        secret_name = f"hipaachat/{self.stack}/{tid}/cometchat"
        self.add("aws:secretsmanager/secret:Secret", f"{tid}-cometchat-credentials", parent=f"{tid}-credentials",
                 provider=prov, inputs={"name": secret_name, "kmsKeyId": key_arn, "recoveryWindowInDays": 30,
                                        "tags": tags("credentials")},
                 outputs={"arn": f"arn:aws:secretsmanager:{aws}:{ACCOUNT}:secret:{secret_name}-AbCdEf"},
                 deps={"kmsKeyId": [f"{tid}-key"]})
        self._bucket(tid, "templates", f"{tid}-template-store", prov, key_arn, tags("templates"), False, False)
        for channel, text in (notifications or POINTER_TEMPLATES).items():
            self.add("aws:s3/bucketObjectv2:BucketObjectv2", f"{tid}-template-{channel.replace('_', '-')}",
                     parent=f"{tid}-templates-store", provider=prov, inputs={
                         "bucket": f"hipaachat-{self.stack}-{tid}-templates", "key": f"templates/{channel}.txt",
                         "content": text, "serverSideEncryption": "aws:kms", "kmsKeyId": key_arn,
                         "tags": {**tags("templates"), CHANNEL_TAG: channel}},
                     deps={"bucket": [f"{tid}-templates"], "kmsKeyId": [f"{tid}-key"]})
        self.add("aws:cloudwatch/logGroup:LogGroup", f"{tid}-audit", parent=f"{tid}-audit-sinks", provider=prov,
                 inputs={"name": log_group, "kmsKeyId": key_arn, "retentionInDays": retention_days,
                         "skipDestroy": True, "tags": {**tags("audit"), RETAIN_TAG: "true"}},
                 outputs={"arn": f"arn:aws:logs:{aws}:{ACCOUNT}:log-group:{log_group}"},
                 deps={"kmsKeyId": [f"{tid}-key"]}, protect=keep, retain=True)
        self._bucket(tid, "audit", f"{tid}-audit-sinks", prov, key_arn, tags("audit"), True, keep)
        self.add("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", f"{tid}-audit-lock",
                 parent=f"{tid}-audit-store", provider=prov, inputs={
                     "bucket": f"hipaachat-{self.stack}-{tid}-audit", "objectLockEnabled": "Enabled",
                     "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": retention_days or 3653}}},
                 deps={"bucket": [f"{tid}-audit-bucket"]}, protect=keep, retain=True)
        operator, auditor = f"{tid}-operator", f"{tid}-auditor"
        self.add("aws:iam/rolePolicy:RolePolicy", f"{operator}-policy", parent=f"{tid}-access", provider=prov, inputs={
            "role": f"hipaachat-{self.stack}-{operator}", "policy": policy_documents.operator_policy(
                key_arn, self.arn(f"{tid}-cometchat-credentials"), self.arn(f"{tid}-templates"),
                self.arn(f"{tid}-audit"))},
            deps={"role": [operator], "policy": [f"{tid}-key", f"{tid}-cometchat-credentials", f"{tid}-templates",
                                                 f"{tid}-audit"]})
        self.add("aws:iam/rolePolicy:RolePolicy", f"{auditor}-policy", parent=f"{tid}-access", provider=prov, inputs={
            "role": f"hipaachat-{self.stack}-{auditor}", "policy": policy_documents.auditor_policy(
                key_arn, self.arn(f"{tid}-audit-bucket"), self.arn(f"{tid}-audit"))},
            deps={"role": [auditor], "policy": [f"{tid}-key", f"{tid}-audit-bucket", f"{tid}-audit"]},
            protect=keep, retain=True)
        self.add("pulumi-python:dynamic/hipaachat:CometChatApp", f"{tid}-cometchat-app", parent=f"{tid}-cometchat",
                 inputs={"tenantId": tid, "name": f"hipaachat-{self.stack}-{tid}", "region": cc},
                 outputs={"appId": f"app-{hashlib.sha256(tid.encode()).hexdigest()[:12]}",
                          "apiKey": secret("synthetic-api-key-value")},
                 protect=keep)
        app_id = self.get(f"{tid}-cometchat-app").outputs["appId"]
        self.add("pulumi-python:dynamic/hipaachat:CometChatExtensions", f"{tid}-cometchat-extensions",
                 parent=f"{tid}-cometchat", inputs={"tenantId": tid, "appId": app_id, "features": {"ai": ai}},
                 outputs={"enabledExtensions": ["data-masking"]}, deps={"appId": [f"{tid}-cometchat-app"]})
        return self

    def _bucket(self, tid: str, kind: str, parent: str, prov: str, key_arn: str, tags: dict[str, str],
                lock: bool, protect: bool) -> None:
        """A HardenedBucket: component, bucket, versioning, SSE-KMS, public access block, TLS-only policy."""
        logical = f"{tid}-{kind}" if kind == "templates" else f"{tid}-audit-bucket"
        store = f"{tid}-{kind}-store"
        bucket = f"hipaachat-{self.stack}-{tid}-{kind}"
        self.add("hipaachat:tenant:HardenedBucket", store, parent=parent, custom=False)
        self.add("aws:s3/bucket:Bucket", logical, parent=store, provider=prov, inputs={
            "bucket": bucket, "forceDestroy": False, "tags": {**tags, **({RETAIN_TAG: "true"} if lock else {})},
            **({"objectLockEnabled": True} if lock else {})},
            outputs={"arn": f"arn:aws:s3:::{bucket}"}, protect=protect, retain=lock, id=bucket)
        sibling = {"parent": store, "provider": prov, "protect": protect, "retain": lock}
        self.add("aws:s3/bucketVersioning:BucketVersioning", f"{logical}-versioning", **sibling, inputs={
            "bucket": bucket, "versioningConfiguration": {"status": "Enabled"}}, deps={"bucket": [logical]})
        self.add("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                 f"{logical}-sse", **sibling, inputs={"bucket": bucket, "rules": [{
                     "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
                     "bucketKeyEnabled": True}]}, deps={"bucket": [logical], "rules": [f"{tid}-key"]})
        self.add("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{logical}-public-access", **sibling,
                 inputs={"bucket": bucket, "blockPublicAcls": True, "blockPublicPolicy": True,
                         "ignorePublicAcls": True, "restrictPublicBuckets": True}, deps={"bucket": [logical]})
        self.add("aws:s3/bucketPolicy:BucketPolicy", f"{logical}-tls-only", **sibling, inputs={
            "bucket": bucket, "policy": policy_documents.tls_only_bucket_policy(f"arn:aws:s3:::{bucket}")},
            deps={"bucket": [logical], "policy": [logical]})
