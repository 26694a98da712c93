"""Waivers: a valid waiver silences a violation until it expires, and is always listed as waived."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies.conftest import only, two_tenants

WAIVERS = """\
- policy: retention-log-group-minimum
  tenant: alpha
  reason: "Migration window agreed with compliance, ticket SEC-123"
  approved_by: "compliance@example.org"
  expires: 2026-06-30
- policy: notifications-email-sms-phi-free
  tenant: bravo
  reason: "Old template kept during carrier migration, ticket SEC-99"
  approved_by: "compliance@example.org"
  expires: 2026-05-31
- policy: encryption-s3-tls-only
  tenant: alpha
  reason: "Encryption is never waivable, this must be refused"
  approved_by: "compliance@example.org"
  expires: 2026-06-30
- policy: retention-s3-versioning
  reason: "no target"
  expires: someday
"""


@pytest.fixture(scope="module")
def waiver_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    path.write_text(WAIVERS)
    return path


def _violating_stack():
    stack = two_tenants()
    stack.get("alpha-audit").inputs["retentionInDays"] = 365
    sms = stack.get("bravo-template-sms")
    sms.inputs["content"] = "Call 555-010-2345 about your appointment"
    return stack


def test_valid_waiver_silences_and_is_listed_as_waived(analyze, waiver_file):
    stack = _violating_stack()
    outcome = analyze(stack, env={"HIPAACHAT_WAIVERS": str(waiver_file), "HIPAACHAT_TODAY": "2026-06-30"})
    assert only(outcome, "retention-log-group-minimum") == []
    assert [(w.policy, w.tenant, w.urn, w.approved_by, w.expires) for w in outcome.waived] == [
        ("retention-log-group-minimum", "alpha", stack.get("alpha-audit").urn, "compliance@example.org", "2026-06-30")]
    assert "SEC-123" in outcome.waived[0].reason and "2192" in outcome.waived[0].message
    assert only(outcome, "waiver-applied") == []  # decoded into `waived`, not left as a violation


def test_waiver_no_longer_applies_after_its_expiry(analyze, waiver_file):
    stack = _violating_stack()
    outcome = analyze(stack, env={"HIPAACHAT_WAIVERS": str(waiver_file), "HIPAACHAT_TODAY": "2026-07-01"})
    assert [(v.enforcement, v.tenant) for v in only(outcome, "retention-log-group-minimum")] == [("mandatory", "alpha")]
    assert outcome.waived == []
    expired = [v for v in only(outcome, "waivers-valid") if "expired on 2026-06-30" in v.message]
    assert [(v.enforcement, v.tenant) for v in expired] == [("mandatory", "alpha")]


def test_expired_and_malformed_waivers_are_violations(analyze, waiver_file):
    outcome = analyze(_violating_stack(), env={"HIPAACHAT_WAIVERS": str(waiver_file),
                                               "HIPAACHAT_TODAY": "2026-06-30"})
    problems = only(outcome, "waivers-valid")
    assert {v.enforcement for v in problems} == {"mandatory"}
    by_entry = {v.message.splitlines()[-1].split(":")[0]: v for v in problems}
    assert set(by_entry) == {"waiver #2", "waiver #3", "waiver #4"}
    assert "expired on 2026-05-31" in by_entry["waiver #2"].message and by_entry["waiver #2"].tenant == "bravo"
    assert "cannot be waived" in by_entry["waiver #3"].message
    assert "malformed" in by_entry["waiver #4"].message
    # The expired waiver no longer covers bravo's SMS template.
    assert [v.tenant for v in only(outcome, "notifications-email-sms-phi-free")] == ["bravo"]


def test_unparseable_waiver_file_is_a_violation(analyze, tmp_path):
    broken = tmp_path / "waivers.yaml"
    broken.write_text("- policy: [unclosed\n")
    outcome = analyze(two_tenants(), env={"HIPAACHAT_WAIVERS": str(broken)})
    assert [(v.enforcement, v.tenant) for v in only(outcome, "waivers-valid")] == [("mandatory", None)]
    assert "not valid YAML" in only(outcome, "waivers-valid")[0].message


def test_waiver_by_urn_covers_only_that_resource(analyze, tmp_path):
    stack = _violating_stack()
    stack.get("bravo-audit").inputs["retentionInDays"] = 365
    path = tmp_path / "waivers.yaml"
    path.write_text(f"""- policy: retention-log-group-minimum
  urn: "{stack.get('bravo-audit').urn}"
  reason: "Vendor log migration, ticket SEC-7"
  approved_by: "compliance@example.org"
  expires: 2026-12-31
""")
    outcome = analyze(stack, env={"HIPAACHAT_WAIVERS": str(path)})
    assert [v.tenant for v in only(outcome, "retention-log-group-minimum")] == ["alpha"]
    assert [w.tenant for w in outcome.waived] == ["bravo"]


def test_shipped_waiver_file_is_valid(analyze):
    shipped = Path(__file__).resolve().parents[2] / "policies" / "waivers.yaml"
    assert only(analyze(two_tenants(), env={"HIPAACHAT_WAIVERS": str(shipped)}), "waivers-valid") == []
