"""One emulator, one dynamic provider host and one engine for the provider tests.

The fault test builds its own (it needs faults and a fast client budget, and the host
configures each provider once per process).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from scripts.emulator.server import EmulatorHandle, run_in_thread
from tests.cometchat_providers.dynamic_host import DynamicProviderHost
from tests.cometchat_providers.engine import MiniEngine


@pytest.fixture(autouse=True)
def _event_loop() -> Iterator[None]:
    # The Pulumi mock runtime needs a current event loop (pulumi-notes §1, Python 3.14 pitfall).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorHandle]:
    with run_in_thread() as handle:
        yield handle


@pytest.fixture(scope="session")
def host() -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost() as process:
        yield process


@pytest.fixture(scope="session")
def engine(host: DynamicProviderHost) -> MiniEngine:
    return MiniEngine(host)
