"""What a tenant has, read from its resources: regions, keys, retention, templates, roles, BAA, app.

The Tenant component's inputs carry what the tenant file declares (components/tenant.py); its
children carry what was registered or deployed. The evidence shows both side by side, because
"declared 2192 days, deployed 365" is exactly what an auditor is there to catch. Reading is
lenient: a foreign or older state lacks facts, and a missing fact is null, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.tags import CHANNEL_TAG
from policies.hipaa import contracts as c
from policies.hipaa.values import as_bool, as_int
from scripts.audit.models import (
    BaaEvidence,
    CometChatEvidence,
    KeyEvidence,
    RetentionEvidence,
    RoleEvidence,
)
from scripts.audit.notifications import rendered_notifications
from scripts.audit.secrets import is_secret
from scripts.engine.models import CapturedResource

COMETCHAT_ROLES_TYPE = c.DYNAMIC_PREFIX + "CometChatRoles"
_ACCOUNT = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")


def prop(resource: CapturedResource | None, key: str) -> Any:
    """A property as deployed (outputs) or else as declared (inputs); secrets read as None."""
    if resource is None:
        return None
    value = resource.outputs.get(key, resource.inputs.get(key))
    return None if is_secret(value) else value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


class TenantFacts:
    """One tenant's resources, indexed by type, with the evidence readers over them."""

    def __init__(self, component: CapturedResource, resources: Sequence[CapturedResource], source: str) -> None:
        self.component = component
        self.resources = list(resources)
        self.source = source
        self.declared = component.inputs
        self._by_type: dict[str, list[CapturedResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)

    def of(self, *types: str) -> list[CapturedResource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    @property
    def name(self) -> str | None:
        return _text(self.declared.get("displayName"))

    def declared_text(self, key: str) -> str | None:
        """A declared fact that should be text; anything else (a foreign or damaged state) reads as unknown."""
        return _text(self.declared.get(key))

    def lifecycle(self, key: str) -> str | None:
        """One field of the declared lifecycle (state, offboardedOn, evidenceUntil); state defaults to active."""
        state = _mapping(self.declared.get("lifecycle"))
        return _text(state.get(key)) or ("active" if key == "state" else None)

    def aws_account(self) -> str | None:
        for key in self.of(c.KMS_KEY, c.LOG_GROUP, c.SECRET):
            arn = prop(key, "arn")
            if isinstance(arn, str) and (match := _ACCOUNT.match(arn)) is not None:
                return match.group(1)
        return None

    def keys(self) -> list[KeyEvidence]:
        return [KeyEvidence(urn=k.urn, rotation_enabled=as_bool(prop(k, "enableKeyRotation")),
                            deletion_window_days=as_int(prop(k, "deletionWindowInDays"))) for k in self.of(c.KMS_KEY)]

    def retention(self) -> RetentionEvidence:
        group = next(iter(self.of(c.LOG_GROUP)), None)
        lock = next(iter(self.of(*c.OBJECT_LOCKS)), None)
        default = _mapping(_mapping(_mapping(prop(lock, "rule")).get("defaultRetention")))
        days = as_int(prop(group, "retentionInDays")) if group is not None else None
        return RetentionEvidence(
            declared_days=as_int(self.declared.get("retentionDays")),
            log_group_urn=group.urn if group else None,
            log_group_days=0 if group is not None and days is None else days,
            log_group_encrypted=bool(prop(group, "kmsKeyId")) if group is not None else None,
            object_lock_urn=lock.urn if lock else None,
            object_lock_mode=_text(default.get("mode")),
            object_lock_days=as_int(default.get("days")))

    def notifications(self):
        declared = {k: v for k, v in _mapping(self.declared.get("notifications")).items() if isinstance(v, str)}
        deployed: dict[str, str] | None = None
        if self.source in ("deployed", "declared-export"):  # a state file holds the template objects
            deployed = {}
            for obj in self.of(*c.S3_OBJECTS):
                channel = _mapping(prop(obj, "tags")).get(CHANNEL_TAG)
                content = prop(obj, "content")
                if isinstance(channel, str) and isinstance(content, str):
                    deployed[channel] = content
        return rendered_notifications(declared, deployed)

    def roles(self) -> list[RoleEvidence]:
        declared = _mapping(self.declared.get("roles"))
        matrix = next(iter(self.of(COMETCHAT_ROLES_TYPE)), None)
        provisioned = _mapping(prop(matrix, "roles"))
        return [RoleEvidence(role=role, declared=_role(declared.get(role)), provisioned=_role(provisioned.get(role)),
                             matches=_role(declared.get(role)) == _role(provisioned.get(role)))
                for role in sorted(set(declared) | set(provisioned))]

    def baa(self) -> BaaEvidence | None:
        baa = self.declared.get("baa")
        if not isinstance(baa, Mapping):
            return None
        return BaaEvidence(signed=_text(str(baa.get("signed") or "")), reference=_text(baa.get("reference")))

    def cometchat(self) -> CometChatEvidence:
        app = next(iter(self.of(c.COMETCHAT_APP_TYPE)), None)
        return CometChatEvidence(urn=app.urn if app else None, app_id=_text(prop(app, "appId")),
                                 region=_text(prop(app, "region")),
                                 expected_region=_text(self.declared.get("cometchatRegion")))


def _role(entry: Any) -> dict[str, Any] | None:
    """A matrix entry in one canonical shape, so declared and provisioned compare equal when they agree."""
    if not isinstance(entry, Mapping):
        return None
    sees = entry.get("sees")
    return {"sees": sorted(sees) if isinstance(sees, list) else sees,
            "clinical_content": as_bool(entry.get("clinical_content"))}
