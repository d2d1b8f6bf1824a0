"""RetryPolicy: which errors are retried, how long it waits, when it gives up."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.errors import DocumentNotAvailable, LoginFailed, PortalUnavailable
from portal.retry import RetryPolicy
from portal.settings import PortalSettings


class Clock:
    """A monotonic clock that only moves when slept on (or told to)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _failing(times: int, error: Exception, result: str = "ok") -> Callable[[], str]:
    calls = {"n": 0}

    def action() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return result

    return action


def _policy(clock: Clock, **changes: float) -> RetryPolicy:
    values = {"attempts": 4, "total_s": 1000.0, "base_delay_s": 10.0, "max_delay_s": 300.0}
    values.update(changes)
    return RetryPolicy(
        attempts=int(values["attempts"]),
        total_s=values["total_s"],
        base_delay_s=values["base_delay_s"],
        max_delay_s=values["max_delay_s"],
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )


def test_retry_transient_then_success_with_doubling_waits() -> None:
    """Two transient failures, then success: waits of 10 then 20 seconds."""
    clock = Clock()
    result = _policy(clock).run("step", _failing(2, PortalUnavailable("down")))
    assert result == "ok"
    assert clock.sleeps == [10.0, 20.0]


def test_retry_gives_up_after_attempts_with_last_error() -> None:
    """After the configured attempts the last error is raised, saying how many were made."""
    clock = Clock()
    with pytest.raises(PortalUnavailable, match=r"down \(gave up after 3 attempt") as info:
        _policy(clock, attempts=3).run("step", _failing(10, PortalUnavailable("down")))
    assert clock.sleeps == [10.0, 20.0]
    assert isinstance(info.value.__cause__, PortalUnavailable)


def test_retry_total_time_bounds_the_waits() -> None:
    """No wait may end past total_s: with 25 s allowed only the 10 s wait happens."""
    clock = Clock()
    with pytest.raises(PortalUnavailable):
        _policy(clock, attempts=10, total_s=25.0).run("s", _failing(10, PortalUnavailable("x")))
    assert clock.sleeps == [10.0]


def test_retry_max_delay_caps_each_wait() -> None:
    """The doubling stops at max_delay_s."""
    clock = Clock()
    _policy(clock, attempts=6, max_delay_s=25.0).run("s", _failing(4, PortalUnavailable("x")))
    assert clock.sleeps == [10.0, 20.0, 25.0, 25.0]


@pytest.mark.parametrize(
    "error",
    [LoginFailed("refused"), DocumentNotAvailable("no report yet"), ValueError("bug")],
    ids=["permanent", "document-not-available", "programming-error"],
)
def test_retry_does_not_retry_other_errors(error: Exception) -> None:
    """Permanent errors, a missing document and bugs go straight to the caller."""
    clock = Clock()
    with pytest.raises(type(error)):
        _policy(clock).run("step", _failing(1, error))
    assert clock.sleeps == []


def test_retry_policy_from_settings() -> None:
    """The [portal] retry settings are the policy's."""
    settings = PortalSettings(
        retry_attempts=7, retry_total_s=60, retry_base_delay_s=1, retry_max_delay_s=8
    )
    policy = RetryPolicy.from_settings(settings)
    assert (policy.attempts, policy.total_s, policy.base_delay_s, policy.max_delay_s) == (
        7,
        60.0,
        1.0,
        8.0,
    )
    assert [policy.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
