"""One app's REST API v3: API keys, roles, role permissions, notification settings.

Served at `/_apps/{appId}/{region}/v3/...` and, routed by `Host: {appId}.api-{region}.cometchat.io`,
at `/v3/...` exactly as CometChat serves it (see `app.py`). Reference: §1.3, §3.1, §3.5.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.routing import Mount, Route

from scripts.emulator import catalog
from scripts.emulator.errors import ApiError, bad_request
from scripts.emulator.http import Backend, Call, Reply, paginate, rest
from scripts.emulator.state import ApiKeyRecord, RoleRecord, new_api_key

MAX_ROLES = 25  # including the built-in `default` role
# CometChat's constraints page and its OpenAPI files agree on 25 keys per app (including the two
# created with the app); an earlier reading of 10 was not confirmed.
MAX_API_KEYS = 25
ROLE_ID = re.compile(r"^[a-z0-9_-]{1,100}$")
Reach = Literal["all", "friendsOnly"]


class ApiKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scope: Literal["authOnly", "fullAccess"] = "authOnly"


class RoleSettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    listUsers: Reach | None = None
    sendMessagesTo: Reach | None = None


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=255)
    metadata: dict[str, Any] | None = None
    settings: RoleSettingsBody | None = None

    @field_validator("role")
    @classmethod
    def _role_id(cls, value: str) -> str:
        value = value.lower()  # CometChat forces role ids to lowercase
        if not ROLE_ID.match(value):
            raise ValueError("must be 1-100 characters of a-z, 0-9, '-' and '_'")
        return value


class RoleUpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=255)
    metadata: dict[str, Any] | None = None
    settings: RoleSettingsBody | None = None
    unset: list[Literal["settings", "description", "metadata"]] = []


class PermissionsBody(BaseModel):
    # Wrapped in `permissions`, like the documented group-scope endpoint; see the client's note.
    model_config = ConfigDict(extra="forbid")

    permissions: dict[str, Any]


# -- API keys ----------------------------------------------------------------------------------

def create_api_key(call: Call) -> Any:
    body, app = call.parse(ApiKeyBody), call.the_app
    if len(app.api_keys) >= MAX_API_KEYS:
        raise ApiError(400, "ERR_LIMIT_EXCEEDED", f"An app can have at most {MAX_API_KEYS} API keys.",
                       {"apikeys": [f"at most {MAX_API_KEYS}"]})
    record = ApiKeyRecord(new_api_key(), body.name, body.scope, "api", call.emulator.state.now())
    app.api_keys[record.key] = record
    return record.render()


def list_api_keys(call: Call) -> Reply:
    scope, needle = call.query("scope"), (call.query("searchKey") or "").lower()
    keys = [k.render() for k in sorted(call.the_app.api_keys.values(), key=lambda k: (k.created_at, k.name))
            if (not scope or k.scope == scope) and needle in k.name.lower()]
    return paginate(call, keys)


def delete_api_key(call: Call) -> Any:
    target = call.params["api_key"]
    assert call.key is not None
    if target not in call.the_app.api_keys:
        raise ApiError(404, "ERR_APIKEY_NOT_FOUND", "The API key does not exist.")
    if target == call.key.key:
        raise ApiError(403, "ERR_APIKEY_NO_SELF_ACTION", "An API key cannot delete itself; use another fullAccess key.")
    del call.the_app.api_keys[target]
    return {"success": True, "message": "API key deleted."}


# -- roles -------------------------------------------------------------------------------------

def _role(call: Call) -> RoleRecord:
    role = call.the_app.roles.get(call.params["role"].lower())
    if role is None:
        raise ApiError(404, "ERR_ROLE_NOT_FOUND", "The role does not exist.")
    return role


def create_role(call: Call) -> Any:
    body, app = call.parse(RoleBody), call.the_app
    if body.role in app.roles:
        raise ApiError(409, "ERR_ROLE_ALREADY_EXISTS", "A role with this id already exists.")
    if len(app.roles) >= MAX_ROLES:
        raise ApiError(400, "ERR_LIMIT_EXCEEDED", f"An app can have at most {MAX_ROLES} roles.",
                       {"roles": [f"at most {MAX_ROLES}, including the default role"]})
    settings = body.settings.model_dump(exclude_none=True) if body.settings else None
    app.roles[body.role] = RoleRecord(body.role, body.name, body.description, body.metadata, settings,
                                      created_at=call.emulator.state.now())
    return app.roles[body.role].render()


def list_roles(call: Call) -> Reply:
    return paginate(call, [r.render() for r in sorted(call.the_app.roles.values(), key=lambda r: r.role)])


def role(call: Call) -> Any:
    """GET, PUT (with `unset`) or DELETE one role; `default` cannot be deleted."""
    record = _role(call)
    if call.request.method == "DELETE":
        if record.role == "default":
            raise ApiError(403, "ERR_ROLE_DELETE_DENIED", "The default role cannot be deleted.")
        del call.the_app.roles[record.role]
        return {"success": True, "message": f"Role {record.role} deleted."}
    if call.request.method == "PUT":
        body = call.parse(RoleUpdateBody)
        if body.name is not None:
            record.name = body.name
        if body.description is not None:
            record.description = body.description
        if body.metadata is not None:
            record.metadata = body.metadata
        if body.settings is not None:
            record.settings = body.settings.model_dump(exclude_none=True)
        for name in body.unset:
            setattr(record, name, None)
    return record.render()


def permissions(call: Call) -> Any:
    record = _role(call)
    if call.request.method == "PUT":
        wanted = call.parse(PermissionsBody).permissions
        problems = {pid: [why] for pid, value in wanted.items() if (why := catalog.permission_error(pid, value))}
        if problems:
            raise ApiError(400, "ERR_BAD_REQUEST", "Invalid permissions: " + ", ".join(sorted(problems)), problems)
        record.permissions.update(wanted)
    return [{"id": pid, "type": kind, "dataType": data_type, "availableValues": available,
             "defaultValue": default, "value": record.permissions.get(pid, default)}
            for pid, (kind, data_type, available, default) in catalog.PERMISSIONS.items()]


# -- notifications -----------------------------------------------------------------------------

def _merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def notification_settings(call: Call) -> Any:
    """GET, or PATCH (deep merge). The shape is not validated: CometChat documents it only loosely."""
    if call.request.method == "PATCH":
        if not isinstance(call.body, dict):
            raise bad_request("The request body must be a JSON object.", body="expected an object")
        _merge(call.the_app.notifications, call.body)
    return call.the_app.notifications


def routes(emulator: Backend) -> list[Mount]:
    return [Mount("/_apps/{app_id}/{region}/v3", routes=[
        Route("/apikeys", rest(emulator, create_api_key), methods=["POST"]),
        Route("/apikeys", rest(emulator, list_api_keys), methods=["GET"]),
        Route("/apikeys/{api_key}", rest(emulator, delete_api_key), methods=["DELETE"]),
        Route("/roles", rest(emulator, create_role), methods=["POST"]),
        Route("/roles", rest(emulator, list_roles), methods=["GET"]),
        Route("/roles/{role}", rest(emulator, role), methods=["GET", "PUT", "DELETE"]),
        Route("/roles/{role}/permissions", rest(emulator, permissions), methods=["GET", "PUT"]),
        Route("/notifications/v1/settings", rest(emulator, notification_settings), methods=["GET", "PATCH"]),
    ])]
