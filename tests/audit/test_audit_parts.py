"""The audit's own checks on their own: secret hygiene, notification samples, promotion records."""

from __future__ import annotations

import json
from pathlib import Path

from components.phi import ALLOWED_PLACEHOLDERS
from scripts.audit.notifications import SAMPLE_VALUES, render
from scripts.audit.records import read_promotions, scoped_promotion
from scripts.audit.secrets import SECRET_SIG, SECRET_SIG_KEY, check
from scripts.engine.models import CapturedOptions, CapturedResource

SECRET = {SECRET_SIG_KEY: SECRET_SIG, "value": "kept-secret"}


def _resource(urn_name: str, type_: str, inputs: dict, outputs: dict | None = None,
              listed: list[str] | None = None) -> CapturedResource:
    return CapturedResource(urn=f"urn:pulumi:s::p::{type_}::{urn_name}", type=type_, name=urn_name, custom=True,
                            inputs=inputs, outputs=outputs or {},
                            options=CapturedOptions(additional_secret_outputs=listed or []))


def test_secret_hygiene_flags_plain_credentials_by_property_only() -> None:
    resources = [
        _resource("ok", "aws:secretsmanager/secretVersion:SecretVersion", {"secretString": SECRET}),
        _resource("bad", "aws:secretsmanager/secretVersion:SecretVersion", {"secretId": "x", "secretString": "pw-1"}),
        _resource("nested", "pulumi:providers:aws", {"assumeRole": {"sessionToken": "tok-2"}, "region": "us-east-1"}),
        _resource("app", "pulumi-python:dynamic/hipaachat:CometChatApp", {}, {"fullAccessKey": "key-3"}),
        _resource("whole", "custom:x:Y", {"config": SECRET}),
        _resource("empty", "aws:rds/instance:Instance", {"password": None}),
    ]
    findings, values = check(resources, {}, engine_encrypts_listed=False)
    assert [(f.urn.rsplit("::", 1)[1], f.property) for f in findings] == [
        ("bad", "inputs.secretString"), ("nested", "inputs.assumeRole.sessionToken"), ("app", "outputs.fullAccessKey")]
    assert values == {"pw-1", "tok-2", "key-3"}
    assert not any(v in f.reason for f in findings for v in values)


def test_listed_secret_outputs_count_as_encrypted_only_for_a_declared_stack() -> None:
    password = _resource("pw", "random:index/randomPassword:RandomPassword", {"length": 48},
                         {"result": "P" * 48}, listed=["result"])
    assert check([password], {}, engine_encrypts_listed=True)[0] == []
    deployed = check([password], {}, engine_encrypts_listed=False)[0]
    assert [f.property for f in deployed] == ["outputs.result"]


def test_every_allowed_placeholder_has_a_neutral_sample() -> None:
    assert set(SAMPLE_VALUES) == set(ALLOWED_PLACEHOLDERS)
    assert render("Open {{ deep_link }} in {{app_name}}; {{patient_name}}") == (
        "Open https://portal.example.org/inbox in Care Portal; {{patient_name}}")


def test_promotion_records_are_read_defensively(tmp_path: Path) -> None:
    directory = tmp_path / "stacks" / "promotions"
    directory.mkdir(parents=True)
    lines = [
        {"id": "a", "previous": None, "from": "prototype", "to": "production",
         "tenants": [{"id": "t1", "sha256": "1"}]},
        {"id": "b", "previous": "WRONG", "from": "prototype", "to": "production", "tenants": [{"id": "t2"}],
         "gates": [{"name": "plan", "passed": False, "detail": "t2 failed"}], "future_field": 1},
        {"id": "c", "previous": "b", "from": "prototype", "to": "staging", "tenants": []},
        ["not", "a", "record"],
    ]
    (directory / "production.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    (directory / "broken.jsonl").write_bytes(b"\xff\xfe")
    records, problems, files = read_promotions(tmp_path, "production")
    assert [(r.id, r.chain_ok) for r in records] == [("a", True), ("b", False)]
    assert records[1].gates[0].passed is False and records[1].tenant_sha256 == {"t2": ""}
    assert [(p.file, p.line) for p in problems] == [
        ("stacks/promotions/broken.jsonl", None), ("stacks/promotions/production.jsonl", 2),
        ("stacks/promotions/production.jsonl", 4)]
    assert len(files) == 2
    assert scoped_promotion(records[0], {"t2"}) is None
    assert scoped_promotion(records[1], {"t2"}).gates[0].detail == "t2 failed"  # its own promotion: all detail
