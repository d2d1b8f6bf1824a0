"""File helpers the agent, the portal client and the builders share.

Owner-only folders (0700), owner-only files written atomically (a temporary file in the same
folder, fsynced, then renamed over the target), and streamed SHA-256 of a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 16
log = logging.getLogger(__name__)
_warned: set[Path] = set()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) owner-only (0700) if missing.

    A folder that already exists keeps its mode: it may be a shared folder someone chose
    (a ``data_dir`` or ``inbox_dir``), and changing it could lock others out. If others can
    read it, a warning says so once per process.
    """
    try:
        path.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        _warn_if_shared(path)
    else:
        path.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def _warn_if_shared(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077 and path not in _warned:
        _warned.add(path)
        log.warning(
            "%s is accessible to other users (mode %04o); the agent did not create it, so it "
            "leaves its mode alone. The files it writes there stay owner-only; run "
            "`chmod 700 %s` if the folder is not meant to be shared",
            path,
            mode,
            path,
        )


def write_private(chunks: Iterable[bytes], target: Path) -> tuple[str, int]:
    """Write ``chunks`` to ``target`` owner-only (0600) and atomically.

    The pieces are streamed (never held whole) to a temporary file beside ``target``, which
    replaces ``target`` only once complete and on disk; on any error it is removed.

    Returns:
        The written bytes' SHA-256 (hex) and size.
    """
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def read_chunks(path: Path) -> Iterable[bytes]:
    """The bytes of ``path``, in pieces."""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    for chunk in read_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()
