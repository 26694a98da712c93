"""CometChat-shaped events for the trail tests (synthetic people, synthetic FHIR references).

Shapes follow CometChat's documented webhooks: `message_sent`/`_edited`/`_deleted` carry the
message at `data.message` (metadata at `data.message.data.metadata`), current receipts carry the
reader at `data.sender` and the message at `data.body.messageId`, legacy receipts carry
`receiptSender`, `messageId` and `readAt`/`deliveredAt`.
"""

from __future__ import annotations

import json
from typing import Any

from components.ingest import handler
from tests.ingest.support import TENANT_PASSWORD, TENANT_USER, api_event, basic

GOOD = basic(TENANT_USER, TENANT_PASSWORD)
ONE_TO_ONE = "synthetic-dr-ames_user_synthetic-rn-bell"
WARD = "synthetic-ward-7"
GROUP = f"group_{WARD}"


def envelope(app_id: str, trigger: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"trigger": trigger, "data": data, "appId": app_id, "region": "us", "webhook": "hipaachatingest"}


def message(app_id: str, trigger: str, message_id: str, sender: str, sent_at: int, refs: list[str] | None = None,
            *, group: bool = False, receiver: str = "synthetic-rn-bell", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"text": f"SYNTHETIC note {message_id}"}
    if refs is not None:
        data["metadata"] = {"refs": refs}
    body = {"id": message_id, "conversationId": GROUP if group else ONE_TO_ONE, "sender": sender,
            "receiverType": "group" if group else "user", "receiver": WARD if group else receiver,
            "category": "message", "type": "text", "data": data, "sentAt": sent_at, "updatedAt": sent_at, **extra}
    return envelope(app_id, trigger, {"message": body})


def receipt(app_id: str, trigger: str, message_id: str, reader: str, at: int, *, group: bool = False) -> dict[str, Any]:
    """Current webhook shape: `data.sender` is the reader, `data.body.timestamp` the time."""
    return envelope(app_id, trigger, {
        "receiver": WARD if group else "synthetic-dr-ames", "receiverType": "group" if group else "user",
        "type": "receipts", "sender": reader, "messageSender": "synthetic-dr-ames",
        "body": {"action": "read" if trigger == "message_read_receipt" else "delivered", "messageId": message_id,
                 "user": {"uid": reader, "name": "Synthetic Reader"}, "timestamp": at}})


def legacy_receipt(app_id: str, trigger: str, message_id: str, reader: str, at: int) -> dict[str, Any]:
    """Legacy webhook shape: `receiptSender` is the reader, `readAt`/`deliveredAt` the time."""
    kind = "read" if trigger == "message_read_receipt" else "delivered"
    return {"trigger": trigger, "appId": app_id, "origin": {"platform": "WEBSOCKET"}, "webhook": "hipaachatingest",
            "data": {"messageId": message_id, "receiptType": kind, f"{kind}At": at,
                     "messageSender": "synthetic-dr-ames", "receiptSender": reader,
                     "receiptReceiver": "synthetic-dr-ames", "receiverType": "user"}}


def deliver(payload: dict[str, Any]) -> None:
    response = handler.handle(api_event(json.dumps(payload), GOOD), None)
    assert response["statusCode"] == 200, response
