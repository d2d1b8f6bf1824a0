"""Progress of long work (import, build, upload, waiting for reports), as a narrow seam.

The workflow reports amounts to a :class:`Meter`; it never draws anything itself. The CLI
passes :class:`agent.richmeter.RichMeter` when standard error is a terminal (bars with rate
and ETA, a "next check in N s" countdown) and nothing otherwise, so the service's journal and
piped output stay plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Meter(Protocol):
    """Receives the progress of one run's long steps."""

    def start(self, step: str, total: float | None, unit: str, label: str = "") -> None:
        """A step begins (``import``, ``build``, ``upload``); ``total`` if known."""

    def advance(self, step: str, amount: float = 1) -> None:
        """``amount`` more of ``step`` is done."""

    def finish(self, step: str) -> None:
        """The step is over."""

    def wait(self, seconds: float, what: str, sleep: Callable[[float], None]) -> None:
        """Wait ``seconds`` (with ``sleep``) before the next check of ``what``."""


class NoMeter:
    """Shows nothing: the default, and what a service or a pipe gets."""

    def start(self, step: str, total: float | None, unit: str, label: str = "") -> None:
        """Nothing to show."""

    def advance(self, step: str, amount: float = 1) -> None:
        """Nothing to show."""

    def finish(self, step: str) -> None:
        """Nothing to show."""

    def wait(self, seconds: float, what: str, sleep: Callable[[float], None]) -> None:
        """Just wait."""
        del what  # nothing to show
        sleep(seconds)


NO_METER = NoMeter()
