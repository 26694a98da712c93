"""The answer as JSON (the contract), CSV (one row per message) or a table for a terminal."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.table import Table

from scripts.trail.models import Format, Seen, TrailAnswer, iso

CSV_COLUMNS = ("message_id", "conversation_id", "sent_at", "sender", "receiver", "receiver_type", "edited",
               "deleted", "delivered_to", "read_by", "archive")


def _seen(entries: list[Seen]) -> str:
    return "; ".join(f"{s.uid} {iso(s.at)}" for s in entries)


def as_json(answer: TrailAnswer) -> str:
    return json.dumps(answer.model_dump(mode="json", by_alias=True), indent=2) + "\n"


def as_csv(answer: TrailAnswer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in answer.messages:
        writer.writerow([m.message_id, m.conversation_id, iso(m.sent_at), m.sender, m.receiver, m.receiver_type,
                         str(m.edited).lower(), str(m.deleted).lower(), _seen(m.delivered_to), _seen(m.read_by),
                         m.archive])
    return out.getvalue()


def as_table(answer: TrailAnswer) -> str:
    console = Console(file=io.StringIO(), width=140, record=True, force_terminal=False)
    window = f"{iso(answer.from_) or 'beginning'} .. {iso(answer.to) or 'now'}"
    table = Table(title=f"hipaachat trail · tenant {answer.tenant} · {window}", title_justify="left")
    for column in ("message", "conversation", "sent", "sender -> receiver", "changed", "delivered to", "read by"):
        table.add_column(column, overflow="fold")
    for m in answer.messages:
        changed = ", ".join(k for k, v in (("edited", m.edited), ("deleted", m.deleted)) if v) or "-"
        table.add_row(m.message_id, m.conversation_id or "-", iso(m.sent_at) or "-",
                      f"{m.sender} -> {m.receiver} ({m.receiver_type})", changed,
                      _seen(m.delivered_to).replace("; ", "\n") or "-", _seen(m.read_by).replace("; ", "\n") or "-")
    console.print(table)
    i = answer.integrity
    console.print(f"{len(answer.messages)} message(s) reference the subject; archive: {i.verified} of {i.checked} "
                  f"record(s) verified against their archived bytes")
    for label, findings in (("MISSING", i.missing), ("MISMATCH", i.mismatched), ("OVERWRITE", i.overwritten)):
        for f in findings:
            console.print(f"{label}: {f.event_id} {f.archive}: {f.problem}")
    if answer.predating_events:
        console.print(f"{answer.predating_events} event(s) in the window predate correlation (index schema 1): "
                      f"their subjects are not indexed, so this answer cannot cover them")
    return console.export_text()


def render(answer: TrailAnswer, fmt: Format) -> str:
    return {"json": as_json, "csv": as_csv, "table": as_table}[fmt](answer)
