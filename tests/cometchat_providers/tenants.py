"""Tenant-shaped programs for the provider tests: the resources the Tenant component declares.

Each helper runs a tiny Pulumi program (under mocks) declaring one resource the way the Tenant
component does and returns its registration. Values that in a real program are the app's
outputs (app id, fullAccess key) are passed resolved, the key as a secret Output, which is
exactly what the engine receives once the app exists.
"""

from __future__ import annotations

from typing import Any

import pulumi

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
from components.settings import CometChatEndpoints
from scripts.emulator.server import EmulatorHandle
from tests.cometchat_providers.engine import ResourceState
from tests.cometchat_providers.program import Registration, register

STACK = "test"
MATRIX: dict[str, dict[str, Any]] = {
    "patient": {"sees": ["own"], "clinical_content": True},
    "provider": {"sees": ["panel"], "clinical_content": True},
    "care-coordinator": {"sees": ["assigned"], "clinical_content": True},
    "admin": {"sees": ["audit"], "clinical_content": False},
    "front-desk": {"sees": ["scheduling"], "clinical_content": False},
}
# Synthetic, alphanumeric, obviously not a real credential.
WEBHOOK_PASSWORD = "SyntheticWebhookPassword0123456789"


def connection(emulator: EmulatorHandle, key: str | None = None, secret: str | None = None) -> CometChatConnection:
    return CometChatConnection(
        endpoints=CometChatEndpoints(managementUrl=emulator.url, restUrl=emulator.rest_url_template),
        management_key=key or emulator.management_key,
        management_secret=secret or emulator.management_secret,
    )


def app(emulator: EmulatorHandle, tenant_id: str, region: str = "us", *, key_generation: int = 0,
        name: str | None = None, opts: pulumi.ResourceOptions | None = None,
        conn: CometChatConnection | None = None) -> Registration:
    return apps(emulator, [(tenant_id, region)], key_generation=key_generation, name=name, opts=opts,
                conn=conn)[f"{tenant_id}-cometchat-app"]


def apps(emulator: EmulatorHandle, tenants: list[tuple[str, str]], *, key_generation: int = 0,
         name: str | None = None, opts: pulumi.ResourceOptions | None = None,
         conn: CometChatConnection | None = None) -> dict[str, Registration]:
    """Several tenants' apps declared by one program (as one stack with many tenants would)."""

    def build() -> list[pulumi.Resource]:
        link = conn or connection(emulator)
        return [CometChatApp(f"{tenant_id}-cometchat-app", CometChatAppArgs(
            tenant_id=tenant_id, name=name or app_name(STACK, tenant_id), region=region,
            environment="prototype", connection=link, key_generation=key_generation), opts=opts)
            for tenant_id, region in tenants]

    return register(build, stack=STACK)


def roles(emulator: EmulatorHandle, app_state: ResourceState, matrix: dict[str, dict[str, Any]]) -> Registration:
    tenant_id = app_state.output("tenantId")

    def build() -> list[pulumi.Resource]:
        return [CometChatRoles(f"{tenant_id}-cometchat-roles", CometChatRolesArgs(
            tenant_id=tenant_id, app_id=app_state.output("appId"), region=app_state.output("region"),
            api_key=pulumi.Output.secret(app_state.output("fullAccessKey")), roles=matrix,
            connection=connection(emulator)))]

    return register(build, stack=STACK)[f"{tenant_id}-cometchat-roles"]


def webhook(emulator: EmulatorHandle, app_state: ResourceState, url: str,
            password: str = WEBHOOK_PASSWORD) -> Registration:
    tenant_id = app_state.output("tenantId")

    def build() -> list[pulumi.Resource]:
        return [CometChatWebhook(f"{tenant_id}-cometchat-webhook", CometChatWebhookArgs(
            tenant_id=tenant_id, app_id=app_state.output("appId"), webhook_url=url,
            username=tenant_id.replace("-", ""), password=pulumi.Output.secret(password),
            connection=connection(emulator)))]

    return register(build, stack=STACK)[f"{tenant_id}-cometchat-webhook"]


def extensions(emulator: EmulatorHandle, app_state: ResourceState, ai: bool) -> Registration:
    tenant_id = app_state.output("tenantId")

    def build() -> list[pulumi.Resource]:
        return [CometChatExtensions(f"{tenant_id}-cometchat-extensions", CometChatExtensionsArgs(
            tenant_id=tenant_id, app_id=app_state.output("appId"), region=app_state.output("region"),
            api_key=pulumi.Output.secret(app_state.output("fullAccessKey")), ai=ai,
            connection=connection(emulator)))]

    return register(build, stack=STACK)[f"{tenant_id}-cometchat-extensions"]
