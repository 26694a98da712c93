"""`CometChatExtensions`: AI/third-party extensions, data masking and push privacy of one app.

What is switched on or off, and why, is `safeguards.py`. This resource applies it (Management
API for extensions, masking and app settings; the app's REST v3 for notification preferences)
and, on refresh, records whether the app is still in that shape (`compliant`); a drifted app
shows as an update on the next `pulumi up`, which puts it back.

Deleting the resource changes nothing in CometChat: it only goes away with the app, and
switching masking off on the way out would only weaken an app that is still being archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi import dynamic
from pydantic import BaseModel, ConfigDict, Field

from components.cometchat.errors import CometChatError
from components.cometchat.providers._base import (
    APP_GONE,
    ConvergingProvider,
    CometChatResource,
    changed,
    check_inputs,
    parse,
)
from components.cometchat.providers.connection import AppAccess, CometChatConnection, ManagementAccess
from components.cometchat.providers.safeguards import (
    DATA_MASKING,
    PUSH_APP_SETTINGS,
    PUSH_PAYLOAD_PATCH,
    data_masking_settings,
    masking_in_force,
    plan_extensions,
    push_private,
)

_REPLACE_ON = ("tenantId", "appId", "region")
_UPDATE_ON = ("features", "apiKey", "restUrl", "managementUrl", "managementKey", "managementSecret", "__provider")


class Features(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ai: bool = False


class ExtensionsInputs(AppAccess, ManagementAccess):
    features: Features = Field(default_factory=Features)


class ExtensionsProvider(ConvergingProvider):
    """Keeps an app's extensions, data masking and push privacy as the tenant's features allow."""

    inputs_model = ExtensionsInputs
    id_suffix = "safeguards"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        _, failures = check_inputs(ExtensionsInputs, news)
        return dynamic.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = changed(olds, news, _REPLACE_ON)
        drifted = olds.get("compliant") is False
        return dynamic.DiffResult(changes=bool(replaces or drifted or changed(olds, news, _UPDATE_ON)),
                                  replaces=replaces)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        inputs = parse(ExtensionsInputs, props)
        try:
            with self.management(inputs) as management:
                catalogue = management.list_extensions(inputs.app_id)
                plan = plan_extensions(catalogue, inputs.features.ai)
                enabled = {ext.id for ext in catalogue if ext.enabled}
                masking = (management.get_extension_settings(inputs.app_id, DATA_MASKING)
                           if DATA_MASKING in enabled else {})
                settings = management.get_settings(inputs.app_id)
            with self.app_client(inputs.rest_url, inputs.app_id, inputs.region, inputs.api_key) as rest:
                preferences = rest.get_notification_settings().model_dump()
        except CometChatError as err:
            if err.code in APP_GONE:
                return dynamic.ReadResult("", {})
            raise
        compliant = (set(plan.enabled) <= enabled and not set(plan.disabled) & enabled
                     and masking_in_force(masking) and push_private(preferences)
                     and all(settings.get(k) == v for k, v in PUSH_APP_SETTINGS.items()))
        return dynamic.ReadResult(id_, {**props, "enabledExtensions": sorted(enabled), "compliant": compliant})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to undo (see the module docstring)."""

    def _apply(self, inputs: ExtensionsInputs) -> dict[str, Any]:
        with self.management(inputs) as management:
            plan = plan_extensions(management.list_extensions(inputs.app_id), inputs.features.ai)
            management.set_extensions(inputs.app_id, enabled=plan.enabled, disabled=plan.disabled)
            current = management.get_extension_settings(inputs.app_id, DATA_MASKING)
            masking = data_masking_settings(current)
            management.put_extension_settings(inputs.app_id, DATA_MASKING, masking)
            management.set_settings(inputs.app_id, PUSH_APP_SETTINGS)
        with self.app_client(inputs.rest_url, inputs.app_id, inputs.region, inputs.api_key) as rest:
            rest.patch_notification_settings(PUSH_PAYLOAD_PATCH)
        return {
            **inputs.app_outputs(),
            **inputs.management_outputs(),
            "features": inputs.features.model_dump(),
            "enabledExtensions": plan.enabled,
            "disabledExtensions": plan.disabled,
            "maskingPatterns": sorted(p["id"] for p in masking["defaultRegexData"] + masking["customregexData"]),
            "compliant": True,
        }


@dataclass
class CometChatExtensionsArgs:
    tenant_id: str
    app_id: pulumi.Input[str]
    region: pulumi.Input[str]
    api_key: pulumi.Input[str]
    ai: bool
    connection: CometChatConnection


class CometChatExtensions(CometChatResource, module="hipaachat", name="CometChatExtensions"):
    """The app's extension, data-masking and push-privacy safeguards."""

    enabled_extensions: pulumi.Output[list[str]]
    disabled_extensions: pulumi.Output[list[str]]
    masking_patterns: pulumi.Output[list[str]]
    compliant: pulumi.Output[bool]

    def __init__(self, resource_name: str, args: CometChatExtensionsArgs,
                 opts: pulumi.ResourceOptions | None = None):
        props = {
            "tenant_id": args.tenant_id,
            "app_id": args.app_id,
            "region": args.region,
            "api_key": pulumi.Output.secret(args.api_key),
            "features": {"ai": args.ai},
            **args.connection.management_inputs(),
            **args.connection.rest_inputs(),
            "enabled_extensions": None,
            "disabled_extensions": None,
            "masking_patterns": None,
            "compliant": None,
        }
        super().__init__(ExtensionsProvider(), resource_name, props, opts)
