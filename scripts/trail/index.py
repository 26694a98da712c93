"""Reading a tenant's index records from its log group.

The server is asked to narrow (a JSON filter pattern on the tenant field drops the ingest
function's own operational lines and anything that is not an index record, and the time range
drops what was received before the window); the client then re-checks every event it gets back,
because a filter is an optimisation, never the judge (and moto, for one, ignores filter patterns).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from scripts.trail.models import IndexRecord

# Index records are written when an event is received, always after CometChat's own timestamp;
# a few minutes cover clock skew between CometChat and AWS.
CLOCK_SKEW = dt.timedelta(minutes=5)


def filter_pattern(tenant_id: str) -> str:
    return f'{{ $.tenant = "{tenant_id}" }}'


def _events(logs: Any, log_group: str, start: dt.datetime | None, tenant_id: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"logGroupName": log_group, "filterPattern": filter_pattern(tenant_id)}
    if start is not None:
        kwargs["startTime"] = int((start - CLOCK_SKEW).timestamp() * 1000)
    # No end time: a message sent inside the window may be delivered and read long after it.
    for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
        yield from page.get("events", [])


def read_index(logs: Any, log_group: str, tenant_id: str, start: dt.datetime | None) -> tuple[list[IndexRecord], int]:
    """The tenant's index records from `start` on, and how many returned events were not index records."""
    records: list[IndexRecord] = []
    skipped = 0
    for event in _events(logs, log_group, start, tenant_id):
        try:
            value = json.loads(event.get("message", ""))
        except json.JSONDecodeError:
            skipped += 1
            continue
        if not isinstance(value, dict) or value.get("tenant") != tenant_id or "eventId" not in value:
            skipped += 1
            continue
        try:
            records.append(IndexRecord.model_validate(value))
        except ValidationError:
            skipped += 1
    return records, skipped
