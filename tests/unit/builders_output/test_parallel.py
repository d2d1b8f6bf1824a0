"""The process pool of ``builders.flux.parallel``: start method and bounded window."""

from __future__ import annotations

import os
import time

import pytest

from builders.flux import parallel


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_pool_keeps_at_most_window_tasks_outstanding(monkeypatch, start):
    """With a window of 1, a second task is only handed over once the first one is done."""
    monkeypatch.setattr("builders.flux.parallel.START", start)
    pool = parallel.Pool(1, window=1, what="test")
    try:
        assert pool.method == ("fork" if start == "fork" else "forkserver")
        first = pool.submit(_pid_after, 0.3)
        second = pool.submit(_pid_after, 0.0)
        assert first.done()  # submit waited for it: the window holds one task
        assert pool.result(first) == pool.result(second) != os.getpid()
    finally:
        pool.close(kill=False)


def test_pool_window_lets_tasks_overlap_up_to_its_size():
    """With a window of 2, the second task is handed over while the first still runs."""
    pool = parallel.Pool(1, window=2, what="test")
    try:
        first = pool.submit(_pid_after, 1.0)
        pool.submit(_pid_after, 0.0)
        assert not first.done()  # no wait: two tasks fit in the window
        assert pool.result(first) != os.getpid()
    finally:
        pool.close(kill=False)
