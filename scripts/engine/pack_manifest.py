"""The policy pack's own version, from policies/hipaa/PulumiPolicy.yaml: the one the CLI publishes.

The Analyzer protocol's GetAnalyzerInfo answers with the SDK's placeholder version (0.0.1), not
the pack's: the Pulumi CLI takes a pack's version from its manifest. So evidence that names the
pack (audit, `shards pack`) reads the manifest too, and every report names one version.
"""

from __future__ import annotations

from pathlib import Path

from components.files import PROJECT_FILE, read_yaml
from scripts.project import InputError


def pack_version(pack_dir: Path, *, root: Path | None = None) -> str:
    manifest = pack_dir / "PulumiPolicy.yaml"
    if not manifest.is_file():
        raise InputError(f"{manifest}: missing; the policy pack's manifest names its version")
    version = (read_yaml(manifest, PROJECT_FILE, root=root) or {}).get("version")
    if not version:
        raise InputError(f"{manifest}: no `version:`; add one (e.g. version: 0.1.0), it names the pack in evidence")
    return str(version)
