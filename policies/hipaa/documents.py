"""IAM, KMS, S3 and trust policy documents: parsed once, read as statements.

Pulumi carries policy documents as JSON strings (or, when a program passes a dict, as objects);
AWS allows single values or lists almost everywhere. These helpers normalize both so a rule can
ask "which Allow statements grant to everyone?" without caring how the document was written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\s\"',\]\}]+")
# An ARN's region segment: empty for global services (IAM, S3), a region for regional ones.
_ARN_PARTS = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$")


class DocumentError(ValueError):
    """A policy document that is not a JSON object with statements."""


class Statement(BaseModel):
    """One statement with every list-or-single field normalized to a list."""

    model_config = ConfigDict(frozen=True)

    effect: str
    sid: str | None = None
    principals: list[str] = Field(default_factory=list)
    principal_is_wildcard: bool = False
    not_principal: bool = False
    actions: list[str] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    not_resource: bool = False
    condition: dict[str, Any] = Field(default_factory=dict)

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def label(self, index: int) -> str:
        return f"statement {index + 1}" + (f" ({self.sid})" if self.sid else "")


def parse(document: Any) -> list[Statement]:
    """Statements of a document given as a JSON string or a mapping; raises DocumentError if malformed."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc
    if not isinstance(document, Mapping):
        raise DocumentError("not a JSON object")
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise DocumentError("has no Statement list")
    return [_statement(item) for item in raw if isinstance(item, Mapping)]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _statement(raw: Mapping[str, Any]) -> Statement:
    principal = raw.get("Principal", raw.get("NotPrincipal"))
    principals: list[str] = []
    wildcard = False
    if principal == "*":
        wildcard = True
    elif isinstance(principal, Mapping):
        for values in principal.values():
            listed = _as_list(values)
            wildcard = wildcard or "*" in listed
            principals.extend(listed)
    condition = raw.get("Condition")
    return Statement(
        effect=str(raw.get("Effect", "")),
        sid=raw.get("Sid") if isinstance(raw.get("Sid"), str) else None,
        principals=principals,
        principal_is_wildcard=wildcard,
        not_principal="NotPrincipal" in raw,
        actions=_as_list(raw.get("Action", raw.get("NotAction"))),
        resources=_as_list(raw.get("Resource", raw.get("NotResource"))),
        not_resource="NotResource" in raw,
        condition=dict(condition) if isinstance(condition, Mapping) else {},
    )


def condition_values(statement: Statement, key: str) -> list[str]:
    """Values a statement's conditions require for `key` under any operator (StringEquals, ArnEquals, ...)."""
    found: list[str] = []
    for operator, clauses in statement.condition.items():
        if not isinstance(clauses, Mapping) or operator.startswith(("StringNot", "ArnNot", "Null")):
            continue
        for condition_key, values in clauses.items():
            if condition_key.lower() == key.lower():
                found.extend(_as_list(values) or [str(values)])
    return found


def arns_in(text: str) -> list[str]:
    """ARN-looking substrings of `text` (policy documents, provider config, plain values)."""
    return ARN.findall(text)


def arn_region(arn: str) -> str | None:
    """The region segment of an ARN, or None for global ARNs and non-ARNs."""
    match = _ARN_PARTS.match(arn)
    return (match.group("region") or None) if match else None


def arn_base(arn: str) -> str:
    """The ARN of the resource an ARN points into: `.../*`, `:*` and S3 object keys stripped.

    `arn:aws:s3:::bucket/templates/*` -> `arn:aws:s3:::bucket`; `arn:aws:logs:...:log-group:g:*` ->
    `arn:aws:logs:...:log-group:g`. Used to attribute a grant to the resource it covers.
    """
    match = _ARN_PARTS.match(arn)
    if match and match.group("service") == "s3" and not match.group("region"):
        return f"arn:{match.group('partition')}:s3:::{match.group('rest').split('/', 1)[0]}"
    base = arn
    while base.endswith(("/*", ":*", "*")):
        base = base[:-2] if base.endswith(("/*", ":*")) else base[:-1]
    return base
