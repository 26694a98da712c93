"""The tenant catalog: one reviewed YAML file per tenant under `stacks/tenants/<stack>/`.

The models here are the user-facing contract of a tenant file (README: The tenant file). Loading is
strict and exhaustive: every problem in every file is collected and reported at once, each
naming the file, the line, the field and the fix, because a reviewer fixing a pull request
one error per CI run is the slow path we exist to remove.

What is *policy* (retention below the stack minimum, PHI in a template, a production tenant
without a BAA) is not refused here: the file is well-formed and the policy pack refuses the
deployment with the control it breaks. What is refused here is what no deployment could mean.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from components.files import TENANT_FILE, InputFileError, read_text
from components.retention_floors import CLOUDWATCH_RETENTION_DAYS, Care
from components.findings import split_field, where
from components.yaml_lines import LineIndex, load_with_lines

VISIBILITY_SCOPES = ("own", "panel", "assigned", "care-team", "audit", "scheduling", "none")
CHANNELS = ("push", "in_app", "email", "sms")
# CometChat allows 25 roles per app and its built-in `default` role takes one slot.
MAX_ROLES = 24
TENANT_ID = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")
ROLE_ID = re.compile(r"^[a-z][a-z0-9-]{0,49}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retention(_Strict):
    """Per data type retention, in days; each unset value is the tenant's floor (components.retention_floors).

    `audit_log_days` is the old name of `audit_days` and keeps working.
    """

    messages_days: int | None = Field(None, ge=1, strict=True, description=(
        "archived message events (clinical content, the medical record); unset = the floor"))
    audit_days: int | None = Field(None, strict=True, description=(
        "index records, receipts and access events (HIPAA documentation); a CloudWatch value, 0 = never "
        "expire; unset = the floor"))
    audit_log_days: int | None = Field(None, strict=True, description="old name of audit_days",
                                       json_schema_extra={"deprecated": True})

    @field_validator("audit_days", "audit_log_days")
    @classmethod
    def _cloudwatch_value(cls, days: int | None) -> int | None:
        if days is not None and days < 0:
            raise ValueError(f"{days} is negative; use a CloudWatch Logs retention value of at least 2192 "
                             "(6 years), or 0 (never expire)")
        if days is not None and days != 0 and days not in CLOUDWATCH_RETENTION_DAYS:
            longer = [d for d in CLOUDWATCH_RETENTION_DAYS if d >= days]
            hint = f"use {longer[0]}" if longer else "use 3653 or 0 (never expire)"
            raise ValueError(f"{days} is not a CloudWatch Logs retention value; {hint} (6 years = 2192)")
        return days

    @model_validator(mode="after")
    def _one_name(self) -> "Retention":
        if self.audit_days is not None and self.audit_log_days is not None:
            raise ValueError("set audit_days only (audit_log_days is its old name)")
        return self

    @property
    def configured(self) -> dict[str, int | None]:
        """Data type -> the configured days (None = the floor)."""
        audit = self.audit_days if self.audit_days is not None else self.audit_log_days
        return {"messages": self.messages_days, "audit": audit}


class Baa(_Strict):
    """The Business Associate Agreement attestation; CometChat has no API flag for it."""

    signed: dt.date
    reference: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class Features(_Strict):
    ai: bool = Field(False, description="AI and third-party extensions; off unless BAA-covered")


class CometChat(_Strict):
    """Per-tenant CometChat knobs. Raise key_generation by one to rotate the app's keys."""

    key_generation: int = Field(0, ge=0, description="bump to rotate the app's API keys")


class Lifecycle(_Strict):
    """Where the tenant is in its life; offboarding is a state in this file, never a deleted file.

    active: everything deploys. offboarded: only the evidence subtree (key, log group, archive,
    auditor role) deploys, until `offboarded_on` + retention. released: set by a person once that
    date has passed; the stack then stops managing the evidence (AWS keeps it: retain_on_delete).
    """

    state: Literal["active", "offboarded", "released"] = "active"
    offboarded_on: dt.date | None = Field(None, description="the day the tenant stopped using the service")

    @model_validator(mode="after")
    def _dated(self) -> "Lifecycle":
        if self.state == "active" and self.offboarded_on is not None:
            raise ValueError("offboarded_on is set but state is active; set state: offboarded, or remove "
                             "offboarded_on")
        if self.state != "active" and self.offboarded_on is None:
            raise ValueError(f"state {self.state} needs offboarded_on: YYYY-MM-DD (evidence is kept until that "
                             f"date + retention); `hipaachat tenants offboard` sets both")
        return self


class Role(_Strict):
    sees: list[str] = Field(min_length=1)
    clinical_content: bool

    @field_validator("sees")
    @classmethod
    def _known_scopes(cls, sees: list[str]) -> list[str]:
        unknown = [s for s in sees if s not in VISIBILITY_SCOPES]
        if unknown:
            raise ValueError(f"unknown visibility {unknown}; choose from {list(VISIBILITY_SCOPES)}")
        return sees


class Notifications(_Strict):
    """Channel -> template. Email and SMS leave the BAA boundary, so they must be pointer-only."""

    push: str = Field(min_length=1, max_length=500)
    in_app: str = Field(min_length=1, max_length=500)
    email: str = Field(min_length=1, max_length=1000)
    sms: str = Field(min_length=1, max_length=320)


class Tenant(_Strict):
    id: str
    name: str = Field(min_length=1, max_length=100)
    residency: str
    care: Care | None = Field(None, description="where care is delivered, by whom, for whom; required in production")
    retention: Retention = Field(default_factory=Retention)
    baa: Baa | None = None
    features: Features = Field(default_factory=Features)
    cometchat: CometChat = Field(default_factory=CometChat)
    roles: dict[str, Role]
    notifications: Notifications
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)

    @field_validator("id")
    @classmethod
    def _dns_safe(cls, value: str) -> str:
        if not TENANT_ID.match(value):
            raise ValueError(
                "must be DNS-safe: lowercase letters, digits and '-', start with a letter, "
                "at most 32 characters (e.g. 'sunrise-clinic')"
            )
        return value

    @field_validator("residency")
    @classmethod
    def _known_residency(cls, value: str) -> str:
        if value not in ("us", "eu", "in"):
            raise ValueError(f"'{value}' is not a residency; use us, eu or in")
        return value

    @field_validator("roles")
    @classmethod
    def _role_matrix(cls, roles: dict[str, Role]) -> dict[str, Role]:
        if len(roles) > MAX_ROLES:
            raise ValueError(f"{len(roles)} roles; CometChat allows {MAX_ROLES} besides its default role")
        for role_id in roles:
            if not ROLE_ID.match(role_id):
                raise ValueError(f"role id '{role_id}' must be lowercase letters, digits and '-' (CometChat role ids)")
        return roles

    @model_validator(mode="after")
    def _minimum_necessary(self) -> "Tenant":
        """Admin and front desk never see clinical content (45 CFR 164.502(b) minimum necessary).

        The message starts with the field it is about (components.findings), so the loader can
        point at that field's line rather than at the file.
        """
        admin = self.roles.get("admin")
        if admin is not None and admin.clinical_content:
            raise ValueError("roles.admin.clinical_content: must be false (admins see audit data, not clinical "
                             "content); set clinical_content: false")
        desk = self.roles.get("front-desk")
        if desk is not None and desk.clinical_content:
            raise ValueError("roles.front-desk.clinical_content: must be false (the front desk sees scheduling "
                             "only); set clinical_content: false")
        if desk is not None and set(desk.sees) - {"scheduling"}:
            raise ValueError("roles.front-desk.sees: the front desk must see only [scheduling]; set sees: "
                             "[scheduling]")
        return self


class CatalogIssue(BaseModel):
    """One problem in one tenant file, precise enough to fix without reading code."""

    file: str
    line: int | None
    field: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        return f"{where(self.file, self.line, self.column)}: {self.field}: {self.message}"


class CatalogError(Exception):
    """The catalog has problems; `issues` lists every one of them."""

    def __init__(self, issues: list[CatalogIssue]):
        self.issues = issues
        noun = "problem" if len(issues) == 1 else "problems"
        super().__init__(f"{len(issues)} {noun} in the tenant catalog:\n" + "\n".join(f"  {i}" for i in issues))


class TenantFile(BaseModel):
    """A loaded tenant and where it came from (for messages and for the plan report)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    tenant: Tenant


def catalog_dir(project_dir: Path, stack: str) -> Path:
    return project_dir / "stacks" / "tenants" / stack


def load_catalog(directory: Path, display_root: Path | None = None) -> list[TenantFile]:
    """Load and validate every `*.yaml` tenant file in `directory`, sorted by id.

    Raises CatalogError listing all problems across all files (syntax, schema, duplicates,
    file name not matching the id). An empty or missing directory is an error too: a stack
    with no tenants is almost always a typo in the stack name.
    """
    shown = (lambda p: str(p.relative_to(display_root))) if display_root else str
    files, misnamed = tenant_file_names(directory)
    if not files and not misnamed:
        raise CatalogError([CatalogIssue(
            file=shown(directory) if directory.exists() else str(directory), line=None, field="(catalog)",
            message="no tenant files found; add one with `hipaachat tenants new --stack STACK ID`",
        )])
    issues: list[CatalogIssue] = [CatalogIssue(
        file=shown(path), line=None, field="(file name)",
        message=f"not a tenant file name; tenant files are named <id>.yaml (e.g. sunrise-clinic.yaml): rename it, "
                f"or move it out of {shown(directory)}") for path in misnamed]
    loaded: list[TenantFile] = []
    stems = frozenset(p.stem for p in files)
    for path in files:
        tenant, file_issues = _load_one(path, shown(path), display_root or directory, stems - {path.stem})
        issues.extend(file_issues)
        if tenant is not None:
            loaded.append(TenantFile(path=path, tenant=tenant))
    issues.extend(_duplicates(loaded, shown))
    if issues:
        raise CatalogError(issues)
    return sorted(loaded, key=lambda f: f.tenant.id)


def tenant_file_names(directory: Path) -> tuple[list[Path], list[Path]]:
    """The catalog's tenant files (`<id>.yaml`, `<id>.yml`) and the other entries, which are errors.

    Hidden entries (editor swap files, `.partial` staging files) are not part of the catalog.
    """
    entries = sorted(p for p in directory.iterdir() if not p.name.startswith(".")) if directory.is_dir() else []
    named = [p for p in entries if p.suffix in (".yaml", ".yml") and TENANT_ID.match(p.stem)]
    return named, [p for p in entries if p not in named]


def _load_one(path: Path, shown: str, root: Path, others: frozenset[str]) -> tuple[Tenant | None, list[CatalogIssue]]:
    try:
        text = read_text(path, TENANT_FILE, root=root, shown=shown)
    except InputFileError as exc:
        return None, [CatalogIssue(file=shown, line=exc.line, field="(file)", message=exc.detail)]
    return parse_tenant(text, shown, path.stem, path.suffix, others)


def parse_tenant(text: str, shown: str, stem: str, suffix: str = ".yaml",
                 others: frozenset[str] = frozenset()) -> tuple[Tenant | None, list[CatalogIssue]]:
    """Validate one tenant file's text; `stem` is the file name the id must match, `others` the catalog's other ids."""
    tenant, issues = _parse_cached(text, shown, stem, suffix, others)
    return tenant, list(issues)


# `hipaachat plan` validates the catalog and then the program loads it again; keyed on the text
# itself, the cache can never serve a stale tenant.
@functools.lru_cache(maxsize=8192)
def _parse_cached(text: str, shown: str, stem: str, suffix: str,
                  others: frozenset[str]) -> tuple[Tenant | None, tuple[CatalogIssue, ...]]:
    tenant, issues = _parse(text, shown, stem, suffix, others)
    return tenant, tuple(issues)


def _parse(text: str, shown: str, stem: str, suffix: str,
           others: frozenset[str]) -> tuple[Tenant | None, list[CatalogIssue]]:
    try:
        data, index = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        return None, [CatalogIssue(file=shown, line=line, field="(yaml)",
                                   message=f"not valid YAML ({getattr(exc, 'problem', exc)}); "
                                           f"{getattr(exc, 'fix', 'fix the syntax')}")]
    if data is None:
        return None, [CatalogIssue(file=shown, line=1, field="(file)",
                                   message=f"the file is empty; start from `hipaachat tenants new --stack STACK "
                                           f"{stem}`, which writes a tenant file that validates")]
    if not isinstance(data, dict):
        return None, [CatalogIssue(file=shown, line=1, field="(file)",
                                   message="a tenant file is a mapping of keys (id, name, residency, ...)")]
    try:
        tenant = Tenant.model_validate(data)
    except ValidationError as exc:
        return None, [_issue_from(err, shown, index) for err in exc.errors()]
    if tenant.id != stem:
        line, column = index.position_of(("id",))
        if tenant.id in others:
            # Renaming this file to the id would overwrite the tenant that owns it.
            taken = str(Path(shown).with_name(f"{tenant.id}{suffix}"))
            message = (f"'{tenant.id}' is already taken by {taken}; give this tenant its own id: set id: {stem} "
                       f"(a tenant's id is its file name)")
        else:
            message = (f"'{tenant.id}' does not match the file name; set id: {stem}, or rename the file to "
                       f"{tenant.id}{suffix}")
        return None, [CatalogIssue(file=shown, line=line, column=column, field="id", message=message)]
    return tenant, []


def _issue_from(err: dict[str, Any], shown: str, index: LineIndex) -> CatalogIssue:
    loc = tuple(str(p) for p in err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    if not loc:  # a whole-file rule names the field it is about first (components.findings)
        named, rest = split_field(message)
        if named is not None:
            loc, message = tuple(named.split(".")), rest
    field = ".".join(loc) or "(file)"
    if err["type"] == "missing":
        message = "is required; add it (see `hipaachat tenants schema` or the README section 'The tenant file')"
    elif err["type"] == "extra_forbidden":
        message = "is not a tenant field; remove it or fix its spelling (`hipaachat tenants schema` lists fields)"
    line, column = index.position_of(loc)
    return CatalogIssue(file=shown, line=line, column=column, field=field, message=message)


def _duplicates(loaded: list[TenantFile], shown: Any) -> list[CatalogIssue]:
    """Ids and display names are unique in a stack: two clinics must never be confused."""
    issues = []
    for attr in ("id", "name"):
        seen: dict[str, TenantFile] = {}
        for entry in loaded:
            value = getattr(entry.tenant, attr).casefold()
            if value in seen:
                line, column = load_with_lines(read_text(entry.path, TENANT_FILE))[1].position_of((attr,))
                issues.append(CatalogIssue(
                    file=shown(entry.path), line=line, column=column, field=attr,
                    message=f"'{getattr(entry.tenant, attr)}' is already used by {shown(seen[value].path)}; "
                            f"every tenant needs its own {attr}",
                ))
            else:
                seen[value] = entry
    return issues
