"""What an index record says about who did what to which message, and about which patient.

The trail (`hipaachat trail`) answers "who saw what about patient X between Y and Z" from the
index alone, so each record names the actor, the message, the conversation, CometChat's own
time and *keyed pseudonyms* of the clinical references the sending app attached to the message
(`data.message.data.metadata.refs`, FHIR-style such as `Patient/123`). A pseudonym is
HMAC-SHA256 under the tenant's own random key: the same reference always maps to the same value
inside one tenant, differs across tenants, and cannot be computed without the key (NIST SP
800-53 SI-19(4)). It is pseudonymisation inside an access-controlled log, not de-identification
under 45 CFR 164.514: the raw reference never enters the index; the key stays in Secrets Manager.

Shipped beside `handler.py` in the function's zip: stdlib and boto3 only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any, Callable, Mapping

SCHEMA = "hipaachat.audit-event/2"
MESSAGE_TRIGGERS = frozenset({"message_sent", "message_edited", "message_deleted"})
RECEIPT_TRIGGERS = frozenset({"message_delivery_receipt", "message_read_receipt"})
# The triggers the trail needs: without any one of them an answer is silently incomplete.
TRAIL_TRIGGERS = ("message_sent", "message_edited", "message_deleted", "message_delivery_receipt",
                  "message_read_receipt")
KEY_SECRET_ENV = "PSEUDONYM_KEY_SECRET_ARN"
MAX_REFS = 50
MAX_REF_LENGTH = 256


class PseudonymKeyError(RuntimeError):
    """The function's pseudonym key is not configured, or its secret is not `{"key": "<base64>"}`."""


def parse_key_secret(secret_string: str | None) -> bytes:
    """The tenant's HMAC key from its secret's JSON value; never logged, never returned in errors."""
    try:
        key = base64.b64decode(json.loads(secret_string or "")["key"], validate=True)
    except (json.JSONDecodeError, TypeError, KeyError, binascii.Error, ValueError):
        raise PseudonymKeyError('the pseudonym key secret must be JSON {"key": "<base64>"}') from None
    if len(key) < 32:
        raise PseudonymKeyError("the pseudonym key must hold at least 32 bytes")
    return key


# The key never rotates (pseudonyms must stay linkable across years), so a container reads it once.
_KEYS: dict[str, bytes] = {}


def tenant_key(client: Callable[[str], Any], spend: Callable[[], None]) -> bytes:
    """The tenant's key from the secret the function's environment names (IngestEndpoint writes it).

    A missing variable or a malformed value is a deployment error (the handler answers 500); a
    Secrets Manager failure propagates as the SDK's error, which the handler turns into a retry.
    """
    arn = os.environ.get(KEY_SECRET_ENV)
    if not arn:
        raise PseudonymKeyError(f"set {KEY_SECRET_ENV} on the function (IngestEndpoint writes it)")
    if arn not in _KEYS:
        spend()
        _KEYS[arn] = parse_key_secret(client("secretsmanager").get_secret_value(SecretId=arn).get("SecretString"))
    return _KEYS[arn]


def normalise_ref(ref: str) -> str:
    """`Patient/123` and ` Patient/123 ` are one reference; FHIR ids are case-sensitive, so case stays."""
    return ref.strip()


def pseudonym(key: bytes, ref: str) -> str:
    """HMAC-SHA256 of the normalised reference under the tenant's key, as lowercase hex."""
    return hmac.new(key, normalise_ref(ref).encode("utf-8"), hashlib.sha256).hexdigest()


def _at(node: Any, *path: str) -> Any:
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def _seconds(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def refs_of(message: Any) -> list[str]:
    """The message's clinical references: `data.metadata.refs`, strings only, bounded."""
    refs = _at(message, "data", "metadata", "refs")
    if not isinstance(refs, list):
        return []
    kept = [normalise_ref(r) for r in refs if isinstance(r, str) and 0 < len(r.strip()) <= MAX_REF_LENGTH]
    return sorted(set(kept))[:MAX_REFS]


def _message_fields(trigger: str, message: Any, key: bytes) -> dict[str, Any]:
    # An edit or delete can be made by someone other than the sender (a moderator): the actor is
    # whoever acted, the sender stays the message's author.
    acted_by = {"message_edited": "editedBy", "message_deleted": "deletedBy"}.get(trigger)
    acted_at = {"message_edited": ("editedAt", "updatedAt"), "message_deleted": ("deletedAt", "updatedAt")}.get(
        trigger, ("sentAt",))
    occurred = next((s for s in (_seconds(_at(message, f)) for f in acted_at) if s is not None), None)
    return {
        "actor": _text(_at(message, acted_by)) if acted_by and _text(_at(message, acted_by)) else _text(
            _at(message, "sender")),
        "sender": _text(_at(message, "sender")),
        "messageId": _text(_at(message, "id")),
        "conversationId": _text(_at(message, "conversationId")),
        "receiver": _text(_at(message, "receiver")),
        "receiverType": _text(_at(message, "receiverType")),
        "sentAt": _seconds(_at(message, "sentAt")),
        "occurredAt": occurred,
        "subjects": sorted({pseudonym(key, r) for r in refs_of(message)}),
    }


def _receipt_fields(trigger: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(data.get("body"), dict):  # current webhooks: the reader is data.sender
        body = data["body"]
        return {"actor": _text(data.get("sender")) or _text(_at(body, "user", "uid")),
                "messageId": _text(body.get("messageId")), "receiver": _text(data.get("receiver")),
                "receiverType": _text(data.get("receiverType")), "occurredAt": _seconds(body.get("timestamp")),
                "receiptShape": "current"}
    # Legacy webhooks: the reader is receiptSender, the time readAt / deliveredAt.
    at = "readAt" if trigger == "message_read_receipt" else "deliveredAt"
    return {"actor": _text(data.get("receiptSender")), "messageId": _text(data.get("messageId")),
            "receiver": _text(data.get("receiptReceiver")), "receiverType": _text(data.get("receiverType")),
            "occurredAt": _seconds(data.get(at)), "receiptShape": "legacy"}


def correlate(trigger: str, payload: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """The correlation fields of one event's index record (identifiers and pseudonyms only)."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    fields: dict[str, Any] = {"schema": SCHEMA}
    if trigger in RECEIPT_TRIGGERS:
        fields.update(_receipt_fields(trigger, data))
    else:
        # message_* and user_mentioned / moderation_* carry the message at data.message;
        # legacy after_message carries it at data.
        message = data.get("message") if isinstance(data.get("message"), dict) else (
            data if trigger == "after_message" else None)
        if message is not None:
            fields.update(_message_fields(trigger, message, key))
    return {k: v for k, v in fields.items() if v is not None}
