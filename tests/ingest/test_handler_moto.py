"""The ingest handler end to end against moto server: what lands in the tenant's sinks, and what never does."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging

import pytest
from botocore.exceptions import ClientError

from components.ingest import envelope, handler
from tests.ingest.support import (OTHER_PASSWORD, OTHER_USER, SYNTHETIC_TEXT, TENANT_PASSWORD, TENANT_USER,
                                  TenantSinks, api_event, aws, basic, message_sent)

GOOD = basic(TENANT_USER, TENANT_PASSWORD)


def deliver(body: dict | str, authorization: str | None = GOOD, **kw) -> dict:
    return handler.handle(api_event(body if isinstance(body, str) else json.dumps(body), authorization, **kw), None)


def assert_nothing_written(tenant: TenantSinks) -> None:
    assert tenant.archive_keys() == []
    assert tenant.log_stream_names() == []


def test_valid_delivery_is_archived_under_the_tenant_key_and_indexed_once(tenant: TenantSinks) -> None:
    payload = message_sent(tenant.app_id)
    response = deliver(payload)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "stored"}
    today = dt.datetime.now(dt.timezone.utc).date()
    key = f"events/{today:%Y/%m/%d}/message_sent.id-38437.json"
    assert tenant.archive_keys() == [key]
    s3 = aws("s3", tenant.endpoint)
    obj = s3.get_object(Bucket=tenant.bucket, Key=key)
    assert json.loads(obj["Body"].read()) == payload
    assert obj["ServerSideEncryption"] == "aws:kms"
    assert obj["SSEKMSKeyId"].endswith(tenant.key_id)
    assert {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=tenant.bucket, Key=key)["TagSet"]} == {
        handler.INDEXED_TAG: "true"}

    assert tenant.log_stream_names() == [f"webhook/{today:%Y-%m-%d}"]
    [message] = tenant.log_messages()
    record = json.loads(message)
    assert record["eventId"] == "message_sent.id-38437"
    assert record["tenant"] == tenant.tenant_id
    assert record["archive"] == f"s3://{tenant.bucket}/{key}"
    # The index carries identifiers only (who, which message, which conversation): the text stays in the archive.
    assert SYNTHETIC_TEXT not in message and "Synthetic Provider" not in message
    assert (record["schema"], record["actor"], record["messageId"]) == ("hipaachat.audit-event/2", "synthetic-uid-1",
                                                                        "38437")
    assert record["subjects"] == []


def test_cometchat_retries_are_deduplicated(tenant: TenantSinks) -> None:
    payload = message_sent(tenant.app_id)
    outcomes = [json.loads(deliver(payload)["body"])["status"] for _ in range(3)]  # first try, +10 s, +30 s
    assert outcomes == ["stored", "duplicate", "duplicate"]
    assert len(tenant.archive_keys()) == 1
    assert len(tenant.log_messages()) == 1


def test_a_retry_reserialised_differently_is_still_the_same_event(tenant: TenantSinks) -> None:
    """Events without a per-event id are keyed by a canonical hash, not the raw bytes."""
    payload = {"trigger": "group_member_added", "appId": tenant.app_id, "region": "us", "webhook": "hipaachatingest",
               "data": {"group": {"guid": "synthetic-guid-1", "membersCount": 2},
                        "members": {"synthetic-uid-2": {"uid": "synthetic-uid-2"}}}}
    assert deliver(json.dumps(payload))["statusCode"] == 200
    again = deliver(json.dumps(payload, indent=2, sort_keys=True))
    assert json.loads(again["body"]) == {"status": "duplicate"}
    [key] = tenant.archive_keys()
    assert ".sha256-" in key and key.rsplit("/", 1)[1].startswith("group_member_added.")


def test_distinct_events_are_each_kept(tenant: TenantSinks) -> None:
    for message_id in ("1", "2"):
        assert deliver(message_sent(tenant.app_id, message_id))["statusCode"] == 200
    assert len(tenant.archive_keys()) == 2
    assert len(tenant.log_messages()) == 2


def test_a_delivery_that_died_before_indexing_is_completed_by_the_retry(
        tenant: TenantSinks, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write_index = handler._write_index

    def failing_write_index(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "synthetic"}}, "PutLogEvents")

    monkeypatch.setattr(handler, "_write_index", failing_write_index)
    first = deliver(message_sent(tenant.app_id))
    assert first["statusCode"] == 503  # CometChat will retry
    assert len(tenant.archive_keys()) == 1 and tenant.log_stream_names() == []

    monkeypatch.setattr(handler, "_write_index", real_write_index)
    retry = deliver(message_sent(tenant.app_id))
    assert json.loads(retry["body"]) == {"status": "reindexed"}
    assert json.loads(deliver(message_sent(tenant.app_id))["body"]) == {"status": "duplicate"}
    assert len(tenant.archive_keys()) == 1
    assert len(tenant.log_messages()) == 1


def test_a_retry_across_midnight_utc_finds_yesterdays_archive(tenant: TenantSinks) -> None:
    config = handler.IngestConfig.from_env()
    parsed = envelope.parse_envelope(json.dumps(message_sent(tenant.app_id)).encode())
    body = json.dumps(parsed.payload).encode()
    before = dt.datetime(2026, 11, 22, 23, 59, 50, tzinfo=dt.timezone.utc)
    after = before + dt.timedelta(seconds=30)  # CometChat's second retry, now on the next day
    assert handler.store_event(config, body, parsed, before, handler._Budget(60))[0] == "stored"
    assert handler.store_event(config, body, parsed, after, handler._Budget(60))[0] == "duplicate"
    assert tenant.archive_keys() == ["events/2026/11/22/message_sent.id-38437.json"]


def test_wrong_password_is_refused_and_nothing_is_written(tenant: TenantSinks) -> None:
    response = deliver(message_sent(tenant.app_id), basic(TENANT_USER, "WrongSyntheticPassword1"))
    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {"error": "unauthorized"}
    assert_nothing_written(tenant)


@pytest.mark.parametrize("authorization", [None, "", "Bearer abc", "Basic !!!notbase64", basic("", ""),
                                           "Basic " + "c3VucmlzZQ=="])  # base64 without a colon
def test_missing_or_malformed_credentials_are_refused(tenant: TenantSinks, authorization: str | None) -> None:
    assert deliver(message_sent(tenant.app_id), authorization)["statusCode"] == 401
    assert_nothing_written(tenant)


def test_another_tenants_valid_credentials_are_refused(tenant: TenantSinks) -> None:
    # These credentials are genuine for the other tenant's endpoint (its own secret in the same account).
    other = json.loads(aws("secretsmanager", tenant.endpoint).get_secret_value(
        SecretId=tenant.other_tenant_secret_arn)["SecretString"])
    assert (other["username"], other["password"]) == (OTHER_USER, OTHER_PASSWORD)
    response = deliver(message_sent(tenant.app_id), basic(other["username"], other["password"]))
    assert response["statusCode"] == 401
    assert_nothing_written(tenant)


def test_an_event_of_another_app_is_refused(tenant: TenantSinks) -> None:
    response = deliver(message_sent("2611someoneelsesapp"))
    assert response["statusCode"] == 403
    assert json.loads(response["body"]) == {"error": "forbidden"}  # no detail about what was expected
    assert_nothing_written(tenant)


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "", '{"trigger": "message_sent"}',
                                  '{"trigger": "Bad Trigger!", "appId": "x", "data": {}}',
                                  '{"trigger": "message_sent", "appId": "x", "data": NaN}'])
def test_malformed_bodies_are_bad_requests(tenant: TenantSinks, body: str) -> None:
    assert deliver(body)["statusCode"] == 400
    assert_nothing_written(tenant)


def test_an_oversized_body_is_refused(tenant: TenantSinks) -> None:
    payload = message_sent(tenant.app_id, text="x" * (envelope.MAX_BODY_BYTES + 1))
    assert deliver(payload)["statusCode"] == 413
    assert deliver(payload, base64_encoded=True)["statusCode"] == 413
    assert_nothing_written(tenant)


def test_a_base64_encoded_body_is_accepted(tenant: TenantSinks) -> None:
    assert deliver(message_sent(tenant.app_id), base64_encoded=True)["statusCode"] == 200
    assert len(tenant.archive_keys()) == 1


def test_a_rotated_password_is_picked_up_without_waiting_for_the_cache(
        tenant: TenantSinks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler, "SECRET_MISMATCH_REFRESH_S", 0.0)
    assert deliver(message_sent(tenant.app_id, "1"))["statusCode"] == 200  # caches the old password
    rotated = "RotatedSyntheticPassw0rd"
    aws("secretsmanager", tenant.endpoint).put_secret_value(
        SecretId=tenant.secret_arn, SecretString=json.dumps({"username": TENANT_USER, "password": rotated}))
    assert deliver(message_sent(tenant.app_id, "2"), basic(TENANT_USER, rotated))["statusCode"] == 200
    assert deliver(message_sent(tenant.app_id, "3"))["statusCode"] == 401  # the old password no longer works


def test_a_missing_setting_or_malformed_secret_is_a_server_error(
        tenant: TenantSinks, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    aws("secretsmanager", tenant.endpoint).put_secret_value(SecretId=tenant.secret_arn, SecretString="not json")
    assert deliver(message_sent(tenant.app_id))["statusCode"] == 500
    monkeypatch.delenv("ARCHIVE_BUCKET")
    with caplog.at_level(logging.INFO, logger="hipaachat.ingest"):
        assert deliver(message_sent(tenant.app_id))["statusCode"] == 500
    assert "ARCHIVE_BUCKET" in caplog.text  # the log says what to set
    assert_nothing_written(tenant)


def test_no_password_or_message_content_reaches_any_log_record(
        tenant: TenantSinks, caplog: pytest.LogCaptureFixture) -> None:
    # As if someone raised the function's log level to DEBUG: every logger, every level.
    caplog.set_level(logging.DEBUG)
    payload = message_sent(tenant.app_id)
    deliver(payload)                                                # stored
    deliver(payload)                                                # duplicate
    deliver(payload, basic(TENANT_USER, "WrongSyntheticPassword1"))  # 401
    deliver(message_sent("2611someoneelsesapp"))                     # 403
    deliver("{broken " + SYNTHETIC_TEXT)                             # 400
    ours = [r for r in caplog.records if not r.name.startswith(("werkzeug", "moto"))]  # moto is AWS's stand-in
    assert any("outcome=stored" in r.getMessage() for r in ours)
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in ours)
    for forbidden in (TENANT_PASSWORD, "WrongSyntheticPassword1", GOOD.split()[1], SYNTHETIC_TEXT, "Jane Testpatient"):
        assert forbidden not in text


def test_both_parts_of_the_credentials_are_compared_even_when_the_username_is_wrong(
        tenant: TenantSinks, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real_compare = hmac.compare_digest

    def recording_compare(a, b):
        calls.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(envelope.hmac, "compare_digest", recording_compare)
    response = deliver(message_sent(tenant.app_id), basic("notthetenant", TENANT_PASSWORD))
    assert response["statusCode"] == 401
    compared = {b for _, b in calls}
    # The username comparison failed, yet the password comparison still ran (and matched).
    assert envelope._digest(TENANT_USER) in compared and envelope._digest(TENANT_PASSWORD) in compared
    assert (envelope._digest(TENANT_PASSWORD), envelope._digest(TENANT_PASSWORD)) in calls
    assert_nothing_written(tenant)


def test_budget_exhausted_answers_503_so_cometchat_retries(tenant: TenantSinks, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS call is started that could not finish inside the acknowledgement budget: 503, nothing stored."""
    monkeypatch.setattr(handler, "ACK_BUDGET_S", 0.0)
    response = deliver(message_sent(tenant.app_id))
    assert response["statusCode"] == 503 and json.loads(response["body"]) == {"error": "try again"}
    assert tenant.archive_keys() == [] and tenant.log_messages() == []
    monkeypatch.setattr(handler, "ACK_BUDGET_S", 60.0)
    assert deliver(message_sent(tenant.app_id))["statusCode"] == 200  # CometChat's retry lands once
    assert len(tenant.archive_keys()) == 1
