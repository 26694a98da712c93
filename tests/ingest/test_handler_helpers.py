"""The handler's pure helpers: credential parsing, event identity, key layout."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from components.ingest import handler
from components.ingest.envelope import (Credentials, Envelope, InvalidEvent, credentials_match, derive_event_id,
                                        parse_basic_auth, parse_envelope)
from components.ingest.handler import (IngestConfigError, archive_key, candidate_days, log_stream_name,
                                       parse_credentials_secret)

EXPECTED = Credentials("sunriseclinicwebhook", "SyntheticPassw0rdForTestsOnly")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("header", "parsed"), [
    (f"Basic {b64('user:pass')}", ("user", "pass")),
    (f"basic {b64('user:pa:ss')}", ("user", "pa:ss")),  # only the first colon separates
    (f"Basic {b64('user:')}", ("user", "")),
    (None, None), ("", None), ("Basic", None), ("Bearer abc", None), (f"Digest {b64('user:pass')}", None),
    ("Basic not*base64", None), (f"Basic {b64('nocolon')}", None),
    ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), None),  # not UTF-8
])
def test_parse_basic_auth(header: str | None, parsed: tuple[str, str] | None) -> None:
    assert parse_basic_auth(header) == parsed


@pytest.mark.parametrize(("given", "ok"), [
    ((EXPECTED.username, EXPECTED.password), True),
    ((EXPECTED.username, "wrong"), False),
    (("wrong", EXPECTED.password), False),
    (("", ""), False),
    ((EXPECTED.username, EXPECTED.password + "x"), False),
    ((EXPECTED.username.upper(), EXPECTED.password), False),
])
def test_credentials_match(given: tuple[str, str], ok: bool) -> None:
    assert credentials_match(given, EXPECTED) is ok


def test_credentials_never_show_the_password_in_their_repr() -> None:
    assert EXPECTED.password not in repr(EXPECTED)


@pytest.mark.parametrize("secret", [None, "", "not json", "[]", '"x"', "{}", '{"username": "u"}',
                                    '{"username": "u", "password": ""}', '{"username": 1, "password": "p"}'])
def test_a_malformed_credentials_secret_says_what_it_must_hold(secret: str | None) -> None:
    with pytest.raises(IngestConfigError, match="'username' and 'password'"):
        parse_credentials_secret(secret)


def test_parse_credentials_secret() -> None:
    assert parse_credentials_secret(json.dumps({"username": "u", "password": "p"})) == Credentials("u", "p")


def envelope(trigger: str, data: dict) -> Envelope:
    return parse_envelope(json.dumps({"trigger": trigger, "data": data, "appId": "a", "region": "us",
                                      "webhook": "w"}).encode())


def test_parse_envelope_reads_cometchats_fields() -> None:
    env = envelope("message_sent", {"message": {"id": "1"}})
    assert (env.trigger, env.app_id, env.region, env.webhook) == ("message_sent", "a", "us", "w")


@pytest.mark.parametrize("body", [b"\xff", b"{", b"[]", b"null", b'{"appId": "a", "data": {}}',
                                  b'{"trigger": "x", "data": {}}', b'{"trigger": "x", "appId": "a"}',
                                  b'{"trigger": "x", "appId": "a", "data": []}',
                                  b'{"trigger": "../x", "appId": "a", "data": {}}',
                                  b'{"trigger": "x", "appId": "a", "data": {"n": Infinity}}'])
def test_parse_envelope_refuses_anything_else(body: bytes) -> None:
    with pytest.raises(InvalidEvent):
        parse_envelope(body)


def test_message_events_are_identified_by_trigger_and_message_id() -> None:
    assert derive_event_id(envelope("message_sent", {"message": {"id": "38437"}})) == "message_sent.id-38437"
    assert derive_event_id(envelope("message_sent", {"message": {"id": 38437}})) == "message_sent.id-38437"
    # The same message under another trigger is another event.
    assert derive_event_id(envelope("moderation_manual_approved", {"message": {"id": "38437"}})) == \
        "moderation_manual_approved.id-38437"
    assert derive_event_id(envelope("call_initiated", {"call": {"id": "52"}})) == "call_initiated.id-52"


def test_events_without_a_per_event_id_fall_back_to_a_canonical_hash() -> None:
    receipt = {"receiver": "u1", "sender": "u2", "body": {"action": "read", "messageId": "57", "timestamp": 1}}
    event_id = derive_event_id(envelope("message_read_receipt", receipt))
    assert event_id.startswith("message_read_receipt.sha256-") and len(event_id.split("-", 1)[1]) == 64
    # Another reader of the same message is another event, although the messageId is the same.
    other_reader = {**receipt, "sender": "u3"}
    assert derive_event_id(envelope("message_read_receipt", other_reader)) != event_id
    # Key order does not matter.
    reordered = dict(reversed(list(receipt.items())))
    assert derive_event_id(envelope("message_read_receipt", reordered)) == event_id


@pytest.mark.parametrize("unsafe_id", ["../../etc", "a b", "", "x" * 101, True, None, {"id": 1}])
def test_ids_unsafe_for_an_object_key_are_not_used(unsafe_id: object) -> None:
    event_id = derive_event_id(envelope("message_sent", {"message": {"id": unsafe_id}}))
    assert event_id.startswith("message_sent.sha256-")


def test_key_and_stream_layout() -> None:
    day = dt.date(2026, 11, 22)
    assert archive_key("message_sent.id-1", day) == "events/2026/11/22/message_sent.id-1.json"
    assert log_stream_name(day) == "webhook/2026-11-22"


@pytest.mark.parametrize(("time", "days"), [
    (dt.time(0, 0, 5), [dt.date(2026, 11, 22), dt.date(2026, 11, 21)]),
    (dt.time(0, 1, 59), [dt.date(2026, 11, 22), dt.date(2026, 11, 21)]),
    (dt.time(0, 2, 0), [dt.date(2026, 11, 22)]),
    (dt.time(23, 59, 59), [dt.date(2026, 11, 22)]),
])
def test_only_early_deliveries_look_at_yesterday(time: dt.time, days: list[dt.date]) -> None:
    received = dt.datetime.combine(dt.date(2026, 11, 22), time, tzinfo=dt.timezone.utc)
    assert candidate_days(received) == days


def test_config_names_every_missing_variable() -> None:
    with pytest.raises(IngestConfigError) as err:
        handler.IngestConfig.from_env({"TENANT_ID": "t", "LOG_GROUP_NAME": "g"})
    for var in ("ARCHIVE_BUCKET", "KMS_KEY_ID", "CREDENTIALS_SECRET_ARN", "EXPECTED_APP_ID"):
        assert var in str(err.value)
