"""Programs that break tenant isolation are refused by `hipaachat plan` (exit 1).

Each case is a real Pulumi program: the shipped `__main__.py` plus one "shortcut" a reviewer
must never approve, written the way an engineer in a hurry would write it. The program runs
under mocks and the pack judges what the engine would have sent it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HIPAACHAT = str(Path(sys.executable).with_name("hipaachat"))

PROLOGUE = """\
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.program import deploy_stack

tenants = deploy_stack(Path(__file__).resolve().parent)
a, b = tenants["sunrise-clinic"], tenants["lindenhof-praxis"]
"""

SHORTCUTS = {
    "b-bucket-under-a-key": ("""\
aws.s3.BucketServerSideEncryptionConfiguration(
    "reuse-key",
    bucket=b.templates.store.bucket.id,
    rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": a.keys.key.arn}}],
    opts=pulumi.ResourceOptions(parent=b.templates.store, provider=b.provider))
""", {"encryption-s3-tenant-key": "preview", "isolation-no-cross-tenant-reference": "preview"}),
    "a-role-reads-b-archive": ("""\
aws.iam.RolePolicy(
    "peek-at-b",
    role=a.access.operator.id,
    policy=b.sinks.archive.bucket.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/*"}]})),
    opts=pulumi.ResourceOptions(parent=a.access, provider=a.provider))
""", {"isolation-iam-scoped-to-tenant": "update", "isolation-no-cross-tenant-reference": "preview"}),
    "wildcard-principal": ("""\
aws.s3.BucketPolicy(
    "open-templates",
    bucket=a.templates.store.bucket.id,
    policy=a.templates.store.bucket.arn.apply(lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"}]})),
    opts=pulumi.ResourceOptions(parent=a.templates.store, provider=a.provider))
""", {"isolation-no-wildcard-principal": "update"}),
}


@pytest.mark.parametrize("shortcut", sorted(SHORTCUTS))
def test_isolation_shortcuts_are_refused(project_copy: Path, shortcut: str) -> None:
    code, expected = SHORTCUTS[shortcut]
    (project_copy / "__main__.py").write_text(PROLOGUE + code)
    result = subprocess.run([HIPAACHAT, "plan", "--stack", "local", "--format", "json"], cwd=project_copy,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-2000:]
    report = json.loads(result.stdout)
    found: dict[str, str] = {}
    for v in report["violations"]:  # what a preview raises comes first: keep the earliest phase
        if v["enforcement"] == "mandatory":
            found.setdefault(v["policy"], v["phase"])
    # Each is refused in the phase where the information exists: structure (a dependency on the
    # other tenant's resource) at preview; a policy document built from ARNs only once they exist.
    assert {policy: found.get(policy) for policy in expected} == expected, found
    # Only the shortcut is at fault: no other isolation finding appears on the clean tenant.
    assert not {v["tenant"] for v in report["violations"]
                if v["policy"].startswith("isolation-")} - {"sunrise-clinic", "lindenhof-praxis"}
