"""The emulator's in-memory CometChat: apps and what they hold, behind one lock.

Handlers run on uvicorn's event loop while tests and the admin endpoints may read from other
threads, so every read-modify-write happens under `EmulatorState.lock`.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from scripts.emulator import catalog
from scripts.emulator.errors import ApiError

ARCHIVE_SECONDS = 30 * 24 * 3600  # CometChat deletes an archived app permanently after 30 days.
REGION_NAMES = {"us": "United States", "eu": "Europe", "in": "India"}


@dataclass
class ApiKeyRecord:
    key: str
    name: str
    scope: str
    created_by: str
    created_at: int

    def render(self) -> dict[str, Any]:
        return {"apiKey": self.key, "name": self.name, "scope": self.scope,
                "createdBy": self.created_by, "createdAt": self.created_at}


@dataclass
class RoleRecord:
    role: str
    name: str
    description: str | None = None
    metadata: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    permissions: dict[str, Any] = field(default_factory=dict)
    created_at: int = 0

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"role": self.role, "name": self.name, "createdAt": self.created_at}
        for name in ("description", "metadata", "settings"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        return body


@dataclass
class WebhookRecord:
    id: str
    name: str
    webhook_url: str
    use_basic_auth: bool
    username: str | None
    password: str | None
    enabled: bool
    retry_on_failure: bool
    version: str
    created_at: int
    updated_at: int
    triggers: set[str] = field(default_factory=set)

    def render(self) -> dict[str, Any]:
        # CometChat never returns the Basic Auth password; neither does the emulator.
        return {"id": self.id, "name": self.name, "webhookURL": self.webhook_url,
                "useBasicAuth": self.use_basic_auth, "username": self.username, "enabled": self.enabled,
                "retryOnFailure": self.retry_on_failure, "createdAt": self.created_at, "updatedAt": self.updated_at}


@dataclass
class AppRecord:
    id: str
    name: str
    region: str
    created_at: int
    api_keys: dict[str, ApiKeyRecord] = field(default_factory=dict)
    roles: dict[str, RoleRecord] = field(default_factory=dict)
    webhooks: dict[str, WebhookRecord] = field(default_factory=dict)
    extensions: dict[str, bool] = field(
        default_factory=lambda: {k: v[2] for k, v in catalog.EXTENSIONS.items()})
    extension_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=catalog.settings_defaults)
    notifications: dict[str, Any] = field(default_factory=catalog.notification_defaults)
    scheduled_delete_at: int | None = None

    @property
    def state(self) -> str:
        return "archived" if self.scheduled_delete_at is not None else "active"

    def render(self, *, with_keys: bool, iso_dates: bool) -> dict[str, Any]:
        created: Any = (time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.created_at))
                        if iso_dates else self.created_at)
        body: dict[str, Any] = {
            "id": self.id, "name": self.name, "plan": "trial", "trialEndsAt": self.created_at + 30 * 86400,
            "state": self.state, "owner": "emulator-owner", "region": self.region, "version": "3",
            "createdAt": created,
            "appOwner": {"id": "emulator-owner", "name": "Local Emulator", "email": "owner@example.invalid"},
            "appRegion": {"id": self.region, "name": REGION_NAMES[self.region],
                          "description": f"Emulated {REGION_NAMES[self.region]} region",
                          "meta": {"apiHost": f"api-{self.region}.cometchat.io"}},
        }
        if with_keys:
            body["apiKeys"] = {k.key: k.render() for k in self.api_keys.values()}
        return body


class EmulatorState:
    """All apps, the clock (which tests may advance) and the lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.apps: dict[str, AppRecord] = {}
        self.clock_offset = 0.0

    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    def reset(self) -> None:
        with self.lock:
            self.apps.clear()
            self.clock_offset = 0.0

    def purge_expired(self) -> None:
        """Archived apps past their 30 days are gone for good, as on CometChat."""
        now = self.now()
        for app_id in [a.id for a in self.apps.values() if a.scheduled_delete_at and a.scheduled_delete_at <= now]:
            del self.apps[app_id]

    def create_app(self, name: str, region: str) -> AppRecord:
        now = self.now()
        app = AppRecord(id=secrets.token_hex(8), name=name, region=region, created_at=now)
        for key_name, scope in (("Rest API Key", "fullAccess"), ("Auth Key", "authOnly")):
            record = ApiKeyRecord(new_api_key(), key_name, scope, "app_system", now)
            app.api_keys[record.key] = record
        app.roles["default"] = RoleRecord("default", "Default", "The default role", created_at=now)
        self.apps[app.id] = app
        return app

    def live_app(self, app_id: str) -> AppRecord:
        """The app for a Management API call: unknown -> 404, archived -> ERR_APP_ARCHIVED."""
        self.purge_expired()
        app = self.apps.get(app_id)
        if app is None:
            raise ApiError(404, "ERR_APP_NOT_FOUND", f"The app {app_id} does not exist.")
        if app.scheduled_delete_at is not None:
            # The status CometChat uses here is undocumented; the code is what clients rely on.
            raise ApiError(403, "ERR_APP_ARCHIVED",
                           "The app is archived and will be permanently deleted after 30 days.",
                           {"scheduledToDeleteAt": [str(app.scheduled_delete_at)]})
        return app

    def rest_app(self, app_id: str, region: str, api_key: str | None) -> tuple[AppRecord, ApiKeyRecord]:
        """The app and key for a REST v3 call, refused as CometChat would.

        An app is served only by its own region's cluster: the wrong region does not know it.
        """
        self.purge_expired()
        app = self.apps.get(app_id)
        if app is None or app.region != region:
            raise ApiError(404, "ERR_APP_NOT_FOUND", f"The app {app_id} does not exist in region {region}.")
        if app.scheduled_delete_at is not None:
            raise ApiError(403, "ERR_APP_ARCHIVED",
                           "The app is archived and will be permanently deleted after 30 days.")
        if not api_key:
            raise ApiError(401, "AUTH_ERR_EMPTY_APIKEY", "The apikey header is missing or empty.")
        key = app.api_keys.get(api_key)
        if key is None:
            raise ApiError(401, "AUTH_ERR_APIKEY_NOT_FOUND", "The apikey provided does not exist for this app.")
        return app, key

    def snapshot(self) -> dict[str, Any]:
        """What tests inspect: structure and counts, never key values or passwords."""
        with self.lock:
            self.purge_expired()
            return {"now": self.now(), "apps": [{
                "id": a.id, "name": a.name, "region": a.region, "state": a.state,
                "scheduledToDeleteAt": a.scheduled_delete_at,
                "apiKeys": sorted(({"name": k.name, "scope": k.scope} for k in a.api_keys.values()),
                                  key=lambda k: (k["name"], k["scope"])),
                "roles": sorted(a.roles),
                "webhooks": {w.id: {"enabled": w.enabled, "version": w.version, "triggers": sorted(w.triggers)}
                             for w in a.webhooks.values()},
                "extensionsEnabled": sorted(k for k, on in a.extensions.items() if on),
                "settings": dict(a.settings),
            } for a in self.apps.values()]}


def new_api_key() -> str:
    """40 hex characters, like CometChat's keys."""
    return secrets.token_hex(20)
