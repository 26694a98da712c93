"""`CometChatWebhook` through the real dynamic provider host, against the emulator."""

from __future__ import annotations

import uuid

import pytest

from components.cometchat.management import ManagementClient
from components.cometchat.models import WebhookSpec
from components.cometchat.providers.webhook import DEFAULT_TRIGGERS, webhook_id
from tests.cometchat_providers import tenants
from tests.cometchat_providers.engine import CheckFailed

SINK = "https://ingest.{tenant}.example.invalid/cometchat"


@pytest.fixture
def app_state(emulator, engine):
    return engine.create(tenants.app(emulator, f"hook-{uuid.uuid4().hex[:8]}"))


def management(emulator) -> ManagementClient:
    return ManagementClient(emulator.url, emulator.management_key, emulator.management_secret)


def sink(app_state) -> str:
    return SINK.format(tenant=app_state.output("tenantId"))


def record(emulator, app_state):
    """The emulator's own record, to see what CometChat would use when delivering."""
    return emulator.emulator.state.apps[app_state.id].webhooks[webhook_id(app_state.output("tenantId"))]


def test_webhook_delivers_to_the_tenants_sink_with_basic_auth_and_retries(emulator, engine, host, app_state):
    state = engine.create(tenants.webhook(emulator, app_state, sink(app_state)))
    tenant = app_state.output("tenantId")

    with management(emulator) as api:
        live = api.get_webhook(app_state.id, state.id)
        triggers = api.list_triggers(app_state.id, state.id)
    assert state.id == webhook_id(tenant) and state.id.isalnum() and len(state.id) <= 50
    assert live.webhook_url == sink(app_state)
    assert (live.use_basic_auth, live.retry_on_failure, live.enabled) == (True, True, True)
    assert live.username == tenant.replace("-", "")
    assert record(emulator, app_state).password == tenants.WEBHOOK_PASSWORD
    assert record(emulator, app_state).version == "2"
    assert triggers == sorted(DEFAULT_TRIGGERS)
    assert {t.split("_")[0] for t in triggers} >= {"message", "group", "call"}

    assert state.is_secret_output("password")
    assert tenants.WEBHOOK_PASSWORD not in state.plain_view()
    assert not [line for line in host.log_lines if tenants.WEBHOOK_PASSWORD in line]


def test_changing_the_sink_or_password_updates_in_place(emulator, engine, app_state):
    state = engine.create(tenants.webhook(emulator, app_state, sink(app_state)))
    moved = "https://ingest-2.example.invalid/cometchat"
    step = engine.up(state, tenants.webhook(emulator, app_state, moved, password="RotatedSyntheticPassword42"))
    assert step.op == "update" and step.state.id == state.id
    assert record(emulator, app_state).webhook_url == moved
    assert record(emulator, app_state).password == "RotatedSyntheticPassword42"


def test_refresh_sees_retries_switched_off_by_hand_and_up_switches_them_back_on(emulator, engine, app_state):
    state = engine.create(tenants.webhook(emulator, app_state, sink(app_state)))
    with management(emulator) as api:
        api.update_webhook(app_state.id, WebhookSpec(id=state.id, name="edited", webhookURL=sink(app_state),
                                                     useBasicAuth=False, retryOnFailure=False))
        api.remove_triggers(app_state.id, state.id, ["message_sent"])

    refreshed = engine.read(state)
    assert refreshed.output("retryOnFailure") is False
    step = engine.up(refreshed, tenants.webhook(emulator, app_state, sink(app_state)))
    assert step.op == "update"
    live = record(emulator, app_state)
    assert live.retry_on_failure and live.use_basic_auth and "message_sent" in live.triggers


def test_a_webhook_left_by_a_failed_run_is_adopted(emulator, engine, app_state):
    tenant = app_state.output("tenantId")
    with management(emulator) as api:
        api.create_webhook(app_state.id, WebhookSpec(id=webhook_id(tenant), name="leftover",
                                                     webhookURL="https://old.example.invalid/hook"))
    state = engine.create(tenants.webhook(emulator, app_state, sink(app_state)))
    assert record(emulator, app_state).webhook_url == sink(app_state)
    assert record(emulator, app_state).use_basic_auth
    assert state.id == webhook_id(tenant)


def test_delete_removes_the_webhook(emulator, engine, app_state):
    state = engine.create(tenants.webhook(emulator, app_state, sink(app_state)))
    engine.delete(state)
    assert emulator.emulator.state.apps[app_state.id].webhooks == {}
    assert engine.read(state) is None


@pytest.mark.parametrize(("url", "password", "refused"), [
    ("http://ingest.example.invalid/hook", tenants.WEBHOOK_PASSWORD, "webhookUrl"),
    ("https://ingest.example.invalid/hook", "not-alphanumeric-password!", "password"),
    ("https://ingest.example.invalid/hook", "short", "password"),
])
def test_check_refuses_plain_http_and_passwords_cometchat_would_reject(emulator, engine, app_state, url, password,
                                                                       refused):
    with pytest.raises(CheckFailed) as failed:
        engine.create(tenants.webhook(emulator, app_state, url, password=password))
    assert refused in failed.value.failures
    assert password not in str(failed.value)


def test_webhook_ids_are_alphanumeric_and_bounded():
    assert webhook_id("sunrise-clinic") == "hipaachatsunriseclinic"
    long_id = webhook_id("a" * 32 + "-" + "b" * 20)
    assert long_id.isalnum() and len(long_id) == 50
    assert long_id != webhook_id("a" * 32 + "-" + "c" * 20)
