"""Render every requested format in memory, then write them atomically into the output directory.

Nothing is written until every document rendered; each file is written beside its final name
and renamed into place, so an auditor's tooling never reads half a report, and a failure leaves
the previous evidence untouched. A last guard replaces any plain-text secret value the audit
found, should one ever reach a document (it must not; the tests prove it does not).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from scripts.audit.models import AuditReport
from scripts.audit.render_csv import render_csv
from scripts.audit.render_html import render_html
from scripts.audit.render_ocsf import render_ocsf

SCHEMA_ID = "https://hipaachat.invalid/schemas/audit-report.json"
# Below this length a "secret" is a common word; messages are already redacted for those.
GUARD_MIN_LENGTH = 8


def schema() -> dict[str, Any]:
    """The JSON Schema of audit.json (`hipaachat audit --schema`)."""
    document = AuditReport.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "hipaachat audit evidence", **document}


FORMATS: dict[str, tuple[str, Callable[[AuditReport], str]]] = {
    "html": ("audit.html", render_html),
    "json": ("audit.json", lambda report: report.model_dump_json(indent=1) + "\n"),
    "csv": ("audit-prowler.csv", render_csv),
    "ocsf": ("audit.ocsf.json", render_ocsf),
}


def render_all(report: AuditReport, formats: Iterable[str], secret_values: set[str]) -> dict[str, str]:
    documents = {}
    guarded = [v for v in secret_values if len(v) >= GUARD_MIN_LENGTH]
    for name in formats:
        filename, render = FORMATS[name]
        text = render(report)
        for value in guarded:
            if value in text:
                text = text.replace(value, "[redacted]" if name != "json" else json.dumps("[redacted]")[1:-1])
        documents[filename] = text
    return documents


def write_all(directory: Path, documents: dict[str, str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    partials: list[tuple[Path, Path]] = []
    try:
        for filename, text in documents.items():
            final = directory / filename
            partial = directory / f".{filename}.partial"
            partial.write_text(text, encoding="utf-8")
            partials.append((partial, final))
        for partial, final in partials:
            partial.replace(final)
    finally:
        for partial, _ in partials:
            partial.unlink(missing_ok=True)
    return [final for _, final in partials]
