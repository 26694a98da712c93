"""`CometChatRoles` through the real dynamic provider host, against the emulator."""

from __future__ import annotations

import uuid

import pytest

from components.cometchat.models import Role, RoleSettings
from components.cometchat.providers.rbac import roles_from_matrix
from components.cometchat.rest import AppClient
from tests.cometchat_providers import tenants
from tests.cometchat_providers.engine import CheckFailed


@pytest.fixture
def app_state(emulator, engine):
    return engine.create(tenants.app(emulator, f"roles-{uuid.uuid4().hex[:8]}"))


def client(emulator, app_state) -> AppClient:
    return AppClient(emulator.rest_url_template, app_state.id, app_state.output("region"),
                     app_state.output("fullAccessKey"))


def permissions(rest: AppClient, role_id: str) -> dict:
    return {p.id: p.value for p in rest.get_role_permissions(role_id)}


def test_roles_match_the_matrix(emulator, engine, app_state):
    state = engine.create(tenants.roles(emulator, app_state, tenants.MATRIX))

    with client(emulator, app_state) as rest:
        live = {role.role: role for role in rest.list_roles()}
        assert set(live) == {"default", *tenants.MATRIX}
        for spec in roles_from_matrix(tenants.MATRIX):
            assert live[spec.role].settings.model_dump(by_alias=True) == spec.settings.model_dump(by_alias=True)
            assert live[spec.role].metadata["managedBy"] == "hipaachat"
            values = permissions(rest, spec.role)
            assert all(values[name] == value for name, value in spec.permissions.items())
        patient = live["patient"].settings
        assert (patient.list_users, patient.send_messages_to) == ("friendsOnly", "friendsOnly")
        for restricted in ("admin", "front-desk"):
            values = permissions(rest, restricted)
            assert values["sendMessage.allowedMessageTypes"] == ["text"]
            assert values["createGroup"] == "deny"
    assert state.output("roleIds") == sorted(tenants.MATRIX)
    assert state.is_secret_output("apiKey")
    assert app_state.output("fullAccessKey") not in state.plain_view()


def test_update_creates_changes_and_deletes_only_managed_roles(emulator, engine, app_state):
    state = engine.create(tenants.roles(emulator, app_state, tenants.MATRIX))
    with client(emulator, app_state) as rest:
        rest.create_role(Role(role="made-by-hand", name="Made by hand"))

    matrix = {k: v for k, v in tenants.MATRIX.items() if k != "care-coordinator"}
    matrix["pharmacist"] = {"sees": ["care-team"], "clinical_content": True}
    matrix["provider"] = {"sees": ["panel", "care-team"], "clinical_content": True}
    step = engine.up(state, tenants.roles(emulator, app_state, matrix))

    assert step.op == "update"
    with client(emulator, app_state) as rest:
        live = {role.role: role for role in rest.list_roles()}
    assert set(live) == {"default", "made-by-hand", *matrix}
    assert live["provider"].settings.list_users == "all"
    assert step.state.output("roleIds") == sorted(matrix)


def test_refresh_sees_a_role_changed_by_hand_and_up_repairs_it(emulator, engine, app_state):
    state = engine.create(tenants.roles(emulator, app_state, tenants.MATRIX))
    with client(emulator, app_state) as rest:
        rest.update_role(Role(role="patient", name="Patient", metadata={"managedBy": "hipaachat"},
                              settings=RoleSettings(listUsers="all", sendMessagesTo="all")))
        rest.set_role_permissions("front-desk", {"sendMessage.allowedMessageTypes": ["text", "file"]})

    refreshed = engine.read(state)
    assert set(refreshed.output("roles")) == set(tenants.MATRIX) - {"patient", "front-desk"}
    step = engine.up(refreshed, tenants.roles(emulator, app_state, tenants.MATRIX))
    assert step.op == "update"
    with client(emulator, app_state) as rest:
        assert rest.get_role("patient").settings.list_users == "friendsOnly"
        assert permissions(rest, "front-desk")["sendMessage.allowedMessageTypes"] == ["text"]
    assert set(engine.read(step.state).output("roles")) == set(tenants.MATRIX)


def test_delete_removes_managed_roles_but_never_the_builtin_one(emulator, engine, app_state):
    state = engine.create(tenants.roles(emulator, app_state, tenants.MATRIX))
    engine.delete(state)
    with client(emulator, app_state) as rest:
        assert [role.role for role in rest.list_roles()] == ["default"]


def test_a_new_app_means_new_roles(emulator, engine, app_state):
    state = engine.create(tenants.roles(emulator, app_state, tenants.MATRIX))
    other_app = engine.create(tenants.app(emulator, app_state.output("tenantId") + "-b"))
    moved = tenants.roles(emulator, other_app, tenants.MATRIX)
    outcome = engine.diff(state, moved)
    assert "appId" in outcome.replaces


@pytest.mark.parametrize("matrix", [
    {"default": {"sees": ["own"], "clinical_content": True}},
    {"patient": {"sees": ["everyone"], "clinical_content": True}},
    {f"role-{i}": {"sees": ["own"], "clinical_content": True} for i in range(25)},
])
def test_check_refuses_a_matrix_cometchat_cannot_hold(emulator, engine, app_state, matrix):
    with pytest.raises(CheckFailed) as refused:
        engine.create(tenants.roles(emulator, app_state, matrix))
    assert "roles" in refused.value.failures
