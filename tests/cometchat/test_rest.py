"""One app's REST API v3: keys and scopes, roles and limits, permissions, notifications, regions."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from components.cometchat import AppClient, CometChatError, Role, RoleSettings


def client_with(emulator, app, key, retry, region=None):
    return AppClient(emulator.rest_url_template, app.id, region or app.region, key, retry=retry)


def test_api_keys_create_list_delete(rest):
    created = rest.create_api_key("backend-2026", "fullAccess")
    assert isinstance(created.api_key, SecretStr) and len(created.api_key.get_secret_value()) == 40
    listed = {k.name: k for k in rest.list_api_keys()}
    assert set(listed) == {"Rest API Key", "Auth Key", "backend-2026"}
    assert listed["Auth Key"].scope == "authOnly"
    assert [k.name for k in rest.list_api_keys(scope="authOnly")] == ["Auth Key"]
    rest.delete_api_key(created.api_key)
    assert "backend-2026" not in {k.name for k in rest.list_api_keys()}


def test_a_key_cannot_delete_itself_but_rotation_works(emulator, tenant_app, rest, retry):
    app, keys = tenant_app
    new = rest.create_api_key("rotated", "fullAccess")
    with client_with(emulator, app, new.api_key, retry) as with_new:
        with pytest.raises(CometChatError) as refused:
            with_new.delete_api_key(new.api_key)
        assert refused.value.code == "ERR_APIKEY_NO_SELF_ACTION"
        with_new.delete_api_key(keys.full_access)  # rotate: the new key deletes the old one
    with pytest.raises(CometChatError) as old:
        rest.list_roles()
    assert (old.value.status, old.value.code) == (401, "AUTH_ERR_APIKEY_NOT_FOUND")


def test_auth_only_key_cannot_administer(emulator, tenant_app, retry):
    app, keys = tenant_app
    with client_with(emulator, app, keys.auth_only, retry) as limited:
        with pytest.raises(CometChatError) as refused:
            limited.create_role(Role(role="sneaky", name="Sneaky"))
    assert (refused.value.status, refused.value.code) == (403, "AUTH_ERR_NO_ACCESS")
    assert "fullAccess" in str(refused.value)


def test_api_key_limit(rest):
    for i in range(23):  # 2 created with the app + 23 = CometChat's limit of 25
        rest.create_api_key(f"key-{i}", "authOnly")
    assert len(rest.list_api_keys()) == 25
    with pytest.raises(CometChatError) as limit:
        rest.create_api_key("one-too-many", "authOnly")
    assert (limit.value.status, limit.value.code) == (400, "ERR_LIMIT_EXCEEDED")


def test_role_crud_with_lowercased_id_and_unset(rest):
    created = rest.create_role(Role(role="Care-Coordinator", name="Care coordinator", description="Assigned panel",
                                    metadata={"managedBy": "hipaachat"},
                                    settings=RoleSettings(list_users="friendsOnly", send_messages_to="all")))
    assert created.role == "care-coordinator"
    assert created.settings == RoleSettings(list_users="friendsOnly", send_messages_to="all")
    updated = rest.update_role(Role(role="care-coordinator", name="Coordinator", metadata={"managedBy": "hipaachat"}))
    assert (updated.name, updated.description, updated.settings) == ("Coordinator", None, None)
    assert rest.get_role("care-coordinator").metadata == {"managedBy": "hipaachat"}
    assert {r.role for r in rest.list_roles()} == {"default", "care-coordinator"}
    rest.delete_role("care-coordinator")
    with pytest.raises(CometChatError) as gone:
        rest.get_role("care-coordinator")
    assert (gone.value.status, gone.value.code) == (404, "ERR_ROLE_NOT_FOUND")


def test_role_rules(rest):
    with pytest.raises(CometChatError) as bad_id:
        rest.create_role(Role(role="front desk", name="Front desk"))
    assert bad_id.value.code == "ERR_BAD_REQUEST" and "role" in bad_id.value.details
    with pytest.raises(CometChatError) as builtin:
        rest.delete_role("default")
    assert builtin.value.code == "ERR_ROLE_DELETE_DENIED"
    rest.create_role(Role(role="dup", name="Dup"))
    with pytest.raises(CometChatError) as dup:
        rest.create_role(Role(role="dup", name="Dup"))
    assert (dup.value.status, dup.value.code) == (409, "ERR_ROLE_ALREADY_EXISTS")


def test_twenty_five_roles_including_default(rest):
    for i in range(23):  # default + dup-free 24 = 25
        rest.create_role(Role(role=f"role-{i}", name=f"Role {i}"))
    rest.create_role(Role(role="role-last", name="Last"))
    with pytest.raises(CometChatError) as limit:
        rest.create_role(Role(role="role-26", name="Too many"))
    assert (limit.value.status, limit.value.code) == (400, "ERR_LIMIT_EXCEEDED")
    assert len(rest.list_roles()) == 25


def test_role_permissions_are_set_in_a_wrapper(rest, emulator, tenant_app):
    rest.create_role(Role(role="front-desk", name="Front desk"))
    result = {p.id: p for p in rest.set_role_permissions("front-desk", {
        "createGroup": "deny", "sendMessage.allowedMessageTypes": ["text"], "createGroup.allowedGroupTypes": []})}
    assert result["createGroup"].value == "deny"
    assert result["sendMessage.allowedMessageTypes"].value == ["text"]
    assert result["sendMessage"].value == result["sendMessage"].default_value == "allow"
    assert {p.id: p.value for p in rest.get_role_permissions("front-desk")}["createGroup"] == "deny"

    with pytest.raises(CometChatError) as unknown:
        rest.set_role_permissions("front-desk", {"teleport": "allow", "createGroup": "maybe"})
    assert set(unknown.value.details) == {"teleport", "createGroup"}
    app, keys = tenant_app
    bare = httpx.put(f"{emulator.url}/_apps/{app.id}/us/v3/roles/front-desk/permissions",
                     headers={"apikey": keys.full_access.get_secret_value()}, json={"createGroup": "allow"})
    assert bare.status_code == 400  # unwrapped pairs are refused, not silently ignored


def test_notification_settings_patch_merges(rest):
    before = rest.get_notification_settings()
    after = rest.patch_notification_settings({"preferences": {"push": {"includeMessageObjectSetting": 2}}})
    assert after.preferences["push"]["includeMessageObjectSetting"] == 2
    # Sibling keys survive a PATCH.
    assert after.preferences["push"]["trimTextFieldSetting"] == before.preferences["push"]["trimTextFieldSetting"]
    assert after.preferences["email"] == before.preferences["email"]


def test_wrong_region_is_refused_by_path(emulator, tenant_app, retry):
    app, keys = tenant_app
    with client_with(emulator, app, keys.full_access, retry, region="eu") as wrong:
        with pytest.raises(CometChatError) as refused:
            wrong.list_roles()
    assert (refused.value.status, refused.value.code) == (404, "ERR_APP_NOT_FOUND")
    assert "region" in str(refused.value)


def test_host_header_routing_like_cometchat(emulator, tenant_app):
    app, keys = tenant_app
    headers = {"apikey": keys.full_access.get_secret_value()}
    right = httpx.get(f"{emulator.url}/v3/roles", headers={**headers, "Host": f"{app.id}.api-us.cometchat.io"})
    assert right.status_code == 200 and right.json()["data"][0]["role"] == "default"
    wrong = httpx.get(f"{emulator.url}/v3/roles", headers={**headers, "Host": f"{app.id}.api-eu.cometchat.io"})
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "ERR_APP_NOT_FOUND"


def test_app_client_refuses_unsafe_arguments(emulator):
    with pytest.raises(CometChatError) as bad_id:
        AppClient(emulator.rest_url_template, "evil.example.com/x", "us", "k" * 40)
    assert bad_id.value.code == "HIPAACHAT_INVALID_ARGUMENT"
    with pytest.raises(CometChatError):
        AppClient("https://api.example.invalid/v3", "abc123", "us", "k" * 40)  # no {app_id}


def test_real_cometchat_template_builds_the_region_host():
    with AppClient("https://{app_id}.api-{region}.cometchat.io/v3", "abc123", "eu", "k" * 40) as client:
        assert client.base_url == "https://abc123.api-eu.cometchat.io/v3"
