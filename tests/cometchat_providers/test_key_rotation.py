"""Key rotation of `CometChatApp`: create new keys, switch, delete the old ones (with the new key)."""

from __future__ import annotations

import json
import uuid

import pytest

from components.cometchat.errors import CometChatError
from components.cometchat.tuning import CLIENT_CONFIG_KEY
from components.cometchat.rest import AppClient
from scripts.emulator.faults import FaultConfig, ScriptedFault
from tests.cometchat_providers import tenants
from tests.cometchat_providers.dynamic_host import DynamicProviderHost, ProviderRpcError
from tests.cometchat_providers.engine import CheckFailed, MiniEngine


def tenant_id() -> str:
    return f"rotate-{uuid.uuid4().hex[:8]}"


def keys_of(emulator, app_id: str, region: str, key: str) -> list[tuple[str, str, str]]:
    with AppClient(emulator.rest_url_template, app_id, region, key) as client:
        return sorted((k.scope, k.name, k.api_key.get_secret_value()) for k in client.list_api_keys())


def test_key_rotation_leaves_exactly_one_full_access_key_and_it_works(emulator, engine, host):
    tid = tenant_id()
    created = engine.create(tenants.app(emulator, tid, "in"))
    old_full, old_auth = created.output("fullAccessKey"), created.output("authOnlyKey")

    step = engine.up(created, tenants.app(emulator, tid, "in", key_generation=1))
    assert step.op == "update"
    new_full, new_auth = step.state.output("fullAccessKey"), step.state.output("authOnlyKey")
    assert {new_full, new_auth}.isdisjoint({old_full, old_auth})
    assert step.state.is_secret_output("fullAccessKey") and step.state.is_secret_output("authOnlyKey")

    # The new key works (it lists the keys) and it is the only fullAccess key left.
    assert keys_of(emulator, created.id, "in", new_full) == [
        ("authOnly", "hipaachat-authOnly-g1", new_auth), ("fullAccess", "hipaachat-fullAccess-g1", new_full)]
    with pytest.raises(CometChatError) as refused:
        keys_of(emulator, created.id, "in", old_full)
    assert refused.value.code == "AUTH_ERR_APIKEY_NOT_FOUND"
    for key in (old_full, old_auth, new_full, new_auth):
        assert key not in step.state.plain_view()
        assert not [line for line in host.log_lines if key in line]


def test_an_interrupted_rotation_is_finished_by_the_next_up_without_extra_keys(emulator):
    tid = tenant_id()
    fast = {CLIENT_CONFIG_KEY: json.dumps({"maxAttempts": 2, "baseDelaySeconds": 0.01, "maxDelaySeconds": 0.02})}
    with DynamicProviderHost() as host:
        engine = MiniEngine(host, fast)
        created = engine.create(tenants.app(emulator, tid))
        # Both attempts to delete the old authOnly key fail: the update fails after the new keys exist.
        delete = ScriptedFault(fault="5xx", method="DELETE", path="/_apps/*/apikeys/*")
        emulator.set_faults(FaultConfig(script=[delete, delete]))
        try:
            with pytest.raises(ProviderRpcError):
                engine.up(created, tenants.app(emulator, tid, key_generation=1))
        finally:
            emulator.set_faults(FaultConfig())
        # The engine kept the old state, whose key must still work; running `pulumi up` again finishes.
        step = engine.up(created, tenants.app(emulator, tid, key_generation=1))

    new_full = step.state.output("fullAccessKey")
    scopes = [scope for scope, _, _ in keys_of(emulator, created.id, "us", new_full)]
    assert scopes == ["authOnly", "fullAccess"]


def test_key_generation_cannot_go_back(emulator, engine):
    tid = tenant_id()
    created = engine.create(tenants.app(emulator, tid))
    rotated = engine.up(created, tenants.app(emulator, tid, key_generation=1)).state
    with pytest.raises(CheckFailed) as refused:
        engine.up(rotated, tenants.app(emulator, tid, key_generation=0))
    assert "only increases" in refused.value.failures["keyGeneration"]
