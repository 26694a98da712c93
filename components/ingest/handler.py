"""CometChat webhook ingest for one tenant: AWS Lambda behind an API Gateway HTTP API (payload 2.0).

CometChat POSTs each event with Basic auth, wants a 200 within 2 s and, with `retryOnFailure`,
re-sends at 10 s and 30 s. This handler checks the credentials in constant time, refuses any
other app, and records each event once. The archive object `events/<yyyy>/<mm>/<dd>/<id>.json`
(SSE-KMS, tenant key) is the idempotency record, claimed with a conditional put. The log group
gets one index record per event (stream `webhook/<yyyy-mm-dd>`) holding identifiers only, so
PHI stays where access is narrowest (minimum necessary, 45 CFR 164.502(b)). The object is tagged
`hipaachat:indexed=false` until that record is written, so a delivery that died between the two
writes is completed by the retry instead of lost; the role reads tags, never content.

Stdlib and boto3 only (zipped with its helpers alone: the envelope parser, correlation and the
Object Lock dates), so frozen dataclasses stand in for pydantic models. Logs carry outcome,
trigger and event id only: never a credential or content.
"""

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, fields
from typing import Any, Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from components.ingest import correlation  # shipped in the zip too (IngestEndpoint)
from components.ingest.envelope import (MAX_BODY_BYTES, Credentials, Envelope, InvalidEvent,  # shipped in the zip too
                                        PayloadTooLarge, credentials_match, derive_event_id, parse_basic_auth,
                                        parse_envelope)
from components.ingest.object_lock import object_lock_args  # shipped in the zip too (IngestEndpoint)

LOGGER = logging.getLogger("hipaachat.ingest")
LOGGER.setLevel(logging.INFO)
# At DEBUG the AWS SDK logs request and response bodies (the event's PHI, the secret's value):
# pinned to WARNING so that raising the function's log level can never leak them.
for _sdk_logger in ("boto3", "botocore", "urllib3"):
    logging.getLogger(_sdk_logger).setLevel(logging.WARNING)

# CometChat gives up after 2 s. Every AWS call gets short timeouts and no SDK retry: a retry
# that lands after 2 s is wasted, and CometChat's own retries (10 s, 30 s) are the retry layer.
ACK_BUDGET_S = 1.8
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 0.3, 0.6
CALL_WORST_CASE_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
_BOTO_CONFIG = Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
                      retries={"total_max_attempts": 1, "mode": "standard"})
# A short TTL bounds how long a rotated password is stale; a mismatch re-reads it early, at most
# once per interval, so bad callers cannot turn into a stream of Secrets Manager calls.
SECRET_TTL_S = 60.0
SECRET_MISMATCH_REFRESH_S = 5.0
# Retries arrive up to ~34 s after the first try; a first try just before midnight UTC may be
# archived under yesterday's date, so early-day deliveries also look there.
RETRY_WINDOW_S = 120
INDEXED_TAG = "hipaachat:indexed"



class IngestConfigError(RuntimeError):
    """The function's environment or its credentials secret is not what the deployment wrote."""


class BudgetExhausted(RuntimeError):
    """Too little of the 2 s acknowledgement budget is left to start another AWS call."""


@dataclass(frozen=True)
class IngestConfig:
    tenant_id: str
    log_group_name: str
    archive_bucket: str
    kms_key_id: str
    credentials_secret_arn: str
    expected_app_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "IngestConfig":
        """Each field is read from the upper-cased variable of the same name (TENANT_ID, ...)."""
        names = [f.name for f in fields(cls)]
        missing = [n.upper() for n in names if not env.get(n.upper())]
        if missing:
            raise IngestConfigError(f"set {', '.join(missing)} on the function (IngestEndpoint writes them)")
        return cls(**{n: env[n.upper()] for n in names})


def parse_credentials_secret(secret_string: str | None) -> Credentials:
    try:
        value = json.loads(secret_string or "")
        return Credentials(**{k: value[k] for k in ("username", "password") if isinstance(value[k], str) and value[k]})
    except (json.JSONDecodeError, TypeError, KeyError):
        raise IngestConfigError("the credentials secret must be JSON with non-empty 'username' and 'password'") from None


def archive_key(event_id: str, day: dt.date) -> str:
    return f"events/{day:%Y}/{day:%m}/{day:%d}/{event_id}.json"


def log_stream_name(day: dt.date) -> str:
    return f"webhook/{day:%Y-%m-%d}"


def candidate_days(received: dt.datetime) -> list[dt.date]:
    """Days under which a delivery received now may already be archived (today first)."""
    day, into_day = received.date(), received.hour * 3600 + received.minute * 60 + received.second
    return [day, day - dt.timedelta(days=1)] if into_day < RETRY_WINDOW_S else [day]


class _Budget:
    """Starts an AWS call only if it can finish inside the acknowledgement budget."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def spend(self) -> None:
        if time.monotonic() + CALL_WORST_CASE_S > self._deadline:
            raise BudgetExhausted("acknowledgement budget exhausted")


def _error_code(exc: Exception) -> str | None:
    return exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None


_CLIENTS: dict[tuple[str, str | None, str | None], Any] = {}
_SECRETS: dict[str, tuple[float, Credentials]] = {}


def _client(service: str) -> Any:
    # AWS_ENDPOINT_URL is passed explicitly so that older runtime boto3 builds honour it too.
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, endpoint, region)
    if key not in _CLIENTS:
        _CLIENTS[key] = boto3.session.Session().client(
            service, region_name=region, endpoint_url=endpoint, config=_BOTO_CONFIG)
    return _CLIENTS[key]


def _credentials(secret_arn: str, budget: _Budget, max_age: float) -> Credentials:
    cached = _SECRETS.get(secret_arn)
    if cached and time.monotonic() - cached[0] < max_age:
        return cached[1]
    budget.spend()
    response = _client("secretsmanager").get_secret_value(SecretId=secret_arn)
    credentials = parse_credentials_secret(response.get("SecretString"))
    _SECRETS[secret_arn] = (time.monotonic(), credentials)
    return credentials


def _authorised(given: tuple[str, str], config: IngestConfig, budget: _Budget) -> bool:
    arn = config.credentials_secret_arn
    if credentials_match(given, _credentials(arn, budget, SECRET_TTL_S)):
        return True
    # A mismatch may mean the password was just rotated: re-read once, unless read very recently.
    if time.monotonic() - _SECRETS[arn][0] < SECRET_MISMATCH_REFRESH_S:
        return False
    return credentials_match(given, _credentials(arn, budget, 0.0))


def _index_state(bucket: str, key: str, budget: _Budget) -> bool | None:
    """None if the archive object is absent, else whether its index record was written."""
    budget.spend()
    try:
        tags = _client("s3").get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    except ClientError as exc:
        if _error_code(exc) in {"NoSuchKey", "404"}:
            return None
        raise
    return {t["Key"]: t["Value"] for t in tags}.get(INDEXED_TAG) != "false"


def _claim_archive(config: IngestConfig, key: str, body: bytes, envelope: Envelope, event_id: str,
                   received: dt.datetime, budget: _Budget) -> bool:
    """Write the archive object unless it exists; True if this call created it."""
    budget.spend()
    try:
        # Object Lock buckets refuse writes without an integrity checksum, hence ChecksumAlgorithm.
        _client("s3").put_object(
            Bucket=config.archive_bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*",
            ServerSideEncryption="aws:kms", SSEKMSKeyId=config.kms_key_id, ChecksumAlgorithm="SHA256",
            Tagging=f"{INDEXED_TAG}=false", **object_lock_args(envelope.trigger, received),
            Metadata={"trigger": envelope.trigger, "event-id": event_id, "received-at": received.isoformat()})
    except ClientError as exc:
        if _error_code(exc) in {"PreconditionFailed", "412"}:
            return False
        raise
    return True


def _write_index(config: IngestConfig, record: dict[str, Any], received: dt.datetime, budget: _Budget) -> None:
    logs = _client("logs")
    stream = log_stream_name(received.date())
    event = {"timestamp": int(received.timestamp() * 1000), "message": json.dumps(record, sort_keys=True)}
    budget.spend()
    try:
        logs.put_log_events(logGroupName=config.log_group_name, logStreamName=stream, logEvents=[event])
        return
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
    # First event of the day: the daily stream does not exist yet.
    budget.spend()
    try:
        logs.create_log_stream(logGroupName=config.log_group_name, logStreamName=stream)
    except ClientError as exc:
        if _error_code(exc) != "ResourceAlreadyExistsException":
            raise
    budget.spend()
    logs.put_log_events(logGroupName=config.log_group_name, logStreamName=stream, logEvents=[event])


def _mark_indexed(bucket: str, key: str, budget: _Budget) -> None:
    # Best effort: if this fails the event is archived and indexed; a later duplicate delivery
    # would only add a second index record carrying the same event id.
    try:
        budget.spend()
        _client("s3").put_object_tagging(Bucket=bucket, Key=key,
                                         Tagging={"TagSet": [{"Key": INDEXED_TAG, "Value": "true"}]})
    except (BudgetExhausted, ClientError, BotoCoreError) as exc:
        LOGGER.warning("outcome=index-tag-skipped key=%s reason=%s", key, type(exc).__name__)


def store_event(config: IngestConfig, body: bytes, envelope: Envelope, received: dt.datetime,
                budget: _Budget) -> tuple[str, str]:
    """Archive and index one event, once. Returns (outcome, event id); outcome is stored, reindexed
    (an earlier delivery archived it but died before indexing) or duplicate."""
    event_id = derive_event_id(envelope)
    today, *earlier = candidate_days(received)
    key, state, created = archive_key(event_id, today), None, False
    for day in earlier:
        if (state := _index_state(config.archive_bucket, archive_key(event_id, day), budget)) is not None:
            key = archive_key(event_id, day)
            break
    if state is None:
        created = _claim_archive(config, key, body, envelope, event_id, received, budget)
        if not created:
            state = _index_state(config.archive_bucket, key, budget)
    if state:
        return "duplicate", event_id
    record = {"tenant": config.tenant_id, "eventId": event_id, "trigger": envelope.trigger,
              "appId": envelope.app_id, "region": envelope.region, "webhook": envelope.webhook,
              "receivedAt": received.isoformat(), "archive": f"s3://{config.archive_bucket}/{key}",
              "bodySha256": hashlib.sha256(body).hexdigest()}
    hmac_key = correlation.tenant_key(_client, budget.spend)
    record.update(correlation.correlate(envelope.trigger, envelope.payload, hmac_key))
    _write_index(config, record, received, budget)
    _mark_indexed(config.archive_bucket, key, budget)
    return ("stored" if created else "reindexed"), event_id


def _response(status: int, payload: dict[str, str], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json", **(headers or {})},
            "body": json.dumps(payload)}


def _body_bytes(event: Mapping[str, Any]) -> bytes:
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("utf-8")
    except binascii.Error as exc:
        raise InvalidEvent("body is not valid base64") from exc
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes")
    return body


def handle(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (API Gateway HTTP API, payload 2.0; its only route is `POST /webhook`)."""
    budget = _Budget(ACK_BUDGET_S)
    try:
        config = IngestConfig.from_env()
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        given = parse_basic_auth(headers.get("authorization"))
        if given is None or not _authorised(given, config, budget):
            LOGGER.info("outcome=unauthorized")
            return _response(401, {"error": "unauthorized"}, {"www-authenticate": 'Basic realm="hipaachat"'})
        body = _body_bytes(event)
        envelope = parse_envelope(body)
        if envelope.app_id != config.expected_app_id:
            LOGGER.info("outcome=forbidden-app trigger=%s", envelope.trigger)
            return _response(403, {"error": "forbidden"})
        received = dt.datetime.now(dt.timezone.utc)
        outcome, event_id = store_event(config, body, envelope, received, budget)
        LOGGER.info("outcome=%s trigger=%s event_id=%s", outcome, envelope.trigger, event_id)
        return _response(200, {"status": outcome})
    except PayloadTooLarge:
        LOGGER.info("outcome=too-large")
        return _response(413, {"error": "payload too large"})
    except InvalidEvent:
        LOGGER.info("outcome=bad-request")
        return _response(400, {"error": "bad request"})
    except (IngestConfigError, correlation.PseudonymKeyError) as exc:
        LOGGER.error("outcome=misconfigured reason=%s", exc)
        return _response(500, {"error": "internal error"})
    except (BudgetExhausted, ClientError, BotoCoreError) as exc:
        # 503 makes CometChat retry at 10 s and 30 s; the archive claim keeps the retry idempotent.
        LOGGER.warning("outcome=retry-later reason=%s", _error_code(exc) or type(exc).__name__)
        return _response(503, {"error": "try again"})
