"""Injected failures, changeable while the replica runs.

The replica's request hooks ask this object, at each request, whether to wait, to answer with
the maintenance page (HTTP 503) or to fail with HTTP 500; the upload view asks whether to fail
after storing; the session code asks for the forced session lifetime; the processing worker
asks for the current processing delay. The admin endpoint (``portal.sandbox.admin``) changes
the values under a lock.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from portal.sandbox.settings import FaultSettings

RUNTIME_KEYS = ("processing_delay_s", "maintenance_for_s")


class FaultState:
    """The faults in force and the processing delay, shared by every thread."""

    def __init__(
        self,
        faults: FaultSettings,
        processing_delay_s: float,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._delay = processing_delay_s
        self._rng = random.Random(faults.error_seed)  # noqa: S311 - fault draws, not secrets
        self._clock = clock

    @property
    def faults(self) -> FaultSettings:
        with self._lock:
            return self._faults

    @property
    def processing_delay_s(self) -> float:
        with self._lock:
            return self._delay

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply changes: any ``FaultSettings`` key, plus ``processing_delay_s`` (seconds) and
        ``maintenance_for_s`` (maintenance from now for that many seconds; 0 ends it).

        Raises:
            pydantic.ValidationError: a value is invalid (nothing is changed then).
            ValueError: an unknown key or a negative delay.
        """
        fault_changes = {k: v for k, v in changes.items() if k not in RUNTIME_KEYS}
        with self._lock:
            merged = {**self._faults.model_dump(), **fault_changes}
            faults = FaultSettings.model_validate(merged)
            window = changes.get("maintenance_for_s")
            if window is not None:
                faults = faults.with_maintenance_for(float(window), self._clock())
            delay = changes.get("processing_delay_s")
            if delay is not None and float(delay) < 0:
                raise ValueError("processing_delay_s must be >= 0")
            self._faults = faults
            if delay is not None:
                self._delay = float(delay)
            if "error_seed" in changes:
                self._rng = random.Random(faults.error_seed)  # noqa: S311 - fault draws
            return faults

    def snapshot(self) -> dict[str, Any]:
        """Current values, JSON-ready."""
        with self._lock:
            data = self._faults.model_dump(mode="json")
            data["processing_delay_s"] = self._delay
            data["in_maintenance"] = self._faults.in_maintenance(self._clock())
            return data

    def in_maintenance(self) -> bool:
        """Whether the maintenance window is open now."""
        with self._lock:
            return self._faults.in_maintenance(self._clock())

    def draw_error(self) -> bool:
        """Whether this request gets an HTTP 500 (seeded draw)."""
        with self._lock:
            rate = self._faults.error_rate
            return rate > 0 and self._rng.random() < rate
