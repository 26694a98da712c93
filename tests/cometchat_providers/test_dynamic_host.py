"""The harness itself and the provider configuration path, through the real host process."""

from __future__ import annotations

import json

import pulumi
import pytest
from pulumi.runtime import rpc

from components.cometchat.providers import CometChatApp, CometChatAppArgs, CometChatConnection
from components.cometchat.tuning import CLIENT_CONFIG_KEY
from components.settings import StackSettings
from scripts.emulator.faults import FaultConfig, ScriptedFault
from tests.cometchat_providers import tenants
from tests.cometchat_providers.dynamic_host import DynamicProviderHost, ProviderRpcError
from tests.cometchat_providers.engine import MiniEngine
from tests.cometchat_providers.program import register


def test_the_host_is_pulumis_dynamic_provider_and_refuses_secrets(host):
    assert host.plugin_info().version == "0.1.0"
    # The reason the engine strips secrets before every call and re-annotates the answers.
    assert host.configure({}, accept_secrets=True).acceptSecrets is False


def test_a_provider_failure_reaches_the_engine_without_the_credentials_it_was_given(emulator, engine):
    """Properties that skip Check (e.g. old state) fail by field name, never by quoting values."""
    registration = tenants.app(emulator, "failure-shape")
    props = {k: rpc.unwrap_rpc_secret(v) for k, v in registration.inputs.items() if k != "managementUrl"}
    with pytest.raises(ProviderRpcError) as failed:
        engine.host.create(registration.urn, props)
    assert failed.value.code.name == "UNKNOWN" and "Traceback" in failed.value.details
    assert "managementUrl: Field required" in failed.value.details
    assert emulator.management_secret not in failed.value.details
    assert emulator.management_key not in failed.value.details


def test_invalid_client_tuning_is_refused_with_the_key_to_fix(emulator):
    with DynamicProviderHost() as host:
        engine = MiniEngine(host, {CLIENT_CONFIG_KEY: json.dumps({"timeoutSeconds": -1})})
        with pytest.raises(ProviderRpcError) as failed:
            engine.create(tenants.app(emulator, "bad-tuning"))
    assert CLIENT_CONFIG_KEY in failed.value.details and "timeoutSeconds" in failed.value.details


def test_client_tuning_from_stack_config_reaches_the_provider(emulator):
    # A budget of one attempt: the first injected 503 fails the create instead of being retried.
    with DynamicProviderHost() as host:
        engine = MiniEngine(host, {CLIENT_CONFIG_KEY: json.dumps({"maxAttempts": 1})})
        emulator.set_faults(FaultConfig(script=[ScriptedFault(fault="5xx", method="GET", path="/apps")]))
        try:
            with pytest.raises(ProviderRpcError) as failed:
                engine.create(tenants.app(emulator, "one-attempt"))
        finally:
            emulator.set_faults(FaultConfig())
    assert "Gave up after 1 attempt" in failed.value.details


def test_connection_from_stack_uses_secret_config_and_the_stack_endpoints():
    pulumi.runtime.set_all_config(
        {"hipaachat:cometchatManagementKey": "synthetic-key", "hipaachat:cometchatManagementSecret": "synthetic-secret"},
        ["hipaachat:cometchatManagementKey", "hipaachat:cometchatManagementSecret"])
    settings = StackSettings.model_validate({"cometchat": {"managementUrl": "https://apimgmt.example.invalid",
                                                           "restUrl": "https://{app_id}.{region}.example.invalid/v3"}})
    try:
        registration = register(lambda: [CometChatApp("from-stack", CometChatAppArgs(
            tenant_id="from-stack", name="hipaachat-test-from-stack", region="us", environment="prototype",
            connection=CometChatConnection.from_stack(settings)))])["from-stack"]
    finally:
        pulumi.runtime.set_all_config({})
    assert rpc.is_rpc_secret(registration.inputs["managementKey"])
    assert rpc.is_rpc_secret(registration.inputs["managementSecret"])
    assert registration.inputs["managementUrl"] == "https://apimgmt.example.invalid"
    assert registration.inputs["restUrl"] == "https://{app_id}.{region}.example.invalid/v3"
