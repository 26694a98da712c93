"""Notifications: templates that leave the app are pointers, never PHI.

Email and SMS travel through relays and carriers outside the BAA and land on lock screens, so
their templates must say only that there is a message and where to read it. Push and in-app
texts are linted with the same rules; they are advisory by default because they are shown
inside the signed-in app, and a stack may raise them to mandatory (`hipaachat:policy`).
The linter is `components.phi`, the same one the catalog loader and the CLI use.
"""

from __future__ import annotations

import base64
import binascii

from pulumi_policy import Severity

from components.phi import POINTER_EXAMPLE, lint, summarize
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import CHANNEL_TAG, S3_OBJECTS
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import Report, ResourceView, resource_rule

OUTSIDE_BAA_CHANNELS = ("email", "sms")
IN_APP_CHANNELS = ("push", "in_app")


def _lint_template(resource: ResourceView, channels: tuple[str, ...], report: Report) -> None:
    tags = resource.props.get("tags") or {}
    channel = tags.get(CHANNEL_TAG)
    if channel not in channels:
        return
    text = resource.props.get("content")
    if text is None and resource.props.get("contentBase64") is not None:
        try:
            text = base64.b64decode(resource.props["contentBase64"], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            text = None
    if not isinstance(text, str):
        report(f"the {channel} template is not inline text, so it cannot be checked for PHI; deploy it as "
               "content (components.templates)")
        return
    findings = lint(text)
    if findings:
        report(f"the {channel} template contains what looks like PHI: {summarize(findings)}. Make it a pointer, "
               f"e.g. \"{POINTER_EXAMPLE}\" (allowed placeholders: {{{{deep_link}}}}, {{{{app_name}}}})")


@resource_rule("notifications-email-sms-phi-free", "Email and SMS templates contain no PHI: pointers only.",
               severity=Severity.CRITICAL, types=set(S3_OBJECTS))
def email_sms_phi_free(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.514(b)(2) (Safe Harbor identifiers), 164.502(b) (minimum necessary), 164.312(e)(1).

    No names, dates, phone numbers, addresses, record numbers, clinical terms, provider names or
    placeholders outside the allow-list (`{{patient_name}}`, `{{diagnosis}}` ...).
    """
    _lint_template(resource, OUTSIDE_BAA_CHANNELS, report)


@resource_rule("notifications-push-in-app-phi-free", "Push and in-app texts contain no PHI either.",
               severity=Severity.MEDIUM, scope=Scope.ADVISORY, types=set(S3_OBJECTS))
def push_in_app_phi_free(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.514(b)(2), 164.502(b): the same linter as email and SMS; advisory by default."""
    _lint_template(resource, IN_APP_CHANNELS, report)
