"""Offboarding against the emulator: what `pulumi up` does to a tenant's CometChat layer.

After `hipaachat tenants offboard`, the program no longer declares the tenant's webhook,
extensions, roles and app, so the engine deletes them (dependents first) through the real
dynamic provider host. CometChat archives the app (`scheduledToDeleteAt`, 30 days) and refuses
every later call with ERR_APP_ARCHIVED; nothing of the tenant's layer may fail on that.
"""

from __future__ import annotations

import uuid

import pytest

from components.cometchat.errors import CometChatError
from components.cometchat.management import ManagementClient
from tests.cometchat_providers import tenants

MATRIX = {"patient": {"sees": ["own"], "clinical_content": True},
          "admin": {"sees": ["audit"], "clinical_content": False}}
THIRTY_DAYS = 30 * 24 * 3600


def management(emulator) -> ManagementClient:
    return ManagementClient(emulator.url, emulator.management_key, emulator.management_secret)


def live_app(emulator, app_id):
    return next(a for a in emulator.state()["apps"] if a["id"] == app_id)


@pytest.fixture
def layer(emulator, engine):
    """One tenant's CometChat layer as `pulumi up` creates it."""
    app = engine.create(tenants.app(emulator, f"leaving-{uuid.uuid4().hex[:8]}", "eu"))
    sink = f"https://ingest.{app.output('tenantId')}.example.invalid/cometchat"
    parts = [engine.create(tenants.roles(emulator, app, MATRIX)),
             engine.create(tenants.extensions(emulator, app, ai=False)),
             engine.create(tenants.webhook(emulator, app, sink))]
    return app, parts


def test_offboarding_deletes_the_layer_and_cometchat_archives_the_app(emulator, engine, layer):
    app, parts = layer
    for part in reversed(parts):  # the engine deletes dependents before what they depend on
        engine.delete(part)
    engine.delete(app)

    live = live_app(emulator, app.id)
    assert live["state"] == "archived" and live["webhooks"] == {}
    assert live["scheduledToDeleteAt"] - emulator.state()["now"] == pytest.approx(THIRTY_DAYS, abs=60)
    with management(emulator) as client, pytest.raises(CometChatError) as archived:
        client.get_settings(app.id)
    assert archived.value.code == "ERR_APP_ARCHIVED"
    # `pulumi refresh` afterwards: the archived app reads as gone, so the state forgets it.
    assert engine.read(app) is None

    emulator.advance_clock(THIRTY_DAYS + 60)
    assert all(a["id"] != app.id for a in emulator.state()["apps"])


def test_a_layer_whose_app_was_archived_first_still_deletes_cleanly(emulator, engine, layer):
    # E.g. someone deleted the app in the dashboard, or an earlier `pulumi up` stopped half-way.
    app, parts = layer
    with management(emulator) as client:
        client.delete_app(app.id)
    for part in reversed(parts):
        engine.delete(part)  # ERR_APP_ARCHIVED means the part is gone with its app: not an error
    engine.delete(app)
    assert live_app(emulator, app.id)["state"] == "archived"
