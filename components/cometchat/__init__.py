"""A synchronous CometChat client: the Management (multi-tenancy) API and per-app REST API v3.

Used by the Pulumi dynamic providers in `components.cometchat.providers` and by the CLI. Build a
client inside each provider method (providers are pickled) and close it when done:

    with ManagementClient(url, key, secret) as management:
        app, keys = management.create_app("hipaachat-local-sunrise-clinic", "us")
    with AppClient(rest_url_template, app.id, app.region, keys.full_access) as rest:
        rest.create_role(Role(role="provider", name="Provider"))

Every failure is a `CometChatError` with a `code`; keys are `pydantic.SecretStr` throughout.
"""

from components.cometchat.errors import CometChatError
from components.cometchat.management import ManagementClient
from components.cometchat.models import (
    REGIONS,
    ApiKey,
    App,
    AppKeys,
    Extension,
    NotificationSettings,
    OperationResult,
    Permission,
    Role,
    RoleSettings,
    Webhook,
    WebhookSpec,
)
from components.cometchat.rest import AppClient
from components.cometchat.retry import RetryPolicy

__all__ = [
    "REGIONS",
    "ApiKey",
    "App",
    "AppClient",
    "AppKeys",
    "CometChatError",
    "Extension",
    "ManagementClient",
    "NotificationSettings",
    "OperationResult",
    "Permission",
    "RetryPolicy",
    "Role",
    "RoleSettings",
    "Webhook",
    "WebhookSpec",
]
