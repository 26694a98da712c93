"""Proof, not trust: each record the answer rests on is checked against its archive object.

The index record holds the SHA-256 of the bytes the ingest archived. The archive is versioned
under Object Lock, so an overwrite cannot destroy the original, but it can hide it behind a
newer version: when the current version does not hold the recorded bytes, the original (oldest)
version is what is verified, and any later version or delete marker over the key is reported as
an overwrite. (A newer version holding the very same bytes changes no evidence and is not reported.)
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from scripts.trail.models import Finding, IndexRecord, Integrity


def _split(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return (bucket, key) if bucket and key else None


def _finding(record: IndexRecord, problem: str) -> Finding:
    return Finding(event_id=record.event_id, archive=record.archive, problem=problem)


# Each record costs two S3 round trips (list the key's versions, read the original); they are
# independent, so a small pool overlaps them. boto3 clients are thread-safe.
WORKERS = 16


def _check(s3: Any, bucket: str, record: IndexRecord) -> tuple[str | None, list[tuple[str, Finding]]]:
    """('verified' or None, findings as (kind, finding)) for one record."""
    where = _split(record.archive)
    if where is None or where[0] != bucket:
        return None, [("mismatched", _finding(record, f"the record points outside the tenant's archive s3://{bucket}"))]
    key = where[1]
    # Fast path, one round trip: the current version holds the recorded bytes. Only when it does not
    # (or is gone) are the key's versions listed to find the original and report the overwrite.
    try:
        if hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == record.body_sha256:
            return "verified", []
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404", "MethodNotAllowed", "405"):
            raise
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    # S3 lists a key's versions newest first; reversed, then a stable sort on time, puts the original
    # first even when two versions share a LastModified second.
    versions = sorted(reversed([v for v in listing.get("Versions", []) if v["Key"] == key]),
                      key=lambda v: v["LastModified"])
    markers = [m for m in listing.get("DeleteMarkers", []) if m["Key"] == key]
    if not versions:
        return None, [("missing", _finding(record, "no object at this key in the archive"))]
    findings: list[tuple[str, Finding]] = []
    if len(versions) > 1 or markers:
        findings.append(("overwritten", _finding(
            record, f"{len(versions) - 1} newer version(s) and {len(markers)} delete marker(s) over the archived "
                    f"object; the original version {versions[0]['VersionId']} was verified")))
    body = s3.get_object(Bucket=bucket, Key=key, VersionId=versions[0]["VersionId"])["Body"].read()
    if hashlib.sha256(body).hexdigest() != record.body_sha256:
        return None, [*findings, ("mismatched", _finding(record, "the archived bytes do not match the record's "
                                                                 "bodySha256"))]
    return "verified", findings


def verify(s3: Any, bucket: str, records: list[IndexRecord]) -> Integrity:
    ordered = sorted(records, key=lambda r: r.event_id)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda r: _check(s3, bucket, r), ordered))
    integrity = Integrity(checked=len(ordered), verified=sum(1 for v, _ in results if v))
    for _, findings in results:
        for kind, finding in findings:
            getattr(integrity, kind).append(finding)
    return integrity
