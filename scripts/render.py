"""Human-readable renderings of reports (rich tables); JSON is the machine format."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from scripts.plan import PlanReport


# What a reviewer looks for in a tenant; hardening siblings (versioning, SSE, policies) are in the
# resource count and the JSON, not in the one-line summary.
SUMMARY_LABELS = {
    "aws:kms/key:Key": "KMS key",
    "aws:secretsmanager/secret:Secret": "secret",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketObjectv2:BucketObjectv2": "template",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "object lock",
    "aws:iam/role:Role": "role",
    "aws:lambda/function:Function": "ingest function",
    "pulumi-python:dynamic/hipaachat:CometChatApp": "CometChat app",
    "pulumi-python:dynamic/hipaachat:CometChatRoles": "role matrix",
    "pulumi-python:dynamic/hipaachat:CometChatExtensions": "safeguards",
    "pulumi-python:dynamic/hipaachat:CometChatWebhook": "webhook",
}


def _label(resource_type: str) -> str | None:
    return SUMMARY_LABELS.get(resource_type)


def render_plan_table(report: PlanReport, console: Console) -> None:
    table = Table(title=f"hipaachat plan · stack {report.stack} ({report.environment})", title_justify="left")
    table.add_column("tenant", style="bold")
    table.add_column("residency")
    table.add_column("CometChat")
    table.add_column("AWS region")
    table.add_column("resources", justify="right")
    table.add_column("what gets deployed")
    table.add_column("policy", justify="center")
    per_tenant = Counter(v.tenant for v in report.violations if v.enforcement == "mandatory")
    for tenant in report.tenants:
        kinds = Counter(label for r in tenant.resources if (label := _label(r.type)))
        order = [*SUMMARY_LABELS.values(), *sorted(set(kinds) - set(SUMMARY_LABELS.values()))]
        summary = ", ".join(f"{kinds[k]} {k}s" if kinds[k] > 1 else k for k in dict.fromkeys(order) if k in kinds)
        blocked = per_tenant.get(tenant.id, 0)
        table.add_row(tenant.id, tenant.residency, tenant.cometchat_region, tenant.aws_region,
                      str(len(tenant.resources)), summary,
                      f"[red]{blocked} blocked[/]" if blocked else "[green]ok[/]")
    console.print(table)
    if report.violations:
        violations = Table(title="policy violations", title_justify="left")
        for column in ("enforcement", "policy", "tenant", "message"):
            violations.add_column(column)
        for v in sorted(report.violations, key=lambda v: (v.enforcement != "mandatory", v.tenant or "", v.policy)):
            style = "red" if v.enforcement == "mandatory" else "yellow"
            violations.add_row(f"[{style}]{v.enforcement}[/]", v.policy, v.tenant or "(stack)", v.message)
        console.print(violations)
    if report.waived:
        waived = Table(title="waived (valid waivers)", title_justify="left")
        for column in ("policy", "tenant", "expires", "approved by", "reason"):
            waived.add_column(column)
        for w in report.waived:
            waived.add_row(w.policy, w.tenant or w.urn or "", w.expires, w.approved_by, w.reason)
        console.print(waived)
    verdict = ("[bold red]BLOCKED[/]: a mandatory policy is violated; `pulumi up` would be refused"
               if report.blocked else "[bold green]OK[/]: no mandatory policy violation")
    console.print(f"{report.resource_count} resources in {len(report.tenants)} tenants · {verdict}")
