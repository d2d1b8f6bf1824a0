"""The single-instance locks: one holder at a time, across processes, released on death."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.lock import SCHEDULER, WORK, AlreadyRunning, instance_lock


def test_lock_second_holder_refused_with_pid(tmp_path: Path) -> None:
    """A second acquisition fails and names the holder's pid; after release it works."""
    with instance_lock(tmp_path, WORK):
        with (
            pytest.raises(
                AlreadyRunning, match=f"deposit run is already running.*pid {os.getpid()}"
            ),
            instance_lock(tmp_path, WORK),
        ):
            pass
        with instance_lock(tmp_path, SCHEDULER):  # the other lock is independent
            pass
    with instance_lock(tmp_path, WORK):
        pass
    assert (tmp_path / "work.lock").stat().st_mode & 0o077 == 0


def test_lock_held_by_other_process_then_freed_by_its_death(tmp_path: Path) -> None:
    """A lock held by a killed process is free again (no stale lock)."""
    code = (
        "import sys, time; from pathlib import Path; from agent.lock import instance_lock\n"
        f"with instance_lock(Path({str(tmp_path)!r}), 'scheduler'):\n"
        "    print('held', flush=True); sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        expected = rf"service \(accrochage run\).*pid {child.pid}"
        with pytest.raises(AlreadyRunning, match=expected), instance_lock(tmp_path, SCHEDULER):
            pass
    finally:
        child.kill()
        child.wait(timeout=10)
    with instance_lock(tmp_path, SCHEDULER):
        pass
