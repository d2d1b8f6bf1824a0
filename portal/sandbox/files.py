"""Owner-only files and folders of the replica's data directory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def private_dir(path: Path) -> Path:
    """Create ``path`` owner-only (0700) if it is missing, and return it.

    An existing folder keeps its mode (it may be one the operator chose on purpose); a warning
    says when others can read it.
    """
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True)
        path.chmod(0o700)
    elif path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; the replica stores personal data there", path)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new or truncated owner-only (0600) file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


def open_private(path: Path) -> int:
    """Create a new owner-only file for writing; fails if it exists. Returns the descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
