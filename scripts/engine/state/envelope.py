"""Pulumi's special-value signatures, and how secrets look on each side of the state file.

In memory (a capture, and what the Analyzer wire carries) a secret is
`{SIG_KEY: SECRET_SIG, "value": <value>}`. In a state file it is
`{SIG_KEY: SECRET_SIG, "ciphertext": "..."}` (or `"plaintext": "<JSON>"` from
`pulumi stack export --show-secrets`). Reading keeps every secret wrapped; a ciphertext is
carried along (so re-writing keeps it) but its `value` is only a placeholder: nothing here
can decrypt, and nothing downstream can tell a placeholder from a real secret or print it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_policy.deserialize import (
    SPECIAL_ARCHIVE_SIG,
    SPECIAL_ASSET_SIG,
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    serialize_properties,
)

from scripts.project import UNDECRYPTED

SIG_KEY, SECRET_SIG, ASSET_SIG, ARCHIVE_SIG = SPECIAL_SIG_KEY, SPECIAL_SECRET_SIG, SPECIAL_ASSET_SIG, SPECIAL_ARCHIVE_SIG
# pulumi-policy names no resource-reference signature (the engine never sends one to a pack).
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
# Bridged (Terraform-based) providers record which inputs were defaulted; not a user input.
DEFAULTS_KEY = "__defaults"

# What the writer puts where a real export has ciphertext. A constant, never derived from the
# value: a hash of a short secret (a 6-digit PIN, a weak password) could be brute-forced.
DECLARED_CIPHERTEXT = "hipaachat:declared-state:not-encrypted"

SECRET_ENVELOPE: dict[str, Any] = {SIG_KEY: SECRET_SIG, "value": "[secret]"}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def opaque_secrets(value: Any) -> Any:
    """A copy of `value` in which every secret is the same envelope: equal whatever it held."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return dict(SECRET_ENVELOPE)
        return {k: opaque_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [opaque_secrets(v) for v in value]
    return value


def sealed(value: Any) -> Any:
    """A property value as a state file stores it: secrets as ciphertext envelopes, no plaintext."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            ciphertext = value.get("ciphertext")
            return {SIG_KEY: SECRET_SIG,
                    "ciphertext": ciphertext if isinstance(ciphertext, str) else DECLARED_CIPHERTEXT}
        return {k: sealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sealed(v) for v in value]
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        # A capture holds the SDK's asset objects; state and the Analyzer wire hold this form.
        return serialize_properties({"asset": value})["asset"]
    return value


def unseal_hook(obj: dict[str, Any]) -> Any:
    """`json.loads` object hook: state-file special values -> their in-memory form.

    Runs once per JSON object while parsing (cheaper than a second walk over 50k resources):
    secrets become wrapped values, resource references become the id or URN the engine would
    send an analyzer, and `__defaults` bookkeeping is dropped.
    """
    sig = obj.get(SIG_KEY)
    if sig is None:
        if DEFAULTS_KEY in obj:
            del obj[DEFAULTS_KEY]
        return obj
    if sig == SECRET_SIG:
        if "plaintext" in obj and isinstance(obj["plaintext"], str):
            return {SIG_KEY: SECRET_SIG, "value": _decode_plaintext(obj["plaintext"])}
        if "value" in obj:
            return {SIG_KEY: SECRET_SIG, "value": obj["value"]}
        ciphertext = obj.get("ciphertext")
        return {SIG_KEY: SECRET_SIG, "value": UNDECRYPTED,
                **({"ciphertext": ciphertext} if isinstance(ciphertext, str) else {})}
    if sig == RESOURCE_REF_SIG:
        # Analyzers receive references downgraded (KeepResources off): a custom resource's id
        # when known, else its URN.
        ref_id = obj.get("id")
        return ref_id if isinstance(ref_id, str) and ref_id else obj.get("urn")
    return obj


def _decode_plaintext(text: str) -> Any:
    import json

    try:
        return json.loads(text, object_hook=unseal_hook)
    except json.JSONDecodeError:
        return text
