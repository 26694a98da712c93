"""What a tenant's lifecycle state deploys, and until when its evidence must be kept.

One place for the dates so the program, `hipaachat plan` and `hipaachat tenants offboard`
always agree: evidence is kept until `offboarded_on` + the tenant's longest retention of any data
type, floors included (components.retention_plan; audit_days 0 = never expire = kept forever),
and nothing here ever releases it on its own.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Literal

from components.catalog import Tenant
from components.retention_plan import retention_plan
from components.settings import StackSettings

# The same override the policy pack honours, so tests (and rehearsals) can pick "today".
TODAY_ENV = "HIPAACHAT_TODAY"

Deploys = Literal["everything", "evidence", "nothing"]

# What offboarding removes and what it keeps: the plan, the CLI and the README say the same.
REMOVED_PARTS = ("CometChat app (CometChat archives it, then deletes it 30 days later), its roles, extensions "
                 "and webhook", "webhook ingest endpoint (API Gateway, Lambda)", "operator role and its policy",
                 "notification template store", "credentials secrets (30-day recovery window)")
EVIDENCE_PARTS = ("KMS key and alias", "audit log group", "Object-Locked audit archive bucket and its configuration",
                  "auditor role and its policy")


def today() -> dt.date:
    """Today, or HIPAACHAT_TODAY (YYYY-MM-DD), the date the pack judges by; a malformed override is ignored
    here (the pack reports it), never a traceback."""
    override = os.environ.get(TODAY_ENV)
    try:
        return dt.date.fromisoformat(override) if override else dt.date.today()
    except ValueError:
        return dt.date.today()


def evidence_until(tenant: Tenant, settings: StackSettings | None = None) -> dt.date | None:
    """The first day the evidence may be released; None while active or when kept forever.

    `settings` (default: the shipped defaults) give the stack's minimum and floor rows.
    """
    offboarded = tenant.lifecycle.offboarded_on
    if offboarded is None:
        return None
    days = retention_plan(tenant, settings).longest_days
    return None if days is None else offboarded + dt.timedelta(days=days)


def deploys(tenant: Tenant, on: dt.date | None = None, settings: StackSettings | None = None) -> Deploys:
    """What the program registers for this tenant.

    A `released` tenant still deploys its evidence until the retention date: releasing early is
    reported by the plan and ignored here, so a premature edit can never drop evidence.
    """
    state = tenant.lifecycle.state
    if state == "active":
        return "everything"
    if state == "released":
        until = evidence_until(tenant, settings)
        if until is not None and (on or today()) >= until:
            return "nothing"
    return "evidence"
