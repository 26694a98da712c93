"""Apps through the Management API: create, list, find, delete, against the emulator over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from pydantic import SecretStr

from components.cometchat import CometChatError, ManagementClient


@pytest.mark.parametrize("region", ["us", "eu", "in"])
def test_app_lifecycle_in_each_region(mgmt, emulator, region):
    app, keys = mgmt.create_app(f"tenant-{region}", region)
    assert (app.name, app.region, app.state) == (f"tenant-{region}", region, "active")
    assert isinstance(keys.full_access, SecretStr) and isinstance(keys.auth_only, SecretStr)
    assert keys.full_access.get_secret_value() != keys.auth_only.get_secret_value()
    assert not keys.recovered

    assert [a.id for a in mgmt.list_apps()] == [app.id]
    found = mgmt.find_app_by_name(f"tenant-{region}")
    assert found is not None and found.id == app.id and found.region == region

    scheduled = mgmt.delete_app(app.id)
    assert scheduled is not None
    assert timedelta(days=29) < scheduled - datetime.now(timezone.utc) < timedelta(days=31)
    assert mgmt.find_app_by_name(f"tenant-{region}") is None
    assert emulator.state()["apps"][0]["state"] == "archived"


def test_keys_are_returned_only_by_create(mgmt, emulator):
    mgmt.create_app("keys-once", "eu")
    listed = mgmt.list_apps("keys-once")
    assert not any("key" in field.lower() for field in type(listed[0]).model_fields)
    raw = httpx.get(f"{emulator.url}/apps", headers={"key": emulator.management_key,
                                                      "secret": emulator.management_secret}).json()
    assert "apiKeys" not in raw["data"][0]


def test_timestamps_parse_from_epoch_and_iso(mgmt):
    created, _ = mgmt.create_app("dates", "us")
    listed = mgmt.list_apps("dates")[0]
    # The create answer has epoch seconds, the list answer ISO strings: same instant, both UTC.
    assert created.created_at == listed.created_at
    assert created.created_at.tzinfo is not None


def test_list_follows_pagination(emulator, retry):
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret,
                          retry=retry, page_size=2) as client:
        made = {client.create_app(f"paged-{i}", "us")[0].id for i in range(5)}
        before = len(emulator.state()["requests"])
        assert {a.id for a in client.list_apps()} == made
    pages = [r for r in emulator.state()["requests"][before:] if r["method"] == "GET" and r["path"] == "/apps"]
    assert len(pages) == 3


def test_find_by_name_is_exact(mgmt):
    mgmt.create_app("clinic", "us")
    mgmt.create_app("clinic-annex", "us")
    assert len(mgmt.list_apps("clinic")) == 2  # searchKey matches substrings
    assert mgmt.find_app_by_name("clinic").name == "clinic"
    assert mgmt.find_app_by_name("clin") is None


def test_archived_app_is_refused_then_purged_after_30_days(mgmt, emulator):
    app, _ = mgmt.create_app("offboarded", "in")
    mgmt.delete_app(app.id)
    with pytest.raises(CometChatError) as archived:
        mgmt.get_settings(app.id)
    assert archived.value.code == "ERR_APP_ARCHIVED" and not archived.value.retryable
    assert "30 days" in str(archived.value)
    with pytest.raises(CometChatError) as again:
        mgmt.delete_app(app.id)  # already archived before this call: reported, not hidden
    assert again.value.code == "ERR_APP_ARCHIVED"

    emulator.advance_clock(31 * 24 * 3600)
    with pytest.raises(CometChatError) as gone:
        mgmt.get_settings(app.id)
    assert (gone.value.code, gone.value.status) == ("ERR_APP_NOT_FOUND", 404)
    assert emulator.state()["apps"] == []


def test_region_and_name_are_validated(mgmt, emulator):
    with pytest.raises(CometChatError) as bad_region:
        mgmt.create_app("somewhere", "mars")
    assert bad_region.value.code == "HIPAACHAT_INVALID_ARGUMENT"
    assert emulator.state()["requests"] == []  # refused before any request

    with pytest.raises(CometChatError) as long_name:
        mgmt.create_app("x" * 101, "us")
    assert (long_name.value.status, long_name.value.code) == (400, "ERR_BAD_REQUEST")
    assert "name" in long_name.value.details
    assert mgmt.create_app("x" * 100, "us")[0].name == "x" * 100


def test_wrong_management_credentials_are_refused_without_echo(emulator, retry):
    wrong_secret = "not-the-secret-" + "9" * 20
    with ManagementClient(emulator.url, emulator.management_key, wrong_secret, retry=retry) as client:
        with pytest.raises(CometChatError) as refused:
            client.list_apps()
    err = refused.value
    assert (err.status, err.code, err.retryable) == (401, "AUTH_ERR_INVALID_CREDENTIALS", False)
    assert "hipaachat:cometchatManagementKey" in str(err)
    for secret in (wrong_secret, emulator.management_key, emulator.management_secret):
        assert secret not in str(err) and secret not in repr(err)
    assert len(emulator.state()["requests"]) == 1  # an auth failure is not retried


def test_missing_management_headers_use_cometchat_code(emulator):
    body = httpx.get(f"{emulator.url}/apps").json()
    assert body["error"]["code"] == "AUTH_ERR_EMPTY_AUTH_HEADER"
    assert set(body["error"]) == {"message", "devMessage", "source", "code", "details"}
