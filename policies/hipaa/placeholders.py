"""What the shipped examples look like: evidence a fork must record before production believes it.

The shipped production settings carry example values (the CometChat attestation, the on-call
endpoints) so that the program plans out of the box. A production gate that accepted them would
report controls as met on invented evidence: an attestation nobody made, alarms that page nobody.
So a value that names a reserved example domain (RFC 2606: example.org, example.com, example.net,
the .example TLD, and their subdomains) or a placeholder word is refused where evidence counts.
"""

from __future__ import annotations

from typing import Any

PLACEHOLDER_WORDS = ("example", "placeholder", "changeme", "change-me", "todo")
PLACEHOLDER_DOMAINS = ("example.org", "example.com", "example.net", "example")


def placeholder_domain(domain: str) -> bool:
    """Whether `domain` is a reserved example domain or one of its subdomains."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith(f".{d}") for d in PLACEHOLDER_DOMAINS)


def endpoint_domain(protocol: Any, endpoint: Any) -> str | None:
    """The domain an email or http(s) subscription delivers to (None for other kinds): never the
    mailbox, path, query or credentials, so it can be shown to an auditor."""
    text = endpoint if isinstance(endpoint, str) else ""
    if protocol in ("email", "email-json"):
        return text.rpartition("@")[2] or None
    if protocol in ("http", "https"):
        return text.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].split(":")[0] or None
    return None


def placeholder(reference: str | None, attested_by: str | None) -> str:
    """Which attestation values are recognisably the shipped example ('' when none is)."""
    found = []
    if reference and any(word in reference.lower() for word in PLACEHOLDER_WORDS):
        found.append(f"reference {reference}")
    domain = (attested_by or "").rpartition("@")[2]
    words = any(word in (attested_by or "").lower() for word in PLACEHOLDER_WORDS[1:])
    if attested_by and (placeholder_domain(domain) or words):
        found.append(f"attestedBy {attested_by}")
    return ", ".join(found)
