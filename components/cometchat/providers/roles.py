"""`CometChatRoles`: the tenant's role matrix as CometChat roles and RBAC permissions.

One resource holds the whole matrix because the matrix is one reviewed thing in the tenant
file and CometChat's limit (25 roles) is per app: reconciling it as a set is what lets an
update delete the roles a tenant file no longer names. The mapping itself is `rbac.py`.

Only roles marked `metadata.managedBy = "hipaachat"` are ever updated away or deleted; the
built-in `default` role and hand-made roles are left alone. A role the matrix names that
already exists (e.g. made by hand) is adopted and overwritten: the tenant file is the truth.
Refresh re-derives each managed role and drops it from the refreshed matrix when its live
settings or permissions drifted, so the next `pulumi up` repairs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi import dynamic

from components.cometchat.errors import CometChatError
from components.cometchat.models import Role, RoleSettings
from components.cometchat.providers._base import (
    APP_GONE,
    ConvergingProvider,
    CometChatResource,
    changed,
    check_inputs,
    parse,
)
from components.cometchat.providers.connection import AppAccess, CometChatConnection
from components.cometchat.providers.rbac import (
    CometChatRole,
    RoleMatrixError,
    is_managed,
    roles_from_matrix,
)
from components.cometchat.rest import AppClient

_REPLACE_ON = ("tenantId", "appId", "region")
_UPDATE_ON = ("roles", "apiKey", "restUrl", "__provider")


class RolesInputs(AppAccess):
    roles: dict[str, dict[str, Any]]


def _wire_role(spec: CometChatRole) -> Role:
    return Role(role=spec.role, name=spec.name, description=spec.description, metadata=spec.metadata,
                settings=RoleSettings(listUsers=spec.settings.list_users,
                                      sendMessagesTo=spec.settings.send_messages_to))


def _permission_values(client: AppClient, role_id: str) -> dict[str, Any]:
    return {p.id: p.value if p.value is not None else p.default_value for p in client.get_role_permissions(role_id)}


class RolesProvider(ConvergingProvider):
    """Reconciles the managed roles of one app with the tenant's matrix."""

    inputs_model = RolesInputs
    id_suffix = "roles"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs, failures = check_inputs(RolesInputs, news)
        if inputs is not None:
            try:
                roles_from_matrix(inputs.roles)
            except RoleMatrixError as err:
                failures.append(dynamic.CheckFailure("roles", str(err)))
        return dynamic.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = changed(olds, news, _REPLACE_ON)
        return dynamic.DiffResult(changes=bool(replaces or changed(olds, news, _UPDATE_ON)), replaces=replaces)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        access = parse(AppAccess, props)
        desired = {spec.role: spec for spec in roles_from_matrix(props.get("roles") or {})}
        try:
            with self._client(access) as client:
                live = [role for role in client.list_roles() if is_managed(role.model_dump())]
                in_shape = {role.role for role in live
                            if role.role in desired and self._matches(client, role, desired[role.role])}
        except CometChatError as err:
            if err.code in APP_GONE:
                return dynamic.ReadResult("", {})
            raise
        roles = {role_id: entry for role_id, entry in (props.get("roles") or {}).items() if role_id in in_shape}
        return dynamic.ReadResult(id_, {**props, "roles": roles, "roleIds": sorted(r.role for r in live)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        access = parse(AppAccess, props)
        try:
            with self._client(access) as client:
                for role in client.list_roles():
                    if is_managed(role.model_dump()):
                        client.delete_role(role.role)
        except CometChatError as err:
            if err.code not in APP_GONE:
                raise

    def _client(self, access: AppAccess) -> AppClient:
        return self.app_client(access.rest_url, access.app_id, access.region, access.api_key)

    def _apply(self, inputs: RolesInputs) -> dict[str, Any]:
        desired = roles_from_matrix(inputs.roles)
        wanted = {spec.role for spec in desired}
        with self._client(inputs) as client:
            existing = {role.role: role for role in client.list_roles()}
            for spec in desired:
                if spec.role in existing:
                    client.update_role(_wire_role(spec))
                else:
                    client.create_role(_wire_role(spec))
                client.set_role_permissions(spec.role, spec.permissions)
            for role in existing.values():
                if is_managed(role.model_dump()) and role.role not in wanted:
                    client.delete_role(role.role)
        return {**inputs.app_outputs(), "roles": inputs.roles, "roleIds": sorted(wanted)}

    @staticmethod
    def _matches(client: AppClient, live: Role, spec: CometChatRole) -> bool:
        settings = live.settings.model_dump(by_alias=True) if live.settings else {}
        if settings != spec.settings.model_dump(by_alias=True):
            return False
        values = _permission_values(client, live.role)
        return all(values.get(name) == value for name, value in spec.permissions.items())


@dataclass
class CometChatRolesArgs:
    tenant_id: str
    app_id: pulumi.Input[str]
    region: pulumi.Input[str]
    api_key: pulumi.Input[str]
    roles: dict[str, dict[str, Any]]
    connection: CometChatConnection


class CometChatRoles(CometChatResource, module="hipaachat", name="CometChatRoles"):
    """The tenant's roles in its CometChat app; `role_ids` lists the managed roles."""

    role_ids: pulumi.Output[list[str]]
    roles: pulumi.Output[dict[str, Any]]

    def __init__(self, resource_name: str, args: CometChatRolesArgs, opts: pulumi.ResourceOptions | None = None):
        props = {
            "tenant_id": args.tenant_id,
            "app_id": args.app_id,
            "region": args.region,
            "api_key": pulumi.Output.secret(args.api_key),
            "roles": args.roles,
            **args.connection.rest_inputs(),
            "role_ids": None,
        }
        super().__init__(RolesProvider(), resource_name, props, opts)
