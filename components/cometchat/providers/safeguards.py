"""What a tenant's CometChat app must have switched on or off, as pure data and functions.

* Extensions. The reference (§3.7, §4) cannot say which extensions the BAA covers, and several
  send message content to outside processors (`isThirdParty`). So every third-party extension
  and every AI extension is disabled. `features.ai: true` (set only when the tenant's BAA covers
  them) enables the AI set; the other third-party processors (link previews, GIFs, Intercom,
  legacy e-mail/SMS) serve no feature of a tenant file, so they stay off either way (minimum
  necessary). The legacy `push-notification` extension is off too: it forwards the message
  object to FCM/APNs and has no privacy mode; tenants use CometChat's Notifications product.
  The live catalogue's `isThirdParty` flags are honoured as well, so an extension CometChat adds
  later is off until someone decides otherwise.
* Data masking. On, masking (not dropping) messages, with CometChat's own default patterns
  (e-mail, US phone, SSN) all enabled plus PHI patterns they miss: medical record numbers,
  dates of birth and international phone numbers (EU and IN tenants).
* Push privacy. `core.notifications.push.enabled` switches on the Notifications product, whose
  templates have privacy variants. The payload preferences are numeric codes CometChat does not
  document (reference §3.5, "1 or 2"); a fresh app has 1 everywhere and CometChat's default
  payload includes the message, so 1 = include and 2 = exclude is the reading taken here. The
  privacy *mode* itself is set in the dashboard only: `hipaachat verify` checks what the API
  shows, the runbook covers the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from components.cometchat.models import Extension

AI_EXTENSIONS = ("message-translation", "sentiment-analysis", "smart-reply", "voice-transcription")
THIRD_PARTY_EXTENSIONS = ("chatwoot", "email-notification", "gifs-giphy", "gifs-tenor", "image-moderation",
                          "intercom", "link-preview", "rich-media", "sms-notification")
LEGACY_PUSH_EXTENSION = "push-notification"
DATA_MASKING = "data-masking"

PHI_PATTERNS: tuple[dict[str, Any], ...] = (
    {"id": "hipaachat-mrn", "name": "Medical record numbers",
     "regex": r"(?i)\b(?:MRN|medical\s+record(?:\s+(?:number|no\.?))?)\s*[:#]?\s*[A-Z0-9][A-Z0-9-]{4,14}\b",
     "enableFlag": True},
    {"id": "hipaachat-dob", "name": "Dates of birth",
     "regex": r"(?i)\b(?:DOB|date\s+of\s+birth|born(?:\s+on)?)\s*[:#]?\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b",
     "enableFlag": True},
    {"id": "hipaachat-intl-phone", "name": "International phone numbers",
     "regex": r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}", "enableFlag": True},
)

PUSH_APP_SETTINGS: dict[str, bool] = {"core.notifications.push.enabled": True}
_EXCLUDE = 2
PUSH_PAYLOAD_PATCH: dict[str, Any] = {"preferences": {"push": {
    "includeMessageObjectSetting": _EXCLUDE,
    "includeSenderMetadataSetting": _EXCLUDE,
    "includeReceiverMetadataSetting": _EXCLUDE,
    "includeMessageMetadataSetting": _EXCLUDE,
}}}


class ExtensionPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    enabled: list[str]
    disabled: list[str]


def plan_extensions(catalogue: Sequence[Extension], ai: bool) -> ExtensionPlan:
    """Which of the app's extensions to enable and disable for this tenant."""
    known = {ext.id for ext in catalogue}
    off = set(THIRD_PARTY_EXTENSIONS) | {LEGACY_PUSH_EXTENSION} | {ext.id for ext in catalogue if ext.is_third_party}
    on = {DATA_MASKING}
    if ai:
        on |= set(AI_EXTENSIONS)
    else:
        off |= set(AI_EXTENSIONS)
    off -= on
    return ExtensionPlan(enabled=sorted(on & known), disabled=sorted(off & known))


def data_masking_settings(current: Mapping[str, Any]) -> dict[str, Any]:
    """CometChat's default patterns, all enabled, plus ours; messages are masked, not dropped."""
    defaults = [{**pattern, "enableFlag": True} for pattern in current.get("defaultRegexData") or []]
    ours = {pattern["id"] for pattern in PHI_PATTERNS}
    custom = [p for p in current.get("customregexData") or [] if p.get("id") not in ours]
    return {"dropMessage": False, "defaultRegexData": defaults, "customregexData": custom + list(PHI_PATTERNS)}


def masking_in_force(settings: Mapping[str, Any]) -> bool:
    """Whether live data-masking settings still mask everything `data_masking_settings` asked for."""
    defaults_on = all(p.get("enableFlag") for p in settings.get("defaultRegexData") or [])
    live_custom = {p.get("id"): p for p in settings.get("customregexData") or []}
    ours_on = all(live_custom.get(p["id"], {}).get("regex") == p["regex"] and live_custom[p["id"]].get("enableFlag")
                  for p in PHI_PATTERNS)
    # `dropMessage: true` would be stricter still, so it does not count as drift.
    return defaults_on and ours_on


def push_private(preferences: Mapping[str, Any]) -> bool:
    """Whether live notification preferences still exclude the payload parts we excluded."""
    push = (preferences.get("preferences") or {}).get("push") or {}
    return all(push.get(name) == value for name, value in PUSH_PAYLOAD_PATCH["preferences"]["push"].items())
