"""OCSF Compliance Finding (class_uid 2003) for SIEMs: one finding per control and tenant.

Status mapping follows Prowler's OCSF output: PASS -> compliance.status_id 1, FAIL -> 3, and
advisory (a finding that does not block a deploy here) -> 2 Warning. A waived finding stays a
failing control result whose finding status is Suppressed (3), like a Prowler mute: the
exception is visible, not erased. Not-applicable results are not emitted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from scripts.audit.catalog import fix_of, severities
from scripts.audit.models import STACK_SCOPE, AuditReport, ControlStatus, worst
from scripts.audit.retention_floors import FLOOR_POLICY

OCSF_VERSION = "1.3.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
_COMPLIANCE = {"pass": (1, "Pass"), "advisory": (2, "Warning"), "fail": (3, "Fail"), "waived": (3, "Fail")}
_SEVERITY = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
_FINDING_STATUS = {"waived": (3, "Suppressed")}


def _epoch_ms(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


def render_ocsf(report: AuditReport) -> str:
    severity_of = severities()
    tenants = {t.id: t for t in report.tenants}
    when = _epoch_ms(report.generated_at)
    findings = []
    for control in report.controls:
        for scope in control.scopes:
            if scope.status == "not_applicable":
                continue
            tenant = tenants.get(scope.scope)
            status: ControlStatus = scope.status
            compliance_id, compliance_name = _COMPLIANCE[status]
            failing = [f for f in scope.findings if f.status in ("fail", "waived", "advisory")]
            severity = max((severity_of.get(f.policy, "medium") for f in failing), key=lambda s: _SEVERITY[s],
                        default="informational")
            checks = []
            for policy in dict.fromkeys([*scope.policies, *(f.policy for f in scope.findings)]):
                mine = [f for f in scope.findings if f.policy == policy]
                check_status = worst([f.status for f in mine]) if mine else "pass"
                cid, cname = _COMPLIANCE[check_status]
                checks.append({"uid": policy, "name": policy, "desc": fix_of(policy), "status": cname,
                               "status_id": cid})
            uid = hashlib.sha256(f"{report.project}/{report.stack}/{scope.scope}/{control.requirement_id}".encode()
                                 ).hexdigest()[:32]
            status_id, status_name = _FINDING_STATUS.get(status, (1, "New"))
            resources = [{"uid": f.urn, "name": f.urn.split("::")[-1], "type": f.urn.split("::")[-2].split("$")[-1]}
                         for f in failing if f.urn]
            if not resources:
                resources = [{"uid": tenant.urn, "name": tenant.id, "type": "hipaachat:index:Tenant"}] if tenant else [
                    {"uid": f"urn:pulumi:{report.stack}::{report.project}", "name": report.stack, "type": "stack"}]
            findings.append({
                "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
                "category_uid": CATEGORY_UID, "category_name": "Findings",
                "class_uid": CLASS_UID, "class_name": "Compliance Finding",
                "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE, "type_name": "Compliance Finding: Create",
                "time": when, "time_dt": report.generated_at,
                "severity_id": _SEVERITY[severity], "severity": severity.capitalize(),
                "status_id": status_id, "status": status_name,
                "message": f"{control.id} {control.title}: {status.replace('_', ' ')} for "
                           f"{scope.scope if scope.scope != STACK_SCOPE else 'the stack'}",
                "metadata": {"version": OCSF_VERSION, "profiles": ["cloud"], "event_code": control.requirement_id,
                             "product": {"name": "hipaachat", "vendor_name": "hipaachat",
                                         "version": report.versions.hipaachat},
                             "uid": uid},
                "finding_info": {"uid": f"{uid}-{control.requirement_id}", "title": f"{control.id} {control.title}",
                                 "desc": "; ".join(f.message.splitlines()[-1] for f in failing)[:4000]
                                 or f"All {len(scope.policies)} policies pass.",
                                 "created_time": when, "types": ["HIPAA"]},
                "compliance": {"standards": [report.framework], "requirements": [control.id],
                               "control": f"{control.id} {control.title}", "desc": control.section,
                               "checks": checks, "status": compliance_name, "status_id": compliance_id},
                "resources": resources,
                "remediation": {"desc": " ".join(dict.fromkeys(fix_of(f.policy) for f in failing))
                                or "Nothing to do."},
                "cloud": {"provider": "AWS", "region": (tenant.aws_region if tenant else None) or "",
                          "account": {"uid": (tenant.aws_account if tenant else None) or ""}},
                "unmapped": {"hipaachat": {"stack": report.stack, "source": report.source, "scope": scope.scope,
                                           "status": status, "policies": scope.policies,
                                           "waivers": [f.waiver.model_dump() for f in scope.findings if f.waiver],
                                           # Configured, floor, binding row, enforcement per data type.
                                           **({"retention": [r.model_dump() for r in tenant.retention.data_types]}
                                              if tenant and FLOOR_POLICY in scope.policies else {})}},
            })
    # One finding per line: SIEM shippers read it line by line, and the C encoder keeps 20k findings fast.
    return "[\n" + ",\n".join(json.dumps(f, separators=(",", ":")) for f in findings) + "\n]\n"
