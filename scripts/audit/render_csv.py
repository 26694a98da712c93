"""CSV in Prowler's compliance layout, so an auditor loads it wherever they load Prowler's HIPAA output.

`;`-separated, upper-case headers, one row per (control, tenant, policy) result: a failing or
waived finding is one row naming its resource; a passing policy is one row naming the tenant.
STATUS is Prowler's PASS / FAIL / MANUAL: a waived finding stays FAIL with MUTED=True (Prowler's
mutelist semantics), an advisory one is MANUAL (it needs an auditor's judgement: it does not
block a deploy in this environment). Not-applicable results have no row, as in Prowler.
"""

from __future__ import annotations

import csv
import io

from scripts.audit.catalog import fix_of
from scripts.audit.models import STACK_SCOPE, AuditReport, Finding
from scripts.audit.retention_floors import FLOOR_POLICY
from scripts.audit.retention_floors import summary as retention_summary

HEADERS = ("PROVIDER", "DESCRIPTION", "ACCOUNTID", "REGION", "ASSESSMENTDATE", "REQUIREMENTS_ID",
           "REQUIREMENTS_DESCRIPTION", "REQUIREMENTS_ATTRIBUTES_SECTION", "STATUS", "STATUSEXTENDED", "RESOURCEID",
           "CHECKID", "MUTED", "RESOURCENAME", "FRAMEWORK", "NAME")
FRAMEWORK = "HIPAA"
_STATUS = {"fail": "FAIL", "waived": "FAIL", "advisory": "MANUAL", "pass": "PASS"}
# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if "\n" in text or "\r" in text or "\t" in text:
        text = " ".join(text.split())  # one physical line per row: many importers split on newlines
    return "'" + text if text.startswith(_FORMULA) else text


def _provider(urn: str | None) -> str:
    kind = (urn or "").split("::")[-2].split("$")[-1] if urn and urn.count("::") >= 3 else ""
    if kind.startswith("aws:") or kind == "pulumi:providers:aws":
        return "aws"
    return "cometchat" if "CometChat" in kind else "pulumi"


def _name(urn: str | None) -> str:
    return urn.split("::")[-1] if urn and "::" in urn else ""


def render_csv(report: AuditReport) -> str:
    tenants = {t.id: t for t in report.tenants}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADERS)
    description = f"{report.framework}, evaluated by hipaachat for stack {report.stack} ({report.source})"
    for control in report.controls:
        for scope in control.scopes:
            tenant = tenants.get(scope.scope)
            region = tenant.aws_region if tenant else ""
            subject_urn = tenant.urn if tenant else f"stack {report.stack}"
            common = (description, (tenant.aws_account if tenant else None) or "", region or "", report.generated_at,
                      control.requirement_id, f"{control.id} {control.title}", control.section)
            by_policy: dict[str, list[Finding]] = {}
            for finding in scope.findings:
                by_policy.setdefault(finding.policy, []).append(finding)
            for policy in dict.fromkeys([*scope.policies, *by_policy]):
                rows = by_policy.get(policy)
                if not rows:
                    extended = (f"{policy}: no finding in {scope.scope if scope.scope != STACK_SCOPE else 'the stack'}"
                                f" ({len(scope.resources) or 'all'} resources judged)")
                    if policy == FLOOR_POLICY and tenant and tenant.retention.data_types:
                        extended = f"{extended}; {retention_summary(tenant.retention)}"
                    writer.writerow([_cell(v) for v in (
                        _provider(tenant.urn if tenant else None), *common, "PASS", extended, subject_urn, policy,
                        "False", scope.scope, FRAMEWORK, f"{report.framework}")])
                    continue
                for f in rows:
                    extended = f.message if f.status != "waived" or f.waiver is None else (
                        f"waived until {f.waiver.expires} (approved by {f.waiver.approved_by}: {f.waiver.reason}): "
                        f"{f.message}")
                    if f.status == "advisory":
                        extended = f"advisory in this environment (does not block a deploy): {extended}"
                    if policy == FLOOR_POLICY and tenant and tenant.retention.data_types:
                        extended = f"{extended} ({retention_summary(tenant.retention)})"
                    if f.status == "fail" and (fix := fix_of(policy)):
                        extended = f"{extended} Fix: {fix}"
                    writer.writerow([_cell(v) for v in (
                        _provider(f.urn), *common, _STATUS[f.status], extended, f.urn or subject_urn, policy,
                        str(f.status == "waived"), _name(f.urn) or scope.scope, FRAMEWORK, f"{report.framework}")])
    return out.getvalue()

