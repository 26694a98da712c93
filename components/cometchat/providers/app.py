"""`CometChatApp`: one CometChat app per tenant, in the tenant's region, and its two keys.

Lifecycle, as CometChat allows it (reference §1.2):
* create: `POST /apps` with `skipSampleData` (a tenant app starts empty). The client lists apps
  by name before creating and before every retry, so a lost answer never makes a second app;
  the name must therefore be unique per tenant and stack (use `app_name()`).
* read: there is no single-app GET; the app is found by listing with `searchKey=<appId>`.
  Keys cannot be read back, so refresh keeps the ones in state.
* name, region or tenant change: replacement (the API renames nothing and moves nothing).
  When the name stays the same, the old app must go first (two apps may not share a name), so
  the replacement is delete-before-replace. In production the Tenant component sets
  `protect=True` on this resource, so a region change is refused instead of archiving the
  tenant's history.
* delete: CometChat *archives* the app and deletes it permanently 30 days later; the operator
  is told the date and that support can restore it until then.
* key rotation: raise `keyGeneration`. The update creates a new fullAccess key with the current
  one, a new authOnly key with the new one, then deletes both old keys with the new fullAccess
  key (a key cannot delete itself) and outputs the new pair. The component stores the pair in
  the tenant's Secrets Manager secret in the same `pulumi up`, right after this update.

The keys come back only from create; they are outputs `fullAccessKey`/`authOnlyKey`, which this
class always lists in `additional_secret_outputs`, so the engine never writes them in plain state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi import dynamic
from pydantic import Field

from components.catalog import TENANT_ID
from components.cometchat.errors import CometChatError
from components.cometchat.models import Region, Scope
from components.cometchat.providers._base import (
    CometChatProvider,
    CometChatResource,
    changed,
    check_inputs,
    parse,
    notify,
)
from components.cometchat.providers.connection import CometChatConnection, ManagementAccess
from components.cometchat.rest import AppClient

APP_SECRET_OUTPUTS = ["fullAccessKey", "authOnlyKey"]
# Inputs CometChat cannot change in place (no PUT on apps): a change replaces the app.
REPLACE_ON = ("tenantId", "name", "region")
_UPDATE_ON = ("environment", "keyGeneration", "restUrl", "managementUrl", "managementKey", "managementSecret",
              "__provider")
_GONE = frozenset({"ERR_APP_NOT_FOUND", "ERR_APP_ARCHIVED"})


def app_name(stack: str, tenant_id: str) -> str:
    """The CometChat app name for a tenant: unique per stack and tenant, as reconciliation needs."""
    return f"hipaachat-{stack}-{tenant_id}"


KEY_PREFIX = "hipaachat-"


def key_name(scope: str, generation: int) -> str:
    return f"{KEY_PREFIX}{scope}-g{generation}"


class AppInputs(ManagementAccess):
    tenant_id: str = Field(alias="tenantId", pattern=TENANT_ID.pattern)
    name: str = Field(min_length=1, max_length=100)
    region: Region
    environment: Literal["prototype", "production"]
    key_generation: int = Field(0, alias="keyGeneration", ge=0)
    rest_url: str = Field(alias="restUrl", pattern=r"\{app_id\}")


class AppProvider(CometChatProvider):
    """CRUD for one tenant's CometChat app (see the module docstring)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs, failures = check_inputs(AppInputs, news)
        if inputs is not None and olds and inputs.key_generation < int(olds.get("keyGeneration", 0)):
            failures.append(dynamic.CheckFailure(
                "keyGeneration", "keyGeneration only increases: a lower value cannot bring back a deleted key"))
        return dynamic.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        inputs = parse(AppInputs, props)
        with self.management(inputs) as management:
            app, keys = management.create_app(inputs.name, inputs.region, skip_sample_data=True)
        if keys.recovered:
            notify(f"CometChat app {app.id} ({app.region}) was created by an earlier attempt whose answer was "
                   "lost; it was adopted instead of creating a second app.")
        return dynamic.CreateResult(app.id, _outputs(inputs, app.id, keys.full_access.get_secret_value(),
                                                     keys.auth_only.get_secret_value()))

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        access = parse(ManagementAccess, props)
        with self.management(access) as management:
            found = [app for app in management.list_apps(search_key=id_) if app.id == id_ and not app.archived]
        if not found:
            # An empty id tells the engine the app is gone (archived or deleted outside Pulumi).
            return dynamic.ReadResult("", {})
        app = found[0]
        return dynamic.ReadResult(id_, {**props, "appId": app.id, "name": app.name, "region": app.region})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = changed(olds, news, REPLACE_ON)
        updates = changed(olds, news, _UPDATE_ON)
        return dynamic.DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            delete_before_replace=bool(replaces) and olds.get("name") == news.get("name"),
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        inputs = parse(AppInputs, news)
        full, auth = olds["fullAccessKey"], olds["authOnlyKey"]
        if inputs.key_generation > int(olds.get("keyGeneration", 0)):
            full, auth = self._rotate(inputs, id_, olds["region"], full, auth)
            notify(f"Rotated the keys of CometChat app {id_} (generation {inputs.key_generation}); "
                   "the previous keys are deleted.")
        return dynamic.UpdateResult(_outputs(inputs, id_, full, auth))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        access = parse(ManagementAccess, props)
        try:
            with self.management(access) as management:
                when = management.delete_app(id_)
        except CometChatError as err:
            if err.code not in _GONE:
                raise
            notify(f"CometChat app {id_} was already deleted or archived ({err.code}); nothing to do.")
            return
        deadline = when.isoformat() if when else "30 days after the first deletion request"
        notify(f"CometChat app {id_} is archived, not yet destroyed: CometChat deletes it permanently at "
               f"{deadline}. Until then CometChat support can restore it.")

    def _rotate(self, inputs: AppInputs, app_id: str, region: str, full: str, auth: str) -> tuple[str, str]:
        """New keys first, old keys last, so a failure midway leaves the stored fullAccess key working.

        A retried rotation reuses the keys an interrupted attempt created (found by name), and
        every other key of ours (the stored pair, older `hipaachat-*` generations) is deleted,
        the stored fullAccess key last. Keys someone created by hand are left alone.
        """
        generation = inputs.key_generation
        with self.app_client(inputs.rest_url, app_id, region, full) as current:
            new_full = _key(current, key_name("fullAccess", generation), "fullAccess")
        with self.app_client(inputs.rest_url, app_id, region, new_full) as rotated:
            new_auth = _key(rotated, key_name("authOnly", generation), "authOnly")
            keep = {new_full, new_auth}
            ours = {k.api_key.get_secret_value() for k in rotated.list_api_keys(search_key=KEY_PREFIX)
                    if k.name.startswith(KEY_PREFIX)}
            for stale in sorted((ours | {auth}) - keep - {full}) + [full]:
                rotated.delete_api_key(stale)
        return new_full, new_auth


def _key(client: AppClient, name: str, scope: Scope) -> str:
    """The key called `name`, created unless an interrupted earlier rotation already made it."""
    existing = [k for k in client.list_api_keys(scope=scope, search_key=name) if k.name == name]
    chosen = existing[0] if existing else client.create_api_key(name, scope)
    return chosen.api_key.get_secret_value()


def _outputs(inputs: AppInputs, app_id: str, full: str, auth: str) -> dict[str, Any]:
    return {
        **inputs.management_outputs(),
        "tenantId": inputs.tenant_id,
        "name": inputs.name,
        "region": inputs.region,
        "environment": inputs.environment,
        "keyGeneration": inputs.key_generation,
        "restUrl": inputs.rest_url,
        "appId": app_id,
        "fullAccessKey": full,
        "authOnlyKey": auth,
    }


@dataclass
class CometChatAppArgs:
    tenant_id: str
    name: str
    region: pulumi.Input[str]
    environment: str
    connection: CometChatConnection
    key_generation: int = 0


class CometChatApp(CometChatResource, module="hipaachat", name="CometChatApp"):
    """A tenant's CometChat app. Outputs `full_access_key`/`auth_only_key` are always secret."""

    tenant_id: pulumi.Output[str]
    app_id: pulumi.Output[str]
    region: pulumi.Output[str]
    full_access_key: pulumi.Output[str]
    auth_only_key: pulumi.Output[str]
    key_generation: pulumi.Output[int]

    def __init__(self, resource_name: str, args: CometChatAppArgs, opts: pulumi.ResourceOptions | None = None):
        props = {
            "tenant_id": args.tenant_id,
            "name": args.name,
            "region": args.region,
            "environment": args.environment,
            "key_generation": args.key_generation,
            **args.connection.management_inputs(),
            **args.connection.rest_inputs(),
            "app_id": None,
            "full_access_key": None,
            "auth_only_key": None,
        }
        # Set here, not left to callers: forgetting it would write both keys to plain state.
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=APP_SECRET_OUTPUTS)
        super().__init__(AppProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_outputs))
