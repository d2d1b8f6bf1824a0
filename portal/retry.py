"""Retrying transient portal failures with backoff, within a bounded number and total time.

Only ``PortalUnavailable`` is retried; every other error (``PortalPermanentError`` and
programming errors) goes straight to the caller. The clock and the sleep are injectable so
tests run the real loop with tiny or no delays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from portal.errors import DocumentNotAvailable, PortalMaintenance, PortalUnavailable
from portal.settings import PortalSettings

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a step.

    Attributes:
        attempts: Total attempts, the first included (>= 1).
        total_s: No new attempt starts once this much time has passed since the first one
            began, nor when waiting for it would end past this bound.
        base_delay_s: Wait before the second attempt; doubled for each following one.
        max_delay_s: Upper bound of one wait.
        sleep: Waits a number of seconds (``time.sleep``; injectable for tests).
        clock: Monotonic seconds (``time.monotonic``; injectable for tests).
    """

    attempts: int = 4
    total_s: float = 1800.0
    base_delay_s: float = 10.0
    max_delay_s: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def from_settings(
        cls,
        settings: PortalSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> RetryPolicy:
        """The policy configured in ``[portal]``."""
        return cls(
            attempts=settings.retry_attempts,
            total_s=settings.retry_total_s,
            base_delay_s=settings.retry_base_delay_s,
            max_delay_s=settings.retry_max_delay_s,
            sleep=sleep,
            clock=clock,
        )

    def delay(self, failed_attempts: int) -> float:
        """The wait after ``failed_attempts`` failures (1 -> base delay)."""
        return float(min(self.max_delay_s, self.base_delay_s * 2.0 ** (failed_attempts - 1)))

    def run(self, step: str, action: Callable[[], T]) -> T:
        """Call ``action`` until it succeeds, retrying ``PortalUnavailable`` only.

        Args:
            step: Name of the step, for the log.
            action: The attempt; raises ``PortalUnavailable`` on a transient failure.

        Returns:
            What the first successful attempt returned.

        A maintenance page that gives its end (``PortalMaintenance.seconds_left``) is not
        tried again before that end, and not at all if the end is past the total time.

        Raises:
            PortalUnavailable: the last transient error, once attempts or time ran out; its
                message says how many attempts were made.
        """
        started = self.clock()
        failures = 0
        while True:
            try:
                return action()
            except DocumentNotAvailable:
                raise
            except PortalUnavailable as exc:
                failures += 1
                wait = self.delay(failures)
                if isinstance(exc, PortalMaintenance) and exc.seconds_left is not None:
                    # No point trying before the announced end; past the budget, give up now.
                    wait = max(wait, exc.seconds_left)
                elapsed = self.clock() - started
                if failures >= self.attempts or elapsed + wait > self.total_s:
                    log.warning(
                        "%s: giving up after %d attempt(s) in %.1f s: %s",
                        step,
                        failures,
                        elapsed,
                        exc.message,
                    )
                    raise _given_up(exc, failures, elapsed) from exc
                log.info(
                    "%s: attempt %d failed (%s); retrying in %.1f s",
                    step,
                    failures,
                    exc.message,
                    wait,
                )
                self.sleep(wait)


def _given_up(exc: PortalUnavailable, failures: int, elapsed: float) -> PortalUnavailable:
    """The last error, saying how long the client tried (a maintenance stays one)."""
    message = f"{exc.message} (gave up after {failures} attempt(s) in {elapsed:.0f} s)"
    if isinstance(exc, PortalMaintenance):
        error: PortalUnavailable = PortalMaintenance(message, seconds_left=exc.seconds_left)
    else:
        error = PortalUnavailable(message)
    error.evidence = exc.evidence
    return error
