"""Notifications as the recipient sees them: each channel's text rendered, then linted.

The seeds of this project insist on auditing what a patient's phone, inbox or SMS actually
shows, not what a template intends. Allowed placeholders are filled with neutral sample values
(a fixed portal link carries no identifier); anything else stays as written, so a forbidden
placeholder is still visible, and still flagged by the one PHI linter (components/phi.py).
Push is shown twice: the template hipaachat stores, and what CometChat's privacy template shows
on a lock screen when privacy mode is on.
"""

from __future__ import annotations

import re

from components.catalog import CHANNELS
from components.phi import lint
from scripts.audit.models import LintFinding, RenderedNotification

# One neutral value per placeholder of components.phi.ALLOWED_PLACEHOLDERS (a test holds them equal).
SAMPLE_VALUES = {
    "deep_link": "https://portal.example.org/inbox",
    "portal_url": "https://portal.example.org",
    "unsubscribe_url": "https://portal.example.org/settings",
    "app_name": "Care Portal",
}
# CometChat's privacy variant replaces a text message's body with this (Notifications: templates).
COMETCHAT_PRIVACY_BODY = "New message"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")


def render(template: str) -> str:
    """The template with allowed placeholders filled; unknown ones are left exactly as written."""
    return _PLACEHOLDER.sub(lambda m: SAMPLE_VALUES.get(m.group(1), m.group(0)), template)


def _entry(channel: str, source: str, template: str, matches: bool | None) -> RenderedNotification:
    rendered = render(template)
    findings = lint(rendered)
    return RenderedNotification(
        channel=channel, source=source, template=template, rendered=rendered, passes=not findings,
        lint=[LintFinding(kind=f.kind.value, start=f.start, end=f.end, description=f.description) for f in findings],
        matches_declared=matches)


def rendered_notifications(declared: dict[str, str], deployed: dict[str, str] | None) -> list[RenderedNotification]:
    """One entry per channel (deployed text when there is one, else the tenant file), plus push privacy."""
    entries = []
    for channel in CHANNELS:
        if deployed is not None and channel in deployed:
            text = deployed[channel]
            matches = declared.get(channel) == text if channel in declared else None
            entries.append(_entry(channel, "template store (deployed)", text, matches))
        elif channel in declared:
            entries.append(_entry(channel, "tenant file", declared[channel], None))
    entries.append(_entry("push", "CometChat privacy template (privacy mode on)", COMETCHAT_PRIVACY_BODY, None))
    return entries
