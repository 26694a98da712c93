"""Per-record retention for the ingest: each archived object's Object Lock retain-until by data type.

Shipped beside handler.py in the function's zip (stdlib only). Message events are clinical
content (the medical record, `messages` retention); receipts, reactions, group and call events
are access documentation (`audit`). The days come from RETAIN_MESSAGES_DAYS / RETAIN_AUDIT_DAYS,
which IngestEndpoint writes from components.retention_plan.
"""

import datetime as dt
import os
from typing import Any, Mapping

# Triggers whose archived object is clinical content (the medical record, `messages` retention);
# every other event (receipts, reactions, groups, calls) is access documentation (`audit`).
MESSAGE_TRIGGERS = frozenset({"message_sent", "message_edited", "message_deleted", "user_mentioned",
                              "after_message", "before_message"})


def data_type_of(trigger: str) -> str:
    return "messages" if trigger in MESSAGE_TRIGGERS or trigger.startswith("moderation_engine_") else "audit"


def object_lock_args(trigger: str, received: dt.datetime, env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """COMPLIANCE retain-until = received + the data type's days (RETAIN_<TYPE>_DAYS, IngestEndpoint writes them).

    Without the variable the bucket's default retention (the longest data type) applies.
    """
    days = env.get(f"RETAIN_{data_type_of(trigger).upper()}_DAYS")
    if not days:
        return {}
    return {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": received + dt.timedelta(days=int(days))}
