"""Waivers with days left, and promotion history: the decisions around the stack, not its resources.

Waivers are read with the pack's own reader (policies/hipaa/waivers.py), so the evidence and the
pack can never disagree about which waiver counts. Promotion records (`stacks/promotions/*.jsonl`,
written by `hipaachat promote`) are read defensively: one bad line is reported as a problem with
its line number and the rest are still shown; linkage (`previous` names the record before) is
checked here, the hashes themselves by `hipaachat promote --check`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.files import PROMOTION_RECORDS, InputFileError, read_lines
from policies.hipaa.waivers import load_waivers
from scripts.audit.models import PromotionEvidence, PromotionGate, PromotionProblem, WaiverEvidence
from scripts.promote.records import RECORDS_DIR


def read_waivers(path: Path, *, today: dt.date, known: Iterable[str], meta: Iterable[str]) -> list[WaiverEvidence]:
    book = load_waivers(path, today=today, known=known, meta=meta)
    found = [WaiverEvidence(policy=w.policy, tenant=w.tenant, urn=w.urn, reason=w.reason, approved_by=w.approved_by,
                            expires=w.expires.isoformat(), days_left=(w.expires - today).days, state="active")
             for w in book.waivers]
    found += [WaiverEvidence(policy="(waiver file)", tenant=p.tenant, urn=p.urn, reason=None, approved_by=None,
                             expires=None, days_left=None, state="problem", problem=p.message)
              for p in book.problems]
    return found


class _Tenant(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    sha256: str | None = None


class _Gate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    passed: bool | None = None
    detail: str | None = None


class _Record(BaseModel):
    """One promotion record, as `hipaachat promote` writes it; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = None
    previous: str | None = None
    time: str | None = None
    actor: str | None = None
    commit: str | None = None
    from_stack: str | None = Field(None, alias="from")
    to_stack: str | None = Field(None, alias="to")
    tenants: list[_Tenant] = Field(default_factory=list)
    gates: list[_Gate] = Field(default_factory=list)
    plan_sha256: str | None = None
    waivers: list[Any] = Field(default_factory=list)


def read_promotions(root: Path, stack: str) -> tuple[list[PromotionEvidence], list[PromotionProblem], list[Path]]:
    """Records that promoted into or out of `stack`, problems found, and the files read."""
    directory = root / RECORDS_DIR
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    records: list[PromotionEvidence] = []
    problems: list[PromotionProblem] = []
    for path in files:
        shown = str(path.relative_to(root))
        previous_id: str | None = None
        try:
            # Whole file first: one that breaks part-way (bad UTF-8, too large) contributes no records.
            lines = list(read_lines(path, PROMOTION_RECORDS, root=root, shown=shown))
        except InputFileError as exc:
            problems.append(PromotionProblem(file=shown, line=None, message=exc.detail))
            continue
        for number, line in lines:
            if not line.strip():
                continue
            try:
                record = _Record.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                reason = "not JSON" if isinstance(exc, json.JSONDecodeError) else "not a promotion record"
                problems.append(PromotionProblem(file=shown, line=number, message=f"{reason}; the line is skipped"))
                previous_id = None
                continue
            chain_ok = record.previous == previous_id if previous_id is not None else True
            if not chain_ok:
                problems.append(PromotionProblem(file=shown, line=number,
                                                 message="`previous` does not name the record on the line before: "
                                                         "the chain is broken (run `hipaachat promote --check`)"))
            previous_id = record.id
            if stack not in (record.from_stack, record.to_stack):
                continue
            records.append(PromotionEvidence(
                file=shown, line=number, id=record.id, time=record.time, actor=record.actor, commit=record.commit,
                from_stack=record.from_stack, to_stack=record.to_stack,
                tenant_sha256={t.id: t.sha256 or "" for t in record.tenants},
                gates=[PromotionGate(name=g.name, passed=g.passed, detail=g.detail) for g in record.gates],
                plan_sha256=record.plan_sha256, waivers=record.waivers, chain_ok=chain_ok))
    return records, problems, files


def scoped_promotion(record: PromotionEvidence, tenants: set[str]) -> PromotionEvidence | None:
    """The record as one clinic may see it: its own tenant hashes only, and nothing that could name another.

    Gate details and waivers of a promotion that also carried other tenants are dropped: their
    text may name those tenants.
    """
    own = {k: v for k, v in record.tenant_sha256.items() if k in tenants}
    if not own:
        return None
    solo = set(record.tenant_sha256) <= tenants
    gates = record.gates if solo else [PromotionGate(name=g.name, passed=g.passed, detail=None) for g in record.gates]
    waivers = record.waivers if solo else [w for w in record.waivers
                                           if isinstance(w, dict) and w.get("tenant") in tenants]
    return record.model_copy(update={"tenant_sha256": own, "gates": gates, "waivers": waivers})
