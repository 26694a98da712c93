"""What a tenant keeps, per data type: configured days, floor, and the values the resources get.

The program deploys these numbers (log group retention, Object Lock default, the ingest's
per-object retain-until), the lifecycle keeps offboarded evidence until `offboarded_on` + the
longest of them, and `hipaachat audit` shows them; the floors come from
components.retention_floors, the single computation the policy pack shares.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from components.catalog import Tenant
from components.retention_floors import DATA_TYPES, Floor, lock_days, log_group_days
from components.settings import StackSettings

# The tenant file's field for each data type, for findings and fixes in the file's own terms.
FIELD_OF = {"messages": "retention.messages_days", "audit": "retention.audit_days"}


class Kept(BaseModel):
    """One data type: what the file says, what the law needs, what is applied."""

    model_config = ConfigDict(frozen=True)

    data_type: str
    configured: int | None
    floor: Floor
    kept: int  # configured, else the floor; 0 = never expire (audit_days: 0)
    lock_days: int  # Object Lock retain-until days for this data type's archived objects


class RetentionPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    by_type: dict[str, Kept]

    @property
    def log_group_days(self) -> int:
        return log_group_days(self.by_type["audit"].kept)

    @property
    def bucket_default_days(self) -> int:
        """The archive's default retention covers the longest data type (objects without headers)."""
        return max(k.lock_days for k in self.by_type.values())

    @property
    def longest_days(self) -> int | None:
        """How long the evidence outlives offboarding; None when audit_days: 0 keeps it forever."""
        if self.by_type["audit"].kept == 0:
            return None
        return max(max(k.kept, k.floor.days) for k in self.by_type.values())


def retention_plan(tenant: Tenant, settings: StackSettings | None = None) -> RetentionPlan:
    """Raises components.retention_floors.FloorError when the tenant's care has no table row."""
    floors = (settings or StackSettings()).floors(tenant.care)
    configured = tenant.retention.configured
    by_type = {}
    for data_type in DATA_TYPES:
        floor, days = floors[data_type], configured[data_type]
        kept = floor.days if days is None else days
        by_type[data_type] = Kept(data_type=data_type, configured=days, floor=floor, kept=kept,
                                  lock_days=lock_days(kept, floor.days))
    return RetentionPlan(by_type=by_type)


def _years(days: int) -> str:
    return f"{days / 365.25:.0f} years" if days >= 365 else f"{days} days"


def below_floor(data_type: str, configured: int | None, kept: int, floor: Floor) -> str | None:
    """The finding when a data type is kept below its floor (None when it is not; 0 = never expire), in the
    tenant file's terms: the pack's retention-floor-met and `hipaachat tenants validate` say the same words."""
    if kept == 0 or kept >= floor.days:
        return None
    said = f"{FIELD_OF[data_type]}: {configured}" if configured is not None else \
        f"{FIELD_OF[data_type]} (unset, {kept} days)"
    return (f"{said} is below the {data_type} floor of {floor.days} days ({_years(floor.days)}) set by "
            f"{floor.reason()}; set it to {floor.days} or more")
