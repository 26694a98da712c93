"""Notifications: templates that leave the app are pointers, never PHI.

Email and SMS travel through relays and carriers outside the BAA and land on lock screens, so
their templates must say only that there is a message and where to read it: every word from
the reviewed pointer vocabulary, every placeholder approved (an allowlist, because no list of
what PHI looks like is complete). Push and in-app texts are checked against the PHI denylist
(Safe Harbor identifiers, ICD-10 clinical vocabulary, relatives, member ids); they are advisory
by default because they are shown inside the signed-in app, and a stack may raise them to
mandatory (`hipaachat:policy`). The linter is `components.phi`, the same one the CLI uses.
"""

from __future__ import annotations

import base64
import binascii

from pulumi_policy import Severity

from components.phi import template_problem
from policies.hipaa.context import PackContext
from policies.hipaa.contracts import CHANNEL_TAG, S3_OBJECTS
from policies.hipaa.enforcement import Scope
from policies.hipaa.framework import Report, ResourceView, resource_rule

OUTSIDE_BAA_CHANNELS = ("email", "sms")
IN_APP_CHANNELS = ("push", "in_app")


def _lint_template(resource: ResourceView, ctx: PackContext, channels: tuple[str, ...], report: Report) -> None:
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
    # The same words `hipaachat tenants validate` prints, starting with the tenant-file field.
    problem = template_problem(channel, text, frozenset(ctx.settings.pointer_vocabulary))
    if problem is not None:
        report(problem)


@resource_rule("notifications-email-sms-phi-free", "Email and SMS templates contain no PHI: pointers only.",
               severity=Severity.CRITICAL, types=set(S3_OBJECTS))
def email_sms_phi_free(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.514(b)(2) (Safe Harbor identifiers), 164.502(b) (minimum necessary), 164.312(e)(1).

    Only words from the reviewed pointer vocabulary and approved placeholders: no names, dates,
    numbers, links, clinical terms or placeholders such as `{{patient_name}}` or `{{diagnosis}}`.
    """
    _lint_template(resource, ctx, OUTSIDE_BAA_CHANNELS, report)


@resource_rule("notifications-push-in-app-phi-free", "Push and in-app texts contain no PHI either.",
               severity=Severity.MEDIUM, scope=Scope.ADVISORY, types=set(S3_OBJECTS))
def push_in_app_phi_free(resource: ResourceView, ctx: PackContext, report: Report) -> None:
    """45 CFR 164.514(b)(2), 164.502(b): the same linter as email and SMS; advisory by default."""
    _lint_template(resource, ctx, IN_APP_CHANNELS, report)
