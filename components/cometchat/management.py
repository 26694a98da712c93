"""CometChat's Management (multi-tenancy) API: apps, app settings, extensions, webhooks.

Authenticates with the `key`/`secret` pair CometChat Sales issues for multi-tenant plans
(`hipaachat:cometchatManagementKey` / `hipaachat:cometchatManagementSecret`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import httpx
from pydantic import SecretStr

from components.cometchat.errors import (
    APP_NAME_CONFLICT,
    BAD_RESPONSE,
    INVALID_ARGUMENT,
    KEYS_UNRECOVERABLE,
    PARTIAL_FAILURE,
    CometChatError,
)
from components.cometchat.models import (
    REGIONS,
    App,
    AppKeys,
    Extension,
    OperationResult,
    Webhook,
    WebhookSpec,
)
from components.cometchat.retry import RetryPolicy
from components.cometchat.transport import Body, Transport, data_of, list_all, list_data_of, parse_model, segment

log = logging.getLogger("hipaachat.cometchat")

# Opt in to CometChat's current webhook implementation; without it new webhooks are "legacy".
_WEBHOOK_VERSION = {"X-Webhook-Version": "2"}


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


def _results(body: Body, what: str) -> dict[str, OperationResult]:
    """Per-item `{success, message}` results; any failure is raised, never silently ignored."""
    data = data_of(body)
    if not isinstance(data, dict):
        raise CometChatError(f"CometChat answered {what} without per-item results.", code=BAD_RESPONSE)
    results = {str(k): parse_model(OperationResult, v, what) for k, v in data.items()}
    failed = {k: r.message for k, r in results.items() if not r.success}
    if failed:
        raise CometChatError(f"CometChat refused part of {what}: {failed}. Fix or remove those entries and run again; "
                             "the others were applied (the call is safe to repeat).",
                             code=PARTIAL_FAILURE, details={"failed": failed})
    return results


class ManagementClient:
    """A client for `https://apimgmt.cometchat.io` (or the emulator). Use as a context manager."""

    def __init__(
        self,
        base_url: str,
        key: str | SecretStr,
        secret: str | SecretStr,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._t = Transport(base_url, {"key": _secret(key), "secret": _secret(secret)}, api="management",
                            timeout=timeout, retry=retry, http_transport=http_transport)
        self._page_size = page_size

    def __enter__(self) -> "ManagementClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._t.close()

    # -- apps -----------------------------------------------------------------------------

    def create_app(self, name: str, region: str, skip_sample_data: bool = True) -> tuple[App, AppKeys]:
        """Create the app, or adopt the one an earlier, unanswered attempt already created.

        CometChat has no idempotency token and returns the app's keys only in the create
        response, so a blind retry of a create whose answer was lost would make a second app
        (with a second bill and a tenant split across two apps). Therefore, before the first
        attempt and before every retry, the apps are listed by name (`searchKey`):

        * no active app has this exact name: (re)send the create;
        * exactly one, in the requested region: adopt it. Its keys are taken from the listing
          when CometChat includes them (the older list shape has `apiKeys`), and returned with
          `AppKeys.recovered = True`;
        * one without keys in the listing: raise `HIPAACHAT_KEYS_UNRECOVERABLE` (details:
          app_id, name, region). No key can be minted without a fullAccess key, and deleting
          the app automatically could destroy a tenant's live app, so the operator decides:
          the provider layer fails the create with this message and records nothing; the
          operator either deletes that app (dashboard or `DELETE /apps/{id}`; archived apps are
          never adopted) and runs `pulumi up` again, or creates a fullAccess key for it in the
          dashboard and imports the app with that key;
        * an app with this name in another region, or several: raise `HIPAACHAT_APP_NAME_CONFLICT`.

        App names must therefore be unique per tenant and stack (the provider layer derives
        them from both). Residual risk: a create the server commits only after our retry's
        listing would still duplicate; the wait before each retry makes that unlikely.
        """
        if region not in REGIONS:
            raise CometChatError(f"Region {region!r} is not a CometChat region; use one of {', '.join(REGIONS)}.",
                                 code=INVALID_ARGUMENT)
        existing = self._adopt(name, region, deadline=None)
        if existing is not None:
            return existing
        # `version` is optional with default "3"; sent anyway, as it is unclear whether non-US regions need it.
        body = {"name": name, "region": region, "version": "3", "skipSampleData": skip_sample_data}
        return self._t.call("POST", "/apps", self._created, json=body,
                            reconcile=lambda deadline: self._adopt(name, region, deadline))

    def list_apps(self, search_key: str | None = None) -> list[App]:
        """Every app visible to the management key (all pages); `search_key` matches id or name."""
        return [parse_model(App, raw, "an app") for raw in self._list_raw(search_key, None)]

    def find_app_by_name(self, name: str) -> App | None:
        """The one active app whose name is exactly `name`, or None; several is an error."""
        matches = [app for app in self.list_apps(name) if app.name == name and not app.archived]
        if len(matches) > 1:
            raise self._ambiguous(name, matches)
        return matches[0] if matches else None

    def delete_app(self, app_id: str) -> datetime | None:
        """Schedule the app's deletion (CometChat archives it for 30 days); returns when.

        None means an earlier attempt of this same call deleted it but its answer was lost:
        the retry then sees `ERR_APP_ARCHIVED`, which carries no date. If the app was already
        archived before this call, `ERR_APP_ARCHIVED` is raised.
        """
        body = self._t.delete(f"/apps/{segment(app_id)}", frozenset({"ERR_APP_ARCHIVED"}))
        if body is None:
            return None
        data = data_of(body)
        when = data.get("scheduledToDeleteAt") if isinstance(data, dict) else None
        if isinstance(when, (int, float)):
            return datetime.fromtimestamp(when / 1000 if when > 2e10 else when, tz=timezone.utc)
        if isinstance(when, str):
            return _parse_iso(when)
        raise CometChatError("CometChat accepted the deletion but sent no `scheduledToDeleteAt`.", code=BAD_RESPONSE)

    def _created(self, body: Body) -> tuple[App, AppKeys]:
        data = data_of(body)
        keys = AppKeys.from_api_keys(data.get("apiKeys") if isinstance(data, dict) else None)
        app = parse_model(App, data, "a created app")
        if keys is None:
            raise CometChatError(
                f"CometChat created app {app.id} but returned no fullAccess/authOnly keys. Create a fullAccess key "
                f"for it in the dashboard, or delete app {app.id} and run again.",
                code=KEYS_UNRECOVERABLE, details={"app_id": app.id, "name": app.name, "region": app.region})
        for key in (keys.full_access, keys.auth_only):
            self._t.remember_secret(key.get_secret_value())
        log.info("created CometChat app %s in region %s", app.id, app.region)
        return app, keys

    def _list_raw(self, search_key: str | None, deadline: float | None) -> list[Body]:
        params = {"searchKey": search_key} if search_key else None
        return list_all(self._t, "/apps", params=params, page_size=self._page_size, deadline=deadline)

    def _adopt(self, name: str, region: str, deadline: float | None) -> tuple[App, AppKeys] | None:
        raws = [raw for raw in self._list_raw(name, deadline) if raw.get("name") == name]
        active = [(raw, parse_model(App, raw, "an app")) for raw in raws]
        active = [(raw, app) for raw, app in active if not app.archived]
        if not active:
            return None
        if len(active) > 1:
            raise self._ambiguous(name, [app for _, app in active])
        raw, app = active[0]
        if app.region != region:
            raise CometChatError(
                f"An app named {name!r} already exists in region {app.region} (id {app.id}), but region {region} was "
                f"requested. A region cannot be changed: delete app {app.id} if it is unused, or keep its region.",
                code=APP_NAME_CONFLICT, details={"app_id": app.id, "name": name, "region": app.region})
        keys = AppKeys.from_api_keys(raw.get("apiKeys"), recovered=True)
        if keys is None:
            raise CometChatError(
                f"App {app.id} named {name!r} ({region}) already exists, most likely created by an earlier "
                "attempt whose answer was lost, and CometChat returns an app's keys only when creating it. "
                f"hipaachat will not create a second app. Either delete app {app.id} in the CometChat dashboard "
                f"(or DELETE /apps/{app.id}) and run `pulumi up` again, or create a fullAccess key for it in the "
                "dashboard and import the app with that key.",
                code=KEYS_UNRECOVERABLE, details={"app_id": app.id, "name": name, "region": region})
        for key in (keys.full_access, keys.auth_only):
            self._t.remember_secret(key.get_secret_value())
        log.warning("adopted existing CometChat app %s (%s) instead of creating a second one", app.id, region)
        return app, keys

    @staticmethod
    def _ambiguous(name: str, apps: Sequence[App]) -> CometChatError:
        ids = ", ".join(app.id for app in apps)
        return CometChatError(
            f"{len(apps)} apps are named {name!r} (ids {ids}); hipaachat needs one app per name. Delete the ones "
            "not recorded in the Pulumi state (see `pulumi stack export`), then run again.",
            code=APP_NAME_CONFLICT, details={"app_ids": [app.id for app in apps], "name": name})

    # -- app settings and extensions ------------------------------------------------------

    def get_settings(self, app_id: str) -> dict[str, Any]:
        data = self._t.call("GET", f"/apps/{segment(app_id)}/settings", data_of)
        if not isinstance(data, dict):
            raise CometChatError("CometChat answered GET settings without a settings map.", code=BAD_RESPONSE)
        return data

    def set_settings(self, app_id: str, settings: Mapping[str, bool]) -> dict[str, OperationResult]:
        """Map app settings (`{key: bool}`); raises `HIPAACHAT_PARTIAL_FAILURE` if any key was refused."""
        return self._t.call("POST", f"/apps/{segment(app_id)}/settings",
                            lambda b: _results(b, "the settings update"), json={"settings": dict(settings)})

    def list_extensions(self, app_id: str) -> list[Extension]:
        raws = list_all(self._t, f"/apps/{segment(app_id)}/extensions", page_size=self._page_size)
        return [parse_model(Extension, raw, "an extension") for raw in raws]

    def set_extensions(self, app_id: str, enabled: Sequence[str] = (), disabled: Sequence[str] = ()
                       ) -> dict[str, OperationResult]:
        """Enable and disable extensions in one call; repeating it is harmless."""
        return self._t.call("POST", f"/apps/{segment(app_id)}/extensions",
                            lambda b: _results(b, "the extensions update"),
                            json={"enabled": list(enabled), "disabled": list(disabled)})

    def get_extension_settings(self, app_id: str, extension_id: str) -> dict[str, Any]:
        return self._t.call("GET", self._extension_path(app_id, extension_id), _extension_settings)

    def put_extension_settings(self, app_id: str, extension_id: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Replace an extension's settings (PUT: the only write `data-masking` supports)."""
        return self._t.call("PUT", self._extension_path(app_id, extension_id), _extension_settings,
                            json=dict(settings))

    @staticmethod
    def _extension_path(app_id: str, extension_id: str) -> str:
        return f"/apps/{segment(app_id)}/extensions/{segment(extension_id)}/v1/settings"

    # -- webhooks -------------------------------------------------------------------------

    def create_webhook(self, app_id: str, spec: WebhookSpec) -> Webhook:
        """Create a webhook; if an unanswered earlier attempt already did, return that one."""
        path = f"/apps/{segment(app_id)}/webhooks"
        if spec.password is not None:
            self._t.remember_secret(spec.password.get_secret_value())
        return self._t.call("POST", path, _webhook, json=spec.body(), headers=_WEBHOOK_VERSION,
                            reconcile=lambda deadline: self._find_webhook(app_id, spec.id, deadline))

    def get_webhook(self, app_id: str, webhook_id: str) -> Webhook:
        return self._t.call("GET", self._webhook_path(app_id, webhook_id), _webhook)

    def update_webhook(self, app_id: str, spec: WebhookSpec) -> Webhook:
        if spec.password is not None:
            self._t.remember_secret(spec.password.get_secret_value())
        return self._t.call("PUT", self._webhook_path(app_id, spec.id), _webhook,
                            json=spec.body(), headers=_WEBHOOK_VERSION)

    def delete_webhook(self, app_id: str, webhook_id: str) -> None:
        self._t.delete(self._webhook_path(app_id, webhook_id), frozenset({"ERR_WEBHOOK_NOT_FOUND"}))

    def list_webhooks(self, app_id: str) -> list[Webhook]:
        raws = list_all(self._t, f"/apps/{segment(app_id)}/webhooks", page_size=self._page_size)
        return [parse_model(Webhook, raw, "a webhook") for raw in raws]

    def add_triggers(self, app_id: str, webhook_id: str, trigger_ids: Sequence[str]) -> None:
        # Adding a trigger that is already attached is a no-op, so a retry is safe.
        self._t.call("POST", self._triggers_path(app_id, webhook_id), data_of, json={"triggerIds": list(trigger_ids)})

    def list_triggers(self, app_id: str, webhook_id: str) -> list[str]:
        return self._t.call("GET", self._triggers_path(app_id, webhook_id), _trigger_ids)

    def remove_triggers(self, app_id: str, webhook_id: str, trigger_ids: Sequence[str]) -> None:
        self._t.call("DELETE", self._triggers_path(app_id, webhook_id), data_of,
                     json={"triggerIds": list(trigger_ids)})

    def _find_webhook(self, app_id: str, webhook_id: str, deadline: float) -> Webhook | None:
        try:
            return self._t.call("GET", self._webhook_path(app_id, webhook_id), _webhook, deadline=deadline)
        except CometChatError as err:
            if err.code == "ERR_WEBHOOK_NOT_FOUND":
                return None
            raise

    @staticmethod
    def _webhook_path(app_id: str, webhook_id: str) -> str:
        return f"/apps/{segment(app_id)}/webhooks/{segment(webhook_id)}"

    def _triggers_path(self, app_id: str, webhook_id: str) -> str:
        return f"{self._webhook_path(app_id, webhook_id)}/triggers"


def _webhook(body: Body) -> Webhook:
    return parse_model(Webhook, data_of(body), "a webhook")


def _trigger_ids(body: Body) -> list[str]:
    # The reference does not show the list's item shape: accept plain ids or `{trigger: id}`.
    data = list_data_of(body, "the trigger list")
    ids = [item if isinstance(item, str) else item.get("trigger") for item in data if isinstance(item, (str, dict))]
    return sorted(str(i) for i in ids if i)


def _extension_settings(body: Body) -> dict[str, Any]:
    """Unwrap `data{statusCode, success, body:{data:{...settings}}}` (the spec's extension proxy shape)."""
    data = data_of(body)
    inner = data.get("body") if isinstance(data, dict) else None
    settings = inner.get("data") if isinstance(inner, dict) else None
    if not isinstance(settings, dict):
        raise CometChatError("CometChat answered extension settings without `data.body.data`.", code=BAD_RESPONSE)
    return settings


def _parse_iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CometChatError(f"CometChat sent an unreadable date {value!r}.", code=BAD_RESPONSE) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
