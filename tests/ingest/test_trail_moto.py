"""`hipaachat trail` as a subprocess against moto server, over events the real ingest handler indexed.

moto ignores CloudWatch Logs filter patterns (it returns every event of the group), so these
tests prove the trail's client-side re-check, not the server-side narrowing: the group also
holds the function's own operational lines, a schema-1 record and another tenant's record.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.ingest import correlation
from tests.ingest.support import TenantSinks, aws
from tests.ingest.trail_events import GROUP, ONE_TO_ONE, WARD, deliver, legacy_receipt, message, receipt

P1, P2, ENC, NOBODY = ("Patient/synthetic-1001", "Patient/synthetic-2002", "Encounter/synthetic-9",
                       "Patient/synthetic-7777")
AMES, BELL, COLE, DUNN, FOX = (f"synthetic-{n}" for n in ("dr-ames", "rn-bell", "rn-cole", "dr-dunn", "rn-fox"))
REPO = Path(__file__).resolve().parents[2]
HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))
T = int(dt.datetime.now(dt.timezone.utc).timestamp()) // 60 * 60 - 7200  # two hours ago, on a minute
DAY = 86400


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def state_file(tmp_path: Path, tenant: TenantSinks) -> Path:
    """The names a `pulumi stack export` of this tenant would record (the moto resources')."""
    def res(kind: str, resource: str, parent: str | None, **outputs: Any) -> dict[str, Any]:
        return {"urn": f"urn:pulumi:test::hipaachat::{kind}::{resource}", "type": kind, "custom": True,
                "inputs": outputs, "outputs": outputs, **({"parent": parent} if parent else {})}
    tid = tenant.tenant_id
    root = f"urn:pulumi:test::hipaachat::hipaachat:index:Tenant::{tid}"
    resources = [
        {"urn": root, "type": "hipaachat:index:Tenant", "inputs": {"tenantId": tid, "awsRegion": "us-east-2"}},
        res("aws:cloudwatch/logGroup:LogGroup", f"{tid}-audit", root, name=tenant.log_group),
        res("aws:s3/bucket:Bucket", f"{tid}-audit-archive", root, bucket=tenant.bucket),
        res("aws:secretsmanager/secret:Secret", f"{tid}-pseudonym-key", root, arn=tenant.pseudonym_key_secret_arn),
    ]
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return path


def trail(tmp_path: Path, tenant: TenantSinks, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HIPAACHAT, "trail", "--state", str(state_file(tmp_path, tenant)),
                           "--tenant", tenant.tenant_id, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


def answer(tmp_path: Path, tenant: TenantSinks, subject: str, *window: str) -> tuple[int, dict[str, Any], str]:
    done = trail(tmp_path, tenant, "--subject", subject, "--format", "json", *window)
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.fixture
def clinic(tenant: TenantSinks) -> TenantSinks:
    app = tenant.app_id
    events = [
        message(app, "message_sent", "100", AMES, T - DAY, [P1]),            # before the window
        message(app, "message_sent", "101", AMES, T, [P1]),
        message(app, "message_edited", "101", AMES, T, [P1], editedAt=T + 10, editedBy=AMES),
        message(app, "message_sent", "201", DUNN, T + 30, [P1], group=True),
        message(app, "message_sent", "102", AMES, T + 60, [P2]),
        message(app, "message_sent", "202", COLE, T + 90, None, group=True),  # no refs at all
        message(app, "message_sent", "103", BELL, T + 120, [], receiver=AMES),
        message(app, "message_sent", "104", AMES, T + 180, [P1, ENC]),
        message(app, "message_deleted", "104", AMES, T + 180, [P1, ENC], deletedAt=T + 400, deletedBy=AMES),
        message(app, "message_sent", "203", DUNN, T + 2 * DAY, [P1], group=True),  # after the window
        receipt(app, "message_read_receipt", "101", BELL, T + 20),
        receipt(app, "message_delivery_receipt", "102", BELL, T + 70),      # covers 101 too (high-water)
        receipt(app, "message_read_receipt", "103", AMES, T + 130),         # ames sent 101/102/104: not "read by"
        legacy_receipt(app, "message_read_receipt", "104", BELL, T + 200),  # covers 101, 102, 104
        receipt(app, "message_read_receipt", "202", COLE, T + 100, group=True),  # read only a later message
        receipt(app, "message_read_receipt", "203", FOX, T + 2 * DAY + 10, group=True),
    ]
    for event in events:
        deliver(event)
    logs = aws("logs", tenant.endpoint)
    # A record from before correlation (schema 1), a line that is not a record, another tenant's record.
    old = {"tenant": tenant.tenant_id, "eventId": "message_sent.id-9", "trigger": "message_sent",
           "appId": app, "receivedAt": dt.datetime.now(dt.timezone.utc).isoformat(),
           "archive": f"s3://{tenant.bucket}/events/old.json", "bodySha256": "0" * 64}
    foreign = {**old, "tenant": "lotus-health", "schema": correlation.SCHEMA, "subjects": []}
    logs.create_log_stream(logGroupName=tenant.log_group, logStreamName="legacy")
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    logs.put_log_events(logGroupName=tenant.log_group, logStreamName="legacy", logEvents=[
        {"timestamp": now, "message": json.dumps(old)}, {"timestamp": now, "message": "START RequestId: x"},
        {"timestamp": now, "message": json.dumps(foreign)}])
    return tenant


def test_who_saw_what_with_high_water_marks_window_and_both_receipt_shapes(clinic: TenantSinks, tmp_path) -> None:
    code, got, err = answer(tmp_path, clinic, P1, "--from", iso(T - 3600), "--to", iso(T + DAY))
    assert code == 0, err
    archive = {m["message_id"]: m.pop("archive") for m in got["messages"]}
    assert got["messages"] == [
        {"message_id": "101", "conversation_id": ONE_TO_ONE, "sent_at": iso(T), "sender": AMES, "receiver": BELL,
         "receiver_type": "user", "edited": True, "deleted": False,
         "delivered_to": [{"uid": BELL, "at": iso(T + 70)}],     # a delivery of the later 102
         "read_by": [{"uid": BELL, "at": iso(T + 20)}]},          # the earliest of two covering reads
        {"message_id": "201", "conversation_id": GROUP, "sent_at": iso(T + 30), "sender": DUNN, "receiver": WARD,
         "receiver_type": "group", "edited": False, "deleted": False, "delivered_to": [],
         "read_by": [{"uid": COLE, "at": iso(T + 100)}, {"uid": FOX, "at": iso(T + 2 * DAY + 10)}]},
        {"message_id": "104", "conversation_id": ONE_TO_ONE, "sent_at": iso(T + 180), "sender": AMES,
         "receiver": BELL, "receiver_type": "user", "edited": False, "deleted": True,
         "delivered_to": [],                                        # delivered 102 does not cover the later 104
         "read_by": [{"uid": BELL, "at": iso(T + 200)}]},          # the legacy receipt shape
    ]
    assert all(a.startswith(f"s3://{clinic.bucket}/events/") and "message_sent.id-" in a for a in archive.values())
    assert (got["tenant"], got["subject"], got["from"], got["to"]) == (clinic.tenant_id, P1, iso(T - 3600),
                                                                       iso(T + DAY))
    # 3 sent + 1 edit + 1 delete + the receipts that gave a time (read 101, delivered 102, legacy read 104,
    # read 202, read 203): each checked against its archived bytes.
    assert got["integrity"] == {"checked": 10, "verified": 10, "mismatched": [], "missing": [], "overwritten": []}
    assert got["predating_events"] == 1


def test_other_subjects_and_a_subject_in_no_message(clinic: TenantSinks, tmp_path) -> None:
    code, got, _ = answer(tmp_path, clinic, P2)
    assert code == 0 and [m["message_id"] for m in got["messages"]] == ["102"]
    [m102] = got["messages"]
    assert m102["delivered_to"] == [{"uid": BELL, "at": iso(T + 70)}]
    assert m102["read_by"] == [{"uid": BELL, "at": iso(T + 200)}]
    code, got, _ = answer(tmp_path, clinic, ENC)
    assert [m["message_id"] for m in got["messages"]] == ["104"]
    code, got, _ = answer(tmp_path, clinic, NOBODY)
    assert code == 0 and got["messages"] == [] and got["integrity"]["checked"] == 0
    # No window: the earlier and later messages about P1 are in the answer too.
    code, got, _ = answer(tmp_path, clinic, P1)
    assert [m["message_id"] for m in got["messages"]] == ["100", "101", "201", "104", "203"]


def test_no_raw_reference_reaches_the_log_group_and_pseudonyms_do(clinic: TenantSinks, tmp_path) -> None:
    messages = clinic.log_messages()
    for ref in (P1, P2, ENC, "synthetic-1001", "Patient/"):
        assert not any(ref in m for m in messages), ref
    printed = trail(tmp_path, clinic, "pseudonym", P1)
    assert printed.returncode == 0, printed.stderr
    value = printed.stdout.strip()
    assert len(value) == 64 and sum(value in m for m in messages) == 7  # 100, 101 + edit, 201, 104 + delete, 203
    assert P1 not in printed.stdout + printed.stderr


def _first_archive_key(tenant: TenantSinks, event: str) -> str:
    return next(k for k in tenant.archive_keys() if k.endswith(f"/{event}.json"))


def test_an_overwritten_archive_object_is_verified_by_its_original_and_reported(clinic: TenantSinks,
                                                                                 tmp_path) -> None:
    key = _first_archive_key(clinic, "message_sent.id-101")
    aws("s3", clinic.endpoint).put_object(Bucket=clinic.bucket, Key=key, Body=b'{"forged": true}')
    code, got, err = answer(tmp_path, clinic, P1, "--from", iso(T - 3600), "--to", iso(T + DAY))
    assert code == 1
    assert got["integrity"]["verified"] == got["integrity"]["checked"]  # the original bytes still match
    assert [f["event_id"] for f in got["integrity"]["overwritten"]] == ["message_sent.id-101"]
    assert "message_sent.id-101" in err and P1 not in err


def test_a_record_whose_object_is_missing_or_differs_fails_integrity(tenant: TenantSinks, tmp_path) -> None:
    deliver(message(tenant.app_id, "message_sent", "301", AMES, T, [P1]))
    [record] = [json.loads(m) for m in tenant.log_messages() if '"eventId"' in m]
    logs = aws("logs", tenant.endpoint)
    logs.create_log_stream(logGroupName=tenant.log_group, logStreamName="forged")
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    missing = {**record, "eventId": "message_sent.id-302", "messageId": "302",
               "archive": f"s3://{tenant.bucket}/events/2026/01/01/message_sent.id-302.json"}
    differs = {**record, "eventId": "message_sent.id-303", "messageId": "303", "bodySha256": "f" * 64}
    logs.put_log_events(logGroupName=tenant.log_group, logStreamName="forged", logEvents=[
        {"timestamp": now, "message": json.dumps(missing)}, {"timestamp": now, "message": json.dumps(differs)}])
    code, got, err = answer(tmp_path, tenant, P1)
    assert code == 1
    assert [f["event_id"] for f in got["integrity"]["missing"]] == ["message_sent.id-302"]
    assert [f["event_id"] for f in got["integrity"]["mismatched"]] == ["message_sent.id-303"]
    assert got["integrity"]["verified"] == 1
    assert "message_sent.id-302" in err and "message_sent.id-303" in err


def test_bad_input_is_exit_2_without_a_traceback(tenant: TenantSinks, tmp_path) -> None:
    done = trail(tmp_path, tenant, "--subject", P1, "--from", "2026-02-30")
    assert done.returncode == 2 and "--from 2026-02-30" in done.stderr and "Traceback" not in done.stderr
    unknown = subprocess.run([HIPAACHAT, "trail", "--state",
                              str(state_file(tmp_path, tenant)), "--tenant", "nobody-here", "--subject", P1],
                             capture_output=True, text=True, cwd=REPO, timeout=60)
    assert unknown.returncode == 2 and "nobody-here" in unknown.stderr and "Traceback" not in unknown.stderr
