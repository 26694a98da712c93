"""One app's REST API v3: API keys, roles and their permissions, notification settings.

The base URL comes from a template with `{app_id}` and `{region}` placeholders:
`https://{app_id}.api-{region}.cometchat.io/v3` for CometChat, and
`http://127.0.0.1:8765/_apps/{app_id}/{region}/v3` for the local emulator, which serves the
same API under that path prefix (it also routes by `Host` like CometChat does).
Every call uses the app's fullAccess key in the `apikey` header.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from components.cometchat.errors import INVALID_ARGUMENT, CometChatError
from components.cometchat.models import REGIONS, ApiKey, NotificationSettings, Permission, Role, Scope
from components.cometchat.retry import RetryPolicy
from components.cometchat.transport import Body, Transport, data_of, list_all, list_data_of, parse_model, segment

log = logging.getLogger("hipaachat.cometchat")

# App ids become part of a host name: refuse anything that could redirect the request.
_APP_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


class AppClient:
    """A client for one CometChat app's REST API v3. Use as a context manager."""

    def __init__(
        self,
        rest_url_template: str,
        app_id: str,
        region: str,
        api_key: str | SecretStr,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = 100,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not _APP_ID.match(app_id):
            raise CometChatError(f"App id {app_id!r} is not a CometChat app id (letters and digits only).",
                                 code=INVALID_ARGUMENT)
        if region not in REGIONS:
            raise CometChatError(f"Region {region!r} is not a CometChat region; use one of {', '.join(REGIONS)}.",
                                 code=INVALID_ARGUMENT)
        if "{app_id}" not in rest_url_template:
            raise CometChatError(f"REST URL template {rest_url_template!r} lacks the {{app_id}} placeholder; see "
                                 "`hipaachat:cometchat.restUrl`.", code=INVALID_ARGUMENT)
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self.app_id, self.region = app_id, region
        self._t = Transport(rest_url_template.format(app_id=app_id, region=region), {"apikey": key}, api="rest",
                            timeout=timeout, retry=retry, http_transport=http_transport)
        self._page_size = page_size

    @property
    def base_url(self) -> str:
        """Where this app's REST API is, for messages and diagnostics (it holds no secret)."""
        return str(self._t.base_url)

    def __enter__(self) -> "AppClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._t.close()

    # -- API keys -------------------------------------------------------------------------

    def create_api_key(self, name: str, scope: Scope) -> ApiKey:
        """Create a key; a lost answer is reconciled by looking for a key of this name that is new.

        Keys are listed before the first attempt so that an older key with the same name is
        never mistaken for the one this call created.
        """
        before = {k.api_key.get_secret_value() for k in self.list_api_keys(search_key=name)}

        def reconcile(deadline: float) -> ApiKey | None:
            return self._new_key(name, scope, before, deadline)

        created = self._t.call("POST", "/apikeys", lambda b: parse_model(ApiKey, data_of(b), "an API key"),
                               json={"name": name, "scope": scope}, reconcile=reconcile)
        self._t.remember_secret(created.api_key.get_secret_value())
        return created

    def list_api_keys(self, scope: Scope | None = None, search_key: str | None = None) -> list[ApiKey]:
        params = {k: v for k, v in (("scope", scope), ("searchKey", search_key)) if v}
        keys = [parse_model(ApiKey, raw, "an API key") for raw in
                list_all(self._t, "/apikeys", params=params, page_size=self._page_size)]
        for key in keys:
            self._t.remember_secret(key.api_key.get_secret_value())
        return keys

    def delete_api_key(self, api_key: str | SecretStr) -> None:
        """Delete a key (with another one: a key cannot delete itself, `ERR_APIKEY_NO_SELF_ACTION`)."""
        value = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._t.remember_secret(value)
        self._t.delete(f"/apikeys/{segment(value)}", frozenset({"ERR_APIKEY_NOT_FOUND"}))

    def _new_key(self, name: str, scope: str, before: set[str], deadline: float) -> ApiKey | None:
        raws = list_all(self._t, "/apikeys", params={"searchKey": name}, page_size=self._page_size, deadline=deadline)
        new = [k for k in (parse_model(ApiKey, raw, "an API key") for raw in raws)
               if k.name == name and k.scope == scope and k.api_key.get_secret_value() not in before]
        for key in new:
            self._t.remember_secret(key.api_key.get_secret_value())
        if not new:
            return None
        # More than one can only come from an attempt the server committed late; nobody holds
        # those extra keys, and an unused fullAccess key is a liability, so they are deleted.
        for extra in new[1:]:
            log.warning("deleting a duplicate API key %r created by a retried call", name)
            self.delete_api_key(extra.api_key)
        log.warning("API key %r was created by an earlier attempt whose answer was lost; using it", name)
        return new[0]

    # -- roles ----------------------------------------------------------------------------

    def create_role(self, role: Role) -> Role:
        """Create a role; if an unanswered earlier attempt already did, return that one."""
        return self._t.call("POST", "/roles", _role, json=role.create_body(),
                            reconcile=lambda deadline: self._find_role(role.role, deadline))

    def get_role(self, role_id: str) -> Role:
        return self._t.call("GET", f"/roles/{segment(role_id)}", _role)

    def update_role(self, role: Role) -> Role:
        """Make the role exactly `role`: optional fields that are None are unset."""
        return self._t.call("PUT", f"/roles/{segment(role.role)}", _role, json=role.update_body())

    def delete_role(self, role_id: str) -> None:
        self._t.delete(f"/roles/{segment(role_id)}", frozenset({"ERR_ROLE_NOT_FOUND"}))

    def list_roles(self) -> list[Role]:
        return [parse_model(Role, raw, "a role") for raw in list_all(self._t, "/roles", page_size=self._page_size)]

    def get_role_permissions(self, role_id: str) -> list[Permission]:
        return self._t.call("GET", f"/roles/{segment(role_id)}/permissions", _permissions)

    def set_role_permissions(self, role_id: str, permissions: Mapping[str, Any]) -> list[Permission]:
        """Set RBAC permission values, e.g. `{"createGroup": "deny"}`.

        The reference could not confirm whether the pairs are wrapped; we send
        `{"permissions": {...}}`, the documented shape of the sibling group-scope endpoint.
        If CometChat wanted them bare, the wrapper would be an unknown field and the call would
        fail loudly rather than silently leave permissions unchanged.
        """
        return self._t.call("PUT", f"/roles/{segment(role_id)}/permissions", _permissions,
                            json={"permissions": dict(permissions)})

    def _find_role(self, role_id: str, deadline: float) -> Role | None:
        try:
            return self._t.call("GET", f"/roles/{segment(role_id.lower())}", _role, deadline=deadline)
        except CometChatError as err:
            if err.code == "ERR_ROLE_NOT_FOUND":
                return None
            raise

    # -- notifications --------------------------------------------------------------------

    def get_notification_settings(self) -> NotificationSettings:
        return self._t.call("GET", "/notifications/v1/settings", _notification_settings)

    def patch_notification_settings(self, patch: Mapping[str, Any]) -> NotificationSettings:
        """Merge `patch` into the app's notification settings (PATCH semantics: absent keys are kept)."""
        return self._t.call("PATCH", "/notifications/v1/settings", _notification_settings, json=dict(patch))


def _role(body: Body) -> Role:
    return parse_model(Role, data_of(body), "a role")


def _permissions(body: Body) -> list[Permission]:
    data = list_data_of(body, "role permissions")
    return [parse_model(Permission, item, "a permission") for item in data]


def _notification_settings(body: Body) -> NotificationSettings:
    return parse_model(NotificationSettings, data_of(body), "notification settings")
