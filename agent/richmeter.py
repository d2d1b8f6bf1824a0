"""Progress bars in a terminal, drawn with rich: rate and ETA, and a wait countdown."""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_LABELS = {"import": "importing rows", "build": "building passages", "upload": "uploading"}


class _RateColumn(ProgressColumn):
    """Speed in the task's own unit (rows/s, passages/s, kB/s)."""

    def render(self, task: Task) -> Text:
        speed = task.fields.get("rate") or task.finished_speed or task.speed
        unit = str(task.fields.get("unit", ""))
        if speed is None:
            return Text(f"? {unit}/s")
        if unit == "kB":
            return Text(f"{speed:.1f} kB/s")
        return Text(f"{speed:.0f} {unit}/s")


class RichMeter:
    """A :class:`agent.meter.Meter` drawing on ``console`` (standard error in a terminal).

    Wrap the run in ``with meter.shown():``; ``console.print`` lines appear above the bars.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    @contextmanager
    def shown(self) -> Iterator[Self]:
        """Draw the bars for the duration of the block; log lines print above them."""
        self._progress.start()
        # The bars redirect sys.stderr; log handlers still hold the real stream.
        handlers = [
            h
            for h in logging.getLogger().handlers
            if isinstance(h, logging.StreamHandler) and h.stream is sys.__stderr__
        ]
        for handler in handlers:
            handler.setStream(sys.stderr)
        try:
            yield self
        finally:
            for handler in handlers:
                handler.setStream(sys.__stderr__)
            self._progress.stop()

    def start(self, step: str, total: float | None, unit: str, label: str = "") -> None:
        """A new bar for ``step``."""
        text = _LABELS.get(step, step) + (f" {label}" if label else "")
        self._tasks[step] = self._progress.add_task(text, total=total, unit=unit)

    def advance(self, step: str, amount: float = 1) -> None:
        """Move ``step``'s bar."""
        task = self._tasks.get(step)
        if task is not None:
            self._progress.advance(task, amount)

    def finish(self, step: str) -> None:
        """Complete ``step``'s bar (its total becomes what was done)."""
        task = self._tasks.pop(step, None)
        if task is not None:
            state = self._progress.tasks[self._progress.task_ids.index(task)]
            done, elapsed = state.completed, state.elapsed
            # One big step (a file uploaded) gives rich no speed samples: the mean rate then.
            rate = done / elapsed if elapsed else None
            self._progress.update(task, total=done, completed=done, rate=rate)

    def wait(self, seconds: float, what: str, sleep: Callable[[float], None]) -> None:
        """Count down to the next check, one second at a time."""
        task = self._progress.add_task("", total=None, unit="s", visible=True)
        left = seconds
        while left > 0:
            text = f"{what}: next check in {math.ceil(left)} s"
            self._progress.update(task, description=text, refresh=True)
            step = min(1.0, left)
            sleep(step)
            left -= step
        self._progress.remove_task(task)
