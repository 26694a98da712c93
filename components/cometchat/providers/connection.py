"""How the CometChat providers learn where CometChat is and how to authenticate.

Chosen approach: **endpoints and credentials are the resource's own inputs; credentials are
always Pulumi secrets; client tuning (timeouts, retry budget) is provider config.**

Why inputs rather than `configure()` for endpoints and credentials:
* `delete` and `refresh` run from state alone, possibly years later and after the stack's
  config has changed. The state must say which API the app lives behind; inputs put the
  management URL and REST template there, next to the app id.
* Secretness stays per value and survives the round trip: the resource classes wrap every
  credential in `Output.secret`, the engine stores secret inputs encrypted, and the provider
  echoes them under the same names so the engine re-marks the outputs secret too
  (`annotateSecrets`). Nothing secret is captured in the provider object, so its pickle holds
  no credential (it stays secret anyway: `serialize_as_secret_always` is left True).
* Rotating the Management API key/secret is an ordinary update that rewrites the stored
  values (the app itself is untouched), so later deletes use the current credentials.
* The trade-off: the credentials are stored (encrypted) once per resource rather than once
  per stack, and a rotation touches every tenant's resources in one `pulumi up`.

Client tuning is operational, not desired state, so it comes from `configure()` (stack config
`hipaachat:cometchatClient`, optional, e.g. `{"timeoutSeconds": 10, "maxAttempts": 5}`):
changing a timeout must not show every tenant as changed. The engine passes the stack's config
to dynamic providers' `configure()` (pulumi >= 3.139); without it the defaults apply.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from components.catalog import TENANT_ID
from components.cometchat.models import Region
from components.settings import NAMESPACE, CometChatEndpoints, StackSettings

MANAGEMENT_KEY_CONFIG = "cometchatManagementKey"
MANAGEMENT_SECRET_CONFIG = "cometchatManagementSecret"


class CometChatConnection(BaseModel):
    """What the Tenant component hands every CometChat resource (program side).

    `management_key`/`management_secret` are Outputs (normally secret config); the resource
    classes mark them secret again, so a plain string passed here still never lands in plain state.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    endpoints: CometChatEndpoints = Field(default_factory=CometChatEndpoints)
    management_key: pulumi.Output | str
    management_secret: pulumi.Output | str

    @classmethod
    def from_stack(cls, settings: StackSettings, config: pulumi.Config | None = None) -> "CometChatConnection":
        """Endpoints from the stack settings, credentials from secret stack config."""
        config = config or pulumi.Config(NAMESPACE)
        return cls(endpoints=settings.cometchat,
                   management_key=config.require_secret(MANAGEMENT_KEY_CONFIG),
                   management_secret=config.require_secret(MANAGEMENT_SECRET_CONFIG))

    def management_inputs(self) -> dict[str, Any]:
        """Resource inputs for resources that call the Management API."""
        return {
            "managementUrl": self.endpoints.management_url,
            "managementKey": pulumi.Output.secret(self.management_key),
            "managementSecret": pulumi.Output.secret(self.management_secret),
        }

    def rest_inputs(self) -> dict[str, Any]:
        """Resource inputs for resources that call an app's REST v3 API."""
        return {"restUrl": self.endpoints.rest_url}


# -- provider side ---------------------------------------------------------------------------
class ManagementAccess(BaseModel):
    """The Management API inputs as a provider receives them (plain values, in memory only)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    management_url: str = Field(alias="managementUrl", min_length=1)
    management_key: SecretStr = Field(alias="managementKey")
    management_secret: SecretStr = Field(alias="managementSecret")

    def management_outputs(self) -> dict[str, str]:
        """Echoed under the input names so the engine keeps them secret in the outputs."""
        return {"managementUrl": self.management_url,
                "managementKey": self.management_key.get_secret_value(),
                "managementSecret": self.management_secret.get_secret_value()}


class AppAccess(BaseModel):
    """One app's REST v3 access as a provider receives it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    tenant_id: str = Field(alias="tenantId", pattern=TENANT_ID.pattern)
    app_id: str = Field(alias="appId", min_length=1)
    region: Region
    rest_url: str = Field(alias="restUrl", pattern=r"\{app_id\}")
    api_key: SecretStr = Field(alias="apiKey")

    def app_outputs(self) -> dict[str, Any]:
        return {"tenantId": self.tenant_id, "appId": self.app_id, "region": self.region,
                "restUrl": self.rest_url, "apiKey": self.api_key.get_secret_value()}


