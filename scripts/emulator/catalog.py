"""What a fresh CometChat app holds, as far as the public reference shows it.

Extension ids and their `isThirdParty` flags come from the Management API spec's list example;
setting keys and defaults from the settings page; trigger ids from the webhooks overview; the
RBAC permissions are the ones the reference names (CometChat has 28; the emulator knows the
subset hipaachat configures and refuses the rest, so a typo fails here as it would there).
"""

from __future__ import annotations

from typing import Any

# id -> (name, isThirdParty, enabled on a new app)
EXTENSIONS: dict[str, tuple[str, bool, bool]] = {
    "push-notification": ("Push Notifications", False, False),
    "email-notification": ("Email Notifications", True, False),
    "sms-notification": ("SMS Notifications", True, False),
    "data-masking": ("Data Masking", False, False),
    "profanity-filter": ("Profanity Filter", False, False),
    "image-moderation": ("Image Moderation", True, False),
    "human-moderation": ("Human Moderation", False, False),
    "virus-malware-scanner": ("Virus & Malware Scanner", False, False),
    "xss-filter": ("XSS Filter", False, False),
    "message-translation": ("Message Translation", True, False),
    "smart-reply": ("Smart Replies", True, False),
    "sentiment-analysis": ("Sentiment Analysis", True, False),
    "voice-transcription": ("Voice Transcription", True, False),
    "link-preview": ("Link Preview", True, True),
    "rich-media": ("Rich Media Preview", True, False),
    "e2ee": ("End-to-end Encryption", False, False),
    "polls": ("Polls", False, False),
    "reactions": ("Reactions", False, True),
    "mentions": ("Mentions", False, True),
    "pin-message": ("Pin Message", False, False),
    "save-message": ("Save Message", False, False),
    "gifs-giphy": ("Giphy", True, False),
    "gifs-tenor": ("Tenor", True, False),
    "stickers": ("Stickers", False, False),
    "intercom": ("Intercom", True, False),
    "chatwoot": ("Chatwoot", True, False),
    "broadcast": ("Broadcast", False, False),
    "widget": ("Chat Widget", False, False),
}

# Extensions whose settings endpoint answers only GET, PUT and DELETE (per the spec).
PUT_ONLY_SETTINGS = frozenset({"data-masking"})


def data_masking_defaults() -> dict[str, Any]:
    """Data masking's defaults cover emails, US phone numbers and SSNs (patterns illustrative)."""
    return {
        "dropMessage": False,
        "customregexData": [],
        "defaultRegexData": [
            {"id": "email", "name": "Emails", "regex": r"[\w.+-]+@[\w-]+\.[\w.]+", "enableFlag": True},
            {"id": "phone", "name": "US phone numbers", "regex": r"\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}",
             "enableFlag": True},
            {"id": "ssn", "name": "SSN", "regex": r"\d{3}-\d{2}-\d{4}", "enableFlag": True},
        ],
    }


def settings_defaults() -> dict[str, Any]:
    return {
        "core.conversations.updateOnGroupActions": True,
        "core.conversations.updateOnReplies": True,
        "core.conversations.updateOnMessageActions": False,
        "core.conversations.updateOnCallActivity": False,
        "core.threads.updateOnMessageActions": False,
        "core.conversations.updateOnCustomMessage": False,
        "core.notifications.push.enabled": False,
        "core.notifications.push.accessible": False,
        "core.notifications.push.advanced.enabled": False,
        "core.notifications.push.advanced.included": [],
    }


def notification_defaults() -> dict[str, Any]:
    """Numeric 1/2 codes as CometChat uses them (meanings undocumented); templates unset."""
    return {"preferences": {
        "push": {"includeMessageObjectSetting": 1, "includeSenderMetadataSetting": 1,
                 "includeReceiverMetadataSetting": 1, "trimTextFieldSetting": 1,
                 "includeMessageMetadataSetting": 1},
        "bypassPreferencesForMentions": False,
        "email": {"notifyForUnreadOnly": True, "intervalInSeconds": 120},
    }}


TRIGGERS = frozenset({
    "message_sent", "message_edited", "message_deleted", "message_delivery_receipt", "message_read_receipt",
    "message_reaction_added", "message_reaction_removed", "user_mentioned", "message_delivered_to_all",
    "message_read_by_all", "message_pinned", "message_unpinned", "conversation_pinned", "conversation_unpinned",
    "user_blocked", "user_unblocked", "user_connection_status_changed",
    "group_created", "group_updated", "group_deleted", "group_member_added", "group_member_removed",
    "group_member_joined", "group_member_left", "group_member_kicked", "group_member_banned",
    "group_member_unbanned", "group_member_scope_changed", "group_owner_transferred",
    "call_initiated", "call_started", "call_ended", "call_participant_joined", "call_participant_left",
    "call_busy", "call_cancelled", "call_rejected", "call_unanswered", "meeting_started", "meeting_ended",
    "meeting_participant_joined", "meeting_participant_left", "recording_generated",
    "moderation_engine_approved", "moderation_engine_blocked", "moderation_manual_approved",
})

# id -> (type, dataType, availableValues, defaultValue)
PERMISSIONS: dict[str, tuple[str, str, list[Any], Any]] = {
    "sendMessage": ("action", "string", ["allow", "deny"], "allow"),
    "sendMessage.allowedMessageTypes": ("attribute", "array", ["text", "image", "audio", "video", "file"],
                                        ["text", "image", "audio", "video", "file"]),
    "createGroup": ("action", "string", ["allow", "deny"], "allow"),
    "createGroup.allowedGroupTypes": ("attribute", "array", ["public", "password", "private"],
                                      ["public", "password", "private"]),
    "joinGroup": ("action", "string", ["allow", "deny"], "allow"),
    "listUsers": ("action", "string", ["allow", "deny"], "allow"),
    "listUsers.mode": ("attribute", "string", ["all", "friends"], "all"),
    "listGroups": ("action", "string", ["allow", "deny"], "allow"),
    "initiateCall": ("action", "string", ["allow", "deny"], "allow"),
    "reactToMessage": ("action", "string", ["allow", "deny"], "allow"),
}


def permission_error(permission: str, value: Any) -> str | None:
    """Why `value` is not acceptable for `permission`, or None if it is."""
    if permission not in PERMISSIONS:
        return "unknown permission"
    _, data_type, available, _ = PERMISSIONS[permission]
    if data_type == "array":
        if not isinstance(value, list) or any(v not in available for v in value):
            return f"must be a list drawn from {available}"
        return None
    return None if value in available else f"must be one of {available}"
