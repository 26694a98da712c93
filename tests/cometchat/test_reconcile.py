"""Lost answers never make a second object: creates reconcile before every retry."""

from __future__ import annotations

import httpx
import pytest

from components.cometchat import AppClient, CometChatError, ManagementClient, Role, WebhookSpec
from scripts.emulator.faults import FaultConfig, ScriptedFault


def drop(method, path, **config):
    return FaultConfig(script=[ScriptedFault(fault="drop", method=method, path=path)], **config)


def posts(emulator, path):
    return [r for r in emulator.state()["requests"] if r["method"] == "POST" and r["path"] == path]


def test_dropped_create_adopts_the_app_and_recovers_keys_from_the_listing(mgmt, emulator, retry):
    emulator.set_faults(drop("POST", "/apps", legacy_list_shape=True))
    app, keys = mgmt.create_app("tenant-a", "eu")
    assert keys.recovered
    state = emulator.state()
    assert [a["id"] for a in state["apps"]] == [app.id]
    assert len(posts(emulator, "/apps")) == 1
    with AppClient(emulator.rest_url_template, app.id, "eu", keys.full_access, retry=retry) as rest:
        assert [r.role for r in rest.list_roles()] == ["default"]  # the recovered key works


def test_dropped_create_without_keys_in_the_listing_stops_with_instructions(mgmt, emulator):
    emulator.set_faults(drop("POST", "/apps"))
    with pytest.raises(CometChatError) as unrecoverable:
        mgmt.create_app("tenant-b", "us")
    err = unrecoverable.value
    app_id = emulator.state()["apps"][0]["id"]
    assert err.code == "HIPAACHAT_KEYS_UNRECOVERABLE" and not err.retryable
    assert err.details == {"app_id": app_id, "name": "tenant-b", "region": "us"}
    assert f"DELETE /apps/{app_id}" in str(err) and "will not create a second app" in str(err)
    # Running again (the next `pulumi up`) still refuses instead of creating a second app...
    with pytest.raises(CometChatError):
        mgmt.create_app("tenant-b", "us")
    assert len(emulator.state()["apps"]) == 1 and len(posts(emulator, "/apps")) == 1
    # ...until the operator deletes the orphan, as the message says.
    mgmt.delete_app(app_id)
    app, _ = mgmt.create_app("tenant-b", "us")
    assert app.id != app_id


def test_timed_out_create_is_reconciled(emulator, retry):
    emulator.set_faults(FaultConfig(slow_seconds=1.0, legacy_list_shape=True,
                                    script=[ScriptedFault(fault="timeout", method="POST", path="/apps")]))
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret,
                          timeout=0.3, retry=retry) as client:
        app, keys = client.create_app("tenant-c", "in")
    assert keys.recovered
    assert [a["id"] for a in emulator.state()["apps"]] == [app.id]
    assert len(posts(emulator, "/apps")) == 1


def test_create_refused_by_5xx_is_simply_retried(mgmt, emulator):
    emulator.set_faults(FaultConfig(script=[ScriptedFault(fault="5xx", method="POST", path="/apps")]))
    _, keys = mgmt.create_app("tenant-d", "us")
    assert not keys.recovered
    assert len(emulator.state()["apps"]) == 1 and len(posts(emulator, "/apps")) == 2


def test_an_existing_app_is_adopted_before_the_first_post(mgmt, emulator):
    emulator.set_faults(FaultConfig(legacy_list_shape=True))
    first, first_keys = mgmt.create_app("tenant-e", "us")
    again, keys = mgmt.create_app("tenant-e", "us")
    assert again.id == first.id and keys.recovered
    assert keys.full_access.get_secret_value() == first_keys.full_access.get_secret_value()
    assert len(posts(emulator, "/apps")) == 1


def test_same_name_in_another_region_or_twice_is_a_conflict(mgmt, emulator):
    mgmt.create_app("tenant-f", "us")
    with pytest.raises(CometChatError) as other_region:
        mgmt.create_app("tenant-f", "eu")
    assert other_region.value.code == "HIPAACHAT_APP_NAME_CONFLICT" and "region us" in str(other_region.value)

    httpx.post(f"{emulator.url}/apps", json={"name": "tenant-f", "region": "us"},
               headers={"key": emulator.management_key, "secret": emulator.management_secret})
    with pytest.raises(CometChatError) as twice:
        mgmt.find_app_by_name("tenant-f")
    assert twice.value.code == "HIPAACHAT_APP_NAME_CONFLICT" and len(twice.value.details["app_ids"]) == 2
    assert len(posts(emulator, "/apps")) == 2  # only the first create and our manual one


def test_dropped_webhook_and_role_creates_are_adopted(mgmt, rest, emulator, tenant_app):
    app, _ = tenant_app
    emulator.set_faults(FaultConfig(script=[ScriptedFault(fault="drop", method="POST", path="/apps/*/webhooks"),
                                            ScriptedFault(fault="drop", method="POST", path="/_apps/*/roles")]))
    hook = mgmt.create_webhook(app.id, WebhookSpec(id="auditsink", name="Audit",
                                                   webhook_url="https://ingest.example.org/x"))
    role = rest.create_role(Role(role="provider", name="Provider"))
    assert (hook.id, role.role) == ("auditsink", "provider")
    assert list(emulator.state()["apps"][0]["webhooks"]) == ["auditsink"]
    assert {r.role for r in rest.list_roles()} == {"default", "provider"}


def test_dropped_api_key_create_returns_the_new_key_not_an_older_namesake(rest, emulator):
    older = rest.create_api_key("backend", "fullAccess")
    emulator.set_faults(drop("POST", "/_apps/*/apikeys"))
    newer = rest.create_api_key("backend", "fullAccess")
    assert newer.api_key.get_secret_value() != older.api_key.get_secret_value()
    names = [k.name for k in rest.list_api_keys()]
    assert names.count("backend") == 2


def test_dropped_deletes_are_done(mgmt, emulator, tenant_app):
    app, _ = tenant_app
    mgmt.create_webhook(app.id, WebhookSpec(id="gone", name="Gone", webhook_url="https://ingest.example.org/x"))
    emulator.set_faults(drop("DELETE", "/apps/*/webhooks/*"))
    mgmt.delete_webhook(app.id, "gone")
    assert mgmt.list_webhooks(app.id) == []
    emulator.set_faults(drop("DELETE", "/apps/*"))
    assert mgmt.delete_app(app.id) is None  # done by the lost attempt; the date went with its answer
    assert emulator.state()["apps"][0]["state"] == "archived"
