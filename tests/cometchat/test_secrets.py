"""Keys, secrets and passwords never reach logs, reprs or error messages."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from components.cometchat import AppClient, AppKeys, CometChatError, ManagementClient, Role, WebhookSpec
from scripts.emulator.faults import FaultConfig, ScriptedFault

WEBHOOK_PASSWORD = "SyntheticWebhookPassw0rd"


def test_models_never_show_secrets():
    keys = AppKeys(full_access=SecretStr("f" * 40), auth_only=SecretStr("a" * 40))
    spec = WebhookSpec(id="sink", name="Sink", webhook_url="https://x.example.org",
                       password=SecretStr(WEBHOOK_PASSWORD))
    for text in (repr(keys), str(keys), keys.model_dump_json(), repr(spec), str(spec), spec.model_dump_json()):
        assert "f" * 40 not in text and "a" * 40 not in text and WEBHOOK_PASSWORD not in text
    assert spec.body()["password"] == WEBHOOK_PASSWORD  # only the wire body reveals it


def test_a_server_echoing_a_key_is_scrubbed_from_the_error():
    key = "0123456789abcdef0123456789abcdef01234567"

    def echo(request: httpx.Request) -> httpx.Response:
        # A hostile or careless server repeating the key it was sent, in message and details.
        said = f"apikey {request.headers['apikey']} is not valid"
        return httpx.Response(401, json={"error": {"code": "AUTH_ERR_APIKEY_NOT_FOUND", "message": said,
                                                   "details": {"apikey": [said]}}})

    with AppClient("http://127.0.0.1:9/_apps/{app_id}/{region}/v3", "abc123", "us", key,
                   http_transport=httpx.MockTransport(echo)) as client:
        with pytest.raises(CometChatError) as refused:
            client.list_roles()
    assert key not in str(refused.value) and key not in repr(refused.value.details)
    assert "***" in str(refused.value)


def test_no_secret_in_any_log_record_at_debug(emulator, retry, caplog):
    caplog.set_level(logging.DEBUG)
    emulator.set_faults(FaultConfig(legacy_list_shape=True, retry_after_seconds=1, script=[
        ScriptedFault(fault="drop", method="POST", path="/apps"),
        ScriptedFault(fault="429", method="POST", path="/apps/*/webhooks"),
        ScriptedFault(fault="drop", method="DELETE", path="/_apps/*/apikeys/*"),
    ]))
    secrets = {emulator.management_key, emulator.management_secret, WEBHOOK_PASSWORD}
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret, retry=retry) as mgmt:
        app, keys = mgmt.create_app("tenant-logged", "us")  # dropped, adopted, keys recovered
        secrets |= {keys.full_access.get_secret_value(), keys.auth_only.get_secret_value()}
        mgmt.create_webhook(app.id, WebhookSpec(id="sink", name="Sink", webhook_url="https://ingest.example.org/x",
                                                use_basic_auth=True, username="hipaachat",
                                                password=SecretStr(WEBHOOK_PASSWORD)))
        with AppClient(emulator.rest_url_template, app.id, app.region, keys.full_access, retry=retry) as rest:
            extra = rest.create_api_key("rotation", "fullAccess")
            secrets.add(extra.api_key.get_secret_value())
            rest.list_api_keys()
            rest.delete_api_key(extra.api_key)  # the key is in the URL path; the answer is dropped
            rest.create_role(Role(role="provider", name="Provider"))
            with pytest.raises(CometChatError) as refused:
                rest.delete_api_key(keys.full_access)  # self-deletion: an error naming the path
            assert refused.value.code == "ERR_APIKEY_NO_SELF_ACTION"
    with ManagementClient(emulator.url, emulator.management_key, "wrong" + emulator.management_secret,
                          retry=retry) as bad:
        with pytest.raises(CometChatError):
            bad.list_apps()

    loggers = {record.name for record in caplog.records}
    assert {"hipaachat.cometchat", "hipaachat.emulator", "httpx"} <= loggers  # the check is not vacuous
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert "/apikeys/***" in text
    leaked = [s for s in secrets if s in text]
    assert leaked == []
    assert all(s not in str(refused.value) for s in secrets)
