"""The preview view of a real capture: what the engine knows before anything is created.

The shipped program runs under Pulumi's mocks (every output resolved); `preview_view` must make
exactly the values a first `pulumi preview` cannot know unknown, and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.engine.capture import run_program
from scripts.engine.phases import UNKNOWN, is_unknown, preview_view
from scripts.project import Project, load_stack

ROOT = Path(__file__).resolve().parents[1]
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # Pulumi's secret signature (sdk/go/common/resource/sig)


@pytest.fixture(scope="module")
def captured():
    config = load_stack(Project.find(ROOT), "local")
    return run_program(ROOT, "local", config.values, config.secret_keys)


def by_name(resources, name, custom=True):
    return next(r for r in resources if r.name == name and r.custom == custom)


def test_uncreated_resources_have_no_id_and_no_computed_outputs(captured):
    preview = preview_view(captured)
    key = by_name(preview, "sunrise-clinic-key")
    assert is_unknown(key.id) and is_unknown(key.outputs["arn"]) and is_unknown(key.outputs["keyId"])
    # Inputs written as literals in the program are known at preview.
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    # Components have no provider-side state; the Tenant's declared facts are literals.
    tenant = by_name(preview, "sunrise-clinic", custom=False)
    assert tenant.id == "" and tenant.inputs["residency"] == "us" and not is_unknown(tenant.inputs["tenantId"])


def test_inputs_computed_from_uncreated_resources_are_unknown(captured):
    preview = preview_view(captured)
    sse = by_name(preview, "sunrise-clinic-audit-archive-sse")
    assert is_unknown(sse.inputs["bucket"])  # bucket=bucket.id
    rule = sse.inputs["rules"][0]
    assert is_unknown(rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"])  # key.arn
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"  # a literal beside it
    # The provider plans the nested block with an unknown inside as one unknown output.
    assert is_unknown(sse.outputs["rules"])
    # A JSON document built by apply() over an unknown ARN is unknown as a whole.
    log_group = by_name(preview, "sunrise-clinic-audit")
    assert is_unknown(log_group.inputs["kmsKeyId"])
    assert log_group.inputs["retentionInDays"] == 2192
    policy = by_name(preview, "sunrise-clinic-auditor-policy")
    assert is_unknown(policy.inputs["policy"])


def test_an_echoed_input_output_stays_known(captured):
    preview = preview_view(captured)
    group = by_name(preview, "sunrise-clinic-audit")
    assert group.outputs["name"] == group.inputs["name"] == "/hipaachat/local/sunrise-clinic/audit"


def test_secret_envelopes_survive_with_the_unknown_inside(captured):
    preview = preview_view(captured)
    found = []

    def walk(value):
        if isinstance(value, dict):
            if SECRET_SIG_KEY in value:
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for r in preview:
        walk(r.inputs)
    assert found and all(envelope[SECRET_SIG_KEY] == SECRET_SIG and "value" in envelope for envelope in found)
    # what the test is named for: a secret computed from a resource still to be created is an unknown, still sealed
    assert any(is_unknown(envelope["value"]) for envelope in found)


def test_deployed_resources_keep_their_values(captured):
    every = {r.urn for r in captured}
    assert preview_view(captured, every) == captured
    # Only the archive bucket exists: its id is known, and so is what is computed from it alone.
    archive = by_name(captured, "sunrise-clinic-audit-archive")
    view = preview_view(captured, {archive.urn})
    assert by_name(view, archive.name).id == archive.id == "hipaachat-local-sunrise-clinic-audit"
    assert by_name(view, "sunrise-clinic-audit-archive-versioning").inputs["bucket"] == archive.id
    # ...while the templates bucket beside it is still to be created.
    assert is_unknown(by_name(view, "sunrise-clinic-templates-versioning").inputs["bucket"])


def test_the_sentinel_is_the_engines(captured):
    assert UNKNOWN == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert UNKNOWN not in json.dumps([r.model_dump() for r in captured], default=repr)


def test_urns_are_the_engines(captured):
    """A capture's URNs match a real `pulumi stack export`: the parent's full qualified type, never the root stack's."""
    key = by_name(captured, "sunrise-clinic-key")
    assert key.urn == ("urn:pulumi:local::hipaachat::hipaachat:index:Tenant$hipaachat:tenant:Keys"
                       "$aws:kms/key:Key::sunrise-clinic-key")
    assert not any("pulumi:pulumi:Stack$" in r.urn for r in captured)
    by_urn = {r.urn: r for r in captured}
    for r in captured:
        if r.parent in by_urn:
            assert r.urn.split("::")[2] == f"{by_urn[r.parent].urn.split('::')[2]}${r.type}"


def test_capture_order_is_the_same_on_every_run(captured):
    """Registrations arrive from the SDK's thread pool in a load-dependent order; the capture does not."""
    import random

    from scripts.engine.capture import canonical_order

    index = {r.urn: i for i, r in enumerate(captured)}
    assert all(index[r.parent] < index[r.urn] for r in captured if r.parent in index)
    assert all(index[r.provider.rpartition("::")[0]] < index[r.urn] for r in captured
               if r.provider and r.provider.rpartition("::")[0] in index)
    assert all(index[d] < index[r.urn] for r in captured for d in r.dependencies if d in index)
    shuffled = list(captured)
    random.Random(7).shuffle(shuffled)
    assert [r.urn for r in canonical_order(shuffled)] == [r.urn for r in captured]
