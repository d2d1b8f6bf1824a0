"""Helper processes forked from this one, when that is safe.

A forked child starts at once, with every module already imported: no interpreter start-up, no
imports, no XSD compilation (about 0.1 to 0.2 s of CPU saved per child). Forking a process that
runs other threads can leave a lock held forever in the child (the agent's scheduler runs
threads), so helpers are forked only while this process runs a single thread, and callers start
a fresh interpreter otherwise (always, with ``START = "spawn"``).

The child keeps only the file descriptors it is given (and 0, 1, 2), drops this process's log
handlers (a log file, the console: not the child's to use) and leaves with ``os._exit``, so
this process's buffered files, temporary folders and exit handlers are never touched twice.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

#: "fork" (while single-threaded) or "spawn" (always a fresh interpreter; tests use both).
START = "fork"


def forking() -> bool:
    """Whether helper processes should be forked now (see the module docstring)."""
    return START == "fork" and hasattr(os, "fork") and threading.active_count() == 1


def fork_call(target: Callable[[], None], keep: Iterable[int]) -> int:
    """Fork a child that runs ``target()`` and exits: 0 when it returns, 1 when it raises.

    Args:
        target: what the child does.
        keep: the file descriptors the child keeps open, besides 0, 1 and 2.

    Returns:
        The child's pid (in this process; the child never returns).
    """
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        gc.freeze()  # this process's garbage is not the child's to collect (or to flush)
        _close_others(set(keep))
        _drop_log_handlers()
        target()
        code = 0
    except Exception:  # noqa: BLE001 - the child's last word, as an interpreter would print it
        traceback.print_exc()
    finally:
        os._exit(code)


def spawn(module: str, *args: str, **options: Any) -> subprocess.Popen[Any]:
    """``python -m MODULE ARGS...`` in a fresh interpreter that can import this project.

    ``options`` go to ``subprocess.Popen`` (pipes, ``pass_fds``, ``text``).
    """
    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env, **options)


class Helper:
    """A helper process, forked (``process`` None) or spawned: its state, stop and reaping."""

    def __init__(self, pid: int, process: subprocess.Popen[Any] | None = None) -> None:
        self.pid = pid
        self.process = process
        self._status: int | None = None

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has been reaped, else None."""
        return self.process.returncode if self.process is not None else self._status

    def poll(self) -> int | None:
        """The exit code if the process has ended (reaping it), else None."""
        if self.process is not None:
            return self.process.poll()
        if self._status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._status = os.waitstatus_to_exitcode(status)
        return self._status

    def kill(self) -> None:
        """SIGKILL the process unless it has already ended."""
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        """Reap the process; its exit code.

        Raises:
            subprocess.TimeoutExpired: still running after ``timeout`` seconds.
        """
        if self.process is not None:
            return self.process.wait(timeout)
        if timeout is None and self._status is None:
            self._status = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        deadline = time.monotonic() + (timeout or 0)
        while (code := self.poll()) is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return code


def _close_others(keep: set[int]) -> None:
    low = 3
    for fd in sorted(keep | {os.sysconf("SC_OPEN_MAX")}):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def _drop_log_handlers() -> None:
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
