"""The PHI denylist shared by the policy pack and the CLI (components.phi.lint; push and in-app)."""

from __future__ import annotations

import pytest

from components.phi import ALLOWED_PLACEHOLDERS, PhiKind, is_pointer_only, lint, summarize

POINTERS = [
    "You have a new message in your care portal. Log in to view it.",
    "New message in your care portal: {{deep_link}}",
    "You have a new message from your care team.",
    "New message",
    "Open {{app_name}} to read your new message.",
    "You have 3 new messages.",
    "Reply STOP to opt out.",
    "Visit https://portal.example.org to read it.",
    "Your secure message is waiting. Sign in at {{portal_url}}",
    "You may log in now to read a new message.",
    "Your account now has an unread message.",
    "Hello, a new message is waiting in your portal.",
    "Dear Patient, please log in to read your message.",
    "Unsubscribe: {{ unsubscribe_url }}",
]

PHI = [
    ("Hi Jane, you have a message", PhiKind.NAME),
    ("Jane Doe has a new message", PhiKind.NAME),
    ("Message from Sunrise Family Clinic", PhiKind.NAME),
    ("Mr. Patel, please log in", PhiKind.NAME),
    ("Good morning Maria", PhiKind.NAME),
    ("Dr. Smith sent you a message", PhiKind.PROVIDER_NAME),
    ("Nurse Joy replied to you", PhiKind.PROVIDER_NAME),
    ("Your visit on 03/14/2026", PhiKind.DATE),
    ("Your visit on 2026-03-14", PhiKind.DATE),
    ("See you on March 3rd", PhiKind.DATE),
    ("See you on 3 March", PhiKind.DATE),
    ("See you Monday", PhiKind.DATE),
    ("Come in at 3:30 PM", PhiKind.DATE),
    ("Come in at 10am", PhiKind.DATE),
    ("Call (555) 010-2345 for details", PhiKind.PHONE),
    ("Call +49 30 1234567 for details", PhiKind.PHONE),
    ("Call 555.010.2345", PhiKind.PHONE),
    ("Write to jane.doe@example.org", PhiKind.EMAIL),
    ("SSN 123-45-6789 on file", PhiKind.SSN),
    ("MRN: 12345678", PhiKind.RECORD_NUMBER),
    ("Medical record number A-99812", PhiKind.RECORD_NUMBER),
    ("Member ID 77812", PhiKind.RECORD_NUMBER),
    ("Reference 4451239", PhiKind.IDENTIFIER),
    ("Visit us at 123 Main Street", PhiKind.ADDRESS),
    ("Hauptstraße 12 in Berlin", PhiKind.ADDRESS),
    ("Suite 400, second floor", PhiKind.ADDRESS),
    ("Springfield, IL office", PhiKind.ADDRESS),
    ("Mail to 62704-1234", PhiKind.ZIP_CODE),
    ("Near 62704", PhiKind.ZIP_CODE),
    ("Open https://portal.example.org/msg?id=99881", PhiKind.URL),
    ("Open https://portal.example.org/patients/48812/inbox", PhiKind.URL),
    ("Login from 192.168.0.12", PhiKind.IP_ADDRESS),
    ("Patient aged 92", PhiKind.AGE),
    ("A 92-year-old patient", PhiKind.AGE),
    ("Your test results are ready", PhiKind.CLINICAL_TERM),
    ("Reminder: colonoscopy tomorrow", PhiKind.CLINICAL_TERM),
    ("Your prescription refill is ready", PhiKind.CLINICAL_TERM),
    ("HIV screening follow-up", PhiKind.CLINICAL_TERM),
    ("Your biopsy came back", PhiKind.CLINICAL_TERM),
    ("{{patient_name}}, you have a message", PhiKind.PLACEHOLDER),
    ("About your {{diagnosis}}", PhiKind.PLACEHOLDER),
    ("News from {{clinic_name}}", PhiKind.PLACEHOLDER),
    ("Hello ${first_name}", PhiKind.PLACEHOLDER),
    ("Hello {name}", PhiKind.PLACEHOLDER),
]


@pytest.mark.parametrize("text", POINTERS)
def test_ordinary_texts_pass_the_denylist(text):
    assert lint(text) == []


@pytest.mark.parametrize(("text", "kind"), PHI)
def test_each_safe_harbor_identifier_is_found(text, kind):
    findings = lint(text)
    assert kind in {f.kind for f in findings}, findings
    assert not is_pointer_only(text)


def test_findings_locate_the_text_without_echoing_it():
    text = "Hi Jane Doe, your MRN 4451239 visit on 03/14/2026"
    findings = lint(text)
    spans = {text[f.start:f.end] for f in findings}
    assert {"MRN 4451239", "03/14/2026"} <= spans
    for finding in findings:
        assert text[finding.start:finding.end] not in finding.description
    summary = summarize(findings)
    assert "Jane" not in summary and "4451239" not in summary and "03/14" not in summary


def test_findings_are_ordered_and_do_not_overlap():
    findings = lint("Dr. Smith at 123 Main Street, call (555) 010-2345 on 2026-03-14 about your biopsy")
    starts = [f.start for f in findings]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))
    assert [f.kind for f in findings] == [PhiKind.PROVIDER_NAME, PhiKind.ADDRESS, PhiKind.PHONE, PhiKind.DATE,
                                          PhiKind.CLINICAL_TERM]


def test_placeholder_findings_name_the_placeholder_and_the_allow_list():
    (finding,) = lint("{{patient_name}} has a message")
    assert "{{patient_name}}" in finding.description
    assert all("{{" + p + "}}" in finding.description for p in ALLOWED_PLACEHOLDERS)


def test_clinic_name_placeholder_is_refused_because_it_reveals_the_care_relationship():
    assert [f.kind for f in lint("New message from {{clinic_name}}")] == [PhiKind.PLACEHOLDER]
    assert "clinic_name" not in ALLOWED_PLACEHOLDERS


def test_summary_caps_long_lists():
    text = " ".join(f"Call 555-010-{n:04d}." for n in range(8))
    assert summarize(lint(text), limit=3).endswith("and 5 more")
