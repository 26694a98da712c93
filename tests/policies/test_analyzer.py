"""The Analyzer client: process handling, wire format, config, secrets, sharding, the real program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.engine import analyzer, evaluate
from scripts.engine import pack_process as analyzer_process
from scripts.engine.analyzer import PolicyConfigError, PolicyPackError, PolicyPackProcess
from scripts.engine.wire import Scrubber, reconcile, waves
from tests.policies.builder import secret
from tests.policies.conftest import PACK_DIR, PROTOTYPE, TODAY, only, two_tenants

ECHO_PACK = '''
import os, sys
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

def echo(args, report):
    if args.resource_type == "aws:kms/key:Key" and args.provider is not None:
        value = args.provider.props["secretKey"]
        report(f"provider secretKey arrived as {type(value).__name__}: {value}")
    if args.resource_type == "aws:s3/bucket:Bucket" and args.name == "crash-bucket":
        print("about to fail on purpose", file=sys.stderr, flush=True)
        os._exit(3)

PolicyPack("echo", [ResourceValidationPolicy("echo-secret", "Echoes a provider secret.", echo)],
           EnforcementLevel.ADVISORY)
'''


def _write_pack(directory: Path, main: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (directory / "__main__.py").write_text(main)
    return directory


def test_secrets_reach_the_pack_unwrapped_and_never_leave_in_messages(tmp_path):
    stack = two_tenants()
    with PolicyPackProcess(_write_pack(tmp_path / "echo", ECHO_PACK)) as pack:
        outcome = pack.analyze(stack.resources())
    messages = [v.message for v in outcome.violations]
    assert messages == ["Echoes a provider secret.\nprovider secretKey arrived as str: [secret]"] * 2
    assert "synthetic-secret-key" not in outcome.model_dump_json()


def test_real_pack_outcome_holds_no_secret(analyze):
    stack = two_tenants()
    stack.get("alpha-key").inputs["enableKeyRotation"] = False
    stack.get("alpha-aws").inputs["region"] = "eu-central-1"
    dumped = analyze(stack).model_dump_json()
    assert "synthetic-" not in dumped and "residency-aws-region" in dumped


def test_pack_that_dies_mid_analysis_is_reported_with_its_stderr(tmp_path):
    stack = two_tenants()
    stack.add("aws:s3/bucket:Bucket", "crash-bucket", parent="alpha-templates-store", provider="alpha-aws",
              inputs={"bucket": "crash"})
    with PolicyPackProcess(_write_pack(tmp_path / "crash", ECHO_PACK)) as pack:
        with pytest.raises(PolicyPackError) as failure:
            pack.analyze(stack.resources())
    assert "exited with code 3" in str(failure.value) and "about to fail on purpose" in str(failure.value)


def test_pack_that_cannot_start_is_reported_with_its_stderr(tmp_path):
    broken = _write_pack(tmp_path / "broken", "raise SystemExit('policy pack misconfigured: example')\n")
    with pytest.raises(PolicyPackError) as failure:
        PolicyPackProcess(broken).start()
    assert "policy pack misconfigured: example" in str(failure.value)


def test_directory_without_pulumipolicy_yaml_is_refused(tmp_path):
    with pytest.raises(PolicyPackError, match="not a policy pack"):
        PolicyPackProcess(tmp_path).start()


def test_policy_config_is_reconciled_and_checked_like_the_engine():
    policies = {"retention-log-group-minimum": ("mandatory", {"properties": {
        "retentionMinimumDays": {"type": "integer", "minimum": 1}}}), "waiver-applied": ("advisory", {})}
    assert reconcile(policies, {"all": "advisory", "retention-log-group-minimum": {"retentionMinimumDays": 2557}},
                     "p") == {"retention-log-group-minimum": ("advisory", {"retentionMinimumDays": 2557}),
                              "waiver-applied": ("advisory", {})}
    with pytest.raises(PolicyConfigError, match="not a policy"):
        reconcile(policies, {"retention-typo": "advisory"}, "p")
    with pytest.raises(PolicyConfigError, match="type integer"):
        reconcile(policies, {"retention-log-group-minimum": {"retentionMinimumDays": "long"}}, "p")
    with pytest.raises(PolicyConfigError, match="out of range"):
        reconcile(policies, {"retention-log-group-minimum": {"retentionMinimumDays": 0}}, "p")
    with pytest.raises(PolicyConfigError, match="enforcement level"):
        reconcile(policies, {"waiver-applied": "loud"}, "p")


def test_waves_put_every_parent_before_its_children():
    stack = two_tenants()
    seen: set[str] = set()
    for wave in waves(stack.resources()):
        assert all(r.parent in seen or r.parent == stack.root for r in wave)
        seen |= {r.urn for r in wave}
    assert len(seen) == len(stack.resources())


def test_scrubber_replaces_every_wrapped_secret():
    stack = two_tenants()
    stack.get("alpha-audit").outputs["nested"] = secret({"token": "another-synthetic-token"})
    scrub = Scrubber(stack.resources())
    assert scrub("a synthetic-api-key-value and another-synthetic-token") == "a [secret] and [secret]"
    assert "1b47061264138c4ac30d75fd1eb44270" not in scrub._secrets  # the envelope marker is not a secret


def test_spreading_tenants_over_two_processes_gives_the_same_outcome(monkeypatch, tmp_path):
    monkeypatch.setattr(analyzer, "RESOURCES_PER_EXTRA_PROCESS", 10)
    stack = two_tenants()
    stack.tenant("charlie", residency="in").tenant("delta")
    stack.get("alpha-audit").inputs["retentionInDays"] = 365
    stack.get("charlie-templates-versioning").outputs["versioningConfiguration"]["status"] = "Suspended"
    stack.get("delta-template-sms").inputs["content"] = "Hi Maria Lopez, call 555-010-2345"
    waiver = tmp_path / "waivers.yaml"
    waiver.write_text("- {policy: retention-log-group-minimum, tenant: alpha, reason: 'Migration window SEC-1',"
                      " approved_by: compliance@example.org, expires: 2026-06-30}\n")
    env = {"HIPAACHAT_TODAY": TODAY, "HIPAACHAT_WAIVERS": str(waiver)}

    def run(processes: int):
        with PolicyPackProcess(PACK_DIR, stack_config=PROTOTYPE, env=env, processes=processes) as pack:
            outcome = pack.analyze(stack.resources())
            return outcome, len(pack._packs)

    (one, one_count), (two, two_count) = run(1), run(2)
    assert (one_count, two_count) == (1, 2)
    def key(outcome):
        return sorted((v.policy, v.enforcement, v.tenant or "", v.urn or "", v.message) for v in outcome.violations)

    assert key(one) == key(two) and len(one.violations) >= 3
    assert [w.model_dump() for w in one.waived] == [w.model_dump() for w in two.waived] and len(one.waived) == 1


def test_local_example_stack_plans_clean(project_root):
    """The lead's program, run under Pulumi mocks, passes every mandatory policy of the pack."""
    from scripts.engine.capture import run_program
    from scripts.project import Project, load_stack, stack_config_for_pack

    project = Project.find(project_root)
    config = load_stack(project, "local")
    resources = run_program(project.root, "local", config.values, config.secret_keys)
    with PolicyPackProcess(PACK_DIR, stack_config=stack_config_for_pack(config), stack="local",
                           env={"HIPAACHAT_TODAY": TODAY}) as pack:
        outcome = pack.analyze(resources)
    assert [v for v in outcome.violations if v.enforcement == "mandatory"] == []
    assert {v.tenant for v in outcome.violations} <= {r.name for r in resources if r.type == "hipaachat:index:Tenant"}
    assert only(outcome, "isolation-no-cross-tenant-reference") == []
    assert json.loads(outcome.model_dump_json())["policies"][0] == "isolation-tenant-tag"


def test_a_repeated_analysis_resends_only_what_changed_and_answers_as_a_fresh_pack(monkeypatch):
    """The update phase reuses identical preview answers; it must never answer differently from a fresh pack.

    A changed leaf is re-sent alone; a changed tenant component (its declared facts, read by every
    rule of its subtree) turns reuse off, so its children's residency findings appear.
    """
    sent: list[str] = []
    original = analyzer_process.PackProcess.analyze

    def counting(self, requests):
        requests = list(requests)
        sent.extend(urn for _, urn, _ in requests)
        return original(self, requests)

    monkeypatch.setattr(analyzer_process.PackProcess, "analyze", counting)
    base = two_tenants()
    leaf = two_tenants()
    leaf.get("alpha-key").inputs["enableKeyRotation"] = False
    moved = two_tenants()
    moved.get("alpha").inputs["awsRegion"] = "eu-west-1"
    nested = two_tenants()
    nested.get("alpha-audit-sinks").inputs = {"note": "changed"}

    def key(outcome):
        return sorted((v.policy, v.urn or "", v.message) for v in outcome.violations)

    env = {"HIPAACHAT_TODAY": TODAY}
    with PolicyPackProcess(PACK_DIR, stack_config=PROTOTYPE, env=env, processes=1) as pack, \
            PolicyPackProcess(PACK_DIR, stack_config=PROTOTYPE, env=env, processes=1) as reference:
        resent = {}
        for name, stack in (("same", base), ("leaf", leaf), ("moved", moved), ("nested", nested)):
            pack.analyze(base.resources())
            sent.clear()
            outcome = pack.analyze(stack.resources())
            resent[name] = set(sent)
            reference._packs[0].answers = analyzer_process.Answers()  # answer from scratch
            assert key(outcome) == key(reference.analyze(stack.resources())), name

        everything = {r.urn for r in base.resources()}
        assert resent["same"] == set()
        assert resent["leaf"] == {leaf.get("alpha-key").urn}
        assert resent["moved"] == everything
        children = {r.urn for r in base.resources() if r.parent == base.get("alpha-audit-sinks").urn}
        assert children and resent["nested"] >= children | {base.get("alpha-audit-sinks").urn}
        assert resent["nested"] < everything
        assert any(v.policy == "residency-aws-region" and v.urn != moved.get("alpha").urn
                   for v in pack.analyze(moved.resources()).violations)


def test_spawned_packs_are_the_ones_used_and_close_stops_them(monkeypatch):
    """`spawn` starts the processes early (the plan does it before the program); analysis uses exactly those."""
    monkeypatch.setattr(analyzer, "RESOURCES_PER_EXTRA_PROCESS", 10)
    stack = two_tenants()
    stack.get("alpha-key").inputs["enableKeyRotation"] = False
    pack = PolicyPackProcess(PACK_DIR, stack_config=PROTOTYPE, env={"HIPAACHAT_TODAY": TODAY}, processes=2)
    try:
        pack.spawn(expected_resources=len(stack.resources()))
        spawned = [p._process for p in pack._spawned]
        assert len(spawned) == 2 and all(p.poll() is None for p in spawned)
        pack.start()
        outcome = pack.analyze(stack.resources())
        assert [p._process for p in pack._packs] == spawned and not pack._spawned
        assert only(outcome, "encryption-kms-key-rotation")
    finally:
        pack.close()
    assert all(p.wait(timeout=10) is not None for p in spawned)


def test_a_plan_whose_program_fails_leaves_no_pack_running(monkeypatch, project_root):
    """The plan spawns the pack before the program: bad input found by the program must still stop it."""
    from scripts.project import InputError, Project

    spawned = []
    real_spawn = PolicyPackProcess.spawn

    def spawn(self, expected_resources):
        real_spawn(self, expected_resources)
        spawned.extend(p._process for p in self._spawned)

    def program_fails(*_args, **_kwargs):
        raise InputError("stacks/Pulumi.local.yaml: a setting the program needs is missing")

    monkeypatch.setattr(PolicyPackProcess, "spawn", spawn)
    monkeypatch.setattr(evaluate, "run_program_sharded", program_fails)
    with pytest.raises(InputError):
        evaluate.evaluate(Project.find(project_root), "local")
    assert spawned and all(p.wait(timeout=10) is not None for p in spawned)
