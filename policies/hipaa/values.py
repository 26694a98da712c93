"""Reading property values the way policies need them: tolerant of preview unknowns, never raw proxies.

pulumi_policy hands policies its own read-only proxies that raise `UnknownValueError` on a value
that is not known yet (preview). Resource rules let that propagate on the value they judge, so
the engine reports "can't run during preview" instead of a false pass; stack rules read through
`plain`, which turns unknowns into `UNKNOWN` so one pending ARN does not hide every other finding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


class _Unknown:
    """A value Pulumi does not know yet (preview). Compares unequal to everything but itself."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


def plain(value: Any) -> Any:
    """A plain dict/list/scalar copy of a (possibly proxied) value, with unknown leaves as `UNKNOWN`."""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def contains_unknown(value: Any) -> bool:
    """True when a plain value is, or holds anywhere, a value not known yet (preview)."""
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def dig(value: Any, *path: str | int) -> Any:
    """`value[p0][p1]...` or None when any step is missing (UNKNOWN propagates)."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(value, Sequence) or isinstance(value, str) or step >= len(value):
                return None
        elif not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


def strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every known string leaf of a plain value with its dotted path (for following references)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        found.append((path, value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found.extend(strings(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(strings(item, f"{path}[{index}]"))
    return found


def as_int(value: Any) -> int | None:
    """Pulumi numbers arrive as floats (2192.0) or, from config, strings; None when not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def as_bool(value: Any) -> bool | None:
    """Booleans arrive as bools or, from some providers and config, as "true"/"false" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None
