"""`tenants validate`'s template check: the pack's verdict on each notification template, before any plan.

The words come from `components.phi.template_problem`, which the policy pack uses too, so a
template reads the same here as in `hipaachat plan`, at the same `file:line:column` (the
column of the first finding inside the string). The verdict follows the pack's levels: email
and SMS templates are mandatory everywhere (errors, exit 2); push and in-app texts are
advisory (warnings) unless the stack raises `notifications-push-in-app-phi-free` to mandatory
in `hipaachat:policy`.
"""

from __future__ import annotations

from pydantic import BaseModel

from components.catalog import TenantFile
from components.files import TENANT_FILE, read_text
from components.findings import position, span_offset, split_field, where
from components.phi import POINTER_ONLY_CHANNELS, template_problem
from components.settings import StackSettings

PUSH_POLICY = "notifications-push-in-app-phi-free"


class TemplateFinding(BaseModel):
    """One template the pack would report, in the shared finding shape."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    error: bool

    def __str__(self) -> str:
        return f"{where(self.file, self.line, self.column)}: {self.field}: {self.message}"


def template_findings(entries: list[TenantFile], settings: StackSettings, shown) -> list[TemplateFinding]:
    """Every tenant's template findings, one per template (deduplicated), in file order."""
    extra = frozenset(settings.pointer_vocabulary)
    push_blocks = settings.policy.get(PUSH_POLICY) == "mandatory"
    found: list[TemplateFinding] = []
    for entry in entries:
        text = read_text(entry.path, TENANT_FILE)
        for channel, template in entry.tenant.notifications.model_dump().items():
            problem = template_problem(channel, template, extra)
            if problem is None:
                continue
            field, rest = split_field(problem)
            line, column = position(text, field or f"notifications.{channel}", span_offset(problem))
            found.append(TemplateFinding(file=shown(entry.path), line=line, column=column,
                                         field=field or f"notifications.{channel}", message=rest,
                                         error=channel in POINTER_ONLY_CHANNELS or push_blocks))
    return list({str(f): f for f in found}.values())
