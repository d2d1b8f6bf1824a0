"""File helpers the agent, the portal client and the builders share.

Owner-only folders (0700), owner-only files written atomically (a temporary file in the same
folder, fsynced, then renamed over the target), and streamed SHA-256 of a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 16


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


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
