"""What a CometChat webhook delivery says: its Basic auth, its envelope, and its event identity.

The request-side half of the ingest (`handler.py` does the writes): pure functions over the
request, so they are tested without AWS and shipped beside the handler in the function's zip.
Stdlib only.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

# CometChat messages are < 65 KB; the envelope adds sender/receiver entities: ample headroom.
MAX_BODY_BYTES = 512 * 1024
_TRIGGER_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ENTITY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# Payload paths whose value is unique per event. Every message-bearing trigger (message_*,
# user_mentioned, moderation_*) carries the message, and edits/deletes/calls are themselves
# action messages with their own ids. Other triggers (receipts, reactions, groups, calls and
# meetings by session) have no documented per-event id, so they fall back to a body hash.
ENTITY_ID_PATHS: tuple[tuple[str, ...], ...] = (("data", "message", "id"), ("data", "call", "id"))


class InvalidEvent(ValueError):
    """The body is not a CometChat webhook envelope (400)."""


class PayloadTooLarge(InvalidEvent):
    """The body exceeds MAX_BODY_BYTES (413)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Envelope:
    trigger: str
    app_id: str
    region: str | None
    webhook: str | None
    payload: dict[str, Any] = field(repr=False)


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    """`Basic base64(user:password)` -> (user, password); None for anything else."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _digest(value: str) -> bytes:
    # Comparing fixed-length digests keeps the comparison from leaking the secret's length.
    return hashlib.sha256(value.encode("utf-8")).digest()


def credentials_match(given: tuple[str, str], expected: Credentials) -> bool:
    """Constant-time check: both parts are always compared before the result is combined."""
    user_ok = hmac.compare_digest(_digest(given[0]), _digest(expected.username))
    password_ok = hmac.compare_digest(_digest(given[1]), _digest(expected.password))
    return user_ok & password_ok


def _reject_constant(name: str) -> Any:
    raise InvalidEvent(f"non-standard JSON constant {name}")


def parse_envelope(body: bytes) -> Envelope:
    """Decode `{trigger, data{...}, appId, region, webhook}`; anything else is InvalidEvent."""
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidEvent("body is not a JSON object")
    trigger, app_id, data = payload.get("trigger"), payload.get("appId"), payload.get("data")
    if not (isinstance(trigger, str) and _TRIGGER_RE.match(trigger)):
        raise InvalidEvent("missing or malformed 'trigger'")
    if not (isinstance(app_id, str) and app_id):
        raise InvalidEvent("missing 'appId'")
    if not isinstance(data, dict):
        raise InvalidEvent("missing 'data' object")
    region, webhook = (v if isinstance(v, str) else None for v in (payload.get("region"), payload.get("webhook")))
    return Envelope(trigger, app_id, region, webhook, payload)


def canonical_sha256(payload: Any) -> str:
    """Hash of the parsed body, independent of key order and whitespace of a re-serialised retry."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def derive_event_id(envelope: Envelope) -> str:
    """`<trigger>.id-<entity id>` where the payload has a per-event id, else `<trigger>.sha256-<hex>`.

    The trigger is part of the id because one message id appears under several triggers
    (e.g. moderation_engine_blocked, then moderation_manual_approved).
    """
    for path in ENTITY_ID_PATHS:
        node: Any = envelope.payload
        for step in path:
            node = node.get(step) if isinstance(node, dict) else None
        node = str(node) if isinstance(node, int) and not isinstance(node, bool) else node
        if isinstance(node, str) and _ENTITY_ID_RE.match(node):
            return f"{envelope.trigger}.id-{node}"
    return f"{envelope.trigger}.sha256-{canonical_sha256(envelope.payload)}"
