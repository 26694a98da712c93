"""The Management API (`apimgmt.cometchat.io`): apps, settings, extensions, webhooks, triggers.

Paths, bodies and limits follow `reference/cometchat-api.md` §1.2 and §3.4. Where CometChat's
status or code for a refusal is undocumented, the comment says so and the emulator picks one.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.routing import Route

from scripts.emulator import catalog
from scripts.emulator.errors import ApiError, bad_request
from scripts.emulator.http import Backend, Call, Reply, management, paginate
from scripts.emulator.state import ARCHIVE_SECONDS, WebhookRecord

MAX_WEBHOOKS = 25
ALNUM = r"^[A-Za-z0-9]+$"


class CreateAppBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=100)
    region: Literal["us", "eu", "in"] = "us"
    version: Literal["3"] = "3"  # only v3 is supported
    skipSampleData: bool = False

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: dict[str, bool]


class ExtensionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: list[str] = []
    disabled: list[str] = []


class MaskingPattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    regex: str
    enableFlag: bool = True

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error:
            raise ValueError("is not a valid regular expression") from None
        return value


class DataMaskingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dropMessage: bool = False
    customregexData: list[MaskingPattern] = []
    defaultRegexData: list[MaskingPattern] = []


class _AnyObject(BaseModel):
    """Settings of extensions whose shape the emulator does not check."""

    model_config = ConfigDict(extra="allow")


class WebhookBody(BaseModel):
    """CometChat's webhook rules: alphanumeric id/username/password, HTTPS URL <= 255."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=50, pattern=ALNUM)
    name: str = Field(min_length=1)
    webhookURL: str = Field(max_length=255)
    useBasicAuth: bool = False
    username: str | None = Field(None, max_length=50, pattern=ALNUM)
    password: str | None = Field(None, max_length=100, pattern=ALNUM)
    enabled: bool = True
    retryOnFailure: bool = False

    @field_validator("webhookURL")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be a valid HTTPS URL")
        return value

    @model_validator(mode="after")
    def _basic_auth_complete(self) -> "WebhookBody":
        if self.useBasicAuth and not (self.username and self.password):
            raise ValueError("useBasicAuth needs a username and a password")
        return self


class TriggersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    triggerIds: list[str] = Field(min_length=1)

    @field_validator("triggerIds")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - catalog.TRIGGERS)
        if unknown:
            raise ValueError(f"unknown trigger ids: {', '.join(unknown)}")
        return value


# -- apps -------------------------------------------------------------------------------------

def create_app(call: Call) -> Any:
    body = call.parse(CreateAppBody)
    app = call.emulator.state.create_app(body.name, body.region)
    # The create response is the one place keys are returned (epoch dates, as in the spec example).
    return app.render(with_keys=True, iso_dates=False)


def list_apps(call: Call) -> Reply:
    state = call.emulator.state
    state.purge_expired()
    needle = (call.query("searchKey") or "").lower()
    # Archived apps are left out: for the operator they are deleted (CometChat's behaviour here
    # is undocumented; hiding them is also what keeps a re-created tenant from adopting one).
    apps = [a for a in state.apps.values()
            if a.scheduled_delete_at is None and (needle in a.id.lower() or needle in a.name.lower())]
    apps.sort(key=lambda a: (a.created_at, a.id))
    legacy = call.emulator.faults.config.legacy_list_shape
    return paginate(call, [a.render(with_keys=legacy, iso_dates=True) for a in apps])


def delete_app(call: Call) -> Any:
    app = call.the_app
    app.scheduled_delete_at = call.emulator.state.now() + ARCHIVE_SECONDS
    return {"success": True, "scheduledToDeleteAt": app.scheduled_delete_at}


# -- settings and extensions --------------------------------------------------------------------

def get_settings(call: Call) -> Any:
    return dict(call.the_app.settings)


def set_settings(call: Call) -> Any:
    body = call.parse(SettingsBody)
    results: dict[str, Any] = {}
    for key, value in body.settings.items():
        if key not in call.the_app.settings:
            results[key] = {"success": False, "message": "Unknown setting."}
        else:
            call.the_app.settings[key] = value
            results[key] = {"success": True, "message": f"{key} updated."}
    return results


def list_extensions(call: Call) -> Reply:
    app = call.the_app
    return paginate(call, [{"id": ext_id, "name": name, "isThirdParty": third, "enabled": app.extensions[ext_id]}
                           for ext_id, (name, third, _) in catalog.EXTENSIONS.items()])


def set_extensions(call: Call) -> Any:
    body = call.parse(ExtensionsBody)
    both = sorted(set(body.enabled) & set(body.disabled))
    if both:
        raise bad_request("An extension cannot be enabled and disabled at once.", enabled=", ".join(both))
    results: dict[str, Any] = {}
    for ext_id, on in [(e, True) for e in body.enabled] + [(e, False) for e in body.disabled]:
        if ext_id not in catalog.EXTENSIONS:
            results[ext_id] = {"success": False, "message": "ERR_EXTENSION_NOT_FOUND"}
            continue
        call.the_app.extensions[ext_id] = on
        results[ext_id] = {"success": True, "message": f"{ext_id} {'enabled' if on else 'disabled'}."}
    return results


def extension_settings(call: Call) -> Any:
    """GET/PUT/POST/DELETE one extension's settings, answered in the spec's proxy shape."""
    app, ext_id, method = call.the_app, call.params["extension_id"], call.request.method
    if ext_id not in catalog.EXTENSIONS:
        raise ApiError(404, "ERR_EXTENSION_NOT_FOUND", f"The extension {ext_id} does not exist.")
    if not app.extensions[ext_id]:
        raise ApiError(400, "ERR_EXTENSION_INACTIVE", f"The extension {ext_id} is not enabled for this app.")
    masking = ext_id in catalog.PUT_ONLY_SETTINGS
    if masking and method == "POST":
        raise ApiError(405, "ERR_BAD_REQUEST", f"{ext_id} settings support GET, PUT and DELETE only.")
    defaults = catalog.data_masking_defaults() if ext_id == "data-masking" else {}
    if method in ("PUT", "POST"):
        app.extension_settings[ext_id] = (call.parse(DataMaskingBody).model_dump() if masking
                                          else dict(call.parse(_AnyObject).model_extra or {}))
    elif method == "DELETE":
        app.extension_settings.pop(ext_id, None)
    settings = app.extension_settings.get(ext_id, defaults)
    return {"statusCode": 200, "success": True, "body": {"data": settings}}


# -- webhooks ----------------------------------------------------------------------------------

def _webhook(call: Call) -> WebhookRecord:
    webhook = call.the_app.webhooks.get(call.params["webhook_id"])
    if webhook is None:
        raise ApiError(404, "ERR_WEBHOOK_NOT_FOUND", "The webhook does not exist.")
    return webhook


def create_webhook(call: Call) -> Any:
    body, app, now = call.parse(WebhookBody), call.the_app, call.emulator.state.now()
    if body.id in app.webhooks:
        raise ApiError(409, "ERR_WEBHOOK_ALREADY_EXISTS", "A webhook with this id already exists.")
    if len(app.webhooks) >= MAX_WEBHOOKS:
        # CometChat's code for this limit is undocumented.
        raise ApiError(400, "ERR_LIMIT_EXCEEDED", f"An app can have at most {MAX_WEBHOOKS} webhooks.",
                       {"webhooks": [f"at most {MAX_WEBHOOKS}"]})
    version = "2" if call.headers.get("x-webhook-version") == "2" else "1"
    app.webhooks[body.id] = WebhookRecord(
        body.id, body.name, body.webhookURL, body.useBasicAuth, body.username, body.password,
        body.enabled, body.retryOnFailure, version, now, now)
    return app.webhooks[body.id].render()


def list_webhooks(call: Call) -> Reply:
    needle = (call.query("searchKey") or "").lower()
    hooks = [w.render() for w in call.the_app.webhooks.values()
             if needle in w.id.lower() or needle in w.name.lower()]
    return paginate(call, hooks)


def webhook(call: Call) -> Any:
    """GET, PUT (replace; the id is fixed) or DELETE one webhook."""
    hook = _webhook(call)
    if call.request.method == "DELETE":
        del call.the_app.webhooks[hook.id]
        return {"success": True}
    if call.request.method == "PUT":
        body = call.parse(WebhookBody)
        if body.id != hook.id:
            raise bad_request("A webhook id cannot be changed.", id="must match the path")
        hook.name, hook.webhook_url, hook.use_basic_auth = body.name, body.webhookURL, body.useBasicAuth
        hook.username, hook.password, hook.enabled = body.username, body.password, body.enabled
        hook.retry_on_failure, hook.updated_at = body.retryOnFailure, call.emulator.state.now()
    return hook.render()


def triggers(call: Call) -> Any:
    hook = _webhook(call)
    if call.request.method == "GET":
        return [{"trigger": t, "webhookId": hook.id} for t in sorted(hook.triggers)]
    ids = set(call.parse(TriggersBody).triggerIds)
    # Adding an attached trigger or removing an absent one is a no-op, so repeats are safe.
    hook.triggers = hook.triggers | ids if call.request.method == "POST" else hook.triggers - ids
    return {"success": True, "triggers": sorted(hook.triggers)}


def routes(emulator: Backend) -> list[Route]:
    app = "/apps/{app_id}"
    hook = app + "/webhooks/{webhook_id}"
    return [
        Route("/apps", management(emulator, create_app, needs_app=False), methods=["POST"]),
        Route("/apps", management(emulator, list_apps, needs_app=False), methods=["GET"]),
        Route(app, management(emulator, delete_app), methods=["DELETE"]),
        Route(app + "/settings", management(emulator, get_settings), methods=["GET"]),
        Route(app + "/settings", management(emulator, set_settings), methods=["POST"]),
        Route(app + "/extensions", management(emulator, list_extensions), methods=["GET"]),
        Route(app + "/extensions", management(emulator, set_extensions), methods=["POST"]),
        Route(app + "/extensions/{extension_id}/v1/settings", management(emulator, extension_settings),
              methods=["GET", "PUT", "POST", "DELETE"]),
        Route(app + "/webhooks", management(emulator, create_webhook), methods=["POST"]),
        Route(app + "/webhooks", management(emulator, list_webhooks), methods=["GET"]),
        Route(hook, management(emulator, webhook), methods=["GET", "PUT", "DELETE"]),
        Route(hook + "/triggers", management(emulator, triggers), methods=["GET", "POST", "DELETE"]),
    ]
