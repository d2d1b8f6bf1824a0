"""Which inbox files another process still holds open for writing (best-effort, Linux).

Two ways, both cheap and both silent when the OS cannot tell:

- a read *lease* (``fcntl F_SETLEASE``): the kernel refuses it with EAGAIN while any process,
  of any user, has the file open for writing. It needs the agent to own the file and a local
  file system; otherwise it says nothing.
- ``/proc/<pid>/fd``: the links of every process the agent may inspect (its own user's, or
  all when root) are compared with the files' paths; ``/proc/<pid>/fdinfo/<fd>`` tells
  whether that descriptor was opened for writing.

A writer these cannot see (another user over a network share) is caught later: the file must
also stay unchanged for ``[agent] inbox_settle_s``, and it is checked again after reading.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

_PROC: Final = Path("/proc")


def open_for_writing(paths: Iterable[Path]) -> set[Path]:
    """The subset of ``paths`` some process holds open for writing, as far as the OS tells."""
    wanted = {str(path.resolve()): path for path in paths}
    found = {path for path in wanted.values() if _lease_refused(path)}
    if len(found) < len(wanted):
        found |= _proc_writers(wanted)
    return found


def _lease_refused(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return exc.errno == errno.EAGAIN  # EACCES/EPERM/EINVAL: the OS cannot tell
    else:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def _proc_writers(wanted: dict[str, Path]) -> set[Path]:
    found: set[Path] = set()
    try:
        processes = [entry for entry in _PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return found
    for process in processes:
        try:
            fds = list((process / "fd").iterdir())
        except OSError:
            continue  # gone, or another user's
        for fd in fds:
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if target in wanted and _writable(process / "fdinfo" / fd.name):
                found.add(wanted[target])
    return found


def _writable(fdinfo: Path) -> bool:
    try:
        text = fdinfo.read_text(encoding="ascii")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    return False
