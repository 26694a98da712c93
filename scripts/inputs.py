"""Everything a plan reads from the user's files, checked before anything heavy loads.

Kept apart from scripts/plan/report.py (which loads the Pulumi SDK, the program capture and the
gRPC client: seconds on a busy CI runner) so that bad input is answered at once, exit 2,
whatever the file: a broken tenant file, stack file or waiver file never waits for the SDK.
"""

from __future__ import annotations

from pathlib import Path

from components.care_check import care_issues
from components.catalog import CatalogError, catalog_dir, load_catalog
from policies.hipaa.waivers import read_waiver_file, waiver_path
from scripts.project import InputError, Project, StackConfig, load_stack

POLICY_PACK = Path("policies") / "hipaa"


def validate_inputs(project: Project, stack: str) -> tuple[StackConfig, list[Path]]:
    """The stack's config and its tenant files, after every file the plan reads has been checked."""
    config = load_stack(project, stack)
    waivers = waiver_path(project.root / POLICY_PACK)
    if waivers.exists() or waivers.is_symlink():
        # The pack reports a broken waiver file as a violation; before a plan it is bad input.
        read_waiver_file(waivers, project.relative(waivers))
    try:
        entries = load_catalog(catalog_dir(project.root, stack), display_root=project.root)
    except CatalogError as exc:
        raise InputError(str(exc)) from exc
    unknown_care = care_issues(entries, config.settings.retention_floors,
                               {e.tenant.id: project.relative(e.path) for e in entries})
    if unknown_care:
        raise InputError(str(CatalogError(unknown_care)))
    # A residency shard (hipaachat:residencies) holds only its residencies; the program refuses the rest.
    misplaced = [f"{project.relative(e.path)}: residency: {e.tenant.residency} is not one of stack {stack}'s "
                 f"hipaachat:residencies; move it with `hipaachat shards move {e.tenant.id} --to STACK`"
                 for e in entries if not config.settings.allows(e.tenant.residency)]
    if misplaced:
        raise InputError("\n".join(misplaced))
    return config, [entry.path for entry in entries]
