"""The pivot format: captured registrations <-> `pulumi stack export` v3, both directions.

The round trip runs the real program under Pulumi's mocks (scripts.engine.capture), writes the
export, reads it back and compares every registration. The fixtures are hand-written from the
documented export and checkpoint formats, including a project that is not hipaachat at all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict

from scripts.engine.wire import struct
from scripts.engine.capture import run_program
from scripts.engine.models import CapturedResource
from scripts.project import UNDECRYPTED, Project, load_stack
from scripts.engine.state import (StateError, export_document, is_secret, opaque_secrets, parse_state, read_state,
                           write_state)
from scripts.engine.state.writer import secret_outputs
from scripts.engine.state.envelope import DECLARED_CIPHERTEXT, SECRET_SIG, SIG_KEY

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def captured() -> list[CapturedResource]:
    project = Project.find(Path(__file__).parent)
    config = load_stack(project, "local")
    return run_program(project.root, "local", config.values, config.secret_keys)


def _secret_values(value, inside: bool = False) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        inside = inside or is_secret(value)
        for key, item in value.items():
            if key != SIG_KEY:
                found |= _secret_values(item, inside)
    elif isinstance(value, list):
        for item in value:
            found |= _secret_values(item, inside)
    elif inside and isinstance(value, str) and value:
        found.add(value)
    return found


def _comparable(r: CapturedResource) -> dict:
    """What a policy pack would receive for `r` (the real Struct marshalling), secrets made opaque."""
    fields = r.model_dump(exclude={"inputs", "outputs"})
    return {**fields, "inputs": MessageToDict(struct(opaque_secrets(r.inputs))),
            "outputs": MessageToDict(struct(opaque_secrets(secret_outputs(r))))}


def test_round_trip_of_the_local_stack_keeps_every_registration(captured, tmp_path):
    path = tmp_path / "state.json"
    write_state(path, captured, stack="local")
    state = read_state(path)
    assert state.kind == "export" and state.stack == "local" and state.project == "hipaachat"
    assert [r.urn for r in state.resources] == [r.urn for r in captured]
    for original, read in zip(captured, state.resources, strict=True):
        assert _comparable(read) == _comparable(original), original.urn
    # Secrets come back wrapped (so nothing can print them), never as their captured values.
    provider = next(r for r in state.resources if r.type == "pulumi:providers:aws")
    assert is_secret(provider.inputs["secretKey"]) and provider.inputs["secretKey"]["value"] == UNDECRYPTED


def test_export_holds_no_secret_value_and_no_digest_of_one(captured, tmp_path):
    path = tmp_path / "state.json"
    write_state(path, captured, stack="local")
    text = path.read_text()
    secrets = set().union(*(_secret_values(r.inputs) | _secret_values(secret_outputs(r)) for r in captured))
    assert secrets, "the local stack has secrets (provider keys, webhook password); the test must see them"
    for value in secrets:
        assert json.dumps(value)[1:-1] not in text
        for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5):
            assert digest(value.encode()).hexdigest() not in text
    envelopes = [v for r in json.loads(text)["deployment"]["resources"] for v in _envelopes(r)]
    assert envelopes and all(set(e) == {SIG_KEY, "ciphertext"} and e[SIG_KEY] == SECRET_SIG for e in envelopes)


def _envelopes(value):
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            yield value
            return
        for item in value.values():
            yield from _envelopes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _envelopes(item)


def test_export_has_the_shape_of_pulumi_stack_export(captured):
    document = export_document(captured, stack="local")
    assert document["version"] == 3
    deployment = document["deployment"]
    assert set(deployment["manifest"]) == {"time", "magic", "version"}
    root, *rest = deployment["resources"]
    assert root == {"urn": "urn:pulumi:local::hipaachat::pulumi:pulumi:Stack::hipaachat-local", "custom": False,
                    "type": "pulumi:pulumi:Stack", "inputs": {}, "outputs": {}, "dependencies": [],
                    "propertyDependencies": {}, "protect": False, "retainOnDelete": False,
                    "additionalSecretOutputs": []}
    key = next(r for r in rest if r["type"] == "aws:kms/key:Key")
    assert {"urn", "custom", "id", "type", "inputs", "outputs", "parent", "provider", "dependencies",
            "propertyDependencies", "protect", "retainOnDelete", "additionalSecretOutputs"} <= set(key)
    provider_urn, _, provider_id = key["provider"].rpartition("::")
    provider = next(r for r in rest if r["urn"] == provider_urn)
    assert provider["id"] == provider_id
    # The engine's URNs: a top-level resource's type does not carry the root stack's type.
    tenant = next(r for r in rest if r["type"] == "hipaachat:index:Tenant")
    assert tenant["urn"].split("::")[2] == "hipaachat:index:Tenant" and tenant["parent"] == root["urn"]
    assert "id" not in tenant  # components have no id
    # Every parent and provider appears before the resources that use it, as the engine stores them.
    seen: set[str] = set()
    for r in deployment["resources"]:
        assert r.get("parent") is None or r["parent"] in seen
        assert r.get("provider") is None or r["provider"].rpartition("::")[0] in seen
        seen.add(r["urn"])


def test_a_real_ciphertext_survives_reading_and_writing_again(tmp_path):
    state = read_state(FIXTURES / "foreign-export.json")
    write_state(tmp_path / "again.json", state.resources, stack="dev", project="webshop")
    text = (tmp_path / "again.json").read_text()
    assert "v1:bmV3LW5vbmNl:bmV3LWNpcGhlcnRleHQ=" in text and DECLARED_CIPHERTEXT not in text


def test_a_foreign_export_reads_with_pulumis_semantics():
    state = read_state(FIXTURES / "foreign-export.json")
    assert (state.stack, state.project, state.kind) == ("dev", "webshop", "export")
    assert state.manifest is not None and state.manifest.version == "v3.160.0"
    assert state.secrets_provider == "passphrase"
    by_urn = state.by_urn()
    bucket = by_urn["urn:pulumi:dev::webshop::web:index:Site$aws:s3/bucketV2:BucketV2::shop-assets"]
    assert "__defaults" not in bucket.inputs and bucket.inputs["tags"] == {"team": "storefront"}
    assert bucket.name == "shop-assets" and bucket.id == "webshop-assets-1a2b3c"
    assert bucket.options.protect and bucket.options.ignore_changes == ["tags"]
    assert bucket.provider.endswith("::0b7b6a2e-4b9e-4f62-9d1b-6f4c0a0b2c3d")
    site = by_urn["urn:pulumi:dev::webshop::web:index:Site::shop"]
    # Resource references reach analyzers as the id of a custom resource, the URN of a component.
    assert site.outputs == {"bucket": "webshop-assets-1a2b3c", "site": "urn:pulumi:dev::webshop::web:index:Site::shop"}
    # The replaced copy awaiting deletion is not a live resource; the live one is.
    orders = [r for r in state.resources if r.name == "orders"]
    assert [r.id for r in orders] == ["orders-db"] and orders[0].options.retain_on_delete
    assert state.pending_deletes == ["urn:pulumi:dev::webshop::aws:rds/instance:Instance::orders"]
    assert [(op.type, op.urn) for op in state.pending_operations] == [
        ("creating", "urn:pulumi:dev::webshop::aws:sqs/queue:Queue::jobs")]
    assert is_secret(orders[0].inputs["password"]) and orders[0].inputs["password"]["value"] == UNDECRYPTED
    assert is_secret(state.stack_outputs["dbPassword"])
    assert all(r.type != "pulumi:pulumi:Stack" for r in state.resources)


def test_an_export_from_an_older_cli_without_timestamps_reads():
    state = read_state(FIXTURES / "older-cli-export.json")
    assert state.stack == "prod" and state.secrets_provider == "service"
    group = state.resources[-1]
    assert group.inputs == {"name": "/legacy/audit", "retentionInDays": 365}
    assert group.parent == "urn:pulumi:prod::legacy::pulumi:pulumi:Stack::legacy-prod"


def test_a_checkpoint_reads_with_its_config_and_show_secrets_plaintext_stays_wrapped():
    state = read_state(FIXTURES / "checkpoint.json")
    assert (state.kind, state.stack, state.project) == ("checkpoint", "local", "hipaachat")
    assert state.config["hipaachat:environment"] == "prototype"
    urn = "urn:pulumi:local::hipaachat::hipaachat:index:Tenant$pulumi:providers:aws::sunrise-clinic-aws"
    provider = state.by_urn()[urn]
    assert provider.inputs["secretKey"] == {SIG_KEY: SECRET_SIG, "value": "synthetic-secret-key-value"}
    assert "synthetic-secret-key-value" not in repr(opaque_secrets(provider.inputs))


def test_a_checkpoint_of_a_stack_never_deployed_is_empty():
    state = parse_state(json.dumps({"version": 3, "checkpoint": {"stack": "local", "latest": None}}), "cp.json")
    assert state.resources == [] and state.stack == "local"


@pytest.mark.parametrize(("fixture", "reason"), [
    ("truncated.json", "truncated"),
    ("not-an-export.json", "not a Pulumi state file"),
])
def test_bad_fixtures_are_refused_naming_file_and_reason(fixture, reason):
    with pytest.raises(StateError) as raised:
        read_state(FIXTURES / fixture)
    assert str(raised.value).startswith(str(FIXTURES / fixture)) and reason in str(raised.value)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"),
    ("not json at all", "not valid JSON at line 1"),
    (b"\xff\xfe{", "not UTF-8"),
    ('{"version": 2, "deployment": {}}', "version 2 is not supported"),
    ('{"version": 4, "deployment": {}}', "version 4 is not supported"),
    ('[1, 2]', "not a Pulumi state file"),
    ('{"version": 3, "deployment": {"resources": {}}}', "resources must be a list"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "x", "type": "t"}]}}', "resources[0].urn"),
    ('{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:s::p::t::n"}]}}', "resources[0].type"),
    ('{"version": 3, "checkpoint": []}', "checkpoint must be an object"),
])
def test_bad_input_is_a_clear_error(text, reason):
    with pytest.raises(StateError, match="^given.json: ") as raised:
        parse_state(text, "given.json")
    assert reason in str(raised.value)


def test_missing_file_and_directory_are_clear_errors(tmp_path):
    with pytest.raises(StateError, match="absent.json: no such state export.*pulumi stack export"):
        read_state(tmp_path / "absent.json")
    with pytest.raises(StateError, match="is a directory"):
        read_state(tmp_path)


def test_a_failed_write_leaves_the_previous_file_and_no_partial(tmp_path, captured):
    path = tmp_path / "state.json"
    path.write_text("previous")
    broken = captured[:1] + [captured[1].model_copy(update={"inputs": {"bad": object()}})]
    with pytest.raises(TypeError):
        write_state(path, broken, stack="local")
    assert path.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["state.json"]
