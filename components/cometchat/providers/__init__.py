"""Pulumi dynamic providers for a tenant's CometChat app, used by the Tenant component.

    connection = CometChatConnection.from_stack(settings)
    app = CometChatApp(f"{t.id}-cometchat-app", CometChatAppArgs(
        tenant_id=t.id, name=app_name(stack, t.id), region=region.cometchat_region,
        environment=settings.environment, connection=connection),
        opts=ResourceOptions(parent=self, protect=production))
    CometChatRoles(..., CometChatRolesArgs(tenant_id=t.id, app_id=app.app_id, region=app.region,
        api_key=app.full_access_key, roles=..., connection=connection), opts=...)

Type tokens are `pulumi-python:dynamic/hipaachat:<Class>`. Keys are secret outputs of the app
(`APP_SECRET_OUTPUTS`, applied by `CometChatApp` itself); every credential input is wrapped
in `Output.secret` by the resource classes. See `connection.py` for why configuration travels
as inputs, and each module for its lifecycle.
"""

from components.cometchat.providers.app import APP_SECRET_OUTPUTS, CometChatApp, CometChatAppArgs, app_name
from components.cometchat.providers.connection import CometChatConnection
from components.cometchat.providers.extensions import CometChatExtensions, CometChatExtensionsArgs
from components.cometchat.providers.roles import CometChatRoles, CometChatRolesArgs
from components.cometchat.providers.webhook import (
    DEFAULT_TRIGGERS,
    CometChatWebhook,
    CometChatWebhookArgs,
    webhook_id,
)

__all__ = [
    "APP_SECRET_OUTPUTS",
    "DEFAULT_TRIGGERS",
    "CometChatApp",
    "CometChatAppArgs",
    "CometChatConnection",
    "CometChatExtensions",
    "CometChatExtensionsArgs",
    "CometChatRoles",
    "CometChatRolesArgs",
    "CometChatWebhook",
    "CometChatWebhookArgs",
    "app_name",
    "webhook_id",
]
