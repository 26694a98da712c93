"""The tenant's CometChat layer: its own app, roles, safeguards and the audit webhook.

One app per tenant is the isolation model. The app's keys exist only as secret outputs and
in the tenant's Secrets Manager secret; CometChat's events flow to this tenant's own ingest
endpoint, authenticated with a password that is generated here and never leaves secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.catalog import Tenant as TenantSpec
from components.cometchat.providers import (
    CometChatApp,
    CometChatAppArgs,
    CometChatConnection,
    CometChatExtensions,
    CometChatExtensionsArgs,
    CometChatRoles,
    CometChatRolesArgs,
    CometChatWebhook,
    CometChatWebhookArgs,
    app_name,
)
from components.credentials import Credentials
from components.ingest.endpoint import IngestEndpoint, IngestEndpointArgs
from components.log_sinks import AuditSinks
from components.settings import StackSettings


@dataclass
class MessagingArgs:
    spec: TenantSpec
    stack: str
    settings: StackSettings
    connection: CometChatConnection
    credentials: Credentials
    sinks: AuditSinks
    key_arn: pulumi.Input[str]
    tags: dict[str, str]
    pseudonym_key_secret_arn: pulumi.Input[str]


def webhook_username(tenant_id: str) -> str:
    """CometChat allows only alphanumerics (<= 50) in a webhook username."""
    return ("hipaachat" + re.sub(r"[^a-z0-9]", "", tenant_id))[:50]


class Messaging(pulumi.ComponentResource):
    app: CometChatApp
    ingest: IngestEndpoint

    def __init__(self, name: str, args: MessagingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("hipaachat:tenant:CometChat", name, None, opts)
        spec, settings = args.spec, args.settings
        region = settings.region_for(spec.residency).cometchat_region
        child = pulumi.ResourceOptions(parent=self)
        self.app = CometChatApp(f"{spec.id}-cometchat-app", CometChatAppArgs(
            tenant_id=spec.id, name=app_name(args.stack, spec.id), region=region,
            environment=settings.environment, connection=args.connection,
            key_generation=spec.cometchat.key_generation),
            # In production a region or name change would archive the tenant's message history:
            # protect makes `pulumi up` refuse it instead.
            opts=pulumi.ResourceOptions(parent=self, protect=settings.environment == "production"))
        args.credentials.store({
            "appId": self.app.app_id,
            "region": self.app.region,
            "fullAccessKey": self.app.full_access_key,
            "authOnlyKey": self.app.auth_only_key,
        })
        CometChatRoles(f"{spec.id}-cometchat-roles", CometChatRolesArgs(
            tenant_id=spec.id, app_id=self.app.app_id, region=self.app.region, api_key=self.app.full_access_key,
            roles={role_id: role.model_dump() for role_id, role in spec.roles.items()},
            connection=args.connection), opts=child)
        CometChatExtensions(f"{spec.id}-cometchat-extensions", CometChatExtensionsArgs(
            tenant_id=spec.id, app_id=self.app.app_id, region=self.app.region, api_key=self.app.full_access_key,
            ai=spec.features.ai, connection=args.connection), opts=child)

        # Alphanumeric only: CometChat refuses anything else in a webhook password.
        password = random.RandomPassword(f"{spec.id}-webhook-password", length=48, special=False, opts=child)
        username = webhook_username(spec.id)
        webhook_secret = args.credentials.webhook_auth(username, password.result)
        self.ingest = IngestEndpoint(f"{spec.id}-ingest", IngestEndpointArgs(
            tenant_id=spec.id, stack=args.stack, tags=args.tags,
            log_group_name=args.sinks.log_group.name, log_group_arn=args.sinks.log_group.arn,
            archive_bucket=args.sinks.archive.bucket.id, archive_bucket_arn=args.sinks.archive.bucket.arn,
            key_arn=args.key_arn, credentials_secret_arn=webhook_secret.arn, expected_app_id=self.app.app_id,
            pseudonym_key_secret_arn=args.pseudonym_key_secret_arn,
            object_lock_days=args.sinks.object_lock_days,
            aws_endpoint_url=settings.aws_endpoint.url if settings.aws_endpoint else None), opts=child)
        CometChatWebhook(f"{spec.id}-cometchat-webhook", CometChatWebhookArgs(
            tenant_id=spec.id, app_id=self.app.app_id, webhook_url=self.ingest.url, username=username,
            password=password.result, connection=args.connection), opts=child)
        self.register_outputs({"app_id": self.app.app_id, "webhook_url": self.ingest.url})
