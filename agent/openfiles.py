"""Which inbox files another process still holds open for writing (best-effort, Linux).

The links in ``/proc/<pid>/fd`` of every process the agent may inspect (its own user's, or
all when it runs as root) are compared with the files' paths, and ``/proc/<pid>/fdinfo/<fd>``
tells whether that descriptor was opened for writing. Elsewhere (no ``/proc``), or for a writer
the agent may not inspect (another user, a network share), it says nothing: the file must also
stay unchanged for ``[agent] inbox_settle_s``, and it is checked again after it is read.

A kernel read lease (``F_SETLEASE``) would also see other users' writers, but a writer opening
the file while the lease is held makes the kernel send SIGIO, whose default action would end
the agent: not used.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

_PROC: Final = Path("/proc")


def open_for_writing(paths: Iterable[Path]) -> set[Path]:
    """The subset of ``paths`` some process holds open for writing, as far as /proc tells."""
    return _proc_writers({str(path.resolve()): path for path in paths})


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
