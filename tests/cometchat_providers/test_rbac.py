"""The role matrix -> CometChat roles mapping (pure; no provider, no emulator)."""

from __future__ import annotations

import pytest

from components.catalog import VISIBILITY_SCOPES
from components.cometchat.providers.rbac import (
    ALL_MESSAGE_TYPES,
    SCOPE_REACH,
    RoleMatrixError,
    is_managed,
    roles_from_matrix,
)

MATRIX = {
    "patient": {"sees": ["own"], "clinical_content": True},
    "provider": {"sees": ["panel"], "clinical_content": True},
    "care-coordinator": {"sees": ["assigned"], "clinical_content": True},
    "admin": {"sees": ["audit"], "clinical_content": False},
    "front-desk": {"sees": ["scheduling"], "clinical_content": False},
}


def by_id(matrix=MATRIX):
    return {role.role: role for role in roles_from_matrix(matrix)}


def test_every_catalog_scope_has_a_mapping():
    assert set(SCOPE_REACH) == set(VISIBILITY_SCOPES)


def test_patients_see_and_message_only_their_care_relationships():
    patient = by_id()["patient"]
    assert patient.settings.list_users == "friendsOnly"
    assert patient.settings.send_messages_to == "friendsOnly"
    assert patient.permissions["listUsers.mode"] == "friends"
    assert patient.permissions["createGroup"] == "deny"


@pytest.mark.parametrize("role_id", ["admin", "front-desk"])
def test_roles_without_clinical_content_send_text_only_and_cannot_create_groups(role_id):
    role = by_id()[role_id]
    assert role.permissions["sendMessage.allowedMessageTypes"] == ["text"]
    assert role.permissions["createGroup"] == "deny"
    assert role.permissions["createGroup.allowedGroupTypes"] == []
    assert role.metadata["clinicalContent"] is False


def test_clinical_staff_may_share_attachments_in_private_groups_only():
    provider = by_id()["provider"]
    assert provider.permissions["sendMessage.allowedMessageTypes"] == list(ALL_MESSAGE_TYPES)
    assert provider.permissions["createGroup"] == "allow"
    assert provider.permissions["createGroup.allowedGroupTypes"] == ["private"]


def test_front_desk_reaches_the_directory_but_audit_only_lists_it():
    roles = by_id()
    assert roles["front-desk"].settings.model_dump(by_alias=True) == {"listUsers": "all", "sendMessagesTo": "all"}
    assert roles["admin"].settings.model_dump(by_alias=True) == {"listUsers": "all", "sendMessagesTo": "friendsOnly"}


def test_a_role_with_several_scopes_gets_the_union():
    role = by_id({"nurse": {"sees": ["panel", "care-team"], "clinical_content": True}})["nurse"]
    assert role.settings.list_users == "all"


def test_a_role_that_sees_nothing_cannot_send():
    role = by_id({"observer": {"sees": ["none"], "clinical_content": False}})["observer"]
    assert role.permissions["sendMessage"] == "deny"


def test_roles_are_marked_as_ours_and_named_readably():
    role = by_id()["care-coordinator"]
    assert role.name == "Care Coordinator"
    assert is_managed(role.model_dump())
    assert not is_managed({"role": "default", "metadata": {"managedBy": "hipaachat"}})
    assert not is_managed({"role": "made-by-hand", "metadata": {}})


def test_the_builtin_default_role_cannot_be_claimed():
    with pytest.raises(RoleMatrixError, match="built-in"):
        roles_from_matrix({"default": {"sees": ["own"], "clinical_content": True}})


def test_role_ids_cometchat_would_refuse_are_refused():
    with pytest.raises(RoleMatrixError, match="lowercase"):
        roles_from_matrix({"Front_Desk": {"sees": ["scheduling"], "clinical_content": False}})


def test_more_roles_than_cometchat_allows_are_refused():
    matrix = {f"role-{i}": {"sees": ["own"], "clinical_content": True} for i in range(25)}
    with pytest.raises(RoleMatrixError, match="24"):
        roles_from_matrix(matrix)


def test_unknown_scopes_are_refused():
    with pytest.raises(ValueError, match="unknown visibility"):
        roles_from_matrix({"patient": {"sees": ["everything"], "clinical_content": True}})
