"""Keeping credentials out of logs and error messages.

Two ways a key could leak: (1) REST v3 puts an API key in the path (`/apikeys/{apiKey}`), and
httpx logs every request URL at INFO; (2) a server message could echo a value we sent. The
client therefore masks `/apikeys/<key>` in every path it logs or reports, installs a filter on
httpx's logger that does the same to httpx's own records, and scrubs every credential it knows
from any text it puts into an exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
_KEY_IN_PATH = re.compile(r"(/apikeys/)[^/?#\s\"']+", re.IGNORECASE)


def mask_key_paths(text: str) -> str:
    """Replace the key segment of any `/apikeys/<key>` path in `text`."""
    return _KEY_IN_PATH.sub(rf"\g<1>{MASK}", text)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret value and every key-in-path masked."""
    for secret in secrets:
        # Very short values would mask ordinary words; real keys are 16+ characters.
        if secret and len(secret) >= 6:
            text = text.replace(secret, MASK)
    return mask_key_paths(text)


class _KeyPathFilter(logging.Filter):
    """Rewrites httpx's request-URL records so an `/apikeys/<key>` URL is logged masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_key_paths(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_FILTER = _KeyPathFilter()


def protect_http_library_logs() -> None:
    """Attach the filter to httpx's logger (idempotent).

    Only `httpx` logs URLs; httpcore's DEBUG trace names the method, never the path or headers.
    """
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
