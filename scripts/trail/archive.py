"""Proof, not trust: each record the answer rests on is checked against its archive object.

The index record holds the SHA-256 of the bytes the ingest archived. The archive is versioned
under Object Lock, so an overwrite cannot destroy the original, but it can hide it behind a
newer version: the original (oldest) version is what is verified, and any later version or
delete marker over an archived key is reported as an overwrite.
"""

from __future__ import annotations

import hashlib
from typing import Any

from scripts.trail.models import Finding, IndexRecord, Integrity


def _split(uri: str) -> tuple[str, str] | None:
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return (bucket, key) if bucket and key else None


def _finding(record: IndexRecord, problem: str) -> Finding:
    return Finding(event_id=record.event_id, archive=record.archive, problem=problem)


def verify(s3: Any, bucket: str, records: list[IndexRecord]) -> Integrity:
    integrity = Integrity()
    for record in sorted(records, key=lambda r: r.event_id):
        integrity.checked += 1
        where = _split(record.archive)
        if where is None or where[0] != bucket:
            integrity.mismatched.append(
                _finding(record, f"the record points outside the tenant's archive s3://{bucket}"))
            continue
        key = where[1]
        listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
        # S3 lists a key's versions newest first; reversed, then a stable sort on time, puts the original
        # first even when two versions share a LastModified second.
        versions = sorted(reversed([v for v in listing.get("Versions", []) if v["Key"] == key]),
                          key=lambda v: v["LastModified"])
        markers = [m for m in listing.get("DeleteMarkers", []) if m["Key"] == key]
        if not versions:
            integrity.missing.append(_finding(record, "no object at this key in the archive"))
            continue
        if len(versions) > 1 or markers:
            integrity.overwritten.append(_finding(
                record,
                f"{len(versions) - 1} newer version(s) and {len(markers)} delete marker(s) over the archived "
                f"object; the original version {versions[0]['VersionId']} was verified"))
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=versions[0]["VersionId"])["Body"].read()
        if hashlib.sha256(body).hexdigest() != record.body_sha256:
            integrity.mismatched.append(
                _finding(record, "the archived bytes do not match the record's bodySha256"))
            continue
        integrity.verified += 1
    return integrity
