"""`CometChatExtensions` through the host against the emulator, and the pure safeguards."""

from __future__ import annotations

import re
import uuid

import pytest

from components.cometchat.management import ManagementClient
from components.cometchat.models import Extension
from components.cometchat.providers.safeguards import (
    AI_EXTENSIONS,
    PHI_PATTERNS,
    data_masking_settings,
    masking_in_force,
    plan_extensions,
)
from components.cometchat.rest import AppClient
from tests.cometchat_providers import tenants

# Synthetic PHI-shaped strings: what each pattern must catch.
SAMPLES = {
    "hipaachat-mrn": "Patient MRN: A1234567 needs a refill",
    "hipaachat-dob": "DOB 04/07/1961 confirmed",
    "hipaachat-intl-phone": "call me on +49 30 1234 5678",
}


@pytest.fixture
def app_state(emulator, engine):
    return engine.create(tenants.app(emulator, f"ext-{uuid.uuid4().hex[:8]}", "eu"))


def live(emulator, app_state):
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret) as api:
        extensions = {ext.id: ext for ext in api.list_extensions(app_state.id)}
        masking = api.get_extension_settings(app_state.id, "data-masking") if extensions["data-masking"].enabled else {}
        settings = api.get_settings(app_state.id)
    with AppClient(emulator.rest_url_template, app_state.id, "eu", app_state.output("fullAccessKey")) as rest:
        push = rest.get_notification_settings().preferences["push"]
    return extensions, masking, settings, push


def test_ai_and_third_party_extensions_are_off_and_safeguards_on(emulator, engine, app_state):
    state = engine.create(tenants.extensions(emulator, app_state, ai=False))
    extensions, masking, settings, push = live(emulator, app_state)

    third_party_on = [ext.id for ext in extensions.values() if ext.is_third_party and ext.enabled]
    assert third_party_on == []  # link-preview is on in a fresh app; it must be off now
    assert not any(extensions[ext_id].enabled for ext_id in AI_EXTENSIONS)
    assert not extensions["push-notification"].enabled
    assert extensions["data-masking"].enabled
    assert masking_in_force(masking) and masking["dropMessage"] is False
    assert {p["id"] for p in masking["defaultRegexData"]} == {"email", "phone", "ssn"}
    assert settings["core.notifications.push.enabled"] is True
    assert push["includeMessageObjectSetting"] == 2 and push["includeSenderMetadataSetting"] == 2
    assert state.output("compliant") is True
    assert state.is_secret_output("apiKey") and state.is_secret_output("managementSecret")


def test_ai_extensions_are_on_only_when_the_tenant_allows_them(emulator, engine, app_state):
    state = engine.create(tenants.extensions(emulator, app_state, ai=False))
    step = engine.up(state, tenants.extensions(emulator, app_state, ai=True))
    assert step.op == "update"
    extensions, *_ = live(emulator, app_state)
    assert all(extensions[ext_id].enabled for ext_id in AI_EXTENSIONS)
    assert not extensions["link-preview"].enabled and not extensions["intercom"].enabled

    engine.up(step.state, tenants.extensions(emulator, app_state, ai=False))
    extensions, *_ = live(emulator, app_state)
    assert not any(extensions[ext_id].enabled for ext_id in AI_EXTENSIONS)


def test_refresh_flags_an_extension_enabled_by_hand_and_up_turns_it_off(emulator, engine, app_state):
    state = engine.create(tenants.extensions(emulator, app_state, ai=False))
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret) as api:
        api.set_extensions(app_state.id, enabled=["smart-reply"])
    refreshed = engine.read(state)
    assert refreshed.output("compliant") is False
    step = engine.up(refreshed, tenants.extensions(emulator, app_state, ai=False))
    assert step.op == "update"
    extensions, *_ = live(emulator, app_state)
    assert not extensions["smart-reply"].enabled
    assert engine.read(step.state).output("compliant") is True


def test_unchanged_safeguards_are_no_change(emulator, engine, app_state):
    state = engine.create(tenants.extensions(emulator, app_state, ai=False))
    assert engine.up(engine.read(state), tenants.extensions(emulator, app_state, ai=False)).op == "same"


# -- the pure part ----------------------------------------------------------------------------

def catalogue(*entries: tuple[str, bool]) -> list[Extension]:
    return [Extension(id=ext_id, isThirdParty=third, enabled=True) for ext_id, third in entries]


def test_an_unknown_third_party_extension_is_disabled_too():
    plan = plan_extensions(catalogue(("data-masking", False), ("new-ai-thing", True), ("polls", False)), ai=True)
    assert plan.disabled == ["new-ai-thing"] and plan.enabled == ["data-masking"]


def test_extensions_the_app_does_not_have_are_left_out():
    plan = plan_extensions(catalogue(("data-masking", False)), ai=False)
    assert plan.model_dump() == {"enabled": ["data-masking"], "disabled": []}


@pytest.mark.parametrize("pattern", PHI_PATTERNS, ids=lambda p: p["id"])
def test_each_phi_pattern_catches_its_sample_and_leaves_plain_text_alone(pattern):
    assert re.search(pattern["regex"], SAMPLES[pattern["id"]])
    assert not re.search(pattern["regex"], "See you at the clinic on Tuesday at 3")


def test_masking_keeps_cometchats_defaults_and_others_custom_patterns_and_switches_all_on():
    current = {"dropMessage": True,
               "defaultRegexData": [{"id": "ssn", "name": "SSN", "regex": "x", "enableFlag": False}],
               "customregexData": [{"id": "clinic-own", "name": "Own", "regex": "y", "enableFlag": True}]}
    wanted = data_masking_settings(current)
    assert wanted["dropMessage"] is False
    assert wanted["defaultRegexData"] == [{"id": "ssn", "name": "SSN", "regex": "x", "enableFlag": True}]
    assert [p["id"] for p in wanted["customregexData"]] == ["clinic-own", *(p["id"] for p in PHI_PATTERNS)]
    assert masking_in_force(wanted)
    assert not masking_in_force({**wanted, "defaultRegexData": current["defaultRegexData"]})
    assert not masking_in_force({**wanted, "customregexData": []})
