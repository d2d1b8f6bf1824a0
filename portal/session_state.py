"""The browser's login session kept between runs: an owner-only storage-state file.

Playwright's storage state holds the portal's session cookies, which are as good as the
password for as long as they live: the file is written 0600 in an owner-only folder, one per
(portal, identifiant), and deleted on logout or when it no longer opens a session.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from builders.files import ensure_private_dir

log = logging.getLogger(__name__)


class SessionStore:
    """Where the storage state for one portal account lives.

    Args:
        work_dir: The client's private working folder (created 0700).
        base_url: The portal's address.
        username: The identifiant the session belongs to.
    """

    def __init__(self, work_dir: Path, base_url: str, username: str) -> None:
        key = hashlib.sha256(f"{base_url}\n{username}".encode()).hexdigest()[:16]
        self.path = work_dir / f"session-{key}.json"
        self._work_dir = work_dir

    def existing(self) -> Path | None:
        """The state file when one is stored and readable as JSON, else None."""
        try:
            json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("ignoring an unreadable session file %s", self.path)
            self.clear()
            return None
        return self.path

    def save(self, state: dict[str, Any]) -> None:
        """Write ``state`` (from ``context.storage_state()``) atomically, owner-only."""
        ensure_private_dir(self._work_dir)
        fd, tmp_name = tempfile.mkstemp(dir=self._work_dir, prefix=".session-")
        tmp = Path(tmp_name)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
            tmp.replace(self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        """Forget the stored session."""
        self.path.unlink(missing_ok=True)
