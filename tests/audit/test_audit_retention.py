"""`hipaachat audit` shows retention per tenant and data type: configured, floor, binding row, enforcement."""

from __future__ import annotations

import csv
import io
import json

from tests.audit.conftest import AuditRun


def test_json_has_floor_binding_row_and_enforcement_per_data_type(local_audit: AuditRun) -> None:
    tenant = next(t for t in local_audit.json()["tenants"] if t["id"] == "sunrise-clinic")
    rows = {r["data_type"]: r for r in tenant["retention"]["data_types"]}
    assert tenant["retention"]["care"] == {"jurisdiction": "US-MA", "provider_type": "clinic", "serves_minors": True}
    messages, audit = rows["messages"], rows["audit"]
    assert (messages["configured_days"], messages["kept_days"], messages["floor_days"]) == (None, 7305, 7305)
    assert messages["binding"]["citation"] == "M.G.L. c.111 § 70" and messages["binding"]["checked"] == "2026-12-04"
    assert messages["binding"]["source"].startswith("http")
    assert {e["where"]: (e["days"], e["covers_floor"]) for e in messages["enforced"]} == {
        "object-lock-default": (7305, True), "per-object-retain-until": (7305, True)}
    assert audit["binding"]["citation"] == "45 CFR 164.316(b)(2)(i)"
    assert {e["where"]: e["days"] for e in audit["enforced"]} == {
        "object-lock-default": 7305, "per-object-retain-until": 2192, "log-group": 2192}
    germany = next(t for t in local_audit.json()["tenants"] if t["id"] == "lindenhof-praxis")
    assert {r["data_type"]: r["floor_days"] for r in germany["retention"]["data_types"]} == {
        "messages": 3653, "audit": 2192}


def test_csv_and_ocsf_carry_it(local_audit: AuditRun) -> None:
    rows = [r for r in csv.DictReader(io.StringIO(local_audit.text("audit-prowler.csv")), delimiter=";")
            if r["CHECKID"] == "retention-floor-met" and r["RESOURCENAME"] == "sunrise-clinic"]
    assert rows and "messages: configured unset, kept 7305, floor 7305 set by M.G.L. c.111 § 70" in \
        rows[0]["STATUSEXTENDED"]
    findings = json.loads(local_audit.text("audit.ocsf.json"))
    carried = [f["unmapped"]["hipaachat"]["retention"] for f in findings
               if f["unmapped"]["hipaachat"]["scope"] == "sunrise-clinic" and "retention" in f["unmapped"]["hipaachat"]]
    assert carried and {r["data_type"]: r["floor_days"] for r in carried[0]} == {"messages": 7305, "audit": 2192}
