"""Fault injection: what goes wrong between a client and CometChat, on purpose.

Two ways to ask for faults, both applying to the Management and REST APIs and never to the
`/_emulator/*` admin endpoints:
* rates (`--fault-rate-*`, or `rate_*` in `POST /_emulator/faults`): each request draws one
  number per fault kind from a `random.Random(seed)`, so a seeded run repeats exactly;
* a script: one-shot faults for the next request matching a method and a path glob, so a test
  can say "drop the answer to the next POST /apps" and nothing else.

Fault kinds: `429` (rate limited, with Retry-After), `5xx` (503), `timeout` (the request is
handled, then the answer is held `slow_seconds`, past the client's timeout) and `drop` (the
request is handled, the mutation committed, then the connection is closed mid-answer).
"""

from __future__ import annotations

import fnmatch
import random
import threading
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Fault = Literal["429", "5xx", "timeout", "drop"]
Rate = float


class ScriptedFault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: Fault
    method: str | None = None
    # A glob on the request path (`*` also matches '/'); REST paths are matched in their
    # `/_apps/{id}/{region}/v3/...` form. The first pending entry that matches is used up.
    path: str = "*"


class FaultConfig(BaseModel):
    """The emulator's fault settings (also the body of `POST /_emulator/faults`)."""

    model_config = ConfigDict(extra="forbid")

    rate_429: Rate = Field(0.0, ge=0.0, le=1.0)
    rate_5xx: Rate = Field(0.0, ge=0.0, le=1.0)
    rate_timeout: Rate = Field(0.0, ge=0.0, le=1.0)
    rate_drop: Rate = Field(0.0, ge=0.0, le=1.0)
    slow_seconds: float = Field(30.0, ge=0.0)
    retry_after_seconds: int = Field(1, ge=0)
    seed: int | None = None
    script: list[ScriptedFault] = []
    # Not a fault but a response shape: the older list-apps example includes each app's
    # `apiKeys`; the newer one (the default here) does not.
    legacy_list_shape: bool = False


class FaultInjector:
    """Decides, per request, which fault (if any) to inject."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)
            self._script = list(config.script)

    def decide(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, scripted in enumerate(self._script):
                if (scripted.method is None or scripted.method.upper() == method) and \
                        fnmatch.fnmatchcase(path, scripted.path):
                    del self._script[index]
                    return scripted.fault
            config = self.config
            # Always draw all four so the sequence depends only on the seed and request count.
            draws = [self._random.random() for _ in range(4)]
            rates: list[tuple[Fault, float]] = [("429", config.rate_429), ("5xx", config.rate_5xx),
                                                ("timeout", config.rate_timeout), ("drop", config.rate_drop)]
            for (fault, rate), draw in zip(rates, draws):
                if draw < rate:
                    return fault
            return None

    def pending_script(self) -> list[ScriptedFault]:
        with self._lock:
            return list(self._script)
