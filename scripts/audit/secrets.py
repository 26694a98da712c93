"""Secret hygiene: values that should be Pulumi secrets but sit in the state in plain text.

Real exports can hold a secret *input* in plain text (a SecretVersion's `secretString` whose
output is encrypted), and anyone who can read the state file (CI artifacts, backups, a support
ticket) can then read the credential. A finding names the URN and the property path, never the
value; the values found are returned separately only so renderers can prove they leak nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components.cometchat.providers.app import APP_SECRET_OUTPUTS
from scripts.audit.models import SecretFinding
from scripts.engine.models import CapturedResource
from scripts.engine.state.envelope import SECRET_SIG, is_secret
from scripts.engine.state.envelope import SIG_KEY as SECRET_SIG_KEY

# SECRET_SIG, SECRET_SIG_KEY and is_secret are re-exported: tests and scripts.audit.tenants import them from here.
__all__ = ["SECRET_BY_TYPE", "SECRET_NAMES", "SECRET_SIG", "SECRET_SIG_KEY", "check", "is_secret"]

# Property names (compared case-insensitively) that hold credentials wherever they appear.
SECRET_NAMES = frozenset(name.lower() for name in (
    "secretString", "secretBinary", "password", "masterPassword", "adminPassword", "privateKey", "privateKeyPem",
    "apiKey", "secretKey", "secretAccessKey", "sessionToken", "token", "authToken", "accessToken", "clientSecret",
    "webhookSecret", "managementKey", "managementSecret", "keyMaterialBase64", *APP_SECRET_OUTPUTS,
))
# Per-type secret outputs (lower-case) whose names are too generic to match everywhere.
SECRET_BY_TYPE = {
    "random:index/randomPassword:RandomPassword": frozenset({"result", "bcrypthash"}),
    "aws:iam/accessKey:AccessKey": frozenset({"secret", "sessmtppasswordv4", "encryptedsecret"}),
}


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(path, last key, value) for every non-secret leaf under `value`; a secret subtree is covered whole."""
    if is_secret(value):
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            child_path = f"{path}.{key}"
            if isinstance(child, (Mapping, list)) and not is_secret(child):
                yield from _walk(child, child_path)
            else:
                yield child_path, str(key), child
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{path}[{index}]")


def _exposed(value: Any) -> bool:
    return not is_secret(value) and value not in (None, "", [], {}) and not isinstance(value, bool)


def check(resources: Sequence[CapturedResource], owner: Mapping[str, str], *,
          engine_encrypts_listed: bool) -> tuple[list[SecretFinding], set[str]]:
    """Findings, and the plain-text values found (for redaction; never rendered).

    `engine_encrypts_listed`: for a declared stack, outputs named in additional_secret_outputs
    are encrypted by the engine when it stores them; a deployed state shows what was stored.
    """
    findings: list[SecretFinding] = []
    values: set[str] = set()
    for resource in resources:
        by_type = SECRET_BY_TYPE.get(resource.type, frozenset())
        listed = {name.lower() for name in resource.options.additional_secret_outputs}
        for side, props in (("inputs", resource.inputs), ("outputs", resource.outputs)):
            for path, key, value in _walk(props, side):
                name = key.lower()
                if name not in SECRET_NAMES and name not in by_type:
                    continue
                if not _exposed(value):
                    continue
                if side == "outputs" and engine_encrypts_listed and name in listed:
                    continue
                values.add(value if isinstance(value, str) else repr(value))
                findings.append(SecretFinding(
                    urn=resource.urn, tenant=owner.get(resource.urn), property=path,
                    reason=f"{key} is stored in plain text in the state; it must be a Pulumi secret"))
    return findings, values
