"""Waivers: reviewed, expiring exceptions to a policy for one tenant or one resource.

The file (`policies/waivers.yaml`, or `$HIPAACHAT_WAIVERS`) is a list of entries naming a policy,
a tenant or a URN, a reason, an approver and an expiry date (inclusive). A valid waiver turns a
matching violation into a reported waiver; it never makes a finding disappear (see
`waiver_report`). An entry that is expired, malformed, names an unknown policy or a policy that
cannot be waived, or expires more than a year out is itself a mandatory violation
(`waivers-valid`): an exception nobody can read or renew is no exception at all. Isolation and
encryption cannot be waived, only fixed: they are the tenant boundary itself.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from components.files import WAIVER_FILE, InputFileError, read_yaml

# A waiver must be re-approved at least yearly, so that none outlives the person who granted it.
MAX_WAIVER_DAYS = 366
UNWAIVABLE_PREFIXES = ("isolation-", "encryption-")
WAIVERS_ENV = "HIPAACHAT_WAIVERS"


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(min_length=1)
    tenant: str | None = Field(None, min_length=1)
    urn: str | None = Field(None, pattern=r"^urn:pulumi:")
    reason: str = Field(min_length=10)
    approved_by: str = Field(min_length=3)
    expires: dt.date

    @model_validator(mode="after")
    def _one_target(self) -> "Waiver":
        if (self.tenant is None) == (self.urn is None):
            raise ValueError("name exactly one of tenant or urn")
        return self

    def covers(self, policy: str, tenant: str | None, urn: str | None) -> bool:
        if policy != self.policy:
            return False
        return (self.tenant is not None and self.tenant == tenant) or (self.urn is not None and self.urn == urn)


class WaiverProblem(BaseModel):
    """Why one entry of the waiver file does not count; `tenant`/`urn` attribute it when known."""

    entry: int | None
    message: str
    tenant: str | None = None
    urn: str | None = None


class WaiverBook(BaseModel):
    source: str
    waivers: list[Waiver] = Field(default_factory=list)
    problems: list[WaiverProblem] = Field(default_factory=list)

    def match(self, policy: str, tenant: str | None, urn: str | None) -> Waiver | None:
        return next((w for w in self.waivers if w.covers(policy, tenant, urn)), None)


def waivable(policy: str, known: Iterable[str], meta: Iterable[str]) -> bool:
    return policy in set(known) and policy not in set(meta) and not policy.startswith(UNWAIVABLE_PREFIXES)


def load_waivers(path: Path, *, today: dt.date, known: Iterable[str], meta: Iterable[str]) -> WaiverBook:
    """Read and judge the waiver file; a missing file is an empty book (no waivers, no problems)."""
    known, meta = set(known), set(meta)
    book = WaiverBook(source=str(path))
    if not path.exists() and not path.is_symlink():
        return book
    try:
        data: Any = read_waiver_file(path)
    except InputFileError as exc:
        book.problems.append(WaiverProblem(entry=None, message=str(exc)))
        return book
    if data is None:
        return book
    if not isinstance(data, list):
        book.problems.append(WaiverProblem(entry=None,
                                           message=f"{path.name} must be a list of waivers (- policy: ...)"))
        return book
    for index, raw in enumerate(data, start=1):
        waiver, problem = _judge(index, raw, today=today, known=known, meta=meta)
        if problem is not None:
            book.problems.append(problem)
        elif waiver is not None:
            book.waivers.append(waiver)
    return book


def waiver_path(pack_dir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """The waiver file the pack reads: `$HIPAACHAT_WAIVERS`, else waivers.yaml beside the pack."""
    return Path(environ.get(WAIVERS_ENV) or (pack_dir.parent / "waivers.yaml"))


def read_waiver_file(path: Path, shown: str | None = None) -> Any:
    """The waiver file's YAML, read like every hipaachat input (components.files); raises InputFileError.

    Symlinks may point anywhere: `$HIPAACHAT_WAIVERS` names the file explicitly, so there is no
    project boundary to keep it in. The CLI calls this first so a broken file is bad input
    (exit 2) there, while a pack run by `pulumi preview` reports it as a `waivers-valid` violation.
    """
    return read_yaml(path, WAIVER_FILE, shown=shown)


def _judge(index: int, raw: Any, *, today: dt.date, known: set[str], meta: set[str]
           ) -> tuple[Waiver | None, WaiverProblem | None]:
    target = raw if isinstance(raw, dict) else {}
    tenant = target.get("tenant") if isinstance(target.get("tenant"), str) else None
    urn = target.get("urn") if isinstance(target.get("urn"), str) else None

    def problem(message: str) -> tuple[None, WaiverProblem]:
        return None, WaiverProblem(entry=index, message=f"waiver #{index}: {message}", tenant=tenant, urn=urn)

    try:
        waiver = Waiver.model_validate(raw)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors())
        return problem(f"malformed ({fields}); every waiver needs policy, tenant or urn, reason (10+ characters), "
                       "approved_by and expires (YYYY-MM-DD)")
    if waiver.policy not in known:
        return problem(f"'{waiver.policy}' is not a policy of this pack; use a name from the pack's policy list")
    if not waivable(waiver.policy, known, meta):
        return problem(f"'{waiver.policy}' cannot be waived (isolation, encryption and the pack's own checks must "
                       "be fixed, not excepted)")
    if waiver.expires < today:
        return problem(f"expired on {waiver.expires.isoformat()} (policy {waiver.policy}); fix the violation or "
                       "renew the waiver with a new approval")
    if (waiver.expires - today).days > MAX_WAIVER_DAYS:
        return problem(f"expires {waiver.expires.isoformat()}, more than {MAX_WAIVER_DAYS} days from "
                       f"{today.isoformat()}; waivers must be re-approved at least yearly")
    return waiver, None
