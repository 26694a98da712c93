"""Retries: the server's wait is honoured, 5xx and timeouts are retried, the budget is bounded."""

from __future__ import annotations

import email.utils

import pytest

from components.cometchat import CometChatError, ManagementClient, RetryPolicy, Role
from scripts.emulator.faults import FaultConfig, FaultInjector, ScriptedFault


def policy(**overrides):
    return RetryPolicy(**{"wall_clock": lambda: 1_000_000.0, "random": lambda: 0.5, **overrides})


def test_server_delay_reads_retry_after_and_rate_limit_reset():
    p = policy()
    assert p.server_delay({"retry-after": "7"}) == 7.0
    date = email.utils.formatdate(1_000_012.0, usegmt=True)
    assert p.server_delay({"retry-after": date}) == pytest.approx(12.0)
    assert p.server_delay({"x-rate-limit-reset": "1000030"}) == 30.0
    assert p.server_delay({"x-rate-limit-reset": "999990"}) == 0.0  # already past: retry now
    assert p.server_delay({"retry-after": "soon"}) is None
    assert p.server_delay({}) is None


def test_backoff_grows_with_jitter_and_a_cap():
    low, high = policy(random=lambda: 0.0), policy(random=lambda: 1.0)
    assert [low.backoff(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert [high.backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert high.backoff(20) == high.max_delay_seconds


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(max_total_seconds=0)


def test_429_waits_exactly_what_the_server_asks(mgmt, emulator, clock):
    emulator.set_faults(FaultConfig(retry_after_seconds=7, script=[
        ScriptedFault(fault="429", method="GET", path="/apps")] * 2))
    assert mgmt.list_apps() == []
    assert clock.waits == [7.0, 7.0]
    statuses = [r["status"] for r in emulator.state()["requests"]]
    assert statuses == [429, 429, 200]


def test_5xx_is_retried_with_backoff_and_applied_once(rest, emulator, clock):
    emulator.set_faults(FaultConfig(script=[ScriptedFault(fault="5xx", method="POST", path="/_apps/*/roles")] * 2))
    rest.create_role(Role(role="provider", name="Provider"))
    assert clock.waits == pytest.approx([0.15, 0.3])  # base 0.2 doubling, random fixed at 0.5
    assert {r.role for r in rest.list_roles()} == {"default", "provider"}


def test_timeout_on_a_read_is_retried(emulator, retry, clock):
    emulator.set_faults(FaultConfig(slow_seconds=1.0, script=[ScriptedFault(fault="timeout", method="GET")]))
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret,
                          timeout=0.2, retry=retry) as client:
        assert client.list_apps() == []
    assert len(clock.waits) == 1


def test_attempt_budget_exhausted(mgmt, emulator, clock):
    emulator.set_faults(FaultConfig(rate_5xx=1.0))
    with pytest.raises(CometChatError) as exhausted:
        mgmt.list_apps()
    err = exhausted.value
    assert (err.status, err.code, err.attempts, err.retryable) == (503, "ERR_SERVICE_UNAVAILABLE", 5, True)
    assert "Gave up after 5 attempt(s)" in str(err)
    assert len(clock.waits) == 4
    assert len(emulator.state()["requests"]) == 5


def test_time_budget_is_never_overslept(emulator, clock):
    short = RetryPolicy(max_attempts=10, max_total_seconds=60.0, sleep=clock.sleep, monotonic=clock.monotonic)
    emulator.set_faults(FaultConfig(retry_after_seconds=120, script=[ScriptedFault(fault="429")]))
    with ManagementClient(emulator.url, emulator.management_key, emulator.management_secret, retry=short) as client:
        with pytest.raises(CometChatError) as exhausted:
            client.list_apps()
    assert exhausted.value.status == 429 and exhausted.value.retry_after == 120.0
    assert clock.waits == []  # a 120 s wait cannot fit in a 60 s budget: give up at once
    assert "rate-limiting" in str(exhausted.value)


def test_client_errors_are_not_retried(mgmt, emulator, clock):
    with pytest.raises(CometChatError) as refused:
        mgmt.get_settings("doesnotexist")
    assert (refused.value.status, refused.value.retryable) == (404, False)
    assert clock.waits == [] and len(emulator.state()["requests"]) == 1


def test_fault_draws_are_deterministic_per_seed():
    def decisions(seed):
        injector = FaultInjector(FaultConfig(rate_429=0.3, rate_5xx=0.3, rate_drop=0.3, seed=seed))
        return [injector.decide("GET", "/apps") for _ in range(40)]
    assert decisions(7) == decisions(7)
    assert decisions(7) != decisions(8)
    assert {"429", "5xx", "drop", None} <= set(decisions(7))


def test_admin_endpoints_are_never_faulted(emulator):
    emulator.set_faults(FaultConfig(rate_5xx=1.0))
    assert emulator.state()["apps"] == []
    emulator.reset()
