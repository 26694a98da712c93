"""What crosses the boundary to CometChat, as pydantic models.

Responses are parsed leniently (unknown fields ignored, both timestamp formats accepted)
because CometChat's published examples differ between spec versions; what we send is built
from these models explicitly. Every credential is a `SecretStr`, so `repr`, `str` and JSON
dumps of these models show `**********` instead of a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, SecretStr, model_validator

Region = Literal["us", "eu", "in"]
REGIONS: tuple[str, ...] = ("us", "eu", "in")
Scope = Literal["authOnly", "fullAccess"]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


def _utc(value: datetime) -> datetime:
    """Epoch ints parse as UTC already; ISO strings without an offset are taken as UTC too."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


# Epoch seconds (or milliseconds) and ISO strings both parse; the result is always tz-aware.
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class App(_Model):
    """A CometChat app (one per tenant). It never carries keys: those come only from create."""

    id: str = Field(validation_alias=AliasChoices("id", "appId"))
    name: str
    region: Region
    state: str = "active"
    plan: str | None = None
    # The create example uses epoch ints, the newer list example ISO strings: both parse.
    created_at: UtcDatetime | None = Field(None, validation_alias=AliasChoices("createdAt", "created_at"))

    @model_validator(mode="before")
    @classmethod
    def _region_from_app_region(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "region" not in data and isinstance(data.get("appRegion"), Mapping):
            return {**data, "region": data["appRegion"].get("id")}
        return data

    @property
    def archived(self) -> bool:
        return self.state.lower() in {"archived", "deleted", "inactive"}


class AppKeys(_Model):
    """The two keys CometChat generates with an app. Secrets: never logged, never printed.

    `recovered` is True when the create response was lost and the keys were read back from the
    app listing of an adopted app (see `ManagementClient.create_app`).
    """

    full_access: SecretStr
    auth_only: SecretStr
    recovered: bool = False

    @classmethod
    def from_api_keys(cls, api_keys: Any, *, recovered: bool = False) -> "AppKeys | None":
        """Pick one key per scope from CometChat's `apiKeys` map; None if either is missing.

        Keys made by `app_system` (the ones created with the app) win over later keys.
        """
        if not isinstance(api_keys, Mapping):
            return None
        entries = [v for v in api_keys.values() if isinstance(v, Mapping) and v.get("apiKey")]
        entries.sort(key=lambda v: v.get("createdBy") != "app_system")
        by_scope: dict[str, str] = {}
        for entry in entries:
            by_scope.setdefault(str(entry.get("scope")), str(entry["apiKey"]))
        if "fullAccess" not in by_scope or "authOnly" not in by_scope:
            return None
        return cls(full_access=SecretStr(by_scope["fullAccess"]), auth_only=SecretStr(by_scope["authOnly"]),
                   recovered=recovered)


class ApiKey(_Model):
    """One REST v3 API key. The key value is also its id in `/apikeys/{apiKey}`."""

    api_key: SecretStr = Field(alias="apiKey")
    name: str
    scope: Scope
    created_at: UtcDatetime | None = Field(None, alias="createdAt")
    created_by: str | None = Field(None, alias="createdBy")


class RoleSettings(_Model):
    list_users: Literal["all", "friendsOnly"] | None = Field(None, alias="listUsers")
    send_messages_to: Literal["all", "friendsOnly"] | None = Field(None, alias="sendMessagesTo")


class Role(_Model):
    """A CometChat role. `role` is the id (lowercase a-z, 0-9, '-', '_'; at most 100)."""

    role: str
    name: str
    description: str | None = None
    metadata: dict[str, Any] | None = None
    settings: RoleSettings | None = None

    def create_body(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)

    def update_body(self) -> dict[str, Any]:
        """PUT body: the desired state; optional fields left empty are explicitly unset."""
        body = self.model_dump(by_alias=True, exclude_none=True, exclude={"role"})
        unset = [f for f in ("description", "metadata", "settings") if getattr(self, f) is None]
        if unset:
            body["unset"] = unset
        return body


class Permission(_Model):
    """One RBAC permission descriptor of a role.

    `value` is the role's current value; the reference does not show whether CometChat returns
    it under that name, so it is optional and `default_value` remains available.
    """

    id: str
    type: str | None = None
    data_type: str | None = Field(None, alias="dataType")
    available_values: list[Any] = Field(default_factory=list, alias="availableValues")
    default_value: Any = Field(None, alias="defaultValue")
    value: Any = None


class WebhookSpec(_Model):
    """A webhook as we ask CometChat to create or update it.

    CometChat's rules (enforced server side): id <= 50 alphanumeric, HTTPS URL <= 255,
    username <= 50 and password <= 100 alphanumeric.
    """

    id: str
    name: str
    webhook_url: str = Field(alias="webhookURL")
    use_basic_auth: bool = Field(False, alias="useBasicAuth")
    username: str | None = None
    password: SecretStr | None = None
    enabled: bool = True
    retry_on_failure: bool = Field(False, alias="retryOnFailure")

    def body(self) -> dict[str, Any]:
        """The wire body, the only place the password is revealed."""
        body = self.model_dump(by_alias=True, exclude_none=True, exclude={"password"})
        if self.password is not None:
            body["password"] = self.password.get_secret_value()
        return body


class Webhook(_Model):
    """A webhook as CometChat reports it (the password is never returned)."""

    id: str
    name: str
    webhook_url: str = Field(alias="webhookURL")
    use_basic_auth: bool = Field(False, alias="useBasicAuth")
    username: str | None = None
    enabled: bool = True
    retry_on_failure: bool = Field(False, alias="retryOnFailure")
    created_at: UtcDatetime | None = Field(None, alias="createdAt")
    updated_at: UtcDatetime | None = Field(None, alias="updatedAt")


class Extension(_Model):
    id: str
    name: str | None = None
    enabled: bool = False
    is_third_party: bool = Field(False, alias="isThirdParty")


class OperationResult(_Model):
    """CometChat's per-item `{success, message}` for bulk settings and extension calls."""

    success: bool
    message: str = ""


class NotificationSettings(_Model):
    """App-level notification settings (`/notifications/v1/settings`).

    CometChat documents the shape only loosely (numeric 1/2 codes, templates implied), so
    everything beyond `preferences` is kept as sent.
    """

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    preferences: dict[str, Any] = Field(default_factory=dict)
