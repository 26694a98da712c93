"""Per-record retention on moto: each archived object's Object Lock retain-until follows its data type.

moto honours the put_object lock headers and reports them in head_object (it would also let a
COMPLIANCE date be shortened, so nothing here relies on that).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from components.ingest import endpoint, handler
from components.ingest.object_lock import data_type_of, object_lock_args
from tests.ingest.support import REGION, TENANT_PASSWORD, TENANT_USER, TenantSinks, api_event, aws, basic, message_sent

MESSAGES_DAYS, AUDIT_DAYS = 7305, 2192


def read_receipt(app_id: str, message_id: str = "38437") -> dict:
    return {"trigger": "message_read_receipt", "appId": app_id, "region": "us", "webhook": "hipaachatingest",
            "data": {"receiver": "synthetic-uid-1", "receiverType": "user", "type": "receipts",
                     "sender": "synthetic-uid-2", "messageSender": "synthetic-uid-1",
                     "body": {"action": "read", "messageId": message_id, "user": {"uid": "synthetic-uid-2"},
                              "timestamp": 1696934950}}}


@pytest.fixture
def locked(tenant: TenantSinks, monkeypatch: pytest.MonkeyPatch) -> TenantSinks:
    """The tenant's archive as the component makes it: Object Lock on, default covering the longest type."""
    bucket = f"hipaachat-test-{uuid.uuid4().hex[:10]}-locked"
    s3 = aws("s3", tenant.endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION},
                     ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": MESSAGES_DAYS}}})
    monkeypatch.setenv("ARCHIVE_BUCKET", bucket)
    monkeypatch.setenv("RETAIN_MESSAGES_DAYS", str(MESSAGES_DAYS))
    monkeypatch.setenv("RETAIN_AUDIT_DAYS", str(AUDIT_DAYS))
    tenant.bucket = bucket
    return tenant


def test_a_message_event_and_a_receipt_get_their_own_retain_until_dates(locked: TenantSinks) -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # S3 keeps whole seconds
    good = basic(TENANT_USER, TENANT_PASSWORD)
    for payload in (message_sent(locked.app_id), read_receipt(locked.app_id)):
        assert handler.handle(api_event(json.dumps(payload), good), None)["statusCode"] == 200
    s3 = aws("s3", locked.endpoint)
    heads = {key.rsplit("/", 1)[1].split(".")[0]: s3.head_object(Bucket=locked.bucket, Key=key)
             for key in locked.archive_keys()}
    assert set(heads) == {"message_sent", "message_read_receipt"}
    assert {h["ObjectLockMode"] for h in heads.values()} == {"COMPLIANCE"}
    message = heads["message_sent"]["ObjectLockRetainUntilDate"]
    receipt = heads["message_read_receipt"]["ObjectLockRetainUntilDate"]
    assert message - before >= dt.timedelta(days=MESSAGES_DAYS) > message - before - dt.timedelta(minutes=5)
    assert receipt - before >= dt.timedelta(days=AUDIT_DAYS) > receipt - before - dt.timedelta(minutes=5)
    assert message - receipt > dt.timedelta(days=MESSAGES_DAYS - AUDIT_DAYS - 1)


def test_without_the_variables_the_bucket_default_applies() -> None:
    received = dt.datetime(2026, 12, 4, tzinfo=dt.timezone.utc)
    assert object_lock_args("message_sent", received, env={}) == {}
    assert object_lock_args("message_read_receipt", received, env={"RETAIN_AUDIT_DAYS": "2192"}) == {
        "ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": received + dt.timedelta(days=2192)}


@pytest.mark.parametrize(("trigger", "data_type"), [
    ("message_sent", "messages"), ("message_edited", "messages"), ("moderation_engine_blocked", "messages"),
    ("message_read_receipt", "audit"), ("message_delivery_receipt", "audit"), ("group_member_added", "audit"),
    ("message_reaction_added", "audit")])
def test_triggers_map_to_data_types(trigger: str, data_type: str) -> None:
    assert data_type_of(trigger) == data_type


def test_the_shipped_zip_imports_on_its_own(tmp_path: Path) -> None:
    """The function's zip (handler + helpers under their import path) imports without the project."""
    for name, source in {"handler.py": endpoint.HANDLER_FILE, **endpoint.HELPER_FILES}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(Path(source).read_text())
    for marker in ("components/__init__.py", "components/ingest/__init__.py"):
        (tmp_path / marker).write_text("")
    code = "import sys; sys.path[:] = [p for p in sys.path if 'site-packages' in p or 'lib/python' in p]; " \
           "sys.path.insert(0, '.'); import handler; print(handler.object_lock_args.__module__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "components.ingest.object_lock"
