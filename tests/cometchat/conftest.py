"""Fixtures: one real emulator over HTTP for the session, reset before every test.

Other test directories can start their own with `scripts.emulator.server.run_in_thread`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from components.cometchat import AppClient, AppKeys, App, ManagementClient, RetryPolicy
from scripts.emulator.server import EmulatorHandle, run_in_thread


class FakeClock:
    """A monotonic clock that only moves when `sleep` is called; records every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorHandle]:
    # Random credentials: any leak test below would notice them anywhere they appear.
    with run_in_thread(management_key="mk" + secrets.token_hex(12),
                       management_secret="ms" + secrets.token_hex(16)) as handle:
        yield handle


@pytest.fixture
def emulator(emulator_server: EmulatorHandle) -> EmulatorHandle:
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def retry(clock: FakeClock) -> RetryPolicy:
    return RetryPolicy(max_attempts=5, max_total_seconds=60.0, base_delay_seconds=0.2, max_delay_seconds=2.0,
                       sleep=clock.sleep, monotonic=clock.monotonic, random=lambda: 0.5)


@pytest.fixture
def mgmt(emulator: EmulatorHandle, retry: RetryPolicy) -> Iterator[ManagementClient]:
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret,
                          timeout=5.0, retry=retry) as client:
        yield client


@pytest.fixture
def tenant_app(mgmt: ManagementClient) -> tuple[App, AppKeys]:
    return mgmt.create_app("hipaachat-test-sunrise-clinic", "us")


@pytest.fixture
def rest(emulator: EmulatorHandle, tenant_app: tuple[App, AppKeys], retry: RetryPolicy) -> Iterator[AppClient]:
    app, keys = tenant_app
    with AppClient(emulator.rest_url_template, app.id, app.region, keys.full_access,
                   timeout=5.0, retry=retry) as client:
        yield client
