"""Webhooks, triggers, extensions and app settings through the Management API."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from components.cometchat import CometChatError, WebhookSpec


def spec(**overrides):
    values = {"id": "auditsink", "name": "Audit sink", "webhook_url": "https://ingest.example.org/cometchat",
              "use_basic_auth": True, "username": "hipaachat", "password": SecretStr("SyntheticPassw0rd")}
    return WebhookSpec(**{**values, **overrides})


def test_webhook_lifecycle_and_triggers(mgmt, emulator, tenant_app):
    app, _ = tenant_app
    created = mgmt.create_webhook(app.id, spec())
    assert (created.id, created.use_basic_auth, created.username) == ("auditsink", True, "hipaachat")
    assert emulator.state()["apps"][0]["webhooks"]["auditsink"]["version"] == "2"  # the current implementation

    mgmt.add_triggers(app.id, "auditsink", ["message_sent", "group_member_added"])
    mgmt.add_triggers(app.id, "auditsink", ["message_sent"])  # repeating is harmless
    assert mgmt.list_triggers(app.id, "auditsink") == ["group_member_added", "message_sent"]
    mgmt.remove_triggers(app.id, "auditsink", ["group_member_added"])
    assert mgmt.list_triggers(app.id, "auditsink") == ["message_sent"]

    updated = mgmt.update_webhook(app.id, spec(name="Audit sink v2", enabled=False))
    assert (updated.name, updated.enabled) == ("Audit sink v2", False)
    assert mgmt.get_webhook(app.id, "auditsink").name == "Audit sink v2"
    assert [w.id for w in mgmt.list_webhooks(app.id)] == ["auditsink"]
    mgmt.delete_webhook(app.id, "auditsink")
    with pytest.raises(CometChatError) as gone:
        mgmt.get_webhook(app.id, "auditsink")
    assert (gone.value.status, gone.value.code) == (404, "ERR_WEBHOOK_NOT_FOUND")


def test_webhook_password_is_never_returned(mgmt, emulator, tenant_app):
    app, _ = tenant_app
    mgmt.create_webhook(app.id, spec())
    raw = httpx.get(f"{emulator.url}/apps/{app.id}/webhooks/auditsink",
                    headers={"key": emulator.management_key, "secret": emulator.management_secret}).text
    assert "SyntheticPassw0rd" not in raw and "password" not in raw


@pytest.mark.parametrize("overrides, field", [
    ({"id": "audit-sink"}, "id"),
    ({"id": "a" * 51}, "id"),
    ({"webhook_url": "http://ingest.example.org/cometchat"}, "webhookURL"),
    ({"username": "hipaa chat"}, "username"),
    ({"password": SecretStr("not alphanumeric!")}, "password"),
    ({"password": SecretStr("a" * 101)}, "password"),
])
def test_webhook_rules_are_enforced(mgmt, tenant_app, overrides, field):
    app, _ = tenant_app
    with pytest.raises(CometChatError) as refused:
        mgmt.create_webhook(app.id, spec(**overrides))
    assert (refused.value.status, refused.value.code) == (400, "ERR_BAD_REQUEST")
    assert field in refused.value.details
    assert "not alphanumeric!" not in str(refused.value)  # a refused password is not echoed


def test_basic_auth_needs_credentials_and_triggers_must_exist(mgmt, tenant_app):
    app, _ = tenant_app
    with pytest.raises(CometChatError):
        mgmt.create_webhook(app.id, spec(username=None, password=None))
    mgmt.create_webhook(app.id, spec())
    with pytest.raises(CometChatError) as unknown:
        mgmt.add_triggers(app.id, "auditsink", ["message_teleported"])
    assert "triggerIds" in unknown.value.details


def test_twenty_five_webhooks_per_app(mgmt, tenant_app):
    app, _ = tenant_app
    for i in range(25):
        mgmt.create_webhook(app.id, spec(id=f"hook{i}", use_basic_auth=False, username=None, password=None))
    with pytest.raises(CometChatError) as limit:
        mgmt.create_webhook(app.id, spec(id="hook25"))
    assert (limit.value.status, limit.value.code) == (400, "ERR_LIMIT_EXCEEDED")
    with pytest.raises(CometChatError) as duplicate:
        mgmt.create_webhook(app.id, spec(id="hook0"))
    assert duplicate.value.status == 409


def test_extensions_enable_disable_and_data_masking(mgmt, tenant_app, emulator):
    app, _ = tenant_app
    third_party = {e.id for e in mgmt.list_extensions(app.id) if e.is_third_party}
    assert {"smart-reply", "message-translation", "email-notification"} <= third_party

    with pytest.raises(CometChatError) as inactive:
        mgmt.get_extension_settings(app.id, "data-masking")
    assert inactive.value.code == "ERR_EXTENSION_INACTIVE"

    results = mgmt.set_extensions(app.id, enabled=["data-masking"], disabled=sorted(third_party))
    assert all(r.success for r in results.values())
    enabled = {e.id for e in mgmt.list_extensions(app.id) if e.enabled}
    assert "data-masking" in enabled and not enabled & third_party

    defaults = mgmt.get_extension_settings(app.id, "data-masking")
    assert {p["id"] for p in defaults["defaultRegexData"]} == {"email", "phone", "ssn"}
    wanted = {**defaults, "dropMessage": True,
              "customregexData": [{"id": "mrn", "name": "MRN", "regex": r"MRN-\d{6}", "enableFlag": True}]}
    assert mgmt.put_extension_settings(app.id, "data-masking", wanted) == wanted
    assert mgmt.get_extension_settings(app.id, "data-masking")["dropMessage"] is True

    with pytest.raises(CometChatError) as bad_regex:
        mgmt.put_extension_settings(app.id, "data-masking", {"customregexData": [
            {"id": "x", "name": "x", "regex": "([unclosed", "enableFlag": True}]})
    assert bad_regex.value.code == "ERR_BAD_REQUEST"
    post = httpx.post(f"{emulator.url}/apps/{app.id}/extensions/data-masking/v1/settings", json=wanted,
                      headers={"key": emulator.management_key, "secret": emulator.management_secret})
    assert post.status_code == 405  # data-masking supports GET, PUT and DELETE only


def test_unknown_extension_is_a_partial_failure(mgmt, tenant_app):
    app, _ = tenant_app
    with pytest.raises(CometChatError) as partial:
        mgmt.set_extensions(app.id, disabled=["smart-reply", "crystal-ball"])
    assert partial.value.code == "HIPAACHAT_PARTIAL_FAILURE"
    assert list(partial.value.details["failed"]) == ["crystal-ball"]
    assert not {e.id: e.enabled for e in mgmt.list_extensions(app.id)}["smart-reply"]


def test_app_settings(mgmt, tenant_app):
    app, _ = tenant_app
    assert mgmt.get_settings(app.id)["core.notifications.push.enabled"] is False
    mgmt.set_settings(app.id, {"core.notifications.push.enabled": True})
    assert mgmt.get_settings(app.id)["core.notifications.push.enabled"] is True
    with pytest.raises(CometChatError) as unknown:
        mgmt.set_settings(app.id, {"core.teleport.enabled": True})
    assert unknown.value.code == "HIPAACHAT_PARTIAL_FAILURE"
