"""How a waived finding travels through the Analyzer protocol (a contract with `scripts.engine.analyzer`).

The protocol has no notion of a waiver: a diagnostic is advisory or mandatory. A waived finding
must stay visible (auditors ask what was excepted, and why), so the pack reports it as an
ADVISORY diagnostic of the dedicated policy `waiver-applied`. The message's first line is for
people (`pulumi preview` prints it); one line starting with `WAIVER_LINE_PREFIX` carries the
structured record as JSON for tools, which `decode` reads back.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ValidationError

WAIVER_POLICY = "waiver-applied"
WAIVER_LINE_PREFIX = "waiver-record: "


class WaivedFinding(BaseModel):
    policy: str
    tenant: str | None
    urn: str | None
    message: str
    reason: str
    approved_by: str
    expires: str


def encode(finding: WaivedFinding) -> str:
    who = finding.tenant or finding.urn or "the stack"
    human = (f"{finding.policy} is waived for {who} until {finding.expires} "
             f"(approved by {finding.approved_by}: {finding.reason})")
    return f"{human}\n{WAIVER_LINE_PREFIX}{finding.model_dump_json()}"


def decode(message: str) -> WaivedFinding | None:
    """The record inside a `waiver-applied` diagnostic message, or None if it carries none."""
    for line in message.splitlines():
        if line.startswith(WAIVER_LINE_PREFIX):
            try:
                return WaivedFinding.model_validate(json.loads(line[len(WAIVER_LINE_PREFIX):]))
            except (json.JSONDecodeError, ValidationError):
                return None
    return None
