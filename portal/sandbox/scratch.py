"""A throw-away SQLite set of idTechnique, for one processing run.

Processing reads the replica's database without writing to it and collects the passages a file
accepts (or deletes) here; the database is then changed in one short transaction. So a large
file never holds the database's write lock while it is read, and pages stay responsive.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self


class IdSet:
    """A disk-backed set of strings (constant memory), deleted on exit."""

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=".scratch-", suffix=".sqlite3", dir=folder)
        os.close(fd)
        self.path = Path(name)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY)")

    def add(self, value: str) -> bool:
        """Add ``value``; False when it was already there."""
        cursor = self._db.execute("INSERT OR IGNORE INTO ids VALUES (?)", (value,))
        return cursor.rowcount == 1

    def __contains__(self, value: object) -> bool:
        row = self._db.execute("SELECT 1 FROM ids WHERE id = ?", (value,)).fetchone()
        return row is not None

    def __iter__(self) -> Iterator[str]:
        for (value,) in self._db.execute("SELECT id FROM ids"):
            yield str(value)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._db.close()
        self.path.unlink(missing_ok=True)
