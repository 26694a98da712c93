"""Benchmark a one-subject `hipaachat trail` against its floor (on demand, not in the suite).

    python3 -m uv run --locked --extra dev python tests/benchmarks/bench_trail.py [--events 20000] [--subjects 500]

One tenant in moto server (127.0.0.1): half the events are messages over 30 days for N subjects in
100 conversations (index records built by the ingest's own correlation code, pseudonyms under a
random key), half are read and delivery receipts. Archive objects are written for the records the
answer rests on (the only ones the trail reads from S3). Measured in one run: the trail's
`answer()` for one subject over the whole window, and the floor: one paginated
`filter_log_events` read of the window's records with boto3 (the trail cannot read less when the
server does not filter, and moto does not). Prints both, their ratio and the peak RSS of this
process (moto runs in its own).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from components.ingest.correlation import correlate, pseudonym  # noqa: E402
from scripts.trail.assemble import assemble  # noqa: E402
from scripts.trail.command import answer  # noqa: E402
from scripts.trail.index import read_index  # noqa: E402
from scripts.trail.locate import TrailTarget  # noqa: E402

REGION = "us-east-2"
TENANT = "bench-clinic"


def events(count: int, subjects: int, start: int, rng: random.Random) -> list[tuple[int, dict]]:
    """(CometChat seconds, payload): messages then receipts, spread over 30 days."""
    out: list[tuple[int, dict]] = []
    messages = count // 2
    span = 30 * 86400
    sent: list[tuple[str, int]] = []
    for i in range(messages):
        at = start + i * span // messages
        conv = f"conv-{i % 100}"
        mid = str(10_000 + i)
        sent.append((mid, at))
        out.append((at, {"trigger": "message_sent", "appId": "bench", "data": {"message": {
            "id": mid, "conversationId": conv, "sender": f"synthetic-u{i % 37}", "receiverType": "group",
            "receiver": conv, "sentAt": at, "data": {"text": "SYNTHETIC", "metadata": {
                "refs": [f"Patient/synthetic-{rng.randrange(subjects)}"]}}}}}))
    for _ in range(count - messages):
        mid, at = sent[rng.randrange(len(sent))]
        trigger = rng.choice(("message_read_receipt", "message_delivery_receipt"))
        seen = at + rng.randrange(1, 3600)
        out.append((seen, {"trigger": trigger, "appId": "bench", "data": {
            "receiver": "g", "receiverType": "group", "sender": f"synthetic-u{rng.randrange(37)}",
            "body": {"messageId": mid, "timestamp": seen}}}))
    return sorted(out, key=lambda e: e[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--subjects", type=int, default=500)
    args = parser.parse_args()
    # moto in its own process, as AWS is: sharing this interpreter's GIL would charge its work to the trail.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    os.environ.update({"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION})
    client = lambda name: boto3.client(name, region_name=REGION)  # noqa: E731
    key = os.urandom(32)
    group, bucket = f"/hipaachat/bench/{TENANT}/audit", f"hipaachat-bench-{TENANT}-audit"
    logs, s3, sm = client("logs"), client("s3"), client("secretsmanager")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="webhook")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    secret = sm.create_secret(Name=f"hipaachat/bench/{TENANT}/pseudonym-key",
                              SecretString=json.dumps({"key": base64.b64encode(key).decode()}))["ARN"]
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    start = now - 31 * 86400
    rng = random.Random(7)
    bodies: dict[str, bytes] = {}
    batch: list[dict] = []
    for n, (at, payload) in enumerate(events(args.events, args.subjects, start, rng)):
        body = json.dumps(payload).encode()
        archive_key = f"events/{n}.json"
        # CloudWatch refuses events older than 14 days: received times span the last 13 days, CometChat's 30.
        received = now - 13 * 86400 + n * 13 * 86400 // args.events
        record = {"tenant": TENANT, "eventId": f"{payload['trigger']}.n-{n}", "trigger": payload["trigger"],
                  "appId": "bench", "receivedAt": dt.datetime.fromtimestamp(received, dt.timezone.utc).isoformat(),
                  "archive": f"s3://{bucket}/{archive_key}", "bodySha256": hashlib.sha256(body).hexdigest(),
                  **correlate(payload["trigger"], payload, key)}
        bodies[archive_key] = body
        batch.append({"timestamp": received * 1000, "message": json.dumps(record, sort_keys=True)})
        if len(batch) == 5000:
            logs.put_log_events(logGroupName=group, logStreamName="webhook", logEvents=batch)
            batch = []
    if batch:
        logs.put_log_events(logGroupName=group, logStreamName="webhook", logEvents=batch)
    subject = "Patient/synthetic-42"
    records, _ = read_index(logs, group, TENANT, None)
    evidence = assemble(records, pseudonym(key, subject), None, None).evidence
    for record in evidence:  # archive objects the answer rests on
        archive_key = record.archive.split("/", 3)[3]
        s3.put_object(Bucket=bucket, Key=archive_key, Body=bodies[archive_key])

    window_start = dt.datetime.fromtimestamp(start, dt.timezone.utc)
    t0 = time.perf_counter()
    floor = sum(len(page["events"]) for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, startTime=start * 1000))
    t1 = time.perf_counter()
    target = TrailTarget(tenant_id=TENANT, region=REGION, log_group=group, bucket=bucket, key_secret=secret)
    result = answer(target, subject, window_start, None)
    t2 = time.perf_counter()
    server.terminate()
    server.wait()
    assert not result.integrity.failed, result.integrity
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events={args.events} subjects={args.subjects} read={floor} records; answer: {len(result.messages)} "
          f"messages, {result.integrity.checked} archive objects verified")
    print(f"floor (one paginated read) {t1 - t0:.2f}s; trail {t2 - t1:.2f}s; ratio {(t2 - t1) / (t1 - t0):.2f}; "
          f"peak RSS of the trail's process {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
