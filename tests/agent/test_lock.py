"""The single-instance locks: one holder at a time, across processes, released on death."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.lock import DEPOSIT_NOW, SCHEDULER, WORK, AlreadyRunning, instance_lock, waiting_lock


def test_lock_second_holder_refused_with_pid(tmp_path: Path) -> None:
    """A second acquisition fails and names the holder's pid; after release it works."""
    with instance_lock(tmp_path, WORK, holder=DEPOSIT_NOW):
        with (
            pytest.raises(
                AlreadyRunning,
                match=rf"^`accrochage deposit now` \(pid {os.getpid()}\) is already running on",
            ),
            instance_lock(tmp_path, WORK),
        ):
            pass
        with instance_lock(tmp_path, SCHEDULER):  # the other lock is independent
            pass
    with instance_lock(tmp_path, WORK):
        pass
    assert (tmp_path / "work.lock").stat().st_mode & 0o077 == 0


def _holding_child(tmp_path: Path, name: str, holder: str = "") -> subprocess.Popen[str]:
    """Another process holding lock ``name`` until a line arrives on its standard input."""
    code = (
        "import sys; from pathlib import Path; from agent.lock import instance_lock\n"
        f"with instance_lock(Path({str(tmp_path)!r}), {name!r}, holder={holder!r}):\n"
        "    print('held', flush=True); sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_lock_held_by_other_process_then_freed_by_its_death(tmp_path: Path) -> None:
    """A lock held by a killed process is free again (no stale lock)."""
    child = _holding_child(tmp_path, SCHEDULER)
    try:
        expected = rf"^the service \(accrochage run\) \(pid {child.pid}\) is already running"
        with pytest.raises(AlreadyRunning, match=expected), instance_lock(tmp_path, SCHEDULER):
            pass
    finally:
        child.kill()
        child.wait(timeout=10)
    with instance_lock(tmp_path, SCHEDULER):
        pass


def test_lock_waiting_holder_runs_once_the_other_releases(tmp_path: Path) -> None:
    """A waiting acquisition names the holder once, then gets the lock when it is freed."""
    child = _holding_child(tmp_path, WORK, DEPOSIT_NOW)
    told: list[str] = []
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 3:  # the other process finishes while we wait
            assert child.stdin is not None
            child.stdin.write("done\n")
            child.stdin.flush()
            child.wait(timeout=10)

    try:
        with waiting_lock(
            tmp_path,
            WORK,
            holder="the service",
            on_wait=lambda exc: told.append(str(exc)),
            should_stop=lambda: False,
            sleep=sleep,
        ):
            held_by = (tmp_path / "work.lock").read_text(encoding="utf-8").splitlines()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    assert len(told) == 1
    assert told[0].startswith(f"`accrochage deposit now` (pid {child.pid}) is already running")
    assert len(polls) >= 3
    assert held_by == [str(os.getpid()), "the service"]


def test_lock_waiting_gives_up_when_asked_to_stop(tmp_path: Path) -> None:
    """A stop request while waiting raises AlreadyRunning instead of waiting forever."""
    with (
        instance_lock(tmp_path, WORK, holder=DEPOSIT_NOW),
        pytest.raises(AlreadyRunning, match="deposit now"),
        waiting_lock(
            tmp_path,
            WORK,
            holder="the service",
            on_wait=lambda _exc: None,
            should_stop=lambda: True,
            sleep=lambda _s: None,
        ),
    ):
        pass
