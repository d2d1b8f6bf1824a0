"""Work in helper processes on ``concurrent.futures``: a process pool and a bounded window.

``Pool(workers)`` is a ``ProcessPoolExecutor`` whose processes are forked from this one while it
runs no other thread than the pools' own (``forking``; every module already imported: no
interpreter start-up, no imports, no XSD compilation), and otherwise started by a fork server
(a fresh interpreter: forking a process that runs other threads, like the agent's scheduler,
could leave a lock held forever in the child). ``submit`` keeps at most ``window`` tasks
outstanding: past that it waits for the oldest, so a fast producer cannot queue work without
bound. A process that dies (killed, out of memory) fails its task and the pool with a
``BuildError`` saying so, never a hang.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_for
from concurrent.futures.process import BrokenProcessPool, _ExecutorManagerThread
from typing import Any, TypeVar

from builders.errors import BuildError

_T = TypeVar("_T")

#: "fork" (while single-threaded) or "spawn" (never fork: a fork server; tests use both).
START = "fork"
#: Tasks handed to a pool and not yet taken back, per process (``Pool``'s default window).
WINDOW_PER_WORKER = 4
#: Processes of a pool sharing a large piece of work (``pool_size``).
WORKERS = 2


def pool_size(large: bool) -> int:
    """How many processes should share a piece of work: ``WORKERS`` (at most one per CPU)
    when it is ``large`` and the machine has more than one CPU, else 0 (do it here)."""
    workers = min(WORKERS, os.cpu_count() or 1)
    return workers if large and workers > 1 else 0


def forking() -> bool:
    """Whether pool processes should be forked now (see the module docstring).

    The threads a running pool keeps (its manager, its queue's feeder) only ever touch that
    pool's own queues and locks, which a process forked for another pool never uses: they do
    not prevent forking. Any other thread (the agent's scheduler) does.
    """
    if START != "fork" or not hasattr(os, "fork"):
        return False
    main = threading.main_thread()
    return all(thread is main or _pool_thread(thread) for thread in threading.enumerate())


def _pool_thread(thread: threading.Thread) -> bool:
    return isinstance(thread, _ExecutorManagerThread) or thread.name == "QueueFeederThread"


class Pool:
    """A process pool (forked when safe, else fork server) with a bounded window of tasks."""

    def __init__(self, workers: int, *, window: int | None = None, what: str = "helper") -> None:
        """Start nothing yet: processes start with the first task.

        Args:
            workers: how many processes.
            window: most tasks outstanding at once (default: 4 per process).
            what: what the processes do, for messages ("XSD validation").
        """
        method = "fork" if forking() else "forkserver"
        # A forked process's garbage collector must not walk the objects it inherited: that
        # would write to every page of this process's heap, copying them all (the memory of
        # each pool process, and the CPU to copy it). Frozen, they are never collected there.
        self._executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=gc.freeze if method == "fork" else None,
        )
        self._window = window or WINDOW_PER_WORKER * workers
        self._outstanding: deque[Future[Any]] = deque()
        self.what = what
        self.method = method

    def submit(self, task: Callable[..., _T], *args: Any) -> Future[_T]:
        """Run ``task(*args)`` in a pool process, once fewer than ``window`` tasks wait."""
        outstanding = self._outstanding
        while outstanding and outstanding[0].done():
            outstanding.popleft()
        if len(outstanding) >= self._window:
            wait_for([outstanding.popleft()])
        try:
            future = self._executor.submit(task, *args)
        except BrokenProcessPool as exc:
            raise self._died() from exc
        outstanding.append(future)
        return future

    def result(self, future: Future[_T]) -> _T:
        """The task's result.

        Raises:
            BuildError: a pool process died.
        """
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise self._died() from exc

    def pids(self) -> list[int]:
        """The pool processes' ids (none before the first task)."""
        return [pid for pid in self._processes() if pid is not None]

    def close(self, *, kill: bool) -> None:
        """Stop the processes: after their tasks, or at once (``kill``) dropping the rest."""
        if kill:
            for process in self._processes().values():
                process.kill()
        self._executor.shutdown(wait=True, cancel_futures=kill)
        self._outstanding.clear()

    def _processes(self) -> dict[int, Any]:
        # ProcessPoolExecutor has no public way to kill its processes before Python 3.14.
        processes: dict[int, Any] | None = getattr(self._executor, "_processes", None)
        return dict(processes or {})

    def _died(self) -> BuildError:
        return BuildError(f"the {self.what} process died (a pool process ended abruptly)")


def in_order(
    task: Callable[..., _T],
    chunks: Iterable[Any],
    *,
    workers: int,
    what: str,
    first: tuple[Any, ...] = (),
) -> Iterator[_T]:
    """``task(*first, chunk)`` for each of ``chunks``, run by a pool of ``workers`` processes,
    the results in the chunks' order.

    At most ``WINDOW_PER_WORKER`` tasks per process are outstanding: the chunks are read as
    the results are taken, so memory stays flat whatever their number. Closing the iterator
    early (or an error) kills the pool's processes.

    Raises:
        BuildError: a pool process died. A task's own exception is raised as it is.
    """
    window = WINDOW_PER_WORKER * workers
    pool = Pool(workers, window=window, what=what)
    pending: deque[Future[_T]] = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(task, *first, chunk))
            while pending and (len(pending) >= window or pending[0].done()):
                yield pool.result(pending.popleft())
        while pending:
            yield pool.result(pending.popleft())
    except BaseException:
        pool.close(kill=True)  # an error, or the caller closed the iterator early
        raise
    pool.close(kill=False)
