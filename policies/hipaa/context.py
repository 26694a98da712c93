"""What the pack knows about the stack it guards, read once when the engine starts it.

The Pulumi CLI passes the stack's config to a policy pack in `PULUMI_CONFIG` (the same JSON a
program gets), so enforcement follows the stack: `hipaachat:environment` decides whether
production gates block, `hipaachat:retentionMinimumDays` the retention floor, and so on. When a
setting is missing or unreadable the pack takes the strict reading: an undeclared environment is
enforced as production, and unreadable settings are reported (`policy-config-invalid`) while the
defaults (components.settings) protect.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from components.settings import DEFAULT_RETENTION_DAYS, NAMESPACE, Environment, StackSettings
from policies.hipaa.values import as_int
from policies.hipaa.waivers import WaiverBook, load_waivers, waiver_path

TODAY_ENV = "HIPAACHAT_TODAY"
ENVIRONMENT_KEY = f"{NAMESPACE}:environment"


class PackContext(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: StackSettings
    environment: Environment
    environment_declared: bool
    today: dt.date
    waivers: WaiverBook
    problems: list[str] = Field(default_factory=list)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def retention_minimum(self, policy_config: Mapping[str, Any]) -> int:
        """The stricter of the stack's `retentionMinimumDays` and the pack config's (`--policy-pack-config`)."""
        configured = as_int(policy_config.get("retentionMinimumDays")) if policy_config else None
        return max(self.settings.retention_minimum_days, configured or 0)

    def environment_note(self) -> str:
        if self.environment_declared:
            return ""
        return f" ({ENVIRONMENT_KEY} is not set, so the pack enforces production rules; set it explicitly)"


def load_context(pack_dir: Path, *, known: Iterable[str], meta: Iterable[str],
                 environ: Mapping[str, str] = os.environ) -> PackContext:
    problems: list[str] = []
    raw = _stack_config(environ, problems)
    settings = _settings(raw, problems)
    declared = raw.get(ENVIRONMENT_KEY)
    environment: Environment = declared if declared in ("prototype", "production") else "production"
    if declared is not None and declared not in ("prototype", "production"):
        problems.append(f"{ENVIRONMENT_KEY} must be prototype or production; enforcing as production")
    if environment == "production" and settings.retention_minimum_days < DEFAULT_RETENTION_DAYS:
        problems.append(f"{NAMESPACE}:retentionMinimumDays is {settings.retention_minimum_days} in production; "
                        f"production keeps audit evidence at least {DEFAULT_RETENTION_DAYS} days (6 years, "
                        "45 CFR 164.316(b)(2)(i)); raise it or remove it")
    today = _today(environ, problems)
    waiver_file = waiver_path(pack_dir, environ)
    return PackContext(
        settings=settings.model_copy(update={"environment": environment}),
        environment=environment,
        environment_declared=declared in ("prototype", "production"),
        today=today,
        waivers=load_waivers(waiver_file, today=today, known=known, meta=meta),
        problems=problems,
    )


def _stack_config(environ: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    text = environ.get("PULUMI_CONFIG")
    if not text:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        problems.append("PULUMI_CONFIG is not valid JSON; the pack uses its strictest defaults")
        return {}
    return data if isinstance(data, dict) else {}


def _settings(raw: Mapping[str, Any], problems: list[str]) -> StackSettings:
    """The stack's settings; invalid keys are reported and left at their (safe) defaults, the rest still apply."""
    try:
        return StackSettings.from_config(raw)
    except (ValidationError, ValueError) as exc:
        problems.append(_settings_problem(exc))
        if not isinstance(exc, ValidationError):
            return StackSettings()
        bad = {f"{NAMESPACE}:{e['loc'][0]}" for e in exc.errors() if e["loc"]}
        try:
            return StackSettings.from_config({k: v for k, v in raw.items() if k not in bad})
        except (ValidationError, ValueError):
            return StackSettings()


def _settings_problem(exc: Exception) -> str:
    """Name the offending keys without echoing values (config may hold secrets)."""
    if isinstance(exc, ValidationError):
        fields = "; ".join(f"{NAMESPACE}:{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    else:
        fields = f"a {NAMESPACE}: value is not valid JSON"
    return f"stack settings are invalid ({fields}); the pack uses safe defaults until they are fixed"


def _today(environ: Mapping[str, str], problems: list[str]) -> dt.date:
    """Today's date, or `HIPAACHAT_TODAY` (YYYY-MM-DD) so expiry and BAA dates are testable."""
    override = environ.get(TODAY_ENV)
    if not override:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(override)
    except ValueError:
        problems.append(f"{TODAY_ENV}={override!r} is not a YYYY-MM-DD date; using the real date")
        return dt.date.today()
