"""Cross-process single-instance locks: ``fcntl.flock`` on files in the data directory.

Two locks, both non-blocking:

- ``work``: held while the deposit workflow (or a collection) runs, by the scheduled jobs
  and by ``accrochage deposit now``; a second one says so and gives up.
- ``scheduler``: held by ``accrochage run`` for its whole life, so two services never run on
  the same data directory (APScheduler 3 job stores must never be shared).

The kernel releases a flock when its process dies, so a crash never leaves a stale lock.
The lock files are never deleted (deleting a lock file races with another process opening it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WORK = "work"
SCHEDULER = "scheduler"


class AlreadyRunning(Exception):
    """Another process holds the lock; the message says which one."""


@contextmanager
def instance_lock(data_dir: Path, name: str = WORK) -> Iterator[None]:
    """Hold the ``name`` lock of ``data_dir`` for the duration of the block.

    Args:
        data_dir: the agent's data directory.
        name: ``work`` or ``scheduler``.

    Raises:
        AlreadyRunning: another process holds it (its pid is in the message when known).
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            what = "service (accrochage run)" if name == SCHEDULER else "deposit run"
            raise AlreadyRunning(
                f"another accrochage {what} is already running on {data_dir} "
                f"(pid {holder}, lock {path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
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
