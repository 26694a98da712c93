"""The policy pack the Pulumi CLI runs: `pulumi preview --policy-pack policies/hipaa`.

The CLI starts `python -u -m pulumi.policy <engine> <this directory>` in this directory with the
stack's config in PULUMI_CONFIG; `PolicyPack(...)` prints its gRPC port and serves the Analyzer
protocol until the engine stops it. `hipaachat plan` starts it the same way (scripts.engine.analyzer).
"""

import sys
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parent
# Import this checkout's `policies` (and `components`), not whichever copy is installed: a copy
# of the repo with edited policies must run its own edits.
sys.path.insert(0, str(PACK_DIR.parents[1]))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.hipaa import servicer  # noqa: E402
from policies.hipaa.pack import PACK_NAME, build  # noqa: E402

pack = build(PACK_DIR)
servicer.install(observe=pack.observe)

PolicyPack(
    name=PACK_NAME,
    display_name="hipaachat HIPAA guardrails",
    description="Tenant isolation, residency, encryption, retention, PHI-free notifications and production "
                "gates for hipaachat stacks.",
    policies=pack.policies,
    enforcement_level=EnforcementLevel.MANDATORY,
    provider="aws",
    tags=["hipaa", "multi-tenant", "cometchat"],
)
