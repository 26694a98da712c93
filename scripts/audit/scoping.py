"""Tenant-scoped evidence: what one clinic may be shown, decided once, before anything is rendered.

A scoped report keeps the clinic's own tenant and, from the stack as a whole, only what judges
the stack itself (its policy settings and waiver file), and even that only when the text names
no other tenant. Resources outside every tenant are left out: their names are free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from scripts.audit import catalog
from scripts.audit.models import STACK_SCOPE, ControlResult, Finding, InputFile, WaiverEvidence, worst
from scripts.engine.models import CapturedResource


class Scope:
    def __init__(self, components: Mapping[str, CapturedResource], tenants: set[str] | None) -> None:
        self.limited = tenants is not None
        self.tenants = set(tenants) if tenants is not None else set(components)
        others: set[str] = set()
        if self.limited:
            for tenant_id, component in components.items():
                if tenant_id not in self.tenants:
                    others |= {tenant_id, component.urn, component.name}
                    name = component.inputs.get("displayName")
                    if isinstance(name, str) and name:
                        others.add(name)
        self._others = re.compile("|".join(rf"(?<![\w-]){re.escape(o)}(?![\w-])"
                                           for o in sorted(others, key=len, reverse=True))) if others else None

    def visible_tenants(self) -> set[str]:
        return self.tenants

    def mentions_other(self, *texts: str | None) -> bool:
        return self._others is not None and any(t and self._others.search(t) for t in texts)

    def shows(self, finding: Finding) -> bool:
        if not self.limited:
            return True
        if finding.tenant is not None:
            return finding.tenant in self.tenants
        return finding.policy in catalog.STACK_ONLY and not self.mentions_other(finding.message, finding.urn)

    def shows_urn(self, urn: str, tenant: str | None) -> bool:
        return not self.limited or tenant in self.tenants

    def shows_waiver(self, waiver: WaiverEvidence, owner: Mapping[str, str]) -> bool:
        if not self.limited:
            return True
        tenant = waiver.tenant or (owner.get(waiver.urn) if waiver.urn else None)
        if tenant is not None:
            return tenant in self.tenants
        return waiver.urn is None and not self.mentions_other(waiver.problem, waiver.reason)

    def shows_input(self, item: InputFile) -> bool:
        return not self.limited or item.role != "tenant file" or Path(item.path).stem in self.tenants

    def control(self, control: ControlResult) -> ControlResult:
        """The control without the stack-wide resources a clinic may not see."""
        scopes = []
        for result in control.scopes:
            if result.scope == STACK_SCOPE:
                policies = [p for p in result.policies if p in catalog.STACK_ONLY]
                if not policies and not result.findings:
                    continue
                result = result.model_copy(update={"policies": policies, "resources": [],
                                                   "covers_all_resources": False})
            scopes.append(result)
        return control.model_copy(update={"scopes": scopes, "status": worst([s.status for s in scopes])})
