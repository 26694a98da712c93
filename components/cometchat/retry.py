"""Retries with a bounded budget: exponential backoff with jitter, and the server's own wait.

CometChat answers 429 with `Retry-After: <seconds>` and `X-Rate-Limit-Reset: <epoch>`; 5xx,
timeouts and dropped connections are worth another try too. A Pulumi run must still end, so a
call stops after `max_attempts` OR `max_total_seconds`, whichever comes first, and a wait that
would cross the deadline is not started at all.

The clock and `sleep` are injectable so tests can record the waits without waiting.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from components.cometchat.errors import CometChatError

T = TypeVar("T")
log = logging.getLogger("hipaachat.cometchat")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The defaults suit a `pulumi up`: a minute at most per call."""

    max_attempts: int = 5
    max_total_seconds: float = 60.0
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    wall_clock: Callable[[], float] = field(default=time.time, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (1 means: never retry)")
        if self.max_total_seconds <= 0 or self.base_delay_seconds < 0 or self.max_delay_seconds < 0:
            raise ValueError("retry budget and delays must be positive")

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (1-based) when the server gave no hint.

        "Equal jitter": half the exponential step is fixed, half random, so concurrent
        deployments spread out but no retry fires immediately.
        """
        step = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return step / 2 + self.random() * step / 2

    def server_delay(self, headers: Mapping[str, str]) -> float | None:
        """Seconds the server asked us to wait, from `Retry-After` or `X-Rate-Limit-Reset`."""
        retry_after = headers.get("retry-after")
        if retry_after:
            retry_after = retry_after.strip()
            if retry_after.isdigit():
                return float(retry_after)
            try:  # RFC 9110 also allows an HTTP-date.
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - self.wall_clock())
        reset = headers.get("x-rate-limit-reset")
        if reset:
            try:
                return max(0.0, float(reset) - self.wall_clock())
            except ValueError:
                return None
        return None


def run_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[int, float], T],
    *,
    describe: str,
    reconcile: Callable[[float], T | None] | None = None,
    deadline: float | None = None,
) -> T:
    """Call `attempt(n, deadline)` until it succeeds, fails for good, or the budget is spent.

    `reconcile(deadline)` runs before every retry (after the wait). It exists for calls that are
    not idempotent: it looks for the effect of an earlier attempt whose answer was lost and, if
    it finds it, its result is returned instead of repeating the call.
    `deadline` (on `policy.monotonic`'s clock) lets nested calls share their caller's budget.
    """
    start = policy.monotonic()
    own_deadline = start + policy.max_total_seconds
    deadline = own_deadline if deadline is None else min(deadline, own_deadline)
    number = 1
    while True:
        try:
            return attempt(number, deadline)
        except CometChatError as err:
            if not err.retryable:
                raise
            failure = err
        wait = failure.retry_after if failure.retry_after is not None else policy.backoff(number)
        if number >= policy.max_attempts or policy.monotonic() + wait > deadline:
            raise _exhausted(failure, number, policy.monotonic() - start, wait, policy.max_attempts)
        log.warning("retrying %s in %.2fs after %s (attempt %d of %d)",
                    describe, wait, failure.code, number + 1, policy.max_attempts)
        policy.sleep(wait)
        number += 1
        if reconcile is not None:
            found = reconcile(deadline)
            if found is not None:
                return found


def _exhausted(failure: CometChatError, attempts: int, elapsed: float, wait: float,
               max_attempts: int) -> CometChatError:
    why = ("no attempts left" if attempts >= max_attempts
           else f"a further {wait:.1f}s wait would exceed the time budget")
    return CometChatError(
        f"Gave up after {attempts} attempt(s) in {elapsed:.1f}s ({why}). Last failure: {failure.message}",
        code=failure.code,
        status=failure.status,
        retryable=True,
        retry_after=failure.retry_after,
        details=failure.details,
        attempts=attempts,
    )
