"""Cross-process single-instance locks: ``fcntl.flock`` on files in the data directory.

Two locks:

- ``work``: held while the deposit workflow (or a collection) runs, by the scheduled jobs
  and by ``accrochage deposit now``. ``deposit now`` gives up at once when it is taken; a
  scheduled job waits for it (:func:`waiting_lock`), so no scheduled run is ever skipped.
- ``scheduler``: held by ``accrochage run`` for its whole life, so two services never run on
  the same data directory (APScheduler 3 job stores must never be shared).

The holder writes its pid and what it is (``holder``) into the lock file, so a refusal names
the other process: "the service (accrochage run, scheduled deposit job), pid 1234".
The kernel releases a flock when its process dies, so a crash never leaves a stale lock.
The lock files are never deleted (deleting a lock file races with another process opening it).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

WORK = "work"
SCHEDULER = "scheduler"

#: What a lock holder is, as the refusal names it.
DEPOSIT_NOW = "`accrochage deposit now`"
SERVICE = "the service (accrochage run)"


class AlreadyRunning(Exception):
    """Another process holds the lock; the message says which one."""


def _default_holder(name: str) -> str:
    return SERVICE if name == SCHEDULER else "a deposit run"


def _open(data_dir: Path, name: str) -> tuple[int, Path]:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / f"{name}.lock"
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600), path


def _try(fd: int, data_dir: Path, path: Path, name: str) -> AlreadyRunning | None:
    """Take the flock, or say who holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lines = os.pread(fd, 512, 0).decode("utf-8", "replace").splitlines()
        pid = lines[0].strip() if lines and lines[0].strip() else "unknown"
        what = lines[1].strip() if len(lines) > 1 and lines[1].strip() else _default_holder(name)
        return AlreadyRunning(f"{what} (pid {pid}) is already running on {data_dir} (lock {path})")
    return None


@contextmanager
def _held(fd: int, holder: str) -> Iterator[None]:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n{holder}\n".encode(), 0)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def instance_lock(data_dir: Path, name: str = WORK, *, holder: str = "") -> Iterator[None]:
    """Hold the ``name`` lock of ``data_dir`` for the duration of the block.

    Args:
        data_dir: the agent's data directory.
        name: ``work`` or ``scheduler``.
        holder: what this process is, for another process's refusal message.

    Raises:
        AlreadyRunning: another process holds it (its pid and kind are in the message).
    """
    fd, path = _open(data_dir, name)
    try:
        refused = _try(fd, data_dir, path, name)
        if refused is not None:
            raise refused
        with _held(fd, holder or _default_holder(name)):
            yield
    finally:
        os.close(fd)


@contextmanager
def waiting_lock(
    data_dir: Path,
    name: str = WORK,
    *,
    holder: str,
    on_wait: Callable[[AlreadyRunning], None],
    should_stop: Callable[[], bool],
    poll_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the ``name`` lock, waiting for another process to release it first.

    ``on_wait`` is called once, with who holds it, when the lock is taken at the first try.

    Raises:
        AlreadyRunning: a stop was requested (``should_stop``) before the lock came free.
    """
    fd, path = _open(data_dir, name)
    try:
        told = False
        while (refused := _try(fd, data_dir, path, name)) is not None:
            if should_stop():
                raise refused
            if not told:
                on_wait(refused)
                told = True
            sleep(poll_s)
        with _held(fd, holder):
            yield
    finally:
        os.close(fd)


def lock_holder(data_dir: Path, name: str) -> int | None:
    """The pid of the process holding the ``name`` lock, or None; never takes the lock.

    Reads ``/proc/locks`` (Linux): taking the lock even for an instant to test it could make
    a service starting at that moment refuse to run.
    """
    path = data_dir / f"{name}.lock"
    try:
        info = path.stat()
        lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in lines:
        fields = line.split()
        # A line reads: id, FLOCK, ADVISORY, WRITE, pid, major:minor:inode, start, end.
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device:
            return int(fields[4])
    return None
