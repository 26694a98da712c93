"""From index records to the answer: which messages name the subject, who received and read them.

Receipts are high-water marks: CometChat's markAsRead/markAsDelivered for message M marks every
earlier message of M's conversation, so a receipt for M by U covers each message of that
conversation up to and including M (the earliest such receipt gives the time). Receipts carry no
conversation and no metadata: they are joined to messages by `messageId` through the index's own
message records, of every subject, because a receipt for an unrelated later message still covers
an earlier one that names the subject.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from scripts.trail.models import AnsweredMessage, IndexRecord, Seen, from_seconds


@dataclass
class _Message:
    """Everything the index says about one message id: its sent, edited and deleted records."""

    records: list[IndexRecord] = field(default_factory=list)

    def first(self, attribute: str) -> object:
        sent = [r for r in self.records if r.trigger == "message_sent"]
        return next((getattr(r, attribute) for r in sent + self.records if getattr(r, attribute) is not None), None)

    @property
    def sent_at(self) -> int | None:
        return self.first("sent_at")  # type: ignore[return-value]

    def order(self, message_id: str) -> tuple[int, int, str]:
        # CometChat message ids grow with time inside an app; sentAt alone ties within a second.
        return (self.sent_at or 0, int(message_id) if message_id.isdigit() else 0, message_id)


@dataclass
class Assembled:
    messages: list[AnsweredMessage]
    evidence: list[IndexRecord]
    """Every record the answer rests on (messages and the receipts that gave a time): each is verified."""
    predating_events: int


def _in(moment: dt.datetime | None, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    return moment is not None and (start is None or moment >= start) and (end is None or moment <= end)


def assemble(records: list[IndexRecord], pseudonym: str, start: dt.datetime | None,
             end: dt.datetime | None) -> Assembled:
    unique = list({(r.event_id, r.archive, r.body_sha256): r for r in records}.values())
    predating = sum(1 for r in unique if not r.correlated and _in(r.received_at, start, end))
    messages: dict[str, _Message] = defaultdict(_Message)
    for r in unique:
        if r.is_message:
            messages[r.message_id].records.append(r)  # type: ignore[index]
    conversation = {mid: m.first("conversation_id") for mid, m in messages.items()}
    answered = sorted(
        (mid for mid, m in messages.items()
         if any(pseudonym in r.subjects for r in m.records) and _in(from_seconds(m.sent_at), start, end)),
        key=lambda mid: messages[mid].order(mid))
    by_conversation: dict[object, list[str]] = defaultdict(list)
    for mid in answered:
        by_conversation[conversation[mid]].append(mid)

    # (message id, trigger) -> uid -> (earliest time, the receipt that gave it)
    seen: dict[tuple[str, str], dict[str, tuple[int, IndexRecord]]] = defaultdict(dict)
    for receipt in (r for r in unique if r.is_receipt and r.actor and r.occurred_at is not None):
        target = messages.get(receipt.message_id)  # type: ignore[arg-type]
        if target is None or conversation.get(receipt.message_id) is None:  # type: ignore[arg-type]
            continue  # a receipt for a message the index never saw cannot be placed in a conversation
        high_water = target.order(receipt.message_id)  # type: ignore[arg-type]
        for mid in by_conversation.get(conversation[receipt.message_id], []):  # type: ignore[index]
            if messages[mid].order(mid) > high_water or messages[mid].first("sender") == receipt.actor:
                continue
            current = seen[(mid, receipt.trigger)].get(receipt.actor)  # type: ignore[arg-type]
            if current is None or receipt.occurred_at < current[0]:  # type: ignore[operator]
                seen[(mid, receipt.trigger)][receipt.actor] = (receipt.occurred_at, receipt)  # type: ignore

    out: list[AnsweredMessage] = []
    evidence: list[IndexRecord] = []
    for mid in answered:
        m = messages[mid]
        evidence.extend(m.records)
        lists = {}
        for trigger in ("message_delivery_receipt", "message_read_receipt"):
            entries = sorted(seen[(mid, trigger)].items(), key=lambda item: (item[1][0], item[0]))
            lists[trigger] = [Seen(uid=uid, at=from_seconds(at)) for uid, (at, _) in entries]
            evidence.extend(receipt for _, (_, receipt) in entries)
        sent = next((r for r in m.records if r.trigger == "message_sent"), None)
        out.append(AnsweredMessage(
            message_id=mid, conversation_id=m.first("conversation_id"), sent_at=from_seconds(m.sent_at),
            sender=m.first("sender"), receiver=m.first("receiver"), receiver_type=m.first("receiver_type"),
            edited=any(r.trigger == "message_edited" for r in m.records),
            deleted=any(r.trigger == "message_deleted" for r in m.records),
            delivered_to=lists["message_delivery_receipt"], read_by=lists["message_read_receipt"],
            archive=sent.archive if sent else None))
    unique_evidence = list({(r.event_id, r.archive): r for r in evidence}.values())
    return Assembled(out, unique_evidence, predating)
