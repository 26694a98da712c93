"""The tenant's role matrix as CometChat roles: a pure mapping, unit-tested on its own.

CometChat has two levers per role (reference §3.1): role `settings` (`listUsers`,
`sendMessagesTo`: `all` | `friendsOnly`) and RBAC permissions (`PUT /roles/{role}/permissions`).
The matrix says what each role *sees* and whether it may handle clinical content; this module
turns that into both levers, applying the minimum-necessary standard (45 CFR 164.502(b)):

* Visibility. CometChat's only relationship primitive is "friends", so relationship-bound scopes
  (`own` patients, a provider's `panel`, a coordinator's `assigned` list, `none`) are
  `friendsOnly`: the clinic's backend maintains those friendships. Only scopes that are
  clinic-wide by definition open the directory: `care-team` (the whole team), `scheduling`
  (front desk must find any patient to book) and `audit` (admins review any account).
  Messaging anyone (`sendMessagesTo: all`) is granted only to `care-team` and `scheduling`:
  auditing never needs to start a conversation. A role with several scopes gets the union.
* Clinical content. Roles with `clinical_content: false` (admin, front desk) may send text only:
  images, audio, video and files are where clinical documents, photos and recordings travel.
  They may not create groups, so they cannot pull themselves into a clinical conversation.
* Groups. Clinical staff may create *private* groups only: a public group is joinable by every
  user of the app, which would defeat the per-relationship visibility above. Patients and
  `none` roles never create groups; `none` roles cannot send at all.

Every role we create carries `metadata.managedBy = "hipaachat"`: updates delete only roles with
that marker, never CometChat's built-in `default` role or roles someone made by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.catalog import Role as MatrixEntry

MANAGED_BY = "hipaachat"
BUILTIN_ROLE = "default"
# 25 roles per app, one of which is the built-in `default`.
MAX_MANAGED_ROLES = 24
ROLE_ID = re.compile(r"^[a-z][a-z0-9-]{0,49}$")
ALL_MESSAGE_TYPES = ("text", "image", "audio", "video", "file")
NON_CLINICAL_MESSAGE_TYPES = ("text",)

Reach = Literal["all", "friendsOnly"]
# scope -> (listUsers, sendMessagesTo); tests check it covers every catalog scope.
SCOPE_REACH: dict[str, tuple[Reach, Reach]] = {
    "own": ("friendsOnly", "friendsOnly"),
    "panel": ("friendsOnly", "friendsOnly"),
    "assigned": ("friendsOnly", "friendsOnly"),
    "none": ("friendsOnly", "friendsOnly"),
    "care-team": ("all", "all"),
    "scheduling": ("all", "all"),
    "audit": ("all", "friendsOnly"),
}


class RoleMatrixError(ValueError):
    """The matrix cannot become CometChat roles; the message says which role and how to fix it."""


class RoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    list_users: Reach = Field(alias="listUsers")
    send_messages_to: Reach = Field(alias="sendMessagesTo")


class CometChatRole(BaseModel):
    """One role as `POST /roles` takes it, plus the permissions for `PUT /roles/{role}/permissions`."""

    model_config = ConfigDict(frozen=True)

    role: str
    name: str
    description: str
    metadata: dict[str, Any]
    settings: RoleSettings
    permissions: dict[str, str | list[str]]


def _widest(values: list[Reach]) -> Reach:
    return "all" if "all" in values else "friendsOnly"


def role_from_entry(role_id: str, entry: MatrixEntry) -> CometChatRole:
    """One matrix row as a CometChat role (see the module docstring for the reasoning)."""
    if role_id == BUILTIN_ROLE:
        raise RoleMatrixError("role id 'default' is CometChat's built-in role; rename the tenant's role")
    if not ROLE_ID.match(role_id):
        raise RoleMatrixError(f"role id {role_id!r} must be lowercase letters, digits and '-', at most 50 characters")
    reaches = [SCOPE_REACH[scope] for scope in entry.sees]
    settings = RoleSettings(listUsers=_widest([r[0] for r in reaches]),
                            sendMessagesTo=_widest([r[1] for r in reaches]))
    silent = set(entry.sees) == {"none"}
    patient_like = "own" in entry.sees
    may_create_groups = entry.clinical_content and not patient_like and not silent
    types = ALL_MESSAGE_TYPES if entry.clinical_content else NON_CLINICAL_MESSAGE_TYPES
    permissions: dict[str, str | list[str]] = {
        "sendMessage": "deny" if silent else "allow",
        "sendMessage.allowedMessageTypes": list(types),
        "createGroup": "allow" if may_create_groups else "deny",
        "createGroup.allowedGroupTypes": ["private"] if may_create_groups else [],
        "listUsers.mode": "all" if settings.list_users == "all" else "friends",
    }
    content = "clinical content" if entry.clinical_content else "no clinical content"
    return CometChatRole(
        role=role_id,
        name=role_id.replace("-", " ").title(),
        description=f"Managed by hipaachat: sees {', '.join(entry.sees)}; {content}.",
        metadata={"managedBy": MANAGED_BY, "sees": list(entry.sees), "clinicalContent": entry.clinical_content},
        settings=settings,
        permissions=permissions,
    )


def roles_from_matrix(matrix: Mapping[str, Mapping[str, Any] | MatrixEntry]) -> list[CometChatRole]:
    """The whole matrix as CometChat roles, sorted by id; refuses what CometChat would refuse."""
    if len(matrix) > MAX_MANAGED_ROLES:
        raise RoleMatrixError(
            f"{len(matrix)} roles; CometChat allows {MAX_MANAGED_ROLES} besides its built-in role: merge some")
    roles = []
    for role_id in sorted(matrix):
        raw = matrix[role_id]
        try:
            entry = raw if isinstance(raw, MatrixEntry) else MatrixEntry.model_validate(dict(raw))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
            raise RoleMatrixError(f"role {role_id!r}: {problems}") from None
        roles.append(role_from_entry(role_id, entry))
    return roles


def is_managed(role: Mapping[str, Any]) -> bool:
    """Whether a role read from CometChat is one of ours (and so ours to update or delete)."""
    metadata = role.get("metadata") or {}
    return role.get("role") != BUILTIN_ROLE and metadata.get("managedBy") == MANAGED_BY
