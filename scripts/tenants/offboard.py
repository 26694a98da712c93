"""`hipaachat tenants offboard`: the edit that turns a tenant into its evidence, and what it means.

The tenant file is edited as text so its comments and layout survive review: an existing
top-level `lifecycle:` block is replaced, otherwise one is appended. The result is validated
with the catalog's own parser before it is written (atomically), so an offboarded file
always plans.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel

from components.catalog import CatalogIssue, Tenant, parse_tenant
from components.lifecycle import EVIDENCE_PARTS, REMOVED_PARTS, evidence_until

# The top-level `lifecycle:` line and the indented (or blank) lines under it; a column-0 comment
# after the block belongs to what follows and is kept.
_TOP_LEVEL_LIFECYCLE = re.compile(r"^lifecycle:[^\n]*(?:\n(?:[ \t][^\n]*|[ \t]*(?=\n)))*", re.MULTILINE)


class OffboardError(ValueError):
    """The tenant cannot be offboarded as asked; the message says why and what to do."""


class Offboarding(BaseModel):
    """What offboarding a tenant does: the new file text and the summary printed to the user."""

    text: str
    tenant: Tenant
    removed: list[str]
    kept: list[str]
    kept_until: dt.date | None


def offboard_text(text: str, on: dt.date) -> str:
    block = f"lifecycle:\n  state: offboarded\n  offboarded_on: {on.isoformat()}\n"
    if _TOP_LEVEL_LIFECYCLE.search(text):
        return _TOP_LEVEL_LIFECYCLE.sub(block.rstrip("\n"), text, count=1)
    return text.rstrip("\n") + "\n" + block


def offboard(text: str, shown: str, stem: str, on: dt.date, today: dt.date) -> Offboarding:
    """Offboard the tenant in `text` on `on`; raises OffboardError or returns the edit and its meaning."""
    current, problems = parse_tenant(text, shown, stem)
    if current is None:
        raise OffboardError(_problems("the tenant file does not validate; fix it first", problems))
    if current.lifecycle.state != "active":
        raise OffboardError(f"{shown}: tenant {current.id} is already {current.lifecycle.state} (offboarded_on "
                            f"{current.lifecycle.offboarded_on}); to change the date edit lifecycle.offboarded_on")
    if on > today:
        raise OffboardError(f"--on {on} is in the future; offboard on the day the tenant stops using the service "
                            f"(the CometChat app and ingest are removed at the next `pulumi up`)")
    edited = offboard_text(text, on)
    tenant, problems = parse_tenant(edited, shown, stem)
    if tenant is None:
        raise OffboardError(_problems("the offboarded file would not validate", problems))
    return Offboarding(text=edited, tenant=tenant, removed=list(REMOVED_PARTS), kept=list(EVIDENCE_PARTS),
                       kept_until=evidence_until(tenant))


def _problems(what: str, problems: list[CatalogIssue]) -> str:
    return what + ":\n" + "\n".join(f"  {p}" for p in problems)
