"""`hipaachat trail`: who sent, received and read which messages about one clinical reference."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from components.ingest.correlation import PseudonymKeyError, normalise_ref, parse_key_secret, pseudonym
from scripts.console import fail
from scripts.files import write_atomically
from scripts.project import InputError, Project
from scripts.trail.archive import WORKERS as VERIFY_WORKERS
from scripts.trail.archive import verify
from scripts.trail.assemble import assemble
from scripts.trail.index import read_index
from scripts.trail.locate import TrailTarget, declared, deployed
from scripts.trail.models import TrailAnswer
from scripts.trail.render import render

EXIT_INTEGRITY = 1
_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EXAMPLES = """
\b
Examples:
  hipaachat trail --stack production --tenant sunrise-clinic --subject Patient/123 \\
      --from 2026-11-01 --to 2026-11-30 --format json --out trail.json
  hipaachat trail --state state.json --tenant sunrise-clinic --subject Encounter/456
  hipaachat trail pseudonym --stack production --tenant sunrise-clinic Patient/123

\b
AWS is reached through boto3's standard credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, an
assumed auditor role, ...) and honours AWS_ENDPOINT_URL. Run it as the tenant's auditor role.

\b
Exit codes: 0 verified answer (an empty answer is an answer), 1 integrity failure (an index
record's archive object is missing, differs from its bodySha256, or was overwritten),
2 bad input (unknown stack or tenant, bad date, no credentials, missing resources).
"""


def parse_bound(value: str | None, option: str, end: bool) -> dt.datetime | None:
    """`YYYY-MM-DD` (a whole UTC day: --to includes it) or an ISO 8601 time (UTC if no offset)."""
    if value is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.timezone.utc)
            return day + dt.timedelta(days=1, seconds=-1) if end else day
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{option} {value}: not a date; use YYYY-MM-DD or an ISO 8601 time "
                         f"such as 2026-11-30T17:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _target(ctx: click.Context, stack: str | None, state: Path | None, tenant: str) -> TrailTarget:
    if not _TENANT_ID.match(tenant):
        raise InputError(f"--tenant {tenant}: a tenant id is lowercase letters, digits and dashes")
    if state is not None:
        return deployed(state, tenant)
    if not stack:
        raise InputError("give --stack NAME (the declared stack) or --state FILE (a `pulumi stack export`)")
    return declared(Project.find(ctx.obj), stack, tenant)


def _clients(target: TrailTarget) -> dict[str, Any]:
    session = boto3.session.Session(region_name=target.region or None)
    # One pooled connection per verifying thread: botocore's default pool (10) would open and drop
    # connections when the archive checks run in parallel.
    s3 = session.client("s3", config=Config(max_pool_connections=VERIFY_WORKERS))
    return {"logs": session.client("logs"), "s3": s3, "secretsmanager": session.client("secretsmanager")}


def _key(secrets: Any, target: TrailTarget) -> bytes:
    try:
        return parse_key_secret(secrets.get_secret_value(SecretId=target.key_secret).get("SecretString"))
    except PseudonymKeyError as exc:
        raise InputError(f"pseudonym key secret {target.key_secret}: {exc}") from None


def _aws_errors(call: Any) -> Any:
    """Run `call`, turning AWS setup problems into bad input (exit 2) that names what to fix."""
    try:
        return call()
    except (NoCredentialsError, PartialCredentialsError):
        raise InputError("no AWS credentials: assume the tenant's auditor role (or set AWS_PROFILE) and retry") \
            from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise InputError(f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')} "
                         f"(run as the tenant's auditor role, and check --stack/--state names the deployment)") \
            from None
    except BotoCoreError as exc:
        raise InputError(f"cannot reach AWS: {exc}") from None


def answer(target: TrailTarget, subject: str, start: dt.datetime | None, end: dt.datetime | None) -> TrailAnswer:
    clients = _clients(target)
    key = _aws_errors(lambda: _key(clients["secretsmanager"], target))
    records, _ = _aws_errors(lambda: read_index(clients["logs"], target.log_group, target.tenant_id, start))
    found = assemble(records, pseudonym(key, subject), start, end)
    integrity = _aws_errors(lambda: verify(clients["s3"], target.bucket, found.evidence))
    return TrailAnswer(tenant=target.tenant_id, subject=subject, from_=start, to=end, messages=found.messages,
                       integrity=integrity, predating_events=found.predating_events)


@click.group(invoke_without_command=True, epilog=_EXAMPLES)
@click.option("--stack", "-s", help="The declared stack: names are derived as the program derives them.")
@click.option("--state", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A `pulumi stack export`: use the deployed names and ARNs recorded there.")
@click.option("--tenant", metavar="ID", help="Tenant id (its file is stacks/tenants/<stack>/<id>.yaml).")
@click.option("--subject", metavar="REF", help="The clinical reference asked about, e.g. Patient/123.")
@click.option("--from", "start", metavar="DATE", help="Messages sent at or after (YYYY-MM-DD or ISO 8601, UTC).")
@click.option("--to", "end", metavar="DATE", help="Messages sent at or before (a date includes the whole day).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the answer here (else stdout).")
@click.pass_context
def trail(ctx: click.Context, stack: str | None, state: Path | None, tenant: str | None, subject: str | None,
          start: str | None, end: str | None, fmt: str, out: Path | None) -> None:
    """Who saw what about patient X between Y and Z: every message referencing REF sent in the
    window, its sender and receiver, whether it was edited or deleted, who received it and who read
    it and when (receipts are high-water marks), each record proven against its archived bytes."""
    if ctx.invoked_subcommand is not None:
        return
    if not tenant or not subject or not normalise_ref(subject):
        raise InputError("give --tenant ID and --subject REF (a clinical reference such as Patient/123)")
    window = parse_bound(start, "--from", end=False), parse_bound(end, "--to", end=True)
    if window[0] and window[1] and window[0] > window[1]:
        raise InputError(f"--from {start} is after --to {end}")
    result = answer(_target(ctx, stack, state, tenant), normalise_ref(subject), *window)
    text = render(result, fmt)  # type: ignore[arg-type]
    if out is not None:
        write_atomically(out, text)
    else:
        sys.stdout.write(text)
    if result.integrity.failed:
        problems = result.integrity.missing + result.integrity.mismatched + result.integrity.overwritten
        fail("; ".join(f"{p.event_id} ({p.archive}): {p.problem}" for p in problems), EXIT_INTEGRITY,
             label="integrity")


@trail.command("pseudonym", epilog=_EXAMPLES)
@click.option("--stack", "-s", help="The declared stack.")
@click.option("--state", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="A `pulumi stack export`.")
@click.option("--tenant", metavar="ID", help="Tenant id.")
@click.argument("ref")
@click.pass_context
def pseudonym_command(ctx: click.Context, stack: str | None, state: Path | None, tenant: str | None,
                      ref: str) -> None:
    """Print REF's keyed pseudonym, to paste into the tenant's saved Logs Insights query
    (hipaachat/<env>/<tenant>/who-saw-what). Only the tenant's auditor role can read the key.
    --stack/--state/--tenant may also be given before `pseudonym`."""
    given = ctx.parent.params if ctx.parent else {}
    stack, state, tenant = stack or given.get("stack"), state or given.get("state"), tenant or given.get("tenant")
    if not tenant:
        raise InputError("give --tenant ID")
    if not normalise_ref(ref):
        raise InputError("REF is empty; give a clinical reference such as Patient/123")
    target = _target(ctx, stack, state, tenant)
    key = _aws_errors(lambda: _key(_clients(target)["secretsmanager"], target))
    click.echo(pseudonym(key, ref))
