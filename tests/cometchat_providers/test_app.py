"""`CometChatApp` through the real dynamic provider host, against the emulator."""

from __future__ import annotations

import base64
import dataclasses
import uuid

import dill
import pulumi
import pytest

from components.cometchat.providers import APP_SECRET_OUTPUTS, CometChatApp, CometChatAppArgs
from scripts.emulator.faults import FaultConfig, ScriptedFault
from tests.cometchat_providers import tenants
from tests.cometchat_providers.dynamic_host import ProviderRpcError
from tests.cometchat_providers.engine import CheckFailed, MiniEngine, reveal


def tenant_id() -> str:
    return f"clinic-{uuid.uuid4().hex[:8]}"


def live_app(emulator, app_id):
    return next(a for a in emulator.state()["apps"] if a["id"] == app_id)


@pytest.mark.parametrize("region", ["us", "eu", "in"])
def test_create_makes_one_app_in_the_tenants_region(emulator, engine, region):
    tid = tenant_id()
    state = engine.create(tenants.app(emulator, tid, region))

    live = live_app(emulator, state.id)
    assert (live["name"], live["region"], live["state"]) == (f"hipaachat-test-{tid}", region, "active")
    assert state.output("appId") == state.id and state.output("region") == region
    # skipSampleData: a tenant app starts with CometChat's built-in role only, no sample users/groups.
    assert live["roles"] == ["default"]


def test_keys_are_secret_outputs_and_never_plain_state_or_logs(emulator, engine, host):
    state = engine.create(tenants.app(emulator, tenant_id()))
    full, auth = state.output("fullAccessKey"), state.output("authOnlyKey")

    assert len(full) == 40 and len(auth) == 40 and full != auth
    assert state.is_secret_output("fullAccessKey") and state.is_secret_output("authOnlyKey")
    assert state.is_secret_output("managementKey") and state.is_secret_output("managementSecret")
    stored = state.plain_view()
    for secret in (full, auth, tenants.connection(emulator).management_secret):
        assert secret not in stored
    assert not [line for line in host.log_lines if full in line or auth in line]


def test_the_resource_itself_marks_the_keys_secret_even_if_the_caller_forgets(emulator):
    registration = tenants.app(emulator, tenant_id(), opts=pulumi.ResourceOptions(protect=True))
    assert registration.additional_secret_outputs == APP_SECRET_OUTPUTS
    assert registration.protect  # the caller's options survive the merge


def test_without_additional_secret_outputs_the_engine_would_store_keys_in_plain_state(emulator, engine):
    """Why `APP_SECRET_OUTPUTS` matters: the host answers acceptSecrets=False and keys are new outputs."""
    registration = dataclasses.replace(tenants.app(emulator, tenant_id()), additional_secret_outputs=[])
    state = engine.create(registration)
    assert not engine.accept_secrets
    assert state.output("fullAccessKey") in state.plain_view()


def test_the_pickled_provider_holds_no_credential(emulator):
    registration = tenants.app(emulator, tenant_id())
    pickled = reveal(registration.inputs["__provider"])
    provider = dill.loads(base64.b64decode(pickled))
    assert vars(provider) == {}
    assert emulator.management_secret.encode() not in base64.b64decode(pickled)
    assert registration.type == "pulumi-python:dynamic/hipaachat:CometChatApp"


def test_read_after_create_returns_the_same_app_and_keeps_the_keys(emulator, engine):
    created = engine.create(tenants.app(emulator, tenant_id(), "eu"))
    refreshed = engine.read(created)
    assert refreshed is not None
    assert (refreshed.id, refreshed.output("name"), refreshed.output("region")) == \
           (created.id, created.output("name"), "eu")
    assert refreshed.output("fullAccessKey") == created.output("fullAccessKey")
    assert refreshed.is_secret_output("fullAccessKey")


def test_read_reports_an_app_deleted_outside_pulumi_as_gone(emulator, engine):
    created = engine.create(tenants.app(emulator, tenant_id()))
    engine.delete(created)
    assert engine.read(created) is None


def test_region_change_is_a_replacement_and_the_old_app_goes_first(emulator, engine):
    tid = tenant_id()
    created = engine.create(tenants.app(emulator, tid, "us"))
    outcome = engine.diff(created, tenants.app(emulator, tid, "eu"))
    assert outcome.replaces == ["region"]
    # Same name: two apps may not share it, so delete-before-replace.
    assert outcome.delete_before_replace


def test_rename_is_a_replacement_created_before_the_old_app_is_deleted(emulator, engine):
    tid = tenant_id()
    created = engine.create(tenants.app(emulator, tid))
    renamed = tenants.app(emulator, tid, name=f"hipaachat-renamed-{tid}")
    outcome = engine.diff(created, renamed)
    assert outcome.replaces == ["name"] and not outcome.delete_before_replace
    step = engine.up(created, renamed)
    assert step.op == "replace"
    assert live_app(emulator, step.state.id)["name"] == f"hipaachat-renamed-{tid}"
    assert live_app(emulator, created.id)["state"] == "archived"


def test_unchanged_inputs_are_no_change(emulator, engine):
    tid = tenant_id()
    created = engine.create(tenants.app(emulator, tid))
    assert engine.up(created, tenants.app(emulator, tid)).op == "same"


def test_delete_archives_the_app_and_says_when_it_is_destroyed(emulator, engine, host):
    created = engine.create(tenants.app(emulator, tenant_id()))
    engine.delete(created)

    live = live_app(emulator, created.id)
    assert live["state"] == "archived"
    assert live["scheduledToDeleteAt"] - emulator.state()["now"] == pytest.approx(30 * 24 * 3600, abs=60)
    notes = [line for line in host.log_lines if created.id in line and "archived" in line]
    assert notes and "permanently" in notes[-1]
    engine.delete(created)  # a repeated delete (e.g. after a lost answer) is not an error


@pytest.mark.parametrize(("prop", "value"), [("region", "ap"), ("tenantId", "Not_DNS_Safe"), ("name", "")])
def test_check_refuses_what_cometchat_or_the_catalog_would_refuse(emulator, engine, prop, value):
    registration = tenants.app(emulator, "valid-tenant")
    bad = dataclasses.replace(registration, inputs={**registration.inputs, prop: value})
    with pytest.raises(CheckFailed) as refused:
        engine.create(bad)
    assert prop in refused.value.failures


def test_wrong_management_credentials_fail_with_advice_and_no_secret(emulator, engine):
    wrong = "synthetic-wrong-secret-value"
    registration = tenants.app(emulator, tenant_id(), conn=tenants.connection(emulator, secret=wrong))
    with pytest.raises(ProviderRpcError) as failed:
        engine.create(registration)
    assert "cometchatManagementSecret" in failed.value.details
    assert wrong not in failed.value.details


def test_a_lost_create_answer_without_keys_in_the_listing_never_makes_a_second_app(emulator, host):
    """Newer list shape: keys cannot be recovered, so Create fails loudly instead of duplicating."""
    tid = tenant_id()
    emulator.set_faults(FaultConfig(script=[ScriptedFault(fault="drop", method="POST", path="/apps")]))
    try:
        with pytest.raises(ProviderRpcError) as failed:
            MiniEngine(host).create(tenants.app(emulator, tid))
    finally:
        emulator.set_faults(FaultConfig())
    assert "HIPAACHAT_KEYS_UNRECOVERABLE" in failed.value.details
    assert [a["name"] for a in emulator.state()["apps"]].count(f"hipaachat-test-{tid}") == 1



class _EchoMocks(pulumi.runtime.Mocks):
    """Answers a registration with the outputs the provider would return."""

    def new_resource(self, args):
        return "app-id-1", {**args.inputs, "appId": "app-id-1", "fullAccessKey": "synthetic-full-key"}

    def call(self, args):
        return {}


def test_python_attributes_are_snake_case_views_of_the_engine_properties(emulator):
    pulumi.runtime.set_mocks(_EchoMocks(), project="hipaachat", stack="test", preview=False)

    def program():
        app = CometChatApp("attrs", CometChatAppArgs(tenant_id="attrs", name="hipaachat-test-attrs", region="eu",
                                                     environment="prototype", connection=tenants.connection(emulator)))
        return pulumi.Output.all(app.app_id, app.region, app.tenant_id, app.full_access_key, app.key_generation)

    seen = []
    pulumi.runtime.test(lambda: program().apply(seen.append))()
    assert seen == [["app-id-1", "eu", "attrs", "synthetic-full-key", 0]]
