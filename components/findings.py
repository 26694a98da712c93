"""One finding shape for everything a person fixes in a tenant file: `file:line:column: field: what; fix`.

The catalog (schema), the PHI linter (templates) and the policy pack (deployments) all judge
values a person wrote in a tenant file, so all three say the same thing the same way: the
message starts with the tenant-file field (`retention.audit_log_days: 30 is below ...; set it
to 2192 or more`), and whoever shows it (`tenants validate`, `plan` in every format, `promote`)
looks the field up in the file with `components.yaml_lines` to add the line and column.

The pack runs as a separate process and only sends text over the Analyzer protocol, so the
field prefix *is* the location contract: `field_message` writes it, `split_field` reads it
back. Provider properties (`retention_in_days`, Object Lock `days`) appear only as detail in
parentheses, because a person edits the YAML, not the provider's inputs.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from components.yaml_lines import load_with_lines

# The top-level keys of a tenant file (components.catalog.Tenant); a message starting with one of
# these followed by ": " is about that field of the tenant's file.
TENANT_ROOTS = frozenset({"id", "name", "residency", "retention", "baa", "features", "cometchat", "roles",
                          "notifications", "lifecycle", "care"})
_PREFIX = re.compile(r"^(?P<field>[a-z_]+(?:\.[A-Za-z0-9_-]+)*): (?P<rest>.+)$", re.DOTALL)
# PHI findings carry their span ("characters 17-22"); the first one is where the column points.
_SPAN = re.compile(r"\(characters (?P<start>\d+)-\d+\)")


DETAIL = " (detail: "


def field_message(field: str, problem: str, fix: str, detail: str | None = None) -> str:
    """`field: problem; fix (detail: ...)` — the one way a tenant-file finding is worded."""
    return f"{field}: {problem}; {fix}" + (f"{DETAIL}{detail})" if detail else "")


def without_detail(message: str) -> str:
    """The finding's words without its provider detail: two resources breaking one field read once."""
    return message.split(DETAIL, 1)[0]


def split_field(message: str) -> tuple[str | None, str]:
    """(tenant-file field, rest) when `message` starts with a tenant-file field, else (None, message).

    The engine's diagnostics carry the policy's description on their first line (pulumi_policy
    writes `description\nmessage`), so the finding may also start on the second line.
    """
    for candidate in dict.fromkeys((message, message.split("\n", 1)[-1])):
        match = _PREFIX.match(candidate)
        if match is not None and match.group("field").split(".", 1)[0] in TENANT_ROOTS:
            return match.group("field"), match.group("rest")
    return None, message


def span_offset(message: str) -> int:
    """How far into the field's value the first PHI span starts (0 when the message has none)."""
    match = _SPAN.search(message)
    return int(match.group("start")) if match else 0


# Fields a tenant file may spell two ways (a renamed key whose old name keeps working). A rule names
# one spelling; the finding shows the one the file uses, so the person finds it where they wrote it.
SPELLINGS: tuple[frozenset[str], ...] = (frozenset({"retention.audit_days", "retention.audit_log_days"}),)


def position(text: str, field: str, offset: int = 0) -> tuple[int | None, int | None]:
    """(line, column) of `field` (dotted path) in a tenant file's text; (None, None) if it does not parse."""
    return spelled_position(text, field, offset)[1:]


def spelled_position(text: str, field: str, offset: int = 0) -> tuple[str, int | None, int | None]:
    """(field as the file spells it, line, column) of `field` (dotted path) in a tenant file's text.

    Line and column are None when the text does not parse; a field the file does not set points at
    its nearest parent's line (where to add it).
    """
    try:
        _, index = load_with_lines(text)
    except yaml.YAMLError:
        return field, None, None
    written = next((other for spellings in SPELLINGS if field in spellings for other in sorted(spellings)
                    if tuple(other.split(".")) in index.values), field)
    return (written, *index.position_of(tuple(written.split(".")), offset))


def respelled(message: str, field: str, written: str) -> str:
    """`message` naming `written` where it named `field` (its leading tenant-file field)."""
    if field == written:
        return message
    return "\n".join(written + line[len(field):] if line.startswith(f"{field}: ") else line
                     for line in message.split("\n"))


def where(file: str | Path, line: int | None, column: int | None) -> str:
    """`file:line:column`, leaving out what is not known."""
    return ":".join(str(p) for p in (file, line, column if line else None) if p is not None)
