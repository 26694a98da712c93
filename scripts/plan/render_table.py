"""Human-readable renderings of reports (rich tables); JSON is the machine format."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from scripts.engine.locate import distinct
from scripts.plan.report import PlanReport
from scripts.plan.state import StateChanges


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
    "aws:sns/topic:Topic": "on-call topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarm",
    "aws:cloudwatch/eventRule:EventRule": "tamper rule",
    "aws:cloudwatch/dashboard:Dashboard": "dashboard",
}


# Which step of a real deployment raises a finding (the plan evaluates both; see scripts.engine.phases).
PHASE_LABELS = {"preview": "raised by `pulumi preview`", "update": "raised only during `pulumi up`"}


def _label(resource_type: str) -> str | None:
    return SUMMARY_LABELS.get(resource_type)


def _summary(tenant) -> str:
    kinds = Counter(label for r in tenant.resources if (label := _label(r.type)))
    order = [*SUMMARY_LABELS.values(), *sorted(set(kinds) - set(SUMMARY_LABELS.values()))]
    return ", ".join(f"{kinds[k]} {k}s" if kinds[k] > 1 else k for k in dict.fromkeys(order) if k in kinds)


def _print_indented(message: str, console: Console) -> None:
    """Each line of a message under its heading, wrapped at the console's width; one Padding per line, so a
    short line is not padded with spaces to the longest one (those trail in CI logs and pasted text)."""
    for line in message.splitlines():
        console.print(Padding(Text(line), (0, 0, 0, 6), expand=False))


def render_plan_table(report: PlanReport, console: Console) -> None:
    summaries = {t.id: _summary(t) for t in report.tenants}
    # Tenants built from the same component look alike; say it once rather than on every row.
    shared = len(set(summaries.values())) == 1
    table = Table(title=f"hipaachat plan · stack {report.stack} ({report.environment})", title_justify="left")
    table.add_column("tenant", style="bold", no_wrap=True)
    table.add_column("residency: CometChat / AWS", no_wrap=True)
    table.add_column("resources", justify="right")
    if not shared:
        table.add_column("what gets deployed", ratio=1)
    table.add_column("policy", justify="center", no_wrap=True)
    per_tenant = Counter(v.tenant for v in report.violations if v.enforcement == "mandatory")
    for tenant in report.tenants:
        blocked = per_tenant.get(tenant.id, 0)
        row = [tenant.id, f"{tenant.residency}: {tenant.cometchat_region} / {tenant.aws_region}",
               str(len(tenant.resources)), *([] if shared else [summaries[tenant.id]]),
               f"[red]{blocked} blocked[/]" if blocked else "[green]ok[/]"]
        table.add_row(*row)
    console.print(table)
    if shared and summaries:
        console.print(f"each tenant: {next(iter(summaries.values()))}", highlight=False)
    if report.violations:
        # One entry per (policy, message): the same finding on many tenants reads once.
        grouped: dict[tuple[str, str, str, str], list[str]] = {}
        for v in distinct(report.violations):
            grouped.setdefault((v.enforcement, v.policy, v.located(), v.phase), []).append(v.tenant or "(stack)")
        console.print("[bold]policy violations[/]")
        for (enforcement, policy, message, phase), tenants in sorted(
                grouped.items(), key=lambda i: (i[0][0] != "mandatory", i[0][3] != "preview", i[0][1])):
            style = "red" if enforcement == "mandatory" else "yellow"
            console.print(f"  [{style}]{enforcement}[/] [bold]{policy}[/] · {', '.join(sorted(tenants))} "
                          f"[dim]({PHASE_LABELS[phase]})[/]", highlight=False)
            _print_indented(message, console)
    if report.waived:
        waived = Table(title="waived (valid waivers)", title_justify="left")
        for column in ("policy", "tenant", "expires", "approved by", "reason"):
            waived.add_column(column)
        for w in report.waived:
            waived.add_row(w.policy, w.tenant or w.urn or "", w.expires, w.approved_by, w.reason)
        console.print(waived)
    if report.deferred:
        checks = report.deferred_checks
        console.print(f"[dim]{checks} check{'s' if checks != 1 else ''} read values that exist only once resources are "
                      "created: a real `pulumi preview` defers them, the update-phase evaluation above made them[/]",
                      highlight=False)
    if report.lifecycle:
        console.print("[bold]offboarded tenants[/]")
        for standing in report.lifecycle:
            console.print(f"  [bold]{standing.tenant}[/] · {standing.state} on {standing.offboarded_on}",
                          highlight=False)
            _print_indented(standing.message, console)
    if report.changes is not None:
        _render_changes(report.changes, console)
    verdict = ("[bold red]BLOCKED[/]: a mandatory policy is violated; `pulumi up` would be refused"
               if report.blocked else "[bold green]OK[/]: no mandatory policy violation")
    count = len(report.tenants)
    console.print(f"{report.resource_count} resources in {count} tenant{'s' if count != 1 else ''} · {verdict}")


def _render_changes(changes: StateChanges, console: Console) -> None:
    if not changes.tenants:
        console.print(f"no changes against {changes.state_file}: every resource is deployed with the same inputs "
                      f"({changes.note})", highlight=False)
        return
    table = Table(title=f"changes against {changes.state_file}", title_justify="left")
    for column in ("tenant", "create", "delete", "update", "changed inputs (type name: inputs)"):
        table.add_column(column, justify="right" if column in ("create", "delete", "update") else "left")
    for group in changes.tenants:
        updates = "; ".join(f"{u.name}: {', '.join(u.changed_inputs)}" for u in group.updates[:5])
        more = len(group.updates) - 5
        table.add_row(group.tenant or "(outside tenants)", str(len(group.creates)), str(len(group.deletes)),
                      str(len(group.updates)), updates + (f"; +{more} more" if more > 0 else ""))
    console.print(table)
    console.print(f"{changes.creates} to create, {changes.deletes} to delete, {changes.updates} to update; "
                  f"{changes.note}", highlight=False)
