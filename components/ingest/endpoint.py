"""The tenant's webhook ingest endpoint: API Gateway HTTP API -> Lambda -> the tenant's audit sinks.

CometChat delivers every message, group and call event of the tenant's app here; the handler
(`handler.py`, shipped with its helpers alone in the function's zip) archives and indexes each one. The endpoint
is part of the tenant's log sinks, so everything it touches is the tenant's own: its role
reaches only this tenant's log group, archive, key and secret, and the function's environment
and logs are under the tenant's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.ingest import policy
from components.ingest.correlation import KEY_SECRET_ENV

HANDLER_FILE = Path(__file__).with_name("handler.py")
# The handler's helpers, shipped under their import path (stdlib and boto3 suffice).
HELPER_FILES = {f"components/ingest/{name}.py": Path(__file__).with_name(f"{name}.py")
                for name in ("correlation", "envelope", "object_lock")}
HANDLER_ENTRY = "handler.handle"
RUNTIME = "python3.12"
ROUTE_KEY = "POST /webhook"
WEBHOOK_PATH = "/webhook"
# CometChat waits 2 s; the handler budgets 1.8 s. The function may run a little past that (a
# cold start) and still finish its writes, which a retry then finds already done.
FUNCTION_TIMEOUT_S = 3
# A clinic's chat produces a few events a second; these bound what a flood can cost the account
# without ever throttling real traffic (a throttled delivery is retried by CometChat anyway).
THROTTLE_RATE_PER_S = 100
THROTTLE_BURST = 200
# Access log fields: who called, when and with what result. Never headers (the Authorization
# header carries the password) and never the body (PHI).
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
    '"route":"$context.routeKey","status":"$context.status","length":"$context.responseLength",'
    '"integrationStatus":"$context.integrationStatus"}'
)


@dataclass
class IngestEndpointArgs:
    tenant_id: str
    stack: str
    tags: dict[str, str]
    log_group_name: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]
    archive_bucket: pulumi.Input[str]
    archive_bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    credentials_secret_arn: pulumi.Input[str]
    """Secrets Manager secret holding `{"username", "password"}` of the webhook's Basic auth."""
    expected_app_id: pulumi.Input[str]
    """The tenant's CometChat app id: events of any other app are refused."""
    pseudonym_key_secret_arn: pulumi.Input[str]
    """Secrets Manager secret holding the tenant's HMAC key for subject pseudonyms (components.audit_trail)."""
    object_lock_days: dict[str, int] | None = None
    """Data type (messages, audit) -> Object Lock retain-until days per archived object (components.retention_plan)."""
    aws_endpoint_url: str | None = None
    """A custom AWS endpoint for the function's SDK calls (moto for the `local` stack)."""


class IngestEndpoint(pulumi.ComponentResource):
    role: aws.iam.Role
    function: aws.lambda_.Function
    api: aws.apigatewayv2.Api
    stage: aws.apigatewayv2.Stage
    url: pulumi.Output[str]

    def __init__(self, name: str, args: IngestEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:IngestEndpoint", name, None, opts)
        # Children inherit the tenant's regional provider through the parent chain, so the
        # endpoint is always in the tenant's residency.
        child = pulumi.ResourceOptions(parent=self)
        tid = args.tenant_id

        self.role = aws.iam.Role(
            f"{tid}-ingest-role",
            description=f"hipaachat {args.stack}/{tid}: webhook ingest function",
            assume_role_policy=policy.lambda_trust_policy(),
            tags=args.tags,
            opts=child,
        )
        # apply() only renders a document from resolved ARNs; no resource is created inside it.
        role_policy_doc = pulumi.Output.all(
            args.log_group_arn, args.archive_bucket_arn, args.key_arn, args.credentials_secret_arn,
            args.pseudonym_key_secret_arn,
        ).apply(lambda arns: policy.ingest_role_policy(*arns))
        role_policy = aws.iam.RolePolicy(f"{tid}-ingest-policy", role=self.role.id, policy=role_policy_doc, opts=child)

        variables: dict[str, pulumi.Input[str]] = {
            "TENANT_ID": tid,
            "LOG_GROUP_NAME": args.log_group_name,
            "ARCHIVE_BUCKET": args.archive_bucket,
            "KMS_KEY_ID": args.key_arn,
            "CREDENTIALS_SECRET_ARN": args.credentials_secret_arn,
            "EXPECTED_APP_ID": args.expected_app_id,
            KEY_SECRET_ENV: args.pseudonym_key_secret_arn,
        }
        for data_type, days in sorted((args.object_lock_days or {}).items()):
            variables[f"RETAIN_{data_type.upper()}_DAYS"] = str(days)
        if args.aws_endpoint_url:
            variables["AWS_ENDPOINT_URL"] = args.aws_endpoint_url
        self.function = aws.lambda_.Function(
            f"{tid}-ingest",
            description=f"hipaachat {args.stack}/{tid}: CometChat webhook ingest",
            runtime=RUNTIME,
            handler=HANDLER_ENTRY,
            # Only the handler and its helpers ship (stdlib and boto3 suffice); the helpers keep their
            # import path under empty package markers, not the project's packages.
            code=pulumi.AssetArchive({
                "handler.py": pulumi.FileAsset(str(HANDLER_FILE)),
                "components/__init__.py": pulumi.StringAsset(""),
                "components/ingest/__init__.py": pulumi.StringAsset(""),
                **{name: pulumi.FileAsset(str(path)) for name, path in HELPER_FILES.items()}}),
            role=self.role.arn,
            timeout=FUNCTION_TIMEOUT_S,
            memory_size=256,  # more memory = more CPU = shorter cold starts inside the 2 s window
            architectures=["arm64"],
            # The environment names the tenant's resources: encrypt it under the tenant's key.
            kms_key_arn=args.key_arn,
            environment={"variables": variables},
            # The function's own logs go to the tenant's log group (retained, tenant key), so its
            # role needs no other log group and no wildcard.
            logging_config={"log_format": "JSON", "log_group": args.log_group_name,
                            "application_log_level": "INFO", "system_log_level": "WARN"},
            tags=args.tags,
            # The policy must be attached before the first delivery, or it fails with AccessDenied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )

        self.api = aws.apigatewayv2.Api(
            f"{tid}-ingest-api",
            description=f"hipaachat {args.stack}/{tid}: CometChat webhook endpoint",
            protocol_type="HTTP",
            tags=args.tags,
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{tid}-ingest-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=self.function.arn,
            payload_format_version="2.0",
            timeout_milliseconds=FUNCTION_TIMEOUT_S * 1000,
            opts=child,
        )
        # No API Gateway authorizer: HTTP APIs have no Basic-auth authorizer, and a Lambda
        # authorizer would add a second cold start to the 2 s budget. The handler checks the
        # credentials itself, in constant time, before it reads the body.
        aws.apigatewayv2.Route(
            f"{tid}-ingest-route",
            api_id=self.api.id,
            route_key=ROUTE_KEY,
            target=pulumi.Output.concat("integrations/", integration.id),
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{tid}-ingest-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings={"throttling_rate_limit": THROTTLE_RATE_PER_S,
                                    "throttling_burst_limit": THROTTLE_BURST},
            # Every delivery attempt, refused ones included, is audit evidence (45 CFR 164.312(b)).
            access_log_settings={"destination_arn": args.log_group_arn, "format": ACCESS_LOG_FORMAT},
            tags=args.tags,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{tid}-ingest-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="apigateway.amazonaws.com",
            # Only this API's webhook route may invoke the function.
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/*/POST", WEBHOOK_PATH),
            opts=child,
        )

        # The stage's invoke URL, not the API's endpoint, so CometChat is only ever pointed at a
        # URL whose stage exists.
        self.url = self.stage.invoke_url.apply(lambda base: base.rstrip("/") + WEBHOOK_PATH)
        self.register_outputs({"url": self.url, "function_name": self.function.name, "api_id": self.api.id})
