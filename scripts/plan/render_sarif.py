"""`hipaachat plan --format sarif`: SARIF 2.1.0 for GitHub code scanning and other reviewers' tools.

One result per violation: `ruleId` is the policy, `level` is error (mandatory) or warning
(advisory), and the location is the file a reviewer edits to fix it, at the line of the
offending key where the policy names one (the tenant file for tenant findings, the stack file
for stack settings, the waiver file the pack read for waivers: policies/waivers.yaml or
`$HIPAACHAT_WAIVERS`; one outside the repository is named in the message instead). Rules carry the pack's description, the
fix and the 45 CFR Part 164 sections from policies/hipaa/controls.py.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from components.catalog import catalog_dir
from components.yaml_lines import load_with_lines
from policies.hipaa.controls import CONTROLS, FRAMEWORK_REFERENCE
from policies.hipaa.pack import rules
from policies.hipaa.waivers import WAIVERS_ENV, waiver_path
from scripts.engine.locate import distinct
from scripts.engine.models import Violation
from scripts.inputs import POLICY_PACK
from scripts.plan.report import PlanReport
from scripts.project import Project

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# The tenant-file key each tenant-level policy is about; isolation and encryption findings are
# about the program, so they point at the tenant's `id` (the file that deploys it).
TENANT_KEYS: dict[str, tuple[str, ...]] = {
    "production-baa-attested": ("baa",),
    "ai-features-baa-covered": ("features",),
    "retention-log-group-minimum": ("retention", "audit_log_days"),
    "retention-object-lock-compliance": ("retention", "audit_log_days"),
    "retention-floor-met": ("retention",),
    "production-care-declared": ("care",),
    "residency-aws-region": ("residency",),
    "residency-cometchat-region": ("residency",),
    "notifications-email-sms-phi-free": ("notifications",),
    "notifications-push-in-app-phi-free": ("notifications",),
}
# Stack-setting policies: the key under `config:` in stacks/Pulumi.<stack>.yaml.
STACK_KEYS: dict[str, tuple[str, ...]] = {
    "production-cometchat-plan-hipaa-eligible": ("config", "hipaachat:cometchatPlan"),
    "policy-config-invalid": ("config",),
}
CHANNELS = ("email", "sms", "push", "in_app")


def _line(path: Path, key: tuple[str, ...]) -> int | None:
    try:
        _, index = load_with_lines(path.read_text())
    except (OSError, ValueError):
        return None
    return index.line_of(key)


def _location(v: Violation, report: PlanReport, project: Project) -> tuple[Path, int | None, str]:
    """The file and line a reviewer edits, and a note for the message when that file cannot be pointed at."""
    if v.file is not None:  # located by the engine at the tenant-file field (scripts.engine.locate)
        return project.root / v.file, v.line, ""
    if v.policy == "waivers-valid":
        waivers = waiver_path(project.root / POLICY_PACK).resolve()  # the file the pack read
        if waivers.is_relative_to(project.root.resolve()):
            return waivers, _line(waivers, ()), ""
        # Code scanning needs a location inside the repository: the stack the plan judged.
        return project.stack_file(report.stack), None, (
            f" (The waiver file read is {waivers}, named by ${WAIVERS_ENV} and outside the repository: "
            "fix it there.)")
    if v.tenant is not None and v.policy not in STACK_KEYS:
        path = catalog_dir(project.root, report.stack) / f"{v.tenant}.yaml"
        key = TENANT_KEYS.get(v.policy, ("id",))
        if key == ("notifications",):
            key += next(((c,) for c in CHANNELS if c in v.message or c.replace("_", "-") in v.message), ())
        return path, _line(path, key), ""
    path = project.stack_file(report.stack)
    return path, _line(path, STACK_KEYS.get(v.policy, ("config",))), ""


def _rule(name: str, description: str) -> dict:
    control = CONTROLS.get(name)
    rule: dict = {"id": name, "name": name, "shortDescription": {"text": description},
                  "helpUri": FRAMEWORK_REFERENCE}
    if control is not None:
        cfr = [f"45 CFR {section}" for section in control.cfr]
        rule["fullDescription"] = {"text": f"{description} ({', '.join(cfr)})"}
        rule["help"] = {"text": f"Fix: {control.fix}", "markdown": f"**Fix:** {control.fix}\n\n"
                        f"**HIPAA:** {', '.join(cfr)}"}
        rule["properties"] = {"tags": ["hipaa", *cfr], "cfr": control.cfr, "prowler": control.prowler,
                              "checkov": control.checkov, "aws_config": control.aws_config}
    return rule


def _tool_version() -> str:
    try:
        return version("hipaachat")
    except PackageNotFoundError:
        return "0"


def render_plan_sarif(report: PlanReport, project: Project) -> str:
    descriptions = {rule.name: rule.description for rule in rules()}
    used = sorted({v.policy for v in report.violations})
    names = [*descriptions, *(p for p in used if p not in descriptions)]
    index = {name: i for i, name in enumerate(names)}
    results = []
    for v in distinct(report.violations):
        path, line, note = _location(v, report, project)
        physical: dict = {"artifactLocation": {"uri": project.relative(path), "uriBaseId": "%SRCROOT%"}}
        if line is not None:
            physical["region"] = {"startLine": line, **({"startColumn": v.column} if v.column else {})}
        properties = {"enforcement": v.enforcement, "tenant": v.tenant, "urn": v.urn, "stack": report.stack}
        if (phase := getattr(v, "phase", None)) is not None:
            properties["phase"] = phase
        results.append({"ruleId": v.policy, "ruleIndex": index[v.policy],
                        "level": "error" if v.enforcement == "mandatory" else "warning",
                        "message": {"text": v.finding() + note}, "locations": [{"physicalLocation": physical}],
                        "properties": {k: val for k, val in properties.items() if val is not None}})
    document = {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hipaachat", "version": _tool_version(), "informationUri": FRAMEWORK_REFERENCE,
                                "rules": [_rule(n, descriptions.get(n, n)) for n in names]}},
            "automationDetails": {"id": f"hipaachat-plan/{report.stack}/"},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2)
