"""What the inbox holds: exports ready to import, files still arriving, entries it refuses.

Only regular files of a format the export readers accept
(:data:`builders.exports.formats.SUFFIXES`: CSV and XLSX) directly in the inbox are imported,
and only once they are complete (:func:`settled`): unchanged in size and mtime for
``[agent] inbox_settle_s`` and not open for writing by any process the OS lets the agent see
(:mod:`agent.openfiles`). The safe way to drop a file is atomic: write ``name.part`` (or a
hidden ``.name``) and rename it when complete; such in-progress names are never read.

Every other entry is a :class:`Notice` (reported once by the caller, shown by ``status``):
symbolic links (refused unless ``[agent] inbox_follow_symlinks``: they can bring in data from
outside the inbox), folders, FIFOs and other special files, hidden files, names that are not
valid UTF-8, old ``.xls`` workbooks and other file types. The agent's own folders
(``imported/``, ``failed/``, ``.claims-*``) and Excel's ``~$`` lock files are skipped silently.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from agent.openfiles import open_for_writing
from agent.rows import Notice
from builders.exports.formats import SUFFIXES
from builders.safenames import decodable, printable

OWN_FOLDERS: Final = frozenset({"imported", "failed"})
CLAIMS_PREFIX: Final = ".claims-"
PART_SUFFIX: Final = ".part"
_KINDS: Final = "/".join(sorted(SUFFIXES))
#: The settle wait of one run is at most this many settle times; a file still changing then
#: is left for the next run.
_PATIENCE: Final = 4

Signature = tuple[int, int, int]


@dataclass
class Scan:
    """The inbox's exports to import, and the entries it does not handle."""

    candidates: list[Path] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def signature(path: Path) -> Signature:
    """(size, mtime in ns, inode) of a file: any write changes it."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns, info.st_ino


def scan_inbox(inbox: Path, *, follow_symlinks: bool) -> Scan:
    """Sort the inbox's entries (module docstring), names in order."""
    scan = Scan()
    for entry in sorted(os.scandir(inbox), key=lambda item: item.name):
        notice = _classify(entry, follow_symlinks=follow_symlinks)
        if notice is None and _importable(entry, follow_symlinks=follow_symlinks):
            scan.candidates.append(Path(entry.path))
        elif notice is not None:
            scan.notices.append(notice)
    return scan


def _skipped(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name.endswith(PART_SUFFIX) or name.startswith("~$"):
        return True  # in-progress drop, Excel's lock file
    own = name in OWN_FOLDERS or name.startswith(CLAIMS_PREFIX)
    return own and entry.is_dir(follow_symlinks=False)


def _importable(entry: os.DirEntry[str], *, follow_symlinks: bool) -> bool:
    return not _skipped(entry) and entry.is_file(follow_symlinks=follow_symlinks)


def _classify(entry: os.DirEntry[str], *, follow_symlinks: bool) -> Notice | None:  # noqa: PLR0911 - one answer per kind
    name = entry.name
    shown = printable(name)
    if _skipped(entry):
        return None
    if not decodable(name):
        return Notice(shown, "name", "the name is not valid UTF-8: rename the file to import it")
    if name.startswith("."):
        return Notice(shown, "hidden", "hidden file (name starting with '.'): not imported")
    if entry.is_symlink() and not follow_symlinks:
        return Notice(
            shown,
            "symlink",
            "symbolic link refused (it could bring in data from outside the inbox): copy "
            "the file itself, or set [agent] inbox_follow_symlinks = true",
        )
    if entry.is_dir():
        return Notice(shown, "folder", "folder: not imported (only files directly in the inbox)")
    if not entry.is_file():
        return Notice(shown, "special", f"not a regular file ({_kind(entry)}): not imported")
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        return Notice(shown, "xls", "old Excel .xls workbook: not read; save it as .xlsx")
    if suffix not in SUFFIXES:
        return Notice(shown, "type", f"not a {_KINDS} export: not imported")
    return None


def _kind(entry: os.DirEntry[str]) -> str:
    try:
        mode = entry.stat().st_mode
    except OSError:
        return "broken link"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


@dataclass(frozen=True)
class Clock:
    """Wall time, a monotonic clock and sleep: injected so tests control the waiting."""

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def settled(
    paths: Iterable[Path], *, settle_s: float, clock: Clock | None = None
) -> tuple[list[Path], list[Path]]:
    """Split ``paths`` into (complete, still being written).

    A file is complete once its signature has not changed for ``settle_s`` seconds (judged
    from its mtime when that is old enough, else by watching it, at most a few settle times
    in all) and no process holds it open for writing.
    """
    clock = clock or Clock()
    waiting = {path: _observe(path, clock) for path in paths}
    ready: list[Path] = []
    deadline = clock.monotonic() + _PATIENCE * settle_s
    while waiting:
        now = clock.wall()
        for path, (seen, since) in list(waiting.items()):
            if seen is None:
                del waiting[path]  # gone (another agent took it)
            elif now - seen[1] / 1e9 >= settle_s or clock.monotonic() - since >= settle_s:
                ready.append(path)
                del waiting[path]
        if not waiting or clock.monotonic() >= deadline:
            break
        clock.sleep(min(1.0, settle_s / 4))
        for path, (seen, since) in list(waiting.items()):
            current = _observe(path, clock)[0]
            waiting[path] = (current, since if current == seen else clock.monotonic())
    busy = open_for_writing(ready)
    complete = [path for path in sorted(ready) if path not in busy]
    return complete, sorted([*waiting, *busy])


def _observe(path: Path, clock: Clock) -> tuple[Signature | None, float]:
    try:
        return signature(path), clock.monotonic()
    except OSError:
        return None, 0.0
