"""The records `hipaachat shards` reports: one summary per stack, one verdict per environment."""

from __future__ import annotations

from pydantic import BaseModel, Field, computed_field

from scripts.engine.models import Violation, Waived


class StackSummary(BaseModel):
    """One stack's plan, reduced to what a fleet view needs (the full plan is `hipaachat plan --stack`)."""

    stack: str
    tenants: list[str]
    resource_count: int
    violations: list[Violation] = Field(default_factory=list)
    waived: list[Waived] = Field(default_factory=list)
    blocked: bool
    # Set when the policy pack itself failed for this stack: the plan cannot pass (fail closed).
    error: str | None = None
    seconds: float = 0.0


class ChangeScope(BaseModel):
    """Which stacks `--changed-since REF` selected, and why."""

    ref: str
    commit: str
    # A changed file that affects every stack (program, pack, waivers): why all were planned.
    all_because: str | None = None
    files: dict[str, list[str]] = Field(default_factory=dict)


class ShardsReport(BaseModel):
    environment: str
    stacks: list[StackSummary]
    # Stacks of the environment not planned because nothing they depend on changed.
    unchanged: list[str] = Field(default_factory=list)
    changed_since: ChangeScope | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def blocked(self) -> bool:
        """A `pulumi up` of some stack would be refused (its plan is blocked or its pack failed)."""
        return any(s.blocked for s in self.stacks)
