"""IngestEndpoint under Pulumi's mocks: what the engine would receive for two tenants side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.ingest import endpoint as ingest_endpoint
from components.ingest.endpoint import IngestEndpoint, IngestEndpointArgs
from components.tags import tenant_tags

ACCOUNT = "123456789012"
REGION = "us-east-2"


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registration; answers with the outputs AWS would compute (ARNs, URLs)."""

    def __init__(self) -> None:
        self.resources: list[Registered] = []
        self.monitor = pulumi.runtime.mocks.MockMonitor(self)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider))
        rid = f"{args.name}-id"
        state: dict[str, Any] = dict(args.inputs)
        if args.typ == "aws:iam/role:Role":
            state["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{args.name}"
        elif args.typ == "aws:lambda/function:Function":
            state.update(arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{args.name}", name=args.name)
        elif args.typ == "aws:apigatewayv2/api:Api":
            state.update(executionArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{rid}",
                         apiEndpoint=f"https://{rid}.execute-api.{REGION}.amazonaws.com")
        elif args.typ == "aws:apigatewayv2/stage:Stage":
            # AWS's invoke URL of a $default stage is the API endpoint with a trailing slash.
            state["invokeUrl"] = f"https://{args.inputs['apiId']}.execute-api.{REGION}.amazonaws.com/"
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}

    def of_type(self, typ: str, tenant: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ and r.name.startswith(f"{tenant}-")]

    def one(self, typ: str, tenant: str) -> Registered:
        [resource] = self.of_type(typ, tenant)
        return resource


@dataclass
class TenantArns:
    tenant: str

    @property
    def log_group_name(self) -> str:
        return f"/hipaachat/test/{self.tenant}/audit"

    @property
    def log_group_arn(self) -> str:
        return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{self.log_group_name}"

    @property
    def bucket(self) -> str:
        return f"hipaachat-test-{self.tenant}-audit"

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"

    @property
    def key_arn(self) -> str:
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{self.tenant}-key"

    @property
    def secret_arn(self) -> str:
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:hipaachat/test/{self.tenant}/webhook-AbCdEf"

    @property
    def pseudonym_secret_arn(self) -> str:
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:hipaachat/test/{self.tenant}/pseudonym-key-GhIjKl"

    @property
    def app_id(self) -> str:
        return f"2611{self.tenant.replace('-', '')}"

    def args(self, endpoint_url: str | None = None) -> IngestEndpointArgs:
        return IngestEndpointArgs(
            tenant_id=self.tenant, stack="test", tags=tenant_tags(self.tenant, "test", "ingest"),
            log_group_name=self.log_group_name, log_group_arn=self.log_group_arn,
            archive_bucket=self.bucket, archive_bucket_arn=self.bucket_arn, key_arn=self.key_arn,
            credentials_secret_arn=self.secret_arn, expected_app_id=self.app_id,
            pseudonym_key_secret_arn=self.pseudonym_secret_arn, aws_endpoint_url=endpoint_url)


SUNRISE, LOTUS = TenantArns("sunrise-clinic"), TenantArns("lotus-health")


@pytest.fixture
def mocks(event_loop_per_test) -> Iterator[RecordingMocks]:
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="hipaachat", stack="test", preview=False, monitor=recording.monitor)
    yield recording


def deploy(*tenants: tuple[TenantArns, str | None], with_provider: bool = False) -> dict[str, str]:
    """Run a program with one endpoint per tenant; returns each tenant's `url` output.

    `with_provider` passes each tenant's own regional provider on the component, as the Tenant does.
    """
    urls: dict[str, str] = {}

    def opts(tenant: str) -> pulumi.ResourceOptions | None:
        if not with_provider:
            return None
        return pulumi.ResourceOptions(provider=aws.Provider(f"{tenant}-aws", region=REGION))

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        endpoints = {t.tenant: IngestEndpoint(f"{t.tenant}-ingest", t.args(url), opts(t.tenant)) for t, url in tenants}
        return pulumi.Output.all(*[e.url for e in endpoints.values()]).apply(
            lambda resolved: urls.update(zip(endpoints, resolved)))

    program()  # returns once every registration has been sent
    return urls


def statements(mocks: RecordingMocks, tenant: str) -> list[dict[str, Any]]:
    policy = mocks.one("aws:iam/rolePolicy:RolePolicy", tenant).inputs["policy"]
    return json.loads(policy)["Statement"]


def resources_of(statement: dict[str, Any]) -> list[str]:
    res = statement["Resource"]
    return [res] if isinstance(res, str) else list(res)


def test_the_role_policy_names_only_this_tenants_resources(mocks: RecordingMocks) -> None:
    deploy((SUNRISE, None), (LOTUS, None))
    for mine, other in ((SUNRISE, LOTUS), (LOTUS, SUNRISE)):
        allowed = {mine.log_group_arn, f"{mine.log_group_arn}:*", f"{mine.bucket_arn}/events/*", mine.bucket_arn,
                   mine.key_arn, mine.secret_arn, mine.pseudonym_secret_arn}
        found = [r for s in statements(mocks, mine.tenant) for r in resources_of(s)]
        assert set(found) == allowed
        assert "*" not in found
        # Wildcards only as the log group's stream suffix and the archive's event prefix.
        assert {r for r in found if "*" in r} == {f"{mine.log_group_arn}:*", f"{mine.bucket_arn}/events/*"}
        assert not any(other.tenant in r for r in found)
        assert all(s["Effect"] == "Allow" for s in statements(mocks, mine.tenant))
        assert not any("*" in a for a in actions_of(mocks, mine.tenant))


def actions_of(mocks: RecordingMocks, tenant: str) -> set[str]:
    return {a for s in statements(mocks, tenant) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_the_function_reads_nothing_it_archived(mocks: RecordingMocks) -> None:
    deploy((SUNRISE, None))
    actions = actions_of(mocks, SUNRISE.tenant)
    assert "s3:GetObject" not in actions and "s3:DeleteObject" not in actions
    assert actions >= {"s3:PutObject", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "kms:GenerateDataKey"}


def test_only_lambda_may_assume_the_role(mocks: RecordingMocks) -> None:
    deploy((SUNRISE, None))
    trust = json.loads(mocks.one("aws:iam/role:Role", SUNRISE.tenant).inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]


def test_the_function_uses_the_tenant_key_environment_and_log_group(mocks: RecordingMocks) -> None:
    deploy((SUNRISE, None), (LOTUS, "http://127.0.0.1:5999"))
    fn = mocks.one("aws:lambda/function:Function", SUNRISE.tenant).inputs
    assert fn["kmsKeyArn"] == SUNRISE.key_arn
    assert fn["runtime"] == "python3.12" and fn["handler"] == "handler.handle"
    assert fn["timeout"] <= 3
    assert fn["environment"]["variables"] == {
        "TENANT_ID": SUNRISE.tenant, "LOG_GROUP_NAME": SUNRISE.log_group_name, "ARCHIVE_BUCKET": SUNRISE.bucket,
        "KMS_KEY_ID": SUNRISE.key_arn, "CREDENTIALS_SECRET_ARN": SUNRISE.secret_arn,
        "EXPECTED_APP_ID": SUNRISE.app_id, "PSEUDONYM_KEY_SECRET_ARN": SUNRISE.pseudonym_secret_arn}
    assert fn["loggingConfig"]["logGroup"] == SUNRISE.log_group_name
    assert fn["role"] == f"arn:aws:iam::{ACCOUNT}:role/{SUNRISE.tenant}-ingest-role"
    # The zip holds the handler and its helpers (under their import path) alone.
    assets = fn["code"].assets
    assert sorted(assets) == ["components/__init__.py", "components/ingest/__init__.py",
                              "components/ingest/correlation.py", "components/ingest/envelope.py",
                              "components/ingest/object_lock.py", "handler.py"]
    assert assets["handler.py"].path == str(ingest_endpoint.HANDLER_FILE)
    for name, path in ingest_endpoint.HELPER_FILES.items():
        assert assets[name].path == str(path)
    # A custom endpoint reaches the function only when the stack sets one.
    lotus = mocks.one("aws:lambda/function:Function", LOTUS.tenant).inputs["environment"]["variables"]
    assert lotus["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5999"


def test_every_taggable_resource_carries_the_tenant_tags(mocks: RecordingMocks) -> None:
    deploy((SUNRISE, None))
    taggable = ["aws:iam/role:Role", "aws:lambda/function:Function", "aws:apigatewayv2/api:Api",
                "aws:apigatewayv2/stage:Stage"]
    for typ in taggable:
        assert mocks.one(typ, SUNRISE.tenant).inputs["tags"] == tenant_tags(SUNRISE.tenant, "test", "ingest"), typ
    aws_types = {r.typ for r in mocks.resources if r.typ.startswith("aws:")}
    # The others have no tags in AWS (RolePolicy, Integration, Route, Permission).
    assert aws_types - set(taggable) == {"aws:iam/rolePolicy:RolePolicy", "aws:apigatewayv2/integration:Integration",
                                         "aws:apigatewayv2/route:Route", "aws:lambda/permission:Permission"}


def test_the_api_routes_post_webhook_to_the_function(mocks: RecordingMocks) -> None:
    urls = deploy((SUNRISE, None))
    api_id = f"{SUNRISE.tenant}-ingest-api-id"
    assert mocks.one("aws:apigatewayv2/api:Api", SUNRISE.tenant).inputs["protocolType"] == "HTTP"
    integration = mocks.one("aws:apigatewayv2/integration:Integration", SUNRISE.tenant).inputs
    assert integration["integrationType"] == "AWS_PROXY" and integration["payloadFormatVersion"] == "2.0"
    assert integration["integrationUri"].endswith(f":function:{SUNRISE.tenant}-ingest")
    [route] = mocks.of_type("aws:apigatewayv2/route:Route", SUNRISE.tenant)
    assert route.inputs["routeKey"] == "POST /webhook"
    assert route.inputs["target"] == f"integrations/{SUNRISE.tenant}-ingest-integration-id"
    stage = mocks.one("aws:apigatewayv2/stage:Stage", SUNRISE.tenant).inputs
    assert stage["name"] == "$default" and stage["autoDeploy"] is True and stage["apiId"] == api_id
    assert stage["accessLogSettings"]["destinationArn"] == SUNRISE.log_group_arn
    assert "authorization" not in stage["accessLogSettings"]["format"].lower()
    permission = mocks.one("aws:lambda/permission:Permission", SUNRISE.tenant).inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["sourceArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/POST/webhook"
    assert urls[SUNRISE.tenant] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/webhook"


def test_each_tenant_gets_its_own_url(mocks: RecordingMocks) -> None:
    urls = deploy((SUNRISE, None), (LOTUS, None))
    assert all(u.endswith("/webhook") for u in urls.values())
    assert urls[SUNRISE.tenant] != urls[LOTUS.tenant]


def test_every_child_is_parented_to_the_component_and_inherits_the_tenants_provider(mocks: RecordingMocks) -> None:
    deploy((SUNRISE, None), (LOTUS, None), with_provider=True)
    urns = list(mocks.monitor.get_registered_resources())
    for tenant in (SUNRISE.tenant, LOTUS.tenant):
        assert any(u.endswith(f"hipaachat:tenant:IngestEndpoint::{tenant}-ingest") for u in urns)
        children = [r for r in mocks.resources if r.typ.startswith("aws:") and r.name.startswith(f"{tenant}-")]
        assert len(children) == 8
        for child in children:
            [urn] = [u for u in urns if u.endswith(f"{child.typ}::{child.name}")]
            assert f"::hipaachat:tenant:IngestEndpoint${child.typ}::" in urn, urn  # parent=the component
            # The provider given to the component only: each child resolved it through its parent.
            assert child.provider and f"pulumi:providers:aws::{tenant}-aws::" in child.provider, child.provider
