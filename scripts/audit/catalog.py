"""The controls the evidence is organised by: 45 CFR sections, their titles, and the policies behind each.

`policies/hipaa/controls.py` says which 45 CFR sections each policy enforces; this module turns
that around (section -> policies), adds the audit's own check (secret hygiene), and knows which
resource types each policy judges, so a control with nothing to judge in a tenant is reported
"not applicable" rather than a hollow "pass".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from policies.hipaa import contracts as c
from policies.hipaa.controls import CONTROLS
from policies.hipaa.pack import rules
from policies.hipaa.waiver_report import WAIVER_POLICY

SECRET_HYGIENE = "secret-hygiene"
SECRET_HYGIENE_CFR = ("164.312(a)(2)(iv)", "164.308(a)(5)(ii)(D)")
SECRET_HYGIENE_FIX = ("Make the value a Pulumi secret (pulumi.Output.secret, `pulumi config set --secret`, or "
                      "additional_secret_outputs), then `pulumi up` so the state stores only ciphertext.")

PARTS = {
    "164.308": "164.308 Administrative Safeguards",
    "164.312": "164.312 Technical Safeguards",
    "164.314": "164.314 Organizational Requirements",
    "164.316": "164.316 Policies, Procedures and Documentation",
    "164.502": "164.502 Uses and Disclosures of PHI: General Rules",
    "164.514": "164.514 Other Requirements for Uses and Disclosures of PHI",
}

TITLES = {
    "164.308(a)(1)(ii)(B)": "Risk management",
    "164.308(a)(3)(i)": "Workforce security",
    "164.308(a)(4)(i)": "Information access management",
    "164.308(a)(4)(ii)(B)": "Access authorization",
    "164.308(a)(5)(ii)(D)": "Password management",
    "164.308(a)(7)(ii)(A)": "Data backup plan",
    "164.308(b)(1)": "Business associate contracts and other arrangements",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(iv)": "Encryption and decryption",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity",
    "164.312(e)(1)": "Transmission security",
    "164.312(e)(2)(i)": "Integrity controls (transmission)",
    "164.312(e)(2)(ii)": "Encryption (transmission and at rest)",
    "164.314(a)(1)": "Business associate contracts or other arrangements",
    "164.316(a)": "Policies and procedures",
    "164.316(b)(1)": "Documentation",
    "164.316(b)(2)(i)": "Documentation time limit (6 years)",
    "164.502(b)": "Minimum necessary",
    "164.502(e)": "Disclosures to business associates",
    "164.514(b)(2)": "De-identification: Safe Harbor identifiers",
    "164.514(d)": "Minimum necessary requirements",
}

# Stack rules have no type filter in the pack; these are the resource types each one judges.
_STACK_RULE_TYPES: dict[str, tuple[str, ...]] = {
    "encryption-s3-tenant-key": (*c.BUCKETS, *c.S3_OBJECTS, *c.SSE_CONFIGS),
    "encryption-s3-public-access-blocked": (*c.BUCKETS, c.S3_PUBLIC_ACCESS),
    "encryption-s3-tls-only": (*c.BUCKETS, c.S3_BUCKET_POLICY),
    "encryption-log-group-tenant-key": (c.LOG_GROUP,),
    "encryption-secret-tenant-key": (c.SECRET,),
    "retention-object-lock-compliance": (*c.BUCKETS, *c.OBJECT_LOCKS),
    "retention-s3-versioning": (*c.BUCKETS, *c.VERSIONINGS),
    "retention-archive-covers-floors": (*c.BUCKETS, *c.OBJECT_LOCKS),
    "isolation-cometchat-app-per-tenant": (c.COMETCHAT_APP_TYPE,),
    "isolation-iam-scoped-to-tenant": (c.IAM_ROLE, c.IAM_ROLE_POLICY, c.IAM_POLICY, c.IAM_ROLE_POLICY_ATTACHMENT),
}
# Judge the stack itself (its settings, the waiver file), not a tenant's resources.
STACK_ONLY = frozenset({"policy-config-invalid", "waivers-valid", WAIVER_POLICY})
# Meaningful without hipaachat's tenant model: what a foreign stack is evaluated for.
TENANT_INDEPENDENT = frozenset({"encryption-kms-key-rotation", "encryption-kms-deletion-window",
                                "isolation-no-wildcard-principal", "retention-log-group-minimum",
                                # judge stores outside tenants on a customer-managed key alone
                                "encryption-log-group-tenant-key", "encryption-secret-tenant-key",
                                "policy-config-invalid", "waivers-valid", SECRET_HYGIENE})
_EVERYTHING = "*"


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    section: str
    policies: tuple[str, ...]

    @property
    def requirement_id(self) -> str:
        return requirement_id(self.id)


def requirement_id(section: str) -> str:
    """Prowler's id form: 164.312(a)(2)(iv) -> 164_312_a_2_iv."""
    return "_".join(p for p in re.split(r"[.()]+", section.lower()) if p)


def _cfr_sort_key(section: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.()]+", section) if p)


def cfr_of(policy: str) -> tuple[str, ...]:
    if policy == SECRET_HYGIENE:
        return SECRET_HYGIENE_CFR
    mapping = CONTROLS.get(policy)
    return tuple(mapping.cfr) if mapping else ()


def fix_of(policy: str) -> str:
    if policy == SECRET_HYGIENE:
        return SECRET_HYGIENE_FIX
    mapping = CONTROLS.get(policy)
    return mapping.fix if mapping else ""


def controls() -> list[Control]:
    """Every control some policy (or the audit's own check) enforces, in CFR order."""
    by_section: dict[str, list[str]] = {}
    for policy in [*(rule.name for rule in rules()), SECRET_HYGIENE]:
        for section in cfr_of(policy):
            by_section.setdefault(section, []).append(policy)
    return [Control(id=s, title=TITLES.get(s, s), section=PARTS.get(s.split("(")[0], s.split("(")[0]),
                    policies=tuple(by_section[s])) for s in sorted(by_section, key=_cfr_sort_key)]


def severities() -> dict[str, str]:
    """Policy name -> severity (low|medium|high|critical) as the pack declares it."""
    found = {rule.name: str(getattr(rule.severity, "value", rule.severity)).lower() for rule in rules()}
    return {**found, SECRET_HYGIENE: "critical"}


def _judged_types(policy: str) -> Callable[[str], bool] | str | None:
    """A filter on resource types, `_EVERYTHING`, or None for stack-only policies."""
    if policy in STACK_ONLY:
        return None
    if policy in _STACK_RULE_TYPES:
        return frozenset(_STACK_RULE_TYPES[policy]).__contains__
    for rule in rules():
        if rule.name == policy:
            return rule.applies_to or _EVERYTHING
    return _EVERYTHING


class Applicability:
    """Which of a scope's resources each policy judges; computed once per resource type."""

    def __init__(self, policies: Iterable[str]) -> None:
        self._filters = {p: _judged_types(p) for p in policies}
        self._cache: dict[tuple[str, str], bool] = {}

    def stack_only(self, policy: str) -> bool:
        return self._filters.get(policy) is None

    def covers_all(self, policy: str) -> bool:
        return self._filters.get(policy) == _EVERYTHING

    def judges(self, policy: str, resource_type: str) -> bool:
        key = (policy, resource_type)
        if key not in self._cache:
            judged = self._filters.get(policy)
            self._cache[key] = judged == _EVERYTHING or (callable(judged) and bool(judged(resource_type)))
        return self._cache[key]
